"""Reading snapshots and applying writes: the hash-chained event log with compare-and-set on the head row.

Every write first moves the relationship row from the lock version it was read at to the next one; if another
writer got there first the update touches no row and the write fails with ``ConcurrencyConflict`` (the service
retries). Only then are the rows and events inserted, so a relationship's events can never interleave.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    Connection,
    insert,
    select,
)
from sqlalchemy.orm import Session

from mentorflow.canonical import GENESIS, canonical_json, event_hash
from mentorflow.engine.actions import StartPlan, Write
from mentorflow.engine.snapshot import RevisionView, Snapshot
from mentorflow.errors import (
    ConcurrencyConflict,
    CorruptRow,
    NotFound,
    RelationshipExists,
)
from mentorflow.identifiers import Actor
from mentorflow.store.db import from_db, to_db
from mentorflow.store.definitions import Bundles
from mentorflow.store.statements import (
    _PERSON,
    _PREPARED_DETAILS,
    _PREPARED_HEAD,
    _PREPARED_INSERT_EVENTS,
    _PREPARED_UPDATE_HEAD,
    _PREPARED_UPDATE_HEAD_AND_STATE,
    _REVISION,
    _SIGNATURE,
    DETAILS_OF_MANY,
    INSERT_PEOPLE,
    INSERT_REVISION,
    INSERT_SIGNATURE,
    LEAVE,
    _HeadRow,
)
from mentorflow.store.tables import (
    EventRow,
    ParticipantRow,
    RelationshipRow,
    RevisionRow,
    SignatureRow,
)
from mentorflow.types import Event

__all__ = [
    "apply_write",
    "create",
    "events_of",
    "load_snapshot",
    "revision_content",
    "snapshot_of",
    "to_event",
]


def snapshot_of(session: Session, bundles: Bundles, row: Any) -> Snapshot:
    """The head of a snapshot from a relationship row (ORM or Core); participants and artifacts come after."""
    bundle = bundles.get(session, row.definition_hash)
    if row.state not in bundle.workflow.states:
        raise CorruptRow(
            f"relationship {row.id!r} is in state {row.state!r}, which its workflow does not have",
            relationship=row.id,
            state=row.state,
        )
    return Snapshot(
        row.id,
        bundle,
        row.state,
        from_db(row.entered_at),
        from_db(row.started_at),
        row.program,
        from_db(row.last_event_at),
        row.seq,
        row.last_hash,
        row.lock_version,
    )


def load_snapshot(session: Session, bundles: Bundles, relationship_id: str) -> Snapshot:
    """The current snapshot of a relationship, from its cached rows."""
    connection = session.connection()
    rows = _PREPARED_HEAD.rows(connection, {"id": relationship_id})
    if not rows:
        raise NotFound(
            f"no relationship {relationship_id!r}",
            hint="Check the id: start() returns it, and the audit lists every relationship.",
        )
    snapshot = snapshot_of(session, bundles, _HeadRow._make(rows[0]))
    load_details(connection, {relationship_id: snapshot})
    return snapshot


def load_details(connection: Connection, by_id: dict[str, Snapshot]) -> None:
    """Participants, revisions and signatures of the given snapshots: one query for one, three for many."""
    if len(by_id) != 1:
        params = {"ids": list(by_id)}
        people, revisions, signatures = (connection.execute(query, params) for query in DETAILS_OF_MANY)
        _fill(by_id, people, revisions, signatures)
        return
    rel_id = next(iter(by_id))
    rows = _PREPARED_DETAILS.rows(connection, {"id": rel_id})
    _fill(
        by_id,
        [(rel_id, person, role) for kind, *_, person, role, _, _, _, _, _, _ in rows if kind == _PERSON],
        [
            (rev_id, rel_id, slot, item, number, complete, missing, content_hash, by, at)
            for kind, slot, item, number, rev_id, _, _, _, complete, missing, content_hash, by, at in rows
            if kind == _REVISION
        ],
        [(rev_id, person, role, at) for kind, *_, person, role, rev_id, _, _, _, _, at in rows if kind == _SIGNATURE],
    )


def _fill(
    by_id: dict[str, Snapshot], people: Iterable[Any], revisions: Iterable[Any], signatures: Iterable[Any]
) -> None:
    """Add detail rows to their snapshots: people in order, revisions in order, then the latest's signatures."""
    for rel_id, person, role in people:
        by_id[rel_id].add_participant(person, role)
    views: dict[int, tuple[str, str, int]] = {}
    for rev_id, rel_id, slot, item, number, complete, missing, content_hash, by, at in revisions:
        view = RevisionView(
            number, complete, [] if missing == "[]" else json.loads(missing), content_hash, by, from_db(at)
        )
        by_id[rel_id].add_revision(slot, view, item)
        views[rev_id] = (rel_id, slot, item)
    if not views:
        return
    latest = _latest_ids(views)
    for rev_id, person, role, at in signatures:
        # Under READ COMMITTED a revision committed after the query above may already have signatures here;
        # it is not part of this snapshot (a write based on it fails its compare-and-set and is retried).
        key = views.get(rev_id)
        if key is not None and latest[key] == rev_id:  # signatures on older revisions are void
            rel_id, slot, item = key
            by_id[rel_id].items[slot][item].latest.signatures[person] = (role, from_db(at))


