"""The rows an archive carries, read in batches and written back in bulk, and the rows an erasure blanks.

``mentorflow.lifecycle`` decides what an archive holds and checks it; this module is only its SQL, kept in the
store because the store is the one importer of SQLAlchemy. Relationships are read by keyset pages in the bytewise
order of their ids (``COLLATE "C"`` on PostgreSQL, SQLite's own order), so that an archive of the same rows has
the same bytes whichever database wrote it, and memory holds one page at a time however large the database.
Integer row ids are never carried: imported rows take new ones from their tables' own sequences, which is what
leaves PostgreSQL's identity columns right for the writes that follow.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Column, Connection, Table, bindparam, func, insert, select, update

from mentorflow.store.bulk import insert_many
from mentorflow.store.records import EventRecord, ParticipantRecord, RelationshipRecord, RevisionRecord
from mentorflow.store.tables import (
    Definition,
    EventRow,
    ParticipantRow,
    RelationshipRow,
    RevisionRow,
    SignatureRow,
)

__all__ = [
    "HEAD",
    "Stored",
    "blank",
    "counts",
    "definitions",
    "definitions_used",
    "insert_definitions",
    "insert_relationships",
    "present",
    "relationships",
    "stored_definitions",
    "submitted_by",
    "took_part",
]

_REL = cast("Table", RelationshipRow.__table__)
_PEOPLE = cast("Table", ParticipantRow.__table__)
_REVISIONS = cast("Table", RevisionRow.__table__)
_SIGNATURES = cast("Table", SignatureRow.__table__)
_EVENTS = cast("Table", EventRow.__table__)
_DEFINITIONS = cast("Table", Definition.__table__)

HEAD = (
    "id",
    "workflow",
    "workflow_version",
    "definition_hash",
    "state",
    "final",
    "program",
    "started_at",
    "entered_at",
    "last_event_at",
    "seq",
    "last_hash",
    "lock_version",
)
"""The relationship row's columns an archive carries: the head of its log; the standing cache is recomputed."""
PAGE = 500
"""Relationships read (and written) per batch: a few queries per page, a bounded number of rows in memory."""


@dataclass
class Stored:
    """One relationship's rows, as an archive carries them (Core rows, read by attribute)."""

    row: Any
    participants: list[Any] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)
    revisions: list[Any] = field(default_factory=list)
    signatures: list[Any] = field(default_factory=list)
    """Each with the ``slot``, ``item`` and ``number`` of the revision it signs."""


def _bytewise(connection: Connection, column: Column[Any]) -> Any:
    """``column`` compared and sorted byte by byte, as SQLite does by default, whatever PostgreSQL's locale."""
    return column.collate("C") if connection.dialect.name == "postgresql" else column


def counts(connection: Connection, ids: Sequence[str] | None) -> tuple[int, int]:
    """How many relationships and events an archive of ``ids`` (None: every relationship) holds."""
    relationships = select(func.count()).select_from(_REL)
    events = select(func.count()).select_from(_EVENTS)
    if ids is not None:
        relationships = relationships.where(_REL.c.id.in_(list(ids)))
        events = events.where(_EVENTS.c.relationship_id.in_(list(ids)))
    return int(connection.execute(relationships).scalar_one()), int(connection.execute(events).scalar_one())


def present(connection: Connection, ids: Sequence[str]) -> list[str]:
    """Those of ``ids`` that some relationship of this database has."""
    query = select(_REL.c.id).where(_REL.c.id.in_(list(ids)))
    return sorted(connection.execute(query).scalars())


def definitions(connection: Connection, hashes: Sequence[str] | None) -> Iterator[Any]:
    """The stored definitions (of ``hashes``; None: all), by hash."""
    query = select(_DEFINITIONS).order_by(_bytewise(connection, _DEFINITIONS.c.hash))
    if hashes is not None:
        query = query.where(_DEFINITIONS.c.hash.in_(list(hashes)))
    yield from connection.execute(query)


def definitions_used(connection: Connection, ids: Sequence[str]) -> list[str]:
    """The hashes of the definitions ``ids`` run on or ran on before a migration (from their events)."""
    used = set(connection.execute(select(_REL.c.definition_hash).where(_REL.c.id.in_(list(ids)))).scalars())
    query = select(_EVENTS.c.payload).where(
        _EVENTS.c.relationship_id.in_(list(ids)), _EVENTS.c.kind.in_(("started", "migrated"))
    )
    for text in connection.execute(query).scalars():
        payload = json.loads(text)
        used |= {payload[name] for name in ("definition", "from_definition", "to_definition") if name in payload}
    return sorted(used)


def stored_definitions(connection: Connection) -> dict[str, tuple[str, int]]:
    """Every stored definition's (workflow, version), by hash: an import refuses a version stored differently."""
    query = select(_DEFINITIONS.c.hash, _DEFINITIONS.c.workflow, _DEFINITIONS.c.version)
    return {digest: (workflow, version) for digest, workflow, version in connection.execute(query)}


def relationships(connection: Connection, ids: Sequence[str] | None) -> Iterator[Stored]:
    """Every relationship of ``ids`` (None: all) with its rows, in bytewise order of id, a page at a time."""
    key = _bytewise(connection, _REL.c.id)
    head = select(*(_REL.c[name] for name in HEAD)).order_by(key).limit(PAGE)
    if ids is not None:
        head = head.where(_REL.c.id.in_(list(ids)))
    last: str | None = None
    while True:
        page = connection.execute(head if last is None else head.where(key > last)).all()
        if not page:
            return
        found = {row.id: Stored(row) for row in page}
        _owned(connection, found)
        yield from found.values()
        last = page[-1].id


