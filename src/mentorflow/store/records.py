"""Every row of every relationship, read in bulk for ``verify`` (and built from an archive by ``import``).

Verification reads each field of about ten rows per event several times over (the chain, the replay, the
comparison of every stored fact). The rows are therefore typed named tuples, one class per table: a field is read
in tens of nanoseconds, where a SQLAlchemy ``Row`` resolves each attribute by name (about 250 ns on SQLAlchemy
2.1); and mypy checks every field that verification reads.

Each class lists every column of its table, in the order it selects them; a test holds the two to each other, so a
column added to a table must be added here, and whoever adds it decides what ``verify`` checks of it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple, cast

from sqlalchemy import Select, Table, select

from mentorflow.store import queries
from mentorflow.store.db import Executor, connection_of
from mentorflow.store.tables import (
    Definition,
    EventRow,
    ParticipantRow,
    PhaseStayRow,
    RelationshipRow,
    RevisionRow,
    SignatureRow,
)

__all__ = [
    "RECORDS",
    "EventRecord",
    "ParticipantRecord",
    "PhaseStayRecord",
    "RelationshipRecord",
    "RelationshipRecords",
    "RevisionRecord",
    "SignatureRecord",
    "records",
]


class RelationshipRecord(NamedTuple):
    id: str
    workflow: str
    workflow_version: int
    definition_hash: str
    state: str
    final: bool
    program: str | None
    started_at: dt.datetime
    entered_at: dt.datetime
    last_event_at: dt.datetime
    seq: int
    last_hash: str
    lock_version: int
    standing_seq: int | None = None
    standing_format: int | None = None
    standing_at: dt.datetime | None = None
    recheck_at: dt.datetime | None = None
    blocked: bool | None = None
    overdue_from: dt.datetime | None = None
    standing: str | None = None


class EventRecord(NamedTuple):
    relationship_id: str
    seq: int
    kind: str
    actor: str
    at: dt.datetime
    payload: str
    hash: str
    mac: str | None
    key_id: str | None
    id: int = 0


class ParticipantRecord(NamedTuple):
    relationship_id: str
    person: str
    role: str
    joined_at: dt.datetime
    left_at: dt.datetime | None
    id: int = 0


class RevisionRecord(NamedTuple):
    id: int
    relationship_id: str
    slot: str
    item: int
    number: int
    content: str
    content_hash: str
    complete: bool
    missing: str
    submitted_by: str
    submitted_at: dt.datetime
    origin: str | None


class SignatureRecord(NamedTuple):
    id: int
    revision_id: int
    relationship_id: str
    person: str
    role: str
    content_hash: str
    signed_at: dt.datetime


class PhaseStayRecord(NamedTuple):
    id: int
    relationship_id: str
    seq: int
    definition_hash: str
    workflow: str
    state: str
    program: str | None
    phase: str
    days: float | None


@dataclass
class RelationshipRecords:
    """Every row that belongs to one relationship, as verification needs them."""

    row: RelationshipRecord
    events: list[EventRecord] = field(default_factory=list)
    participants: list[ParticipantRecord] = field(default_factory=list)
    revisions: list[RevisionRecord] = field(default_factory=list)
    signatures: list[SignatureRecord] = field(default_factory=list)
    definition_body: str | None = None
    bodies: dict[str, str] = field(default_factory=dict)
    """Every stored definition's body by hash (shared): the ones a migrated relationship ran on before."""
    definition: tuple[str, int, str] | None = None
    """The stored (workflow, version, title) of the definition the relationship is pinned to."""
    stays: list[PhaseStayRecord] = field(default_factory=list)


def _table(mapped: type[Any]) -> Table:
    return cast("Table", mapped.__table__)


_Make = Callable[[Iterable[Any]], Any]


_OWNED: tuple[tuple[str, _Make, tuple[str, ...], Table, tuple[str, ...]], ...] = (
    ("events", EventRecord._make, EventRecord._fields, _table(EventRow), ("relationship_id", "seq")),
    ("participants", ParticipantRecord._make, ParticipantRecord._fields, _table(ParticipantRow), ("id",)),
    ("revisions", RevisionRecord._make, RevisionRecord._fields, _table(RevisionRow), ("id",)),
    ("signatures", SignatureRecord._make, SignatureRecord._fields, _table(SignatureRow), ("id",)),
    ("stays", PhaseStayRecord._make, PhaseStayRecord._fields, _table(PhaseStayRow), ("id",)),
)
"""The tables whose rows belong to one relationship: where ``RelationshipRecords`` keeps them, and their order."""

RECORDS: tuple[tuple[tuple[str, ...], Table], ...] = (
    (RelationshipRecord._fields, _table(RelationshipRow)),
    *((fields, table) for _, _, fields, table, _ in _OWNED),
)
"""Each record's fields with the table they are read from."""


def _select(fields: tuple[str, ...], table: Table) -> Select[Any]:
    """The table's columns in the record's field order, so that each row becomes a record as it is."""
    return select(*(table.c[name] for name in fields))


def records(session: Executor) -> Iterator[RelationshipRecords]:
    """Every relationship with all its rows, ``queries.BATCH`` relationships at a time (one query per table)."""
    connection = connection_of(session)
    relationships = _table(RelationshipRow)
    ids = list(connection.execute(select(relationships.c.id).order_by(relationships.c.id)).scalars())
    stored = connection.execute(select(_table(Definition))).all()
    bodies = {row.hash: row.body for row in stored}
    names = {row.hash: (row.workflow, row.version, row.title) for row in stored}
    heads = _select(RelationshipRecord._fields, relationships)
    for start in range(0, len(ids), queries.BATCH):
        batch = ids[start : start + queries.BATCH]
        found = {
            row.id: RelationshipRecords(row)
            for row in map(RelationshipRecord._make, connection.execute(heads.where(relationships.c.id.in_(batch))))
        }
        for name, make, fields, table, order in _OWNED:
            query = _select(fields, table).where(table.c.relationship_id.in_(batch))
            for owned in map(make, connection.execute(query.order_by(*(table.c[column] for column in order)))):
                getattr(found[owned.relationship_id], name).append(owned)
        for rel_id in batch:
            relationship = found[rel_id]
            relationship.definition_body = bodies.get(relationship.row.definition_hash)
            relationship.definition = names.get(relationship.row.definition_hash)
            relationship.bodies = bodies
            yield relationship