def _latest_ids(views: dict[int, tuple[str, str, int]]) -> dict[tuple[str, str, int], int]:
    latest: dict[tuple[str, str, int], int] = {}
    for rev_id, key in views.items():
        latest[key] = max(rev_id, latest.get(key, -1))
    return latest


def revision_content(session: Session, relationship_id: str, slot: str, item: int, number: int) -> RevisionRow:
    row = session.scalar(
        select(RevisionRow).where(
            RevisionRow.relationship_id == relationship_id,
            RevisionRow.slot == slot,
            RevisionRow.item == item,
            RevisionRow.number == number,
        )
    )
    if row is None:  # pragma: no cover - the snapshot came from these rows in the same transaction
        raise NotFound(f"revision {number} of {slot!r} is gone")
    return row


# -- writing ----------------------------------------------------------------------------------------------------


class _Chain:
    """Appends events to one relationship, keeping seq and the hash chain."""

    def __init__(self, relationship_id: str, seq: int, last_hash: str, actor: Actor, now: dt.datetime) -> None:
        self.relationship_id = relationship_id
        self.seq = seq
        self.hash = last_hash
        self.actor = actor.label
        self.at = to_db(now)
        self.at_text = from_db(self.at).isoformat()
        self.rows: list[dict[str, Any]] = []

    def append(self, kind: str, payload: dict[str, Any]) -> int:
        self.seq += 1
        self.hash = event_hash(self.hash, self.relationship_id, self.seq, kind, self.actor, self.at_text, payload)
        self.rows.append(
            {
                "relationship_id": self.relationship_id,
                "seq": self.seq,
                "kind": kind,
                "actor": self.actor,
                "at": self.at,
                "payload": canonical_json(payload),
                "hash": self.hash,
            }
        )
        return self.seq

    def events(self) -> list[Event]:
        return [
            to_event_values(
                row["relationship_id"], row["seq"], row["kind"], row["actor"], row["at"], row["payload"], row["hash"]
            )
            for row in self.rows
        ]


def create(session: Session, plan: StartPlan, actor: Actor, now: dt.datetime) -> list[Event]:
    """Insert a new relationship with its participants, carried artifacts and first events."""
    if session.get(RelationshipRow, plan.id) is not None:
        raise RelationshipExists(f"a relationship with id {plan.id!r} already exists", relationship=plan.id)
    workflow = plan.bundle.workflow
    at = to_db(now)
    chain = _Chain(plan.id, 0, GENESIS, actor, now)
    chain.append("started", plan.started_payload)
    row = RelationshipRow(
        id=plan.id,
        workflow=workflow.workflow,
        workflow_version=workflow.version,
        definition_hash=plan.bundle.hash,
        state=workflow.initial_state,
        final=workflow.states[workflow.initial_state].final,
        program=plan.program,
        started_at=at,
        entered_at=at,
        last_event_at=at,
        seq=0,
        last_hash=GENESIS,
        lock_version=1,
    )
    session.add(row)
    session.flush()
    session.execute(
        insert(ParticipantRow),
        [
            {"relationship_id": plan.id, "person": person, "role": role, "joined_at": at, "left_at": None}
            for person, role in plan.participants
        ],
    )
    source_id = (plan.linked_from or {}).get("relationship")
    for carry in plan.carry:
        source = revision_content(session, source_id or "", carry.slot, carry.item, carry.number)
        origin = {"relationship": source_id, "slot": carry.slot, "item": carry.item, "revision": carry.number}
        new = RevisionRow(
            relationship_id=plan.id,
            slot=source.slot,
            item=source.item,
            number=1,
            content=source.content,
            content_hash=source.content_hash,
            complete=source.complete,
            missing=source.missing,
            submitted_by=source.submitted_by,
            submitted_at=at,
            origin=canonical_json(origin),
        )
        session.add(new)
        session.flush()
        item = None if source.item == 0 else source.item
        chain.append(
            "submitted",
            {
                "slot": source.slot,
                "item": item,
                "revision": 1,
                "content_hash": source.content_hash,
                "complete": source.complete,
                "missing": json.loads(source.missing),
                "origin": origin,
                "submitted_by": source.submitted_by,
            },
        )
        signatures = session.execute(
            select(SignatureRow.person, SignatureRow.role)
            .where(SignatureRow.revision_id == source.id)
            .order_by(SignatureRow.id)
        ).all()
        for person, role in signatures:
            session.add(
                SignatureRow(
                    revision_id=new.id,
                    relationship_id=plan.id,
                    person=person,
                    role=role,
                    content_hash=source.content_hash,
                    signed_at=at,
                )
            )
            chain.append(
                "signed",
                {
                    "slot": source.slot,
                    "item": item,
                    "revision": 1,
                    "person": person,
                    "role": role,
                    "content_hash": source.content_hash,
                    "origin": origin,
                },
            )
    _finish(session.connection(), chain, row_id=plan.id, expected=1)
    return chain.events()


