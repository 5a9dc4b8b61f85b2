"""Bulk reads for audits, ticks and verification: a few queries for many relationships, never one per row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased

from mentorflow.engine.snapshot import Snapshot
from mentorflow.store.db import Executor, connection_of, from_db, to_db
from mentorflow.store.definitions import Bundles
from mentorflow.store.repo import load_details, snapshot_of
from mentorflow.store.statements import HEAD_COLUMNS
from mentorflow.store.tables import (
    Definition,
    EventRow,
    ParticipantRow,
    RelationshipRow,
    RevisionRow,
    SignatureRow,
)
from mentorflow.types import Override

__all__ = [
    "StoredRevision",
    "due_candidates",
    "ever_participated",
    "ids_started_by",
    "latest_event_at",
    "load_snapshots",
    "override_from",
    "overrides_of",
    "participations",
    "person_latest_event_at",
    "person_snapshots",
    "programs",
    "revisions_of",
    "roles_held",
    "state_entries",
]

BATCH = 2000


def load_snapshots(
    session: Executor,
    bundles: Bundles,
    *,
    workflow: str | None = None,
    program: str | None = None,
    state: str | None = None,
    ids: Sequence[str] | None = None,
) -> Iterator[Snapshot]:
    """Snapshots of every relationship matching the filters, loaded in batches."""
    table = RelationshipRow.__table__
    query = select(*HEAD_COLUMNS).order_by(table.c.started_at, table.c.id)
    for column, value in (("workflow", workflow), ("program", program), ("state", state)):
        if value is not None:
            query = query.where(table.c[column] == value)
    if ids is not None:
        query = query.where(table.c.id.in_(list(ids)))
    connection = connection_of(session)
    rows = connection.execute(query).all()
    for start in range(0, len(rows), BATCH):
        snapshots = {row.id: snapshot_of(session, bundles, row) for row in rows[start : start + BATCH]}
        load_details(connection, snapshots)
        yield from snapshots.values()


def programs(session: Executor) -> list[str]:
    """Every program some relationship belongs to."""
    table = RelationshipRow.__table__
    query = select(table.c.program).where(table.c.program.is_not(None)).distinct()
    return list(connection_of(session).execute(query).scalars())


def relationship_ids(session: Executor) -> list[str]:
    """Every relationship's id, in the order ``load_snapshots`` yields them."""
    table = RelationshipRow.__table__
    return list(connection_of(session).execute(select(table.c.id).order_by(table.c.started_at, table.c.id)).scalars())


def due_candidates(session: Executor, bundles: Bundles, now: dt.datetime) -> list[str]:
    """Ids of relationships sitting in a state with a timed transition whose delay has passed."""
    ids: list[str] = []
    for definition_hash in session.scalars(select(Definition.hash)):
        workflow = bundles.get(session, definition_hash).workflow
        for transition in workflow.transitions:
            if transition.after_days is None:
                continue
            limit = to_db(now - dt.timedelta(days=transition.after_days))
            ids += session.scalars(
                select(RelationshipRow.id)
                .where(
                    RelationshipRow.definition_hash == definition_hash,
                    RelationshipRow.state.in_(workflow.sources(transition)),
                    RelationshipRow.entered_at <= limit,
                )
                .order_by(RelationshipRow.id)
            )
    return list(dict.fromkeys(ids))


ENTRY_KINDS = ("started", "transitioned", "overridden", "migrated")
"""Events that enter a state; a ``migrated`` event enters its new state (``to``) on the new definition."""


def state_entries(
    session: Executor, relationship_ids: Sequence[str] | None = None
) -> Iterator[tuple[str, dt.datetime, str]]:
    """(relationship, at, state) for every entry into a state, from the event log; None means every relationship."""
    query = select(EventRow.relationship_id, EventRow.at, EventRow.kind, EventRow.payload).where(
        EventRow.kind.in_(ENTRY_KINDS)
    )
    batches = (
        [None]
        if relationship_ids is None
        else [relationship_ids[start : start + BATCH] for start in range(0, len(relationship_ids), BATCH)]
    )
    for batch in batches:
        selected = query if batch is None else query.where(EventRow.relationship_id.in_(batch))
        for rel_id, at, kind, payload in session.execute(selected.order_by(EventRow.relationship_id, EventRow.seq)):
            data = orjson.loads(payload)
            yield rel_id, from_db(at), data["state"] if kind == "started" else data["to"]


