"""Reading snapshots and applying writes: the hash-chained event log with compare-and-set on the head row.

Every write first moves the relationship row from the lock version it was read at to the next one; if another
writer got there first the update touches no row and the write fails with ``ConcurrencyConflict`` (the service
retries). Only then are the rows and events inserted, so a relationship's events can never interleave.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Row, select
from sqlalchemy.exc import IntegrityError

from mentorflow.canonical import GENESIS, canonical_json, event_hash
from mentorflow.engine.snapshot import RevisionView, Snapshot
from mentorflow.engine.writes import StartPlan, Write
from mentorflow.errors import ConcurrencyConflict, CorruptRow, NotFound, RelationshipExists
from mentorflow.identifiers import Actor
from mentorflow.keys import Keyring
from mentorflow.store import feed
from mentorflow.store.db import Executor, connection_of, from_db, to_db
from mentorflow.store.definitions import Bundles
from mentorflow.store.faults import violated
from mentorflow.store.statements import (
    CARRIED_REVISION,
    HEAD_AND_PEOPLE,
    INSERT_EVENT,
    INSERT_PEOPLE,
    INSERT_RELATIONSHIP,
    INSERT_REVISION,
    INSERT_SIGNATURE,
    LEAVE,
    PEOPLE_OF_MANY,
    RELATIONSHIP_EXISTS,
    REVISIONS_OF_MANY,
    REVISIONS_OF_ONE,
    SIGNATURES_OF_REVISION,
    UPDATE_HEAD,
    UPDATE_HEAD_AND_STATE,
)
from mentorflow.store.tables import RELATIONSHIP_ID, EventRow
from mentorflow.types import Event

__all__ = [
    "Chain",
    "apply_write",
    "create",
    "events_of",
    "load_details",
    "load_snapshot",
    "snapshot_of",
    "to_event",
    "unknown_relationship",
]


def snapshot_of(session: Executor, bundles: Bundles, row: Any) -> Snapshot:
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


def unknown_relationship(relationship_id: str) -> NotFound:
    """The error of a read of a relationship that does not exist (or, read as of a moment, did not exist yet)."""
    return NotFound(
        f"no relationship {relationship_id!r}",
        hint="Check the id: start() returns it, and audit() lists every relationship.",
        cli_hint="Check the id: `mentorflow start` prints it, and `mentorflow audit` lists every relationship.",
        relationship=relationship_id,
    )


def load_snapshot(session: Executor, bundles: Bundles, relationship_id: str) -> Snapshot:
    """The current snapshot of a relationship, from its cached rows: two queries."""
    connection = connection_of(session)
    rows = connection.execute(HEAD_AND_PEOPLE, {"id": relationship_id}).all()
    if not rows:
        raise unknown_relationship(relationship_id)
    snapshot = snapshot_of(session, bundles, rows[0])
    for row in rows:
        if row.person is not None:  # the outer join's one row of a relationship without participants
            snapshot.add_participant(row.person, row.role)
    _add_revisions({relationship_id: snapshot}, connection.execute(REVISIONS_OF_ONE, {"id": relationship_id}).all())
    return snapshot


def load_details(connection: Connection, by_id: Mapping[str, Snapshot]) -> None:
    """Participants, revisions and signatures of many snapshots at once: two queries."""
    params = {"ids": list(by_id)}
    for rel_id, person, role in connection.execute(PEOPLE_OF_MANY, params).all():
        by_id[rel_id].add_participant(person, role)
    _add_revisions(by_id, connection.execute(REVISIONS_OF_MANY, params).all())


def _add_revisions(by_id: Mapping[str, Snapshot], rows: Iterable[Sequence[Any]]) -> None:
    """Add revisions to their snapshots in order, so that an item's last revision is its latest, each with the
    signatures made on it: those on a revision that a later one replaced are void and go with it.

    The rows are those of ``statements.REVISIONS_OF_ONE`` and ``REVISIONS_OF_MANY``, one per revision and signature.
    """
    current_id, view = None, None
    for rel_id, rev_id, slot, item, number, complete, missing, content_hash, by, at, signer, role, signed_at in rows:
        if rev_id != current_id or view is None:
            view = RevisionView(
                number, complete, [] if missing == "[]" else json.loads(missing), content_hash, by, from_db(at)
            )
            by_id[rel_id].add_revision(slot, view, item)
            current_id = rev_id
        if signer is not None:
            view.signatures[signer] = (role, from_db(signed_at))


# -- writing ----------------------------------------------------------------------------------------------------


class Chain:
    """Appends events to one relationship, keeping seq and the hash chain."""

    def __init__(
        self, relationship_id: str, seq: int, last_hash: str, actor: Actor, now: dt.datetime, keys: Keyring | None
    ) -> None:
        self.relationship_id = relationship_id
        self.seq = seq
        self.hash = last_hash
        self.actor = actor.label
        self.at = to_db(now)
        self.at_text = from_db(self.at).isoformat()
        self.keys = keys
        self.rows: list[dict[str, Any]] = []

    def append(self, kind: str, payload: dict[str, Any]) -> int:
        self.seq += 1
        self.hash = event_hash(self.hash, self.relationship_id, self.seq, kind, self.actor, self.at_text, payload)
        keys = self.keys
        self.rows.append(
            {
                "relationship_id": self.relationship_id,
                "seq": self.seq,
                "kind": kind,
                "actor": self.actor,
                "at": self.at,
                "payload": canonical_json(payload),
                "hash": self.hash,
                "mac": None if keys is None else keys.sign(self.hash),
                "key_id": None if keys is None else keys.signing_id,
            }
        )
        return self.seq

    def head(self, snapshot: Snapshot) -> dict[str, Any]:
        """The compare-and-set parameters that move ``snapshot``'s row to this chain's head: they match only if
        nobody wrote since the snapshot was read."""
        return {
            "b_id": snapshot.id,
            "b_expected": snapshot.lock_version,
            "b_seq": self.seq,
            "b_hash": self.hash,
            "b_at": self.at,
            "b_next": snapshot.lock_version + 1,
        }

    def save(self, connection: Connection, people: Iterable[str]) -> None:
        """Insert the appended events, and their changes in the feed for ``people`` (who is in the relationship)."""
        connection.execute(INSERT_EVENT, self.rows)
        feed.record_events(connection, self.rows, people)

    def events(self) -> list[Event]:
        return [
            to_event_values(
                row["relationship_id"], row["seq"], row["kind"], row["actor"], row["at"], row["payload"], row["hash"]
            )
            for row in self.rows
        ]


def create(
    connection: Connection, plan: StartPlan, actor: Actor, now: dt.datetime, keys: Keyring | None = None
) -> list[Event]:
    """Insert a new relationship with its participants, carried artifacts and first events (signed by ``keys``)."""
    if connection.execute(RELATIONSHIP_EXISTS, {"id": plan.id}).first() is not None:
        raise RelationshipExists(f"a relationship with id {plan.id!r} already exists", relationship=plan.id)
    workflow = plan.bundle.workflow
    at = to_db(now)
    chain = Chain(plan.id, 0, GENESIS, actor, now, keys)
    chain.append("started", plan.started_payload)
    revisions, signatures = _carried(connection, plan, chain)
    # The row is inserted at the head of its chain: nobody else can write to a relationship that did not exist.
    _insert_relationship(
        connection,
        {
            "id": plan.id,
            "workflow": workflow.workflow,
            "workflow_version": workflow.version,
            "definition_hash": plan.bundle.hash,
            "state": workflow.initial_state,
            "final": workflow.states[workflow.initial_state].final,
            "program": plan.program,
            "started_at": at,
            "entered_at": at,
            "last_event_at": at,
            "seq": chain.seq,
            "last_hash": chain.hash,
            "lock_version": 1,
        },
    )
    _insert(connection, plan.id, at, people=plan.participants, revisions=revisions, signatures=signatures)
    chain.save(connection, [person for person, _role in plan.participants])
    return chain.events()


def _insert_relationship(connection: Connection, row: dict[str, Any]) -> None:
    """Insert a relationship's row; its id taken meanwhile (two starts of one id at once) is ``RelationshipExists``."""
    try:
        connection.execute(INSERT_RELATIONSHIP, row)
    except IntegrityError as exc:
        if violated(exc) == RELATIONSHIP_ID:
            raise RelationshipExists(
                f"a relationship with id {row['id']!r} already exists", relationship=row["id"]
            ) from exc
        raise