def apply_write(session: Session, snapshot: Snapshot, write: Write, actor: Actor, now: dt.datetime) -> list[Event]:
    """Apply one planned write to a relationship atomically (within the caller's transaction)."""
    at = to_db(now)
    chain = _Chain(snapshot.id, snapshot.seq, snapshot.last_hash, actor, now)
    linked: list[Event] = []
    for plan in write.starts:  # the linked relationship first: its events are referenced by ours
        linked += create(session, plan, actor, now)
    for kind, payload in write.events:
        chain.append(kind, payload)
    state = None
    if write.state is not None:
        state = (write.state, snapshot.bundle.workflow.states[write.state].final)
    connection = session.connection()
    _finish(connection, chain, row_id=snapshot.id, expected=snapshot.lock_version, state=state)
    if write.joined:
        connection.execute(
            INSERT_PEOPLE,
            [
                {"relationship_id": snapshot.id, "person": person, "role": role, "joined_at": at, "left_at": None}
                for person, role in write.joined
            ],
        )
    if write.left:
        connection.execute(LEAVE, {"b_id": snapshot.id, "b_people": write.left, "b_at": at})
    if write.revisions:
        connection.execute(
            INSERT_REVISION,
            [
                {
                    "relationship_id": snapshot.id,
                    "slot": revision.slot,
                    "item": revision.item,
                    "number": revision.number,
                    "content": canonical_json(revision.content),
                    "content_hash": revision.content_hash,
                    "complete": revision.complete,
                    "missing": canonical_json(revision.missing),
                    "submitted_by": actor.label,
                    "submitted_at": at,
                    "origin": None,
                }
                for revision in write.revisions
            ],
        )
    for signature in write.signatures:
        connection.execute(
            INSERT_SIGNATURE,
            {
                "b_relationship": snapshot.id,
                "b_slot": signature.slot,
                "b_item": signature.item,
                "b_number": signature.number,
                "person": signature.person,
                "role": signature.role,
                "content_hash": signature.content_hash,
                "signed_at": at,
            },
        )
    return linked + chain.events()


def _finish(
    connection: Connection, chain: _Chain, *, row_id: str, expected: int, state: tuple[str, bool] | None = None
) -> None:
    """Compare-and-set the head row to the chain's end (and the new state, if any), then insert the events."""
    params: dict[str, Any] = {
        "b_id": row_id,
        "b_expected": expected,
        "b_seq": chain.seq,
        "b_hash": chain.hash,
        "b_at": chain.at,
        "b_next": expected + 1,
    }
    statement = _PREPARED_UPDATE_HEAD
    if state is not None:
        statement = _PREPARED_UPDATE_HEAD_AND_STATE
        params.update(b_state=state[0], b_final=state[1])
    if statement.run(connection, params) != 1:
        raise ConcurrencyConflict(f"relationship {row_id!r} changed while this write was prepared")
    _PREPARED_INSERT_EVENTS.run_many(connection, chain.rows)


# -- reading events ---------------------------------------------------------------------------------------------


def to_event_values(
    relationship_id: str, seq: int, kind: str, actor: str, at: dt.datetime, payload: str, hash_: str
) -> Event:
    # Every value comes typed from our own columns or from json.loads: there is nothing for pydantic to check.
    return Event.model_construct(
        relationship=relationship_id,
        seq=seq,
        kind=kind,
        actor=actor,
        at=from_db(at),
        payload=json.loads(payload),
        hash=hash_,
    )


def to_event(row: EventRow) -> Event:
    return to_event_values(row.relationship_id, row.seq, row.kind, row.actor, row.at, row.payload, row.hash)


def events_of(session: Session, relationship_ids: Iterable[str] | None = None) -> list[EventRow]:
    query = select(EventRow).order_by(EventRow.relationship_id, EventRow.seq)
    if relationship_ids is not None:
        query = query.where(EventRow.relationship_id.in_(list(relationship_ids)))
    return list(session.scalars(query))
