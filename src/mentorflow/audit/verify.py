"""Tamper evidence: recompute every hash chain and replay every relationship against its pinned definition.

The event log is the source of truth. Replaying it rebuilds participants, revisions, signatures and state with the
same snapshot methods the engine uses, re-checks that each transition was allowed when it fired (or was a recorded
override), and compares the result with the cached rows; any difference names the relationship and what differs.
A relationship that was migrated replays on the definition it started on up to its ``migrated`` event, which must
be the move the engine plans between the two definitions it names, and on the new definition after it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from typing import Any

from mentorflow.audit.facts import Facts
from mentorflow.canonical import GENESIS, canonical_json, event_hash, sha256_hex
from mentorflow.definitions import Bundle
from mentorflow.definitions.models import Transition
from mentorflow.engine.machine import compiled
from mentorflow.engine.migration import Refusal, moved, plan_migration
from mentorflow.engine.plans import blockers_of
from mentorflow.engine.requirements import GuardContext, GuardFunction
from mentorflow.engine.snapshot import PLAIN_ITEM, RevisionView, Snapshot
from mentorflow.errors import MentorflowError, UnknownTransition
from mentorflow.keys import Keyring
from mentorflow.store.db import from_db
from mentorflow.store.queries import RelationshipRecords
from mentorflow.types import Blocker, BrokenRelationship

__all__ = ["Definitions", "check_relationship"]


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
    problems = _chain(records, read)
    if not problems and keys is not None:
        problems = _macs(records, read, keys, keyed_since)
    if not problems:
        try:
            problems = _replay(records, read, definitions or Definitions(records.bodies), keys is not None)
        except (MentorflowError, KeyError, ValueError, TypeError) as exc:
            problems = [f"replay failed: {exc}"]
    return BrokenRelationship(relationship=records.row.id, problems=problems) if problems else None


def _chain(records: RelationshipRecords, read: list[tuple[dt.datetime, dict[str, Any]]]) -> list[str]:
    """The chain's problems; fills ``read`` with each event's time and payload as it goes."""
    problems = []
    previous = GENESIS
    for expected, event in enumerate(records.events, start=1):
        if event.seq != expected:
            problems.append(f"event seq {event.seq} found where {expected} was expected (a gap or an insertion)")
            break
        try:
            payload = json.loads(event.payload)
        except ValueError:
            problems.append(f"event {event.seq} has an unreadable payload")
            break
        at = from_db(event.at)
        read.append((at, payload))
        recomputed = event_hash(
            previous, event.relationship_id, event.seq, event.kind, event.actor, at.isoformat(), payload
        )
        if recomputed != event.hash:
            problems.append(f"event {event.seq} ({event.kind}) does not match its hash: it was edited or moved")
            break
        previous = event.hash
        if expected > 1 and event.at < records.events[expected - 2].at:
            # Writes refuse a time before the latest event (clock.backwards), so only an edit or a forged chain
            # can put one here.
            problems.append(f"event {event.seq} ({event.kind}) is dated before event {event.seq - 1}")
    if not records.events:
        problems.append("the relationship has no events")
    elif not problems and (records.row.seq != len(records.events) or records.row.last_hash != previous):
        problems.append(
            f"the cached head (seq {records.row.seq}) does not match the log's last event "
            f"(seq {len(records.events)}): events were removed or the row was edited"
        )
    return problems


def _macs(
    records: RelationshipRecords,
    read: list[tuple[dt.datetime, dict[str, Any]]],
    keys: Keyring,
    keyed_since: dt.datetime | None,
) -> list[str]:
    problems = []
    keyed_before = False
    for event, (at, _) in zip(records.events, read, strict=True):
        if event.key_id is None or event.mac is None:
            if keyed_before or (keyed_since is not None and at >= keyed_since):
                problems.append(
                    f"event {event.seq} ({event.kind}) has no MAC though the log was keyed by then: "
                    "it was added or rewritten without the key"
                )
        elif not keys.knows(event.key_id):
            problems.append(f"event {event.seq} ({event.kind}) is signed with key {event.key_id}, not in the keyring")
        elif not keys.verifies(event.key_id, event.hash, event.mac):
            problems.append(f"event {event.seq} ({event.kind}) has a MAC that does not verify: it was forged or edited")
        else:
            keyed_before = True
    return problems


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
        self.snapshot = Snapshot(records.row.id, bundle, bundle.workflow.initial_state, at, at, payload["program"], at)
        for person in payload["participants"]:
            self.snapshot.add_participant(person["person"], person["role"])
        self.problems: list[str] = []
        self.revisions: dict[tuple[str, int, int], str] = {}
        self.signatures: set[tuple[str, int, int, str]] = set()
        self.facts = Facts(records, self.snapshot, recheck_content=not keyed)
        self.lost = False
        """Set when a ``migrated`` event cannot be replayed: the definition after it is unknown."""

    def run(self) -> list[str]:
        for event, (at, payload) in zip(self.records.events[1:], self.read[1:], strict=True):
            self.apply(event.seq, event.kind, event.actor, at, payload)
            self.facts.observe(event.seq, event.kind, event.actor, at, payload, self.snapshot)
            if self.lost:
                return self.problems  # past a migration that cannot be replayed, every later check would fail too
        self.snapshot.last_event_at = self.read[-1][0]
        self.compare()
        if not self.problems:  # the rows beside the log, once the log itself holds
            self.problems += self.facts.compare(self.snapshot, {})
        return self.problems

    def apply(self, seq: int, kind: str, actor: str, at: dt.datetime, payload: dict[str, Any]) -> None:
        snapshot = self.snapshot
        if kind == "joined":
            snapshot.add_participant(payload["person"], payload["role"])
        elif kind == "left":
            snapshot.remove_participant(payload["person"])
        elif kind == "submitted":
            item = payload["item"] or PLAIN_ITEM
            snapshot.add_revision(
                payload["slot"],
                RevisionView(
                    payload["revision"],
                    payload["complete"],
                    payload["missing"],
                    payload["content_hash"],
                    payload.get("submitted_by", actor),
                    at,
                ),
                item,
            )
            self.revisions[(payload["slot"], item, payload["revision"])] = payload["content_hash"]
        elif kind == "signed":
            item = payload["item"] or PLAIN_ITEM
            latest = snapshot.items[payload["slot"]][item].latest
            if latest.number != payload["revision"] or latest.content_hash != payload["content_hash"]:
                self.problems.append(
                    f"event {seq} signs {payload['slot']} revision {payload['revision']}, "
                    "which is not the latest revision's content"
                )
            snapshot.add_signature(payload["slot"], item, payload["person"], payload["role"], at)
            self.signatures.add((payload["slot"], item, payload["revision"], payload["person"]))
        elif kind in ("transitioned", "overridden"):
            self.transition(seq, kind, at, payload)
        elif kind == "migrated":
            self.migrate(seq, at, payload)

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
        if set(stored) != set(self.revisions):
            self.problems.append("the revisions table differs from the submitted events")
        for key, revision in stored.items():
            if sha256_hex(revision.content) != self.revisions.get(key):
                self.problems.append(
                    f"{revision.slot} revision {revision.number} content does not match the hash "
                    "recorded when it was submitted"
                )
        by_id = {r.id: (r.slot, r.item, r.number) for r in self.records.revisions}
        signed = {(*by_id.get(s.revision_id, ("?", 0, 0)), s.person) for s in self.records.signatures}
        if signed != self.signatures:
            self.problems.append("the signatures table differs from the signed events")


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
    migrated = any(event.kind == "migrated" for event in records.events)
    if records.events[0].kind != "started" or (started_on != records.row.definition_hash and not migrated):
        return ["the first event is not the start on the pinned definition"]
    bundle = definitions.get(started_on)
    if bundle is None:
        return ["the definition it started on, before it was migrated, is missing or was edited"]
    return _Replay(records, read, bundle, definitions, keyed).run()