def _carried(
    connection: Connection, plan: StartPlan, chain: Chain
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The revisions and signatures a linked start carries from its source, with their events on ``chain``."""
    revisions: list[dict[str, Any]] = []
    signatures: list[dict[str, Any]] = []
    source_id = (plan.linked_from or {}).get("relationship") or ""
    for carry in plan.carry:
        source = connection.execute(
            CARRIED_REVISION,
            {"id": source_id, "slot": carry.slot, "item": carry.item, "number": carry.number},
        ).one()
        origin = {"relationship": source_id, "slot": carry.slot, "item": carry.item, "revision": carry.number}
        revisions.append(
            {
                "slot": source.slot,
                "item": source.item,
                "number": 1,
                "content": source.content,
                "content_hash": source.content_hash,
                "complete": source.complete,
                "missing": source.missing,
                "submitted_by": source.submitted_by,
                "origin": canonical_json(origin),
            }
        )
        item = None if source.item == 0 else source.item
        common = {"slot": source.slot, "item": item, "revision": 1, "content_hash": source.content_hash}
        chain.append(
            "submitted",
            {
                **common,
                "complete": source.complete,
                "missing": json.loads(source.missing),
                "origin": origin,
                "submitted_by": source.submitted_by,
            },
        )
        signed = connection.execute(SIGNATURES_OF_REVISION, {"id": source.id})
        for person, role in signed:
            signatures.append(
                {
                    "slot": source.slot,
                    "item": source.item,
                    "number": 1,
                    "person": person,
                    "role": role,
                    "content_hash": source.content_hash,
                }
            )
            chain.append("signed", {**common, "person": person, "role": role, "origin": origin})
    return revisions, signatures


def apply_write(
    connection: Connection,
    snapshot: Snapshot,
    write: Write,
    actor: Actor,
    now: dt.datetime,
    keys: Keyring | None = None,
) -> list[Event]:
    """Apply one planned write to a relationship atomically (within the caller's transaction).

    Returns the events of the relationships it started first (their events are referenced by ours), then this
    relationship's, in the order of ``write.events``.
    """
    linked: list[Event] = []
    for plan in write.starts:
        linked += create(connection, plan, actor, now, keys)
    chain = Chain(snapshot.id, snapshot.seq, snapshot.last_hash, actor, now, keys)
    for kind, payload in write.events:
        chain.append(kind, payload)
    params = chain.head(snapshot)
    statement = UPDATE_HEAD
    if write.state is not None:
        statement = UPDATE_HEAD_AND_STATE
        params.update(b_state=write.state, b_final=snapshot.bundle.workflow.states[write.state].final)
    if connection.execute(statement, params).rowcount != 1:
        raise ConcurrencyConflict(
            f"relationship {snapshot.id!r} changed while this write was prepared", relationship=snapshot.id
        )
    _insert(
        connection,
        snapshot.id,
        chain.at,
        people=write.joined,
        left=write.left,
        revisions=[
            {
                "slot": revision.slot,
                "item": revision.item,
                "number": revision.number,
                "content": canonical_json(revision.content),
                "content_hash": revision.content_hash,
                "complete": revision.complete,
                "missing": canonical_json(revision.missing),
                "submitted_by": actor.label,
                "origin": None if revision.origin is None else canonical_json(revision.origin),
            }
            for revision in write.revisions
        ],
        signatures=[
            {
                "slot": signature.slot,
                "item": signature.item,
                "number": signature.number,
                "person": signature.person,
                "role": signature.role,
                "content_hash": signature.content_hash,
            }
            for signature in write.signatures
        ],
    )
    chain.save(connection, members(snapshot, joined=write.joined, left=write.left))
    return linked + chain.events()


def members(snapshot: Snapshot, *, joined: Iterable[tuple[str, str]] = (), left: Iterable[str] = ()) -> list[str]:
    """Who is in the relationship once a write's ``joined`` have joined and its ``left`` have left."""
    gone = set(left)
    present = {person for people in snapshot.participants.values() for person in people}
    return sorted((present | {person for person, _role in joined}) - gone)


def _insert(
    connection: Connection,
    relationship_id: str,
    at: dt.datetime,
    *,
    people: Iterable[tuple[str, str]],
    revisions: list[dict[str, Any]],
    signatures: list[dict[str, Any]],
    left: list[str] | None = None,
) -> None:
    """Insert the participants, revisions and signatures of one write (and mark who left): a statement each."""
    joined = [
        {"relationship_id": relationship_id, "person": person, "role": role, "joined_at": at, "left_at": None}
        for person, role in people
    ]
    if joined:
        connection.execute(INSERT_PEOPLE, joined)
    if left:
        connection.execute(LEAVE, {"b_id": relationship_id, "b_people": left, "b_at": at})
    if revisions:
        connection.execute(
            INSERT_REVISION, [{"relationship_id": relationship_id, "submitted_at": at, **row} for row in revisions]
        )
    if signatures:
        connection.execute(
            INSERT_SIGNATURE,
            [
                {
                    "b_relationship": relationship_id,
                    "b_slot": row["slot"],
                    "b_item": row["item"],
                    "b_number": row["number"],
                    "person": row["person"],
                    "role": row["role"],
                    "content_hash": row["content_hash"],
                    "signed_at": at,
                }
                for row in signatures
            ],
        )


# -- reading events ---------------------------------------------------------------------------------------------


def to_event_values(
    relationship_id: str,
    seq: int,
    kind: str,
    actor: str,
    at: dt.datetime,
    payload: str,
    hash: str,  # noqa: A002
) -> Event:
    return Event(
        relationship=relationship_id,
        seq=seq,
        kind=kind,
        actor=actor,
        at=from_db(at),
        payload=json.loads(payload),
        hash=hash,
    )


def to_event(row: Sequence[Any]) -> Event:
    """An ``events_of`` row as an ``Event``."""
    return to_event_values(*row)


def events_of(
    session: Executor, relationship_ids: Sequence[str] | None = None, until: dt.datetime | None = None
) -> list[Row[Any]]:
    """The event rows of ``relationship_ids`` (else of every relationship), dated at or before ``until`` when
    given, by relationship and seq: (relationship_id, seq, kind, actor, at, payload, hash)."""
    table = EventRow.__table__
    query = (
        select(table.c.relationship_id, table.c.seq, table.c.kind, table.c.actor, table.c.at, table.c.payload)
        .add_columns(table.c.hash)
        .order_by(table.c.relationship_id, table.c.seq)
    )
    if relationship_ids is not None:
        query = query.where(table.c.relationship_id.in_(list(relationship_ids)))
    if until is not None:
        query = query.where(table.c.at <= to_db(until))
    return list(connection_of(session).execute(query).all())
