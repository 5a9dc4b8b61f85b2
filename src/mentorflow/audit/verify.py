"""Tamper evidence: recompute every hash chain and replay every relationship against its pinned definition.

The event log is the source of truth. Replaying it rebuilds participants, revisions, signatures and state with the
same snapshot methods the engine uses, re-checks that each transition was allowed when it fired (or was a recorded
override), and compares the result with the cached rows; any difference names the relationship and what differs.
A relationship that was migrated replays on the definition it started on up to its ``migrated`` event, which must
be the move the engine plans between the two definitions it names, and on the new definition after it.
An ``erased`` event names the revisions whose content was blanked, each by its hash: only those may hold the blank
content, so content blanked any other way is still tampering.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from typing import Any

import orjson

from mentorflow.audit.facts import Facts
from mentorflow.canonical import GENESIS, canonical_json, event_hash, event_hash_of_text, sha256_hex
from mentorflow.definitions import Bundle
from mentorflow.definitions.models import Transition
from mentorflow.engine.machine import compiled
from mentorflow.engine.migration import Refusal, moved, plan_migration
from mentorflow.engine.plans import blockers_of
from mentorflow.engine.replay import ERASED, ERASED_CONTENT, MOVES, apply_event, started
from mentorflow.engine.requirements import GuardContext, GuardFunction
from mentorflow.engine.snapshot import PLAIN_ITEM, Snapshot
from mentorflow.errors import MentorflowError, UnknownTransition
from mentorflow.keys import Keyring
from mentorflow.store.db import from_db
from mentorflow.store.records import RelationshipRecords
from mentorflow.types import Blocker, BrokenRelationship

__all__ = ["Definitions", "check_relationship", "erased_revisions"]


def check_relationship(
    records: RelationshipRecords,
    keys: Keyring | None = None,
    keyed_since: dt.datetime | None = None,
    definitions: Definitions | None = None,
) -> BrokenRelationship | None:
    """The problems of one relationship, or None when its chain and rows are intact.

    With ``keys``, each event's MAC is checked too; an event without one is accepted only if it was written before
    the log was keyed (before ``keyed_since``, the first keyed event's time, and before any keyed event of its own
    chain): one added or rewritten later by someone without the key shows.
    """
    read: list[tuple[dt.datetime, dict[str, Any]]] = []  # each event's time and payload, parsed once
    problems = _chain(records, read, keys, keyed_since)
    if not problems:
        try:
            problems = _replay(records, read, definitions or Definitions(records.bodies), keys is not None)
        except (MentorflowError, KeyError, ValueError, TypeError) as exc:
            problems = [f"replay failed: {exc}"]
    return BrokenRelationship(relationship=records.row.id, problems=problems) if problems else None


def erased_revisions(records: RelationshipRecords) -> int:
    """How many of a relationship's revisions its ``erased`` events blanked: what ``verify`` counts apart."""
    return sum(len(orjson.loads(event.payload)["revisions"]) for event in records.events if event.kind == ERASED)


def _chain(
    records: RelationshipRecords,
    read: list[tuple[dt.datetime, dict[str, Any]]],
    keys: Keyring | None = None,
    keyed_since: dt.datetime | None = None,
) -> list[str]:
    """The chain's problems, then (once the chain holds) its MACs' when ``keys`` are given, in one pass over the
    events; fills ``read`` with each event's time and payload as it goes."""
    problems: list[str] = []
    unsigned: list[str] = []  # the MACs' problems: reported only if the chain itself holds
    previous = GENESIS
    keyed_before = False
    before = None
    for expected, event in enumerate(records.events, start=1):
        seq, kind, stored_at, hash_ = event.seq, event.kind, event.at, event.hash
        if seq != expected:
            problems.append(f"event seq {seq} found where {expected} was expected (a gap or an insertion)")
            break
        try:
            payload = orjson.loads(event.payload)
        except ValueError:
            problems.append(f"event {seq} has an unreadable payload")
            break
        at = from_db(stored_at)
        read.append((at, payload))
        fields = (previous, event.relationship_id, seq, kind, event.actor, at.isoformat())
        # The stored text is the payload's canonical JSON, hashed as it is; other text is hashed as it decodes.
        if event_hash_of_text(*fields, event.payload) != hash_ and event_hash(*fields, payload) != hash_:
            problems.append(f"event {seq} ({kind}) does not match its hash: it was edited or moved")
            break
        previous = hash_
        if before is not None and stored_at < before:
            # Writes refuse a time before the latest event (clock.backwards), so only an edit or a forged chain
            # can put one here.
            problems.append(f"event {seq} ({kind}) is dated before event {seq - 1}")
        before = stored_at
        if keys is None:
            continue
        key_id, mac = event.key_id, event.mac
        if key_id is not None and mac is not None and keys.verifies(key_id, hash_, mac):
            keyed_before = True
        elif (forged := _mac(event, at, keys, keyed_since, keyed_before)) is not None:
            unsigned.append(forged)
    return problems or _head(records, previous) or unsigned


