"""Every stored fact is covered by `verify`: the tampering cases are generated from the schema, not chosen by hand.

One database, keyed, holds a victim with a rich history (documents revised and signed, meetings, people joining and
leaving, a forced transition, a refreshed standing cache) beside bystanders. For every column of every
``mentorflow_`` table, a row of the victim's is edited to another plausible value (a value another row holds, or
the same value nudged); every row of the victim's is deleted in turn; its chain is cut short; the victim is
deleted whole. Each edit runs inside a transaction that is rolled back afterwards, with `verify` (and a
checkpoint taken before) reading through that same transaction: it must name exactly the victim, or the column
must be on ``NOTHING_READS``, a short list of facts no decision, read or report uses, each with its reason (the
reminders ``tick`` records among them: notifications, which no decision reads).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Column, Table, UniqueConstraint, delete, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from mentorflow import Actor, Checkpoint, Mentorflow
from mentorflow.store.tables import Base
from tests.conftest import POSTGRES, FakeClock
from tests.content import latest, valid

VICTIM = "victim"
KEY = secrets.token_urlsafe(32)
NOTHING_READS = {
    "mentorflow_relationships.lock_version": "the compare-and-set counter: a write only checks it did not move",
    "mentorflow_definitions.created_at": "when a definition was first stored: shown nowhere, decides nothing",
    "mentorflow_relationships.standing_format": "another format only marks the cache outdated: audits recompute it",
    **{
        f"mentorflow_{table}.id": "a surrogate key: rows are read by relationship and position, and a revision's "
        "id only from its signatures, which verify matches with the log"
        for table in ("events", "participants", "phase_stays", "revisions", "signatures")
    },
    "mentorflow_relationships.standing_at": (
        "the cache is compared with its evaluation at this time: a time that gives the same evaluation and the same "
        "recheck time misleads no read"
    ),
    **dict.fromkeys(
        (
            *(
                f"mentorflow_reminders.{column}"
                for column in (
                    "id",
                    "relationship_id",
                    "state",
                    "obligation",
                    "due_at",
                    "offset_days",
                    "requirement",
                    "slot",
                    "role",
                    "people",
                    "recorded_at",
                )
            ),
            "delete the first row of mentorflow_reminders",
            "delete the last row of mentorflow_reminders",
        ),
        "reminders are notifications, not events of the chain: nothing that decides a transition, an audit or a "
        "report reads them (tick only skips recording one twice); the change feed carries them out",
    ),
    **dict.fromkeys(
        (
            *(
                f"mentorflow_changes.{column}"
                for column in (
                    "id",
                    "position",
                    "change_id",
                    "kind",
                    "relationship_id",
                    "seq",
                    "at",
                    "people",
                    "payload",
                )
            ),
            "delete the first row of mentorflow_changes",
            "delete the last row of mentorflow_changes",
        ),
        "the change feed is the outbox of notifications, a copy written beside the log: nothing that decides a "
        "transition, an audit or a report reads it, and the log it copies is what verify checks",
    ),
}
"""Columns whose edit `verify` need not see, with the reason nothing reads them."""


@dataclass(frozen=True)
class Case:
    name: str
    table: str
    column: str | None = None  # None: delete the row
    row: int = 0  # which of the victim's rows, in primary-key order


OPERATORS = ("mentorflow_endpoints", "mentorflow_deliveries")
"""Webhook endpoints and their deliveries: the operator's configuration and the worker's progress in sending
notifications, no part of any relationship's record; nothing that decides a transition, an audit or a report reads
them, so there is no victim's row to edit."""


def _tables() -> list[Table]:
    return [
        table
        for table in Base.metadata.sorted_tables
        if table.name.startswith("mentorflow_") and table.name not in OPERATORS
    ]


def _victim_rows(session: Session, table: Table) -> list[Any]:
    key = list(table.primary_key.columns)
    if "relationship_id" in table.c:
        where = table.c.relationship_id == VICTIM
    elif table.name == "mentorflow_relationships":
        where = table.c.id == VICTIM
    else:  # definitions: the victim's alone (no bystander runs its workflow)
        pinned = select(Base.metadata.tables["mentorflow_relationships"].c.definition_hash).where(
            Base.metadata.tables["mentorflow_relationships"].c.id == VICTIM
        )
        where = table.c.hash.in_(pinned.scalar_subquery())
    return list(session.execute(select(table).where(where).order_by(*key)).all())