def _owned(connection: Connection, found: Mapping[str, Stored]) -> None:
    """Fill each relationship of a page with its participants, events, revisions and signatures: four queries."""
    batch = list(found)
    people = select(
        _PEOPLE.c.relationship_id, _PEOPLE.c.person, _PEOPLE.c.role, _PEOPLE.c.joined_at, _PEOPLE.c.left_at
    ).where(_PEOPLE.c.relationship_id.in_(batch))
    for row in connection.execute(people.order_by(_PEOPLE.c.id)):
        found[row.relationship_id].participants.append(row)
    events = select(_EVENTS).where(_EVENTS.c.relationship_id.in_(batch))
    for row in connection.execute(events.order_by(_EVENTS.c.relationship_id, _EVENTS.c.seq)):
        found[row.relationship_id].events.append(row)
    revisions = select(_REVISIONS).where(_REVISIONS.c.relationship_id.in_(batch))
    for row in connection.execute(revisions.order_by(_REVISIONS.c.id)):
        found[row.relationship_id].revisions.append(row)
    signatures = (
        select(_SIGNATURES, _REVISIONS.c.slot, _REVISIONS.c.item, _REVISIONS.c.number)
        .join(_REVISIONS, _REVISIONS.c.id == _SIGNATURES.c.revision_id)
        .where(_SIGNATURES.c.relationship_id.in_(batch))
    )
    for row in connection.execute(signatures.order_by(_SIGNATURES.c.id)):
        found[row.relationship_id].signatures.append(row)


def insert_definitions(connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        connection.execute(insert(_DEFINITIONS), list(rows))


_INSERT_SIGNATURE = insert(_SIGNATURES).values(
    relationship_id=bindparam("b_relationship"),
    revision_id=select(_REVISIONS.c.id)
    .where(
        _REVISIONS.c.relationship_id == bindparam("b_relationship"),
        _REVISIONS.c.slot == bindparam("b_slot"),
        _REVISIONS.c.item == bindparam("b_item"),
        _REVISIONS.c.number == bindparam("b_number"),
    )
    .scalar_subquery(),
)
"""A signature, bound to its revision by (relationship, slot, item, number): the revision's new row id."""


_HEAD_FIELDS = len(HEAD)
"""A relationship record's first fields are the head an archive carries; the standing cache is left empty."""


def insert_relationships(
    connection: Connection,
    rows: Sequence[RelationshipRecord],
    participants: Sequence[ParticipantRecord],
    revisions: Sequence[RevisionRecord],
    signatures: Sequence[Mapping[str, Any]],
    events: Sequence[EventRecord],
) -> None:
    """Insert a batch of relationships with their rows, in the archive's order (so new row ids keep it), and no
    change in the feed: imported events are the record, not news. The records' own ids are not stored: each row
    takes a new one from its table (a signature finds its revision's by the revision's slot, item and number)."""
    insert_many(connection, _REL, HEAD, [row[:_HEAD_FIELDS] for row in rows])
    insert_many(connection, _PEOPLE, ParticipantRecord._fields[:-1], [person[:-1] for person in participants])
    insert_many(connection, _REVISIONS, RevisionRecord._fields[1:], [revision[1:] for revision in revisions])
    if signatures:
        connection.execute(_INSERT_SIGNATURE, list(signatures))
    insert_many(connection, _EVENTS, EventRecord._fields[:-1], [event[:-1] for event in events])


# -- erasure ----------------------------------------------------------------------------------------------------


def took_part(connection: Connection, person: str) -> bool:
    """Whether ``person`` ever held a role in, or submitted to, some relationship."""
    held = select(_PEOPLE.c.id).where(_PEOPLE.c.person == person).limit(1)
    submitted = select(_REVISIONS.c.id).where(_REVISIONS.c.submitted_by == person).limit(1)
    return connection.execute(held).first() is not None or connection.execute(submitted).first() is not None


def submitted_by(connection: Connection, person: str) -> list[Any]:
    """Every revision ``person`` submitted: (relationship_id, slot, item, number, content, content_hash), by
    relationship and then as stored."""
    query = (
        select(
            _REVISIONS.c.relationship_id,
            _REVISIONS.c.slot,
            _REVISIONS.c.item,
            _REVISIONS.c.number,
            _REVISIONS.c.content,
            _REVISIONS.c.content_hash,
        )
        .where(_REVISIONS.c.submitted_by == person)
        .order_by(_REVISIONS.c.relationship_id, _REVISIONS.c.id)
    )
    return list(connection.execute(query))


_BLANK = (
    update(_REVISIONS)
    .where(
        _REVISIONS.c.relationship_id == bindparam("b_relationship"),
        _REVISIONS.c.slot == bindparam("b_slot"),
        _REVISIONS.c.item == bindparam("b_item"),
        _REVISIONS.c.number == bindparam("b_number"),
    )
    .values(content=bindparam("b_content"))
)


def blank(
    connection: Connection, relationship_id: str, revisions: Sequence[tuple[str, int, int]], content: str
) -> None:
    """Replace the content of ``revisions`` (slot, item, number) of one relationship with ``content``."""
    connection.execute(
        _BLANK,
        [
            {
                "b_relationship": relationship_id,
                "b_slot": slot,
                "b_item": item,
                "b_number": number,
                "b_content": content,
            }
            for slot, item, number in revisions
        ],
    )