def _head(records: RelationshipRecords, last_hash: str) -> list[str]:
    """The problem of a log that is empty, or whose end is not the head the relationship row caches."""
    if not records.events:
        return ["the relationship has no events"]
    seq, last = records.row.seq, len(records.events)
    if seq != last or records.row.last_hash != last_hash:
        differs = f"the cached head (seq {seq}) does not match the log's last event (seq {last})"
        return [f"{differs}: events were removed or the row was edited"]
    return []


def _mac(event: Any, at: dt.datetime, keys: Keyring, keyed_since: dt.datetime | None, keyed_before: bool) -> str | None:
    """The problem of an event whose MAC is missing or does not verify, if any: one without a MAC is accepted only
    before the log was keyed."""
    if event.key_id is None or event.mac is None:
        if keyed_before or (keyed_since is not None and at >= keyed_since):
            return (
                f"event {event.seq} ({event.kind}) has no MAC though the log was keyed by then: "
                "it was added or rewritten without the key"
            )
        return None
    if not keys.knows(event.key_id):
        return f"event {event.seq} ({event.kind}) is signed with key {event.key_id}, not in the keyring"
    return f"event {event.seq} ({event.kind}) has a MAC that does not verify: it was forged or edited"


class _Replay:
    def __init__(
        self,
        records: RelationshipRecords,
        read: list[tuple[dt.datetime, dict[str, Any]]],
        bundle: Bundle,
        definitions: Definitions,
        keyed: bool,
    ) -> None:
        self.records = records
        self.read = read
        self.definitions = definitions
        at, payload = read[0]
        self.snapshot = started(records.row.id, bundle, at, payload)
        self.problems: list[str] = []
        self.revisions: dict[tuple[str, int, int], str] = {}
        self.signatures: set[tuple[str, int, int, str]] = set()
        self.erased: set[tuple[str, int, int]] = set()
        self.facts = Facts(records, self.snapshot, recheck_content=not keyed)
        self.lost = False
        """Set when a ``migrated`` event cannot be replayed: the definition after it is unknown."""

    def run(self) -> list[str]:
        observe = self.facts.observe
        for event, (at, payload) in zip(self.records.events[1:], self.read[1:], strict=True):
            seq, kind, actor = event.seq, event.kind, event.actor
            self.apply(seq, kind, actor, at, payload)
            observe(seq, kind, actor, at, payload, self.snapshot)
            if self.lost:
                return self.problems  # past a migration that cannot be replayed, every later check would fail too
        self.snapshot.last_event_at = self.read[-1][0]
        self.compare()
        if not self.problems:  # the rows beside the log, once the log itself holds
            self.problems += self.facts.compare(self.snapshot, {})
        return self.problems

    def apply(self, seq: int, kind: str, actor: str, at: dt.datetime, payload: dict[str, Any]) -> None:
        """One event: the replay's own step (``engine.replay``), with the checks and records around it; a move or a
        migration is re-planned from the definition, never taken from the event."""
        if kind == "submitted":
            item = payload["item"] or PLAIN_ITEM
            self.revisions[(payload["slot"], item, payload["revision"])] = payload["content_hash"]
        elif kind == "signed":
            item = payload["item"] or PLAIN_ITEM
            latest = self.snapshot.items[payload["slot"]][item].latest
            if latest.number != payload["revision"] or latest.content_hash != payload["content_hash"]:
                self.problems.append(
                    f"event {seq} signs {payload['slot']} revision {payload['revision']}, "
                    "which is not the latest revision's content"
                )
            self.signatures.add((payload["slot"], item, payload["revision"], payload["person"]))
        elif kind == ERASED:
            self.erase(seq, payload)
        if kind in MOVES:
            self.transition(seq, kind, at, payload)
        elif kind == "migrated":
            self.migrate(seq, at, payload)
        else:
            apply_event(self.snapshot, kind, actor, at, payload, _no_lookup)

    def erase(self, seq: int, payload: dict[str, Any]) -> None:
        """Note the revisions an ``erased`` event blanked; each must be one submitted before, with that hash."""
        for erased in payload["revisions"]:
            key = (erased["slot"], erased["item"] or PLAIN_ITEM, erased["revision"])
            if self.revisions.get(key) != erased["content_hash"]:
                name = f"{erased['slot']} revision {erased['revision']}"
                self.problems.append(f"event {seq} erases {name}, which was never submitted with that hash")
            self.erased.add(key)
        self.facts.erased |= self.erased

    def transition(self, seq: int, kind: str, at: dt.datetime, payload: dict[str, Any]) -> None:
        snapshot = self.snapshot
        try:
            transition = compiled(snapshot.bundle).find(snapshot.state, payload["trigger"])
        except UnknownTransition:
            self.problems.append(
                f"event {seq} fires {payload['trigger']!r} from {snapshot.state!r}, which the definition does not allow"
            )
            return
        if payload["from"] != snapshot.state or payload["to"] != transition.to:
            self.problems.append(
                f"event {seq} moves {payload['from']!r} -> {payload['to']!r}; the definition "
                f"says {snapshot.state!r} -> {transition.to!r}"
            )
        if kind == "transitioned":
            blockers = _replayed_blockers(snapshot, transition, at)
            if blockers:
                self.problems.append(
                    f"event {seq} fired {payload['trigger']!r} while blocked: " + "; ".join(b.message for b in blockers)
                )
        snapshot.move(transition.to, at)

    def migrate(self, seq: int, at: dt.datetime, payload: dict[str, Any]) -> None:
        """Move onto the new definition, if the event is exactly the move the engine plans between the two."""
        snapshot = self.snapshot
        target = self.definitions.get(payload["to_definition"])
        if target is None:
            self.problems.append(f"event {seq} migrates to a definition that is missing or was edited")
            self.lost = True
            return
        plan = plan_migration(snapshot, target, payload["states"], at)
        if isinstance(plan, Refusal):
            self.problems.append(f"event {seq} migrated what a migration refuses: {plan.reason}")
        elif plan.payload != payload:
            self.problems.append(
                f"event {seq} records a migration that its definitions do not give "
                f"(from {snapshot.state!r} on {snapshot.bundle.hash[:12]}: {plan.new_state!r} on {target.hash[:12]})"
            )
        else:
            self.snapshot = moved(snapshot, target, plan.new_state)

    def compare(self) -> None:
        row, snapshot = self.records.row, self.snapshot
        if row.definition_hash != snapshot.bundle.hash or row.workflow_version != snapshot.bundle.workflow.version:
            self.problems.append(
                f"the cached definition (version {row.workflow_version}, {row.definition_hash[:12]}) differs from "
                f"the one the log ends on (version {snapshot.bundle.workflow.version}, {snapshot.bundle.hash[:12]})"
            )
        if row.state != snapshot.state or from_db(row.entered_at) != snapshot.entered_at:
            self.problems.append(
                f"cached state {row.state!r} (entered {from_db(row.entered_at):%Y-%m-%d %H:%M}) "
                f"differs from the replayed {snapshot.state!r}"
            )
        if row.final != snapshot.final:
            self.problems.append("the cached final flag differs from the replayed state")
        active = sorted((p.person, p.role) for p in self.records.participants if p.left_at is None)
        if active != sorted(snapshot.people()):
            self.problems.append("the participants table differs from the joined/left events")
        stored = {(r.slot, r.item, r.number): r for r in self.records.revisions}
        if stored.keys() != self.revisions.keys():
            self.problems.append("the revisions table differs from the submitted events")
        for key, revision in stored.items():
            if key in self.erased and revision.content == ERASED_CONTENT:
                continue  # blanked by an erasure its event records; the hash still binds what it held
            if sha256_hex(revision.content) != self.revisions.get(key):
                self.problems.append(
                    f"{revision.slot} revision {revision.number} content does not match the hash "
                    "recorded when it was submitted"
                )
        by_id = {r.id: (r.slot, r.item, r.number) for r in self.records.revisions}
        signed = {(*by_id.get(s.revision_id, ("?", 0, 0)), s.person) for s in self.records.signatures}
        if signed != self.signatures:
            self.problems.append("the signatures table differs from the signed events")


