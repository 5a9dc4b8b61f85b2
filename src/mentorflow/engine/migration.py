"""Moving a running relationship onto another version of its workflow: what carries over, what is refused, why.

Pure decisions on snapshots, like ``plans``: ``mentorflow.migrating`` plans every selected relationship here and
has the store apply each move in its own transaction; a dry run plans the same way and applies nothing, and
``verify`` replays a recorded move with ``moved``. The rules (DESIGN §15): a state keeps its name unless the
mapping names it; documents carry by slot name, so a slot that holds documents must keep its kind (and stay plain
or repeatable); the participants must fit the new roles. A relationship that breaks a rule is refused, with every
reason, and stays where it is.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mentorflow.definitions import Bundle
from mentorflow.engine.snapshot import Snapshot
from mentorflow.errors import MigrationRefused

__all__ = ["Move", "Refusal", "check_mapping", "migrated_payload", "moved", "plan_migration"]


@dataclass(frozen=True)
class Move:
    """A relationship that fits the new version: where it lands, and the ``migrated`` event that records it."""

    new_state: str
    payload: dict[str, Any]
    snapshot: Snapshot
    """The relationship as it stands on the new version (evaluated for the report, never written as such)."""


@dataclass(frozen=True)
class Refusal:
    """A relationship that stays where it is; ``reason`` lists every rule it breaks."""

    new_state: str | None
    reason: str


def check_mapping(sources: Sequence[Bundle], target: Bundle, states: Mapping[str, str]) -> dict[str, str]:
    """The state mapping, checked before anything moves: each old state must exist in a source version, each new
    one in the target; otherwise ``MigrationRefused`` names every wrong name and the states there are."""
    workflow = target.workflow
    known = {name for bundle in sources for name in bundle.workflow.states}
    problems, hints = [], []
    unknown_old = sorted(old for old in states if old not in known)
    if unknown_old:
        versions = ", ".join(str(bundle.workflow.version) for bundle in sources) or "none"
        problems.append(
            f"{_names(unknown_old)} {_is(unknown_old)} not a state of the version(s) moved from ({versions})"
        )
        hints.append(f"States there: {', '.join(sorted(known)) or 'none'}.")
    unknown_new = sorted({new for new in states.values() if new not in workflow.states})
    if unknown_new:
        problems.append(f"{_names(unknown_new)} {_is(unknown_new)} not a state of version {workflow.version}")
        hints.append(f"States of version {workflow.version}: {', '.join(workflow.states)}.")
    if problems:
        raise MigrationRefused(
            f"the state mapping for {workflow.workflow!r} is wrong: " + "; ".join(problems) + "; nothing was moved",
            hint=" ".join([*hints, "Map OLD=NEW with names from those lists."]),
        )
    return dict(states)


def _names(names: Sequence[str]) -> str:
    return ", ".join(map(repr, names))


def _is(names: Sequence[str]) -> str:
    return "is" if len(names) == 1 else "are"


def plan_migration(snapshot: Snapshot, target: Bundle, states: Mapping[str, str], now: dt.datetime) -> Move | Refusal:
    """Move ``snapshot`` onto ``target`` under the state mapping ``states`` (a state not named keeps its name)."""
    new = target.workflow
    new_state = states.get(snapshot.state, snapshot.state)
    if new_state not in new.states:
        return Refusal(
            None,
            f"state {snapshot.state!r} has no mapping: version {new.version} has no state {snapshot.state!r} "
            f"(map it with --state {snapshot.state}=NEW)",
        )
    reasons = [*_slot_reasons(snapshot, target), *_role_reasons(snapshot, target)]
    if now < snapshot.last_event_at:
        reasons.append(f"the migration is dated before its latest event ({snapshot.last_event_at.isoformat()})")
    if reasons:
        return Refusal(new_state, "; ".join(reasons))
    payload = migrated_payload(snapshot, target, new_state, states)
    return Move(new_state, payload, moved(snapshot, target, new_state))


def _slot_reasons(snapshot: Snapshot, target: Bundle) -> list[str]:
    """Each slot holding documents that could not carry over: gone, another kind, or plain and repeatable swapped."""
    reasons = []
    slots = target.workflow.artifacts
    for name in snapshot.items:  # the slots holding at least one document
        old = snapshot.slot(name)
        new = slots.get(name)
        if new is None:
            reasons.append(f"slot {name!r} holds documents but version {target.workflow.version} has no such slot")
        elif new.kind != old.kind:
            reasons.append(f"slot {name!r} changed kind ({old.kind} -> {new.kind})")
        elif new.repeatable != old.repeatable:
            change = "plain -> repeatable" if new.repeatable else "repeatable -> plain"
            reasons.append(f"slot {name!r} changed from {change}")
    return reasons


def _role_reasons(snapshot: Snapshot, target: Bundle) -> list[str]:
    """Each way the participants do not fit the new roles: a role that is gone, or a count out of its bounds."""
    roles = target.workflow.roles
    reasons = [
        f"role {role!r} ({', '.join(people)}) does not exist in version {target.workflow.version}"
        for role, people in snapshot.participants.items()
        if people and role not in roles
    ]
    for role, cardinality in roles.items():
        count = len(snapshot.participants.get(role, []))
        if count < cardinality.min or (cardinality.max is not None and count > cardinality.max):
            allowed = f"{cardinality.min}..{cardinality.max}" if cardinality.max is not None else f"{cardinality.min}+"
            reasons.append(
                f"role {role!r} has {count} participant(s), version {target.workflow.version} allows {allowed}"
            )
    return reasons


def migrated_payload(snapshot: Snapshot, target: Bundle, new_state: str, states: Mapping[str, str]) -> dict[str, Any]:
    """The ``migrated`` event: both versions and definition hashes, this relationship's move and the mapping."""
    return {
        "workflow": target.workflow.workflow,
        "from_version": snapshot.bundle.workflow.version,
        "to_version": target.workflow.version,
        "from_definition": snapshot.bundle.hash,
        "to_definition": target.hash,
        "from": snapshot.state,
        "to": new_state,
        "states": dict(sorted(states.items())),
    }


def moved(snapshot: Snapshot, target: Bundle, new_state: str) -> Snapshot:
    """``snapshot`` on ``target`` in ``new_state``; time in the state runs on, participants and documents carry.

    The copy shares the documents (nothing changes them) but not the participants, so replaying later events on
    it never alters the original.
    """
    return dataclasses.replace(
        snapshot,
        bundle=target,
        state=new_state,
        participants={role: list(people) for role, people in snapshot.participants.items()},
    )