def entries_by_relationship(
    session: Executor, relationship_ids: Sequence[str]
) -> dict[str, list[tuple[dt.datetime, str]]]:
    """Each relationship's entries into states as (at, state), oldest first."""
    found: dict[str, list[tuple[dt.datetime, str]]] = {}
    for rel_id, at, state in state_entries(session, relationship_ids):
        found.setdefault(rel_id, []).append((at, state))
    return found


def override_from(seq: int, actor: str, payload: dict[str, Any]) -> Override:
    """The forced transition an ``overridden`` event records (its payload and actor, as logged)."""
    return Override(seq, payload["trigger"], actor, payload.get("reason") or "")


def overrides_of(session: Executor, relationship_ids: Sequence[str]) -> dict[str, list[Override]]:
    """Each relationship's forced transitions, oldest first; a relationship never forced is absent."""
    query = select(EventRow.relationship_id, EventRow.seq, EventRow.actor, EventRow.payload).where(
        EventRow.kind == "overridden"
    )
    found: dict[str, list[Override]] = {}
    connection = connection_of(session)
    for start in range(0, len(relationship_ids), BATCH):
        batch = query.where(EventRow.relationship_id.in_(list(relationship_ids[start : start + BATCH])))
        for rel_id, seq, actor, payload in connection.execute(batch.order_by(EventRow.relationship_id, EventRow.seq)):
            found.setdefault(rel_id, []).append(override_from(seq, actor, orjson.loads(payload)))
    return found


# -- documents and people (DESIGN §12) ----------------------------------------------------------------------------


@dataclass
class StoredRevision:
    """One stored revision with its content (canonical JSON text) and the signatures made on it."""

    item: int
    number: int
    content: str
    content_hash: str
    complete: bool
    missing: list[str]
    submitted_by: str
    submitted_at: dt.datetime
    signatures: list[tuple[str, str, dt.datetime]] = field(default_factory=list)
    """(person, role, signed_at), in the order they were made."""


def roles_held(session: Executor, relationship_id: str, person: str) -> list[str]:
    """Every role ``person`` ever held in a relationship, including roles they have left: what they may read."""
    table = ParticipantRow.__table__
    query = (
        select(table.c.role)
        .where(table.c.relationship_id == relationship_id, table.c.person == person)
        .order_by(table.c.id)
    )
    return list(dict.fromkeys(connection_of(session).execute(query).scalars()))


def revisions_of(session: Executor, relationship_id: str, slot: str, item: int | None = None) -> list[StoredRevision]:
    """The revisions of a slot (of one item, when given), by item and number, each with its signatures: two
    queries."""
    revisions = RevisionRow.__table__
    signatures = SignatureRow.__table__
    query = select(
        revisions.c.id,
        revisions.c.item,
        revisions.c.number,
        revisions.c.content,
        revisions.c.content_hash,
        revisions.c.complete,
        revisions.c.missing,
        revisions.c.submitted_by,
        revisions.c.submitted_at,
    ).where(revisions.c.relationship_id == relationship_id, revisions.c.slot == slot)
    if item is not None:
        query = query.where(revisions.c.item == item)
    connection = connection_of(session)
    found: dict[int, StoredRevision] = {}
    for row in connection.execute(query.order_by(revisions.c.item, revisions.c.number)):
        found[row.id] = StoredRevision(
            row.item,
            row.number,
            row.content,
            row.content_hash,
            row.complete,
            orjson.loads(row.missing),
            row.submitted_by,
            from_db(row.submitted_at),
        )
    if found:
        signed = (
            select(signatures.c.revision_id, signatures.c.person, signatures.c.role, signatures.c.signed_at)
            .where(signatures.c.relationship_id == relationship_id, signatures.c.revision_id.in_(list(found)))
            .order_by(signatures.c.id)
        )
        for revision_id, person, role, signed_at in connection.execute(signed):
            found[revision_id].signatures.append((person, role, from_db(signed_at)))
    return list(found.values())