def _no_lookup(definition_hash: str) -> Bundle:  # pragma: no cover - migrations go through _Replay.migrate
    raise KeyError(definition_hash)


def _holds(_context: GuardContext) -> None:
    return None


class _EveryGuardHolds(Mapping[str, GuardFunction]):
    """A guard map that answers every name with a guard that holds."""

    def __getitem__(self, name: str) -> GuardFunction:
        return _holds

    def __iter__(self) -> Iterator[str]:  # pragma: no cover - a Mapping must have it; evaluation only looks up
        return iter(())

    def __len__(self) -> int:  # pragma: no cover - same
        return 0


def _replayed_blockers(snapshot: Snapshot, transition: Transition, at: dt.datetime) -> list[Blocker]:
    """What blocked a recorded fire, giving custom guards (the platform's, not replayable here) the benefit of
    the doubt: the fire is suspect only if it was blocked both with every guard holding and with every guard
    failing, so that a guard inside ``any`` or ``not`` can make it hold either way."""
    holding = [b for b in blockers_of(snapshot, transition, at, _EveryGuardHolds()) if b.code != "guard.failed"]
    if not holding:
        return []
    failing = [b for b in blockers_of(snapshot, transition, at, {}) if b.code != "guard.failed"]
    return failing and holding


class Definitions:
    """The stored definitions of one verification, each checked against its hash and parsed once: they are
    content-addressed, so thousands of relationships share a few."""

    def __init__(self, bodies: Mapping[str, str]) -> None:
        self.bodies = bodies
        self._checked: dict[str, Bundle | None] = {}

    def get(self, definition_hash: str) -> Bundle | None:
        """The definition stored under ``definition_hash``; None when it is missing or its body was edited."""
        if definition_hash not in self._checked:
            body = self.bodies.get(definition_hash)
            intact = body is not None and sha256_hex(canonical_json(json.loads(body))) == definition_hash
            self._checked[definition_hash] = Bundle.from_json(body) if intact and body is not None else None
        return self._checked[definition_hash]


def _replay(
    records: RelationshipRecords,
    read: list[tuple[dt.datetime, dict[str, Any]]],
    definitions: Definitions,
    keyed: bool,
) -> list[str]:
    if records.definition_body is None:
        return ["its definition is missing"]
    if definitions.get(records.row.definition_hash) is None:
        return ["its stored definition does not match its hash: the definition was edited"]
    started_on = str(read[0][1].get("definition"))
    if records.events[0].kind != "started" or (
        started_on != records.row.definition_hash and not any(event.kind == "migrated" for event in records.events)
    ):
        return ["the first event is not the start on the pinned definition"]
    bundle = definitions.get(started_on)
    if bundle is None:
        return ["the definition it started on, before it was migrated, is missing or was edited"]
    return _Replay(records, read, bundle, definitions, keyed).run()
