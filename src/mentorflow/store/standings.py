"""The standing cache: reading it for audits and summaries, and writing it on refresh.

The cache sits on the relationship row (``standing_*`` columns) and in ``mentorflow_phase_stays``. Whether it
holds is decided when it is read, by ``fresh_clause``, so a cache that a write or the passing of time has outdated
is never trusted, whoever wrote it and whenever.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Select,
    String,
    Table,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    tuple_,
    type_coerce,
    update,
)

from mentorflow.store.db import Executor, connection_of, to_db
from mentorflow.store.tables import PhaseStayRow, RelationshipRow

__all__ = [
    "Pairs",
    "audit_rows",
    "counts",
    "fresh_clause",
    "outdated",
    "save",
    "stale_ids",
    "stay_at_rank",
    "stay_days",
    "stay_tally",
    "totals",
]

_REL = cast("Table", RelationshipRow.__table__)
_STAYS = cast("Table", PhaseStayRow.__table__)

Pairs = Sequence[tuple[str, str]] | None
"""(definition hash, state) pairs a summary is restricted to (its phase filter); None for no restriction."""


def fresh_clause(now: dt.datetime, current_format: int) -> ColumnElement[bool]:
    """SQL for "the cached standing holds at ``now``": no write since, this format, ``now`` in its window."""
    moment = to_db(now)
    return and_(
        _REL.c.standing_seq == _REL.c.seq,
        _REL.c.standing_format == current_format,
        _REL.c.standing_at <= moment,
        or_(_REL.c.recheck_at.is_(None), _REL.c.recheck_at > moment),
    )


def _recorded(current_format: int) -> ColumnElement[bool]:
    """SQL for "the cached phase stays hold": they change only with writes, not with time."""
    return and_(_REL.c.standing_seq == _REL.c.seq, _REL.c.standing_format == current_format)


def _filtered(query: Select[Any], filters: dict[str, str | None], table: Table = _REL) -> Select[Any]:
    for column, value in filters.items():
        if value is not None:
            query = query.where(table.c[column] == value)
    return query


def _text(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """A time column without SQLAlchemy's per-value conversion: SQLite gives its ISO text, PostgreSQL a datetime.

    Converting the two time columns of 100,000 rows costs more than the rest of the fetch; the reader parses
    SQLite's text with ``datetime.fromisoformat``, several times faster.
    """
    return type_coerce(column, String()).label(column.name)


def audit_rows(
    session: Executor, now: dt.datetime, current_format: int, chunk: int, **filters: str | None
) -> Iterator[Sequence[Sequence[Any]]]:
    """(id, definition hash, workflow, version, program, state, entered_at, last_event_at, cached standing) of
    every matching relationship, oldest first, ``chunk`` rows at a time; the cached standing is None where it does
    not hold at ``now``.

    The rows come as the driver fetches them (``Result.partitions``, one ``fetchmany`` per chunk): iterating row
    by row through ``fetchone`` cost about 4 µs a row, a tenth of a 100,000-row audit.
    """
    columns = (
        _REL.c.id,
        _REL.c.definition_hash,
        _REL.c.workflow,
        _REL.c.workflow_version,
        _REL.c.program,
        _REL.c.state,
        _text(_REL.c.entered_at),
        _text(_REL.c.last_event_at),
        case((fresh_clause(now, current_format), _REL.c.standing), else_=None).label("standing"),
    )
    query = _filtered(select(*columns), filters).order_by(_REL.c.started_at, _REL.c.id)
    return connection_of(session).execute(query.execution_options(yield_per=chunk)).partitions()


def _outdated(now: dt.datetime, current_format: int) -> ColumnElement[bool]:
    return or_(_REL.c.standing_seq.is_(None), ~fresh_clause(now, current_format))


def stale_ids(session: Executor, now: dt.datetime, current_format: int) -> list[str]:
    """The relationships whose cached standing is missing or does not hold at ``now``."""
    query = select(_REL.c.id).where(_outdated(now, current_format)).order_by(_REL.c.id)
    return list(connection_of(session).execute(query).scalars())


_SAVE = (
    update(_REL)
    .where(_REL.c.id == bindparam("b_id"), _REL.c.seq == bindparam("b_seq"))
    .values(
        standing_seq=bindparam("b_seq"),
        standing_format=bindparam("b_format"),
        standing_at=bindparam("b_at"),
        recheck_at=bindparam("b_recheck"),
        blocked=bindparam("b_blocked"),
        overdue_from=bindparam("b_overdue"),
        standing=bindparam("b_standing"),
    )
)


def save(session: Executor, standings: Sequence[dict[str, Any]], stays: Sequence[dict[str, Any]]) -> int:
    """Write computed standings and their phase stays; returns how many were written.

    A standing is written only if the relationship is still at the ``seq`` it was computed at, and its stays
    replace the old ones only then. The row update comes first: on PostgreSQL it locks the row until commit, so
    two refreshes of one relationship replace its stays one after the other, never both adding theirs.
    """
    if not standings:
        return 0
    connection = connection_of(session)
    connection.execute(_SAVE, [{f"b_{key}": _db(value) for key, value in row.items()} for row in standings])
    seqs = {row["id"]: row["seq"] for row in standings}
    current = select(_REL.c.id, _REL.c.seq).where(_REL.c.id.in_(bindparam("ids", expanding=True)))
    written = {rel_id for rel_id, seq in connection.execute(current, {"ids": list(seqs)}) if seqs[rel_id] == seq}
    if written:
        connection.execute(delete(_STAYS).where(_STAYS.c.relationship_id.in_(sorted(written))))
        rows = [row for row in stays if row["relationship_id"] in written]
        if rows:
            connection.execute(insert(_STAYS), rows)
    return len(written)


def _db(value: object) -> object:
    return to_db(value) if isinstance(value, dt.datetime) else value


# -- summary tallies ------------------------------------------------------------------------------------------------


def counts(session: Executor, **filters: str | None) -> list[tuple[str, int, str, str | None, int]]:
    """(workflow, version, state, program, relationships) per group, read from the covering index alone."""
    key = (_REL.c.workflow, _REL.c.state, _REL.c.workflow_version, _REL.c.program)
    query = _filtered(select(*key, func.count()), filters).group_by(*key)
    return [(w, v, s, p, int(n)) for w, s, v, p, n in connection_of(session).execute(query)]


def totals(
    session: Executor, now: dt.datetime, current_format: int, pairs: Pairs, **filters: str | None
) -> tuple[int, int, int]:
    """(blocked, overdue, outdated) over the matching relationships.

    ``blocked`` and ``overdue`` count only relationships whose cached standing holds; ``outdated`` counts the
    others, which the caller evaluates.
    """
    fresh = fresh_clause(now, current_format)
    query = _pairs(
        _filtered(
            select(
                func.sum(case((and_(fresh, _REL.c.blocked), 1), else_=0)),
                func.sum(case((and_(fresh, _REL.c.overdue_from < to_db(now)), 1), else_=0)),
                func.sum(case((fresh, 0), else_=1)),
            ),
            filters,
        ),
        pairs,
        _REL,
    )
    blocked, overdue, outdated_count = connection_of(session).execute(query).one()
    return int(blocked or 0), int(overdue or 0), int(outdated_count or 0)


def outdated(
    session: Executor, now: dt.datetime, current_format: int, pairs: Pairs, **filters: str | None
) -> list[tuple[str, bool]]:
    """(id, whether its cached phase stays hold) of each relationship whose cached standing does not."""
    holds = case((_recorded(current_format), True), else_=False)
    query = _pairs(_filtered(select(_REL.c.id, holds).where(_outdated(now, current_format)), filters), pairs, _REL)
    return [(rel_id, bool(recorded)) for rel_id, recorded in connection_of(session).execute(query)]


def _pairs(query: Select[Any], pairs: Pairs, table: Table) -> Select[Any]:
    if pairs is None:
        return query
    return query.where(tuple_(table.c.definition_hash, table.c.state).in_(list(pairs)))


def _stays(
    query: Select[Any], *, checked: bool, current_format: int, pairs: Pairs, filters: dict[str, str | None]
) -> Select[Any]:
    """Restrict a query over phase stays to the relationships summarised, and to stays that hold.

    ``checked=False`` is for when every relationship is known to have its stays recorded: the stays' own copies
    of the relationship's columns then filter them, without a join.
    """
    source: FromClause = _STAYS
    if checked:
        source = _STAYS.join(
            _REL, and_(_REL.c.id == _STAYS.c.relationship_id, _REL.c.seq == _STAYS.c.seq, _recorded(current_format))
        )
    return _pairs(_filtered(query.select_from(source), filters, _STAYS), pairs, _STAYS)


def stay_days(
    session: Executor, current_format: int, pairs: Pairs, **filters: str | None
) -> list[tuple[str, str, float]]:
    """(workflow, phase, days) of every completed stay recorded and holding."""
    query = _stays(
        select(_STAYS.c.workflow, _STAYS.c.phase, _STAYS.c.days).where(_STAYS.c.days.is_not(None)),
        checked=True,
        current_format=current_format,
        pairs=pairs,
        filters=filters,
    )
    return [(workflow, phase, float(days)) for workflow, phase, days in connection_of(session).execute(query)]


def stay_tally(
    session: Executor, current_format: int, pairs: Pairs, *, completed: bool, checked: bool, **filters: str | None
) -> list[tuple[str, str, int]]:
    """(workflow, phase, count) over the recorded phase stays: completed stays, or relationships that reached it."""
    days = _STAYS.c.days.is_not(None) if completed else _STAYS.c.days.is_(None)
    query = _stays(
        select(_STAYS.c.workflow, _STAYS.c.phase, func.count()).where(days),
        checked=checked,
        current_format=current_format,
        pairs=pairs,
        filters=filters,
    ).group_by(_STAYS.c.workflow, _STAYS.c.phase)
    return [(workflow, phase, int(count)) for workflow, phase, count in connection_of(session).execute(query)]


def stay_at_rank(
    session: Executor,
    current_format: int,
    pairs: Pairs,
    *,
    checked: bool,
    group: tuple[str, str],
    rank: int,
    **filters: str | None,
) -> float:
    """The days of the ``rank``-th shortest completed stay (1-based) in ``group``, a (workflow, phase).

    A median and a percentile need two or three ranks per phase. Walking the (workflow, phase, days) index to
    each costs far less than ranking every stay with a window function, which sorts them all.
    """
    query = (
        _stays(
            select(_STAYS.c.days).where(
                _STAYS.c.workflow == group[0], _STAYS.c.phase == group[1], _STAYS.c.days.is_not(None)
            ),
            checked=checked,
            current_format=current_format,
            pairs=pairs,
            filters=filters,
        )
        .order_by(_STAYS.c.days)
        .limit(1)
        .offset(rank - 1)
    )
    return float(connection_of(session).execute(query).scalar_one())