def _person_heads() -> Any:
    mine = aliased(ParticipantRow, name="mine")
    return (
        select(*HEAD_COLUMNS, mine.role)
        .select_from(mine)
        .join(RelationshipRow, RelationshipRow.id == mine.relationship_id)
        .where(mine.person == bindparam("person"), mine.left_at.is_(None))
        .order_by(RelationshipRow.started_at, RelationshipRow.id, mine.role)
    )


PERSON_HEADS = _person_heads()
"""The head of every relationship a person holds a role in now, once per role, oldest first (built once)."""
PARTICIPATIONS = (
    select(ParticipantRow.relationship_id, ParticipantRow.role)
    .where(ParticipantRow.person == bindparam("person"), ParticipantRow.left_at.is_(None))
    .order_by(ParticipantRow.relationship_id, ParticipantRow.role)
)


def participations(session: Executor, person: str) -> list[tuple[str, str]]:
    """(relationship id, role) of every role ``person`` holds now, by relationship id: one query that the index
    of participants by person answers alone (it holds every column the query reads)."""
    return [(rel_id, role) for rel_id, role in connection_of(session).execute(PARTICIPATIONS, {"person": person})]


def person_snapshots(session: Executor, bundles: Bundles, person: str) -> tuple[list[Snapshot], list[tuple[str, str]]]:
    """The snapshots of the relationships ``person`` holds a role in now, oldest first, and (relationship id, role)
    of each role they hold: three queries, however large the database (the index of participants by person)."""
    connection = connection_of(session)
    snapshots: dict[str, Snapshot] = {}
    held = []
    for row in connection.execute(PERSON_HEADS, {"person": person}):
        if row.id not in snapshots:
            snapshots[row.id] = snapshot_of(session, bundles, row)
        held.append((row.id, row.role))
    if snapshots:
        load_details(connection, snapshots)
    return list(snapshots.values()), held


# -- as of (DESIGN §13) -------------------------------------------------------------------------------------------


LATEST_EVENT = select(func.max(RelationshipRow.last_event_at))


def latest_event_at(session: Executor) -> dt.datetime | None:
    """The time of the latest event of any relationship, from their rows: one query that says whether a read at
    some moment reads the past."""
    latest = connection_of(session).execute(LATEST_EVENT).scalar()
    return None if latest is None else from_db(latest)


def ids_started_by(session: Executor, now: dt.datetime, *, program: str | None = None) -> list[str]:
    """Ids of the relationships started at or before ``now`` (of one program), in ``load_snapshots``' order."""
    table = RelationshipRow.__table__
    query = select(table.c.id).where(table.c.started_at <= to_db(now)).order_by(table.c.started_at, table.c.id)
    if program is not None:
        query = query.where(table.c.program == program)
    return list(connection_of(session).execute(query).scalars())


PERSON_LATEST = (
    select(func.max(RelationshipRow.last_event_at))
    .select_from(ParticipantRow)
    .join(RelationshipRow, RelationshipRow.id == ParticipantRow.relationship_id)
    .where(ParticipantRow.person == bindparam("person"))
)
"""The latest event of any relationship a person ever held a role in (built once: a person's view runs it)."""


def person_latest_event_at(session: Executor, person: str) -> dt.datetime | None:
    """The time of the latest event of any relationship ``person`` ever held a role in: one query, through the
    index of participants by person."""
    latest = connection_of(session).execute(PERSON_LATEST, {"person": person}).scalar()
    return None if latest is None else from_db(latest)


def ever_participated(session: Executor, person: str) -> list[str]:
    """Ids of every relationship ``person`` ever held a role in, including those they left, by id."""
    table = ParticipantRow.__table__
    query = select(table.c.relationship_id).where(table.c.person == person).distinct()
    return sorted(connection_of(session).execute(query).scalars())