def _nudged(value: Any) -> Any:
    """The same value, changed as little as its type allows."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, dt.datetime):
        return value + dt.timedelta(hours=1)
    assert isinstance(value, str), f"no nudge for {value!r}"
    return _nudged_text(value)


def _nudged_text(value: str) -> str:
    """A hash with its last digit changed, a JSON document with its last leaf changed, other text lengthened."""
    if re.fullmatch(r"[0-9a-f]{64}", value):
        return value[:-1] + ("0" if value[-1] != "0" else "1")
    try:
        parsed = json.loads(value)
    except ValueError:
        return value + "x"
    return json.dumps(_nudged_json(parsed)) if isinstance(parsed, (dict, list)) and parsed else value + "x"


def _nudged_json(value: Any) -> Any:
    """The document with its last leaf changed."""
    if isinstance(value, dict):
        key = max(value)
        return {**value, key: _nudged_json(value[key])}
    if isinstance(value, list):
        return [*value[:-1], _nudged_json(value[-1])] if value else [1]
    if value is None:
        return 1
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    return f"{value}x"


def _other_value(session: Session, table: Table, column: Column[Any], current: Any) -> Any:
    """A plausible replacement: a value another row holds (another role, state, person, time), else a nudge."""
    if column.name == "relationship_id":
        return "bystander"  # the row moved to another relationship: both are then named
    if column.primary_key or column.foreign_keys:
        return _nudged(current)
    others = session.execute(select(column).where(column.is_not(None)).distinct().limit(20)).scalars()
    for other in others:
        if other != current and type(other) is type(current):
            return other
    if current is None:
        sample = session.execute(select(column).where(column.is_not(None)).limit(1)).scalar()
        fallback = {
            int: 1,
            float: 1.0,
            bool: True,
            dt.datetime: dt.datetime(2026, 1, 1, tzinfo=dt.UTC).replace(tzinfo=None),
        }
        return sample if sample is not None else fallback.get(column.type.python_type, "x")
    return _nudged(current)


def _cases() -> Iterator[Case]:
    for table in _tables():
        for column in table.c:
            yield Case(f"{table.name}.{column.name}", table.name, column.name, row=-1)
        yield Case(f"delete the first row of {table.name}", table.name)
        yield Case(f"delete the last row of {table.name}", table.name, row=-1)


def _edit(session: Session, case: Case) -> bool:
    """Apply the case in ``session``; False when the database itself refuses the edit (a constraint)."""
    table = Base.metadata.tables[case.table]
    rows = _victim_rows(session, table)
    assert rows, f"the victim has no row in {case.table}: the fixture must fill every table"
    row = rows[case.row]
    key = [column == row._mapping[column.name] for column in table.primary_key.columns]
    if case.column is None:
        statement: Any = delete(table).where(*key)
    else:
        column = table.c[case.column]
        current = row._mapping[case.column]
        replacement = _other_value(session, table, column, current)
        assert replacement != current, case.name
        statement = update(table).where(*key).values({case.column: replacement})
    try:
        with session.begin_nested():
            session.execute(statement)
    except DBAPIError:
        return False
    return True


def _constrained(case: Case) -> bool:
    """Whether the database may refuse the case: a row others point at, or a keyed, unique or sized column."""
    table = Base.metadata.tables[case.table]
    if case.column is None:
        return any(fk.column.table is table for other in _tables() for fk in other.foreign_keys)
    column = table.c[case.column]
    unique = any(
        column.name in constraint.columns
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint)
    )
    return column.primary_key or bool(column.foreign_keys) or unique or getattr(column.type, "length", None) is not None


def _populate(mf: Mentorflow, clock: FakeClock) -> None:
    """Bystanders on other workflows; the victim, a group, with every kind of event and row."""
    admin = Actor.admin()
    mf.start("traditional-dyad", {"mentor": "m-b", "mentee": "e-b"}, actor=admin, id="bystander")
    mf.submit("bystander", "idp", valid("idp"), actor="e-b")
    mf.sign("bystander", "idp", actor="e-b", revision=latest(mf, "bystander", "idp"))
    mf.start("informal-peer", {"peer": ["p1", "p2"]}, actor=admin, id="peers", program="spring")
    mentees = ["ge1", "ge2", "ge3", "ge4"]
    mf.start("group", {"mentor": ["gm1", "gm2"], "mentee": mentees}, actor=admin, id=VICTIM, program="fall")
    for mentee in mentees[:3]:
        clock.advance(1)
        mf.submit(VICTIM, "idp", valid("idp"), actor=mentee)
    mf.leave(VICTIM, "ge4", actor="ge4", reason="moved away")
    mf.join(VICTIM, "mentee", "ge5", actor="gm1")
    clock.advance(2)
    mf.fire(VICTIM, "charter", actor=admin, force=True, reason="ge5 writes a plan later")
    mf.submit(VICTIM, "agreement", valid("agreement"), actor="gm1")
    mf.submit(VICTIM, "agreement", valid("agreement") | {"goals": ["meet monthly"]}, actor="gm2")
    clock.advance(1)
    for person in ("gm1", "ge1"):
        mf.sign(VICTIM, "agreement", actor=person, revision=latest(mf, VICTIM, "agreement"))
    mf.submit(VICTIM, "meeting", valid("meeting"), actor="ge2")
    clock.advance(40)  # the charter's deadline passes: the victim is overdue
    mf.tick()  # records the victim's reminders, and refreshes the standing cache


@pytest.fixture(scope="module", params=["sqlite", POSTGRES])
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Mentorflow, Checkpoint]]:
    """The database every case edits (and rolls back), with a checkpoint taken before any edit."""
    if request.param == "sqlite":
        url, cleanup = f"sqlite:///{tmp_path_factory.mktemp('exhaustive') / 'db.sqlite'}", None
    else:
        run = request.getfixturevalue("postgres_run")
        schema = f"{run.schema}_tampering"
        with run.admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url, cleanup = run.url(schema), (run.admin, schema)
    clock = FakeClock()
    mf = Mentorflow(url, clock=clock, key=KEY)
    try:
        mf.upgrade()
        _populate(mf, clock)
        yield mf, mf.checkpoint()
    finally:
        mf.engine.dispose()
        if cleanup is not None:
            with cleanup[0].begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{cleanup[1]}" CASCADE'))


@pytest.mark.parametrize("case", list(_cases()), ids=lambda case: case.name)
def test_every_edit_is_named(built: tuple[Mentorflow, Checkpoint], case: Case) -> None:
    mf, checkpoint = built
    with Session(mf.engine) as session, session.begin():
        applied = _edit(session, case)
        report = mf.verify(checkpoint=checkpoint, session=session) if applied else None
        session.rollback()
    if report is None:  # the database itself refused the edit: only a key, constraint or column size may do that
        assert _constrained(case), f"{case.name} was refused by no key or constraint"
        return
    if case.name in NOTHING_READS:
        return
    named = sorted(broken.relationship for broken in report.broken)
    assert named == (["bystander", VICTIM] if case.column == "relationship_id" else [VICTIM]), case.name


def _delete_whole(session: Session) -> None:
    for table in reversed(_tables()):
        if "relationship_id" in table.c:
            session.execute(delete(table).where(table.c.relationship_id == VICTIM))
    relationships = Base.metadata.tables["mentorflow_relationships"]
    session.execute(delete(relationships).where(relationships.c.id == VICTIM))


def _cut_and_rewind(session: Session) -> None:
    """Remove the last event and rewind the row to the one before, as a careful editor would."""
    events = Base.metadata.tables["mentorflow_events"]
    relationships = Base.metadata.tables["mentorflow_relationships"]
    last, previous = session.execute(
        select(events.c.seq, events.c.hash, events.c.at)
        .where(events.c.relationship_id == VICTIM)
        .order_by(events.c.seq.desc())
        .limit(2)
    ).all()
    session.execute(delete(events).where(events.c.relationship_id == VICTIM, events.c.seq == last.seq))
    session.execute(
        update(relationships)
        .where(relationships.c.id == VICTIM)
        .values(seq=previous.seq, last_hash=previous.hash, last_event_at=previous.at, standing_seq=None)
    )


@pytest.mark.parametrize("edit", [_delete_whole, _cut_and_rewind], ids=["delete it whole", "cut and rewind"])
def test_what_is_gone_is_named_with_the_checkpoint(built: tuple[Mentorflow, Checkpoint], edit: Any) -> None:
    """Removals leave nothing in the database to check: the checkpoint names the victim."""
    mf, checkpoint = built
    with Session(mf.engine) as session, session.begin():
        edit(session)
        report = mf.verify(checkpoint=checkpoint, session=session)
        session.rollback()
    assert [broken.relationship for broken in report.broken] == [VICTIM]
