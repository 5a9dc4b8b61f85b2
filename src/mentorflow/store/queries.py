"""Bulk reads for audits, ticks and verification: a few queries for many relationships, never one per row."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from mentorflow.engine.snapshot import Snapshot
from mentorflow.store.db import from_db, to_db
from mentorflow.store.definitions import Bundles
from mentorflow.store.repo import load_details, snapshot_of
from mentorflow.store.statements import HEAD_COLUMNS
from mentorflow.store.tables import Definition, EventRow, ParticipantRow, RelationshipRow, RevisionRow, SignatureRow

__all__ = ["RelationshipRecords", "due_candidates", "load_snapshots", "records", "state_entries"]

BATCH = 2000


def load_snapshots(
    session: Session,
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
    connection = session.connection()
    rows = connection.execute(query).all()
    for start in range(0, len(rows), BATCH):
        snapshots = {row.id: snapshot_of(session, bundles, row) for row in rows[start : start + BATCH]}
        load_details(connection, snapshots)
        yield from snapshots.values()


def relationship_ids(session: Session) -> list[str]:
    """Every relationship's id, in the order ``load_snapshots`` yields them."""
    table = RelationshipRow.__table__
    return list(session.connection().execute(select(table.c.id).order_by(table.c.started_at, table.c.id)).scalars())


def due_candidates(session: Session, bundles: Bundles, now: dt.datetime) -> list[str]:
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


@dataclass
class RelationshipRecords:
    """Every row that belongs to one relationship, as verification needs them."""

    row: RelationshipRow
    events: list[EventRow] = field(default_factory=list)
    participants: list[ParticipantRow] = field(default_factory=list)
    revisions: list[RevisionRow] = field(default_factory=list)
    signatures: list[SignatureRow] = field(default_factory=list)
    definition_body: str | None = None


def records(session: Session) -> Iterator[RelationshipRecords]:
    """Every relationship with all its rows, in batches."""
    ids = list(session.scalars(select(RelationshipRow.id).order_by(RelationshipRow.id)))
    bodies = {row[0]: row[1] for row in session.execute(select(Definition.hash, Definition.body))}
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        found = {
            row.id: RelationshipRecords(row)
            for row in session.scalars(select(RelationshipRow).where(RelationshipRow.id.in_(batch)))
        }
        for event in session.scalars(
            select(EventRow).where(EventRow.relationship_id.in_(batch)).order_by(EventRow.relationship_id, EventRow.seq)
        ):
            found[event.relationship_id].events.append(event)
        for participant in session.scalars(
            select(ParticipantRow).where(ParticipantRow.relationship_id.in_(batch)).order_by(ParticipantRow.id)
        ):
            found[participant.relationship_id].participants.append(participant)
        for revision in session.scalars(
            select(RevisionRow).where(RevisionRow.relationship_id.in_(batch)).order_by(RevisionRow.id)
        ):
            found[revision.relationship_id].revisions.append(revision)
        for signature in session.scalars(
            select(SignatureRow).where(SignatureRow.relationship_id.in_(batch)).order_by(SignatureRow.id)
        ):
            found[signature.relationship_id].signatures.append(signature)
        for rel_id in batch:
            found[rel_id].definition_body = bodies.get(found[rel_id].row.definition_hash)
            yield found[rel_id]


ENTRY_KINDS = ("started", "transitioned", "overridden")


def state_entries(
    session: Session, relationship_ids: Sequence[str] | None = None
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
            data = json.loads(payload)
            yield rel_id, from_db(at), data["state"] if kind == "started" else data["to"]


def entries_by_relationship(
    session: Session, relationship_ids: Sequence[str]
) -> dict[str, list[tuple[dt.datetime, str]]]:
    """Each relationship's entries into states as (at, state), oldest first."""
    found: dict[str, list[tuple[dt.datetime, str]]] = {}
    for rel_id, at, state in state_entries(session, relationship_ids):
        found.setdefault(rel_id, []).append((at, state))
    return found
