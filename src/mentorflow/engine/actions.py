"""Deciding a write: who may do what, what it changes, and which events record it.

Each ``plan_*`` function takes a snapshot and returns a ``Write`` (or raises a ``MentorflowError``) without
touching the database; the store then applies the write atomically. Keeping decisions pure makes the rules easy
to test as tables and lets ``verify`` replay them.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mentorflow.artifacts import check_content
from mentorflow.canonical import canonical_json, sha256_hex
from mentorflow.definitions import Bundle
from mentorflow.definitions.models import InStateDays, Requirement, Transition
from mentorflow.engine.machine import compiled
from mentorflow.engine.requirements import GuardFunction, evaluate
from mentorflow.engine.snapshot import PLAIN_ITEM, Snapshot
from mentorflow.errors import (
    AlreadySigned,
    ArtifactIncomplete,
    ArtifactInvalid,
    ArtifactLimit,
    ArtifactMissing,
    Blocked,
    CardinalityError,
    InvalidInput,
    MentorflowError,
    NotAllowed,
    NotParticipant,
    NotSigner,
    PathError,
    ReasonRequired,
    RelationshipFinal,
    UnknownSlot,
)
from mentorflow.identifiers import MAX_IDENTIFIER, Actor, check_identifier
from mentorflow.types import Blocker, TriggerState

__all__ = [
    "Carry",
    "NewRevision",
    "NewSignature",
    "StartPlan",
    "Write",
    "new_id",
    "plan_fire",
    "plan_join",
    "plan_leave",
    "plan_sign",
    "plan_start",
    "plan_submit",
    "trigger_states",
]


@dataclass(frozen=True)
class NewRevision:
    slot: str
    item: int
    number: int
    content: dict[str, Any]
    content_hash: str
    complete: bool
    missing: list[str]
    origin: dict[str, Any] | None = None


@dataclass(frozen=True)
class NewSignature:
    slot: str
    item: int
    number: int
    person: str
    role: str
    content_hash: str


@dataclass(frozen=True)
class Carry:
    """A revision (and its signatures) to copy from the relationship being converted."""

    slot: str
    item: int
    number: int


@dataclass
class StartPlan:
    id: str
    bundle: Bundle
    participants: list[tuple[str, str]]
    program: str | None
    linked_from: dict[str, Any] | None = None
    carry: list[Carry] = field(default_factory=list)

    @property
    def started_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "workflow": self.bundle.workflow.workflow,
            "version": self.bundle.workflow.version,
            "definition": self.bundle.hash,
            "state": self.bundle.workflow.initial_state,
            "program": self.program,
            "participants": [{"person": person, "role": role} for person, role in self.participants],
        }
        if self.linked_from is not None:
            payload["linked_from"] = self.linked_from
        return payload


@dataclass
class Write:
    """Everything one operation changes on one relationship, with the events that record it."""

    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    state: str | None = None
    joined: list[tuple[str, str]] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    revisions: list[NewRevision] = field(default_factory=list)
    signatures: list[NewSignature] = field(default_factory=list)
    starts: list[StartPlan] = field(default_factory=list)


def new_id() -> str:
    return "r" + secrets.token_hex(6)


def _roles_of(snapshot: Snapshot, actor: Actor) -> list[str]:
    """The roles a person acts in; a stranger is refused."""
    roles = snapshot.roles_of(actor.id)
    if not roles:
        raise NotParticipant(
            f"{actor.id!r} is not a participant of relationship {snapshot.id!r}",
            hint="Act as one of: "
            + ", ".join(f"{p} ({r})" for p, r in snapshot.people())
            + ", or as an administrator.",
        )
    return roles


def _not_final(snapshot: Snapshot, doing: str) -> None:
    if snapshot.final:
        raise RelationshipFinal(
            f"relationship {snapshot.id!r} has ended (state {snapshot.state!r}); cannot {doing}",
            relationship=snapshot.id,
            state=snapshot.state,
        )


def _check_cardinality(bundle: Bundle, counts: Mapping[str, int], what: str) -> None:
    problems = []
    for role, cardinality in bundle.workflow.roles.items():
        count = counts.get(role, 0)
        if count < cardinality.min or (cardinality.max is not None and count > cardinality.max):
            allowed = f"{cardinality.min}..{cardinality.max}" if cardinality.max is not None else f"{cardinality.min}+"
            problems.append(f"{role}: {count} (allowed {allowed})")
    if problems:
        raise CardinalityError(
            f"{what} breaks the role cardinalities of {bundle.workflow.workflow!r}: " + "; ".join(problems),
            hint="Adjust the participants to fit the roles' bounds.",
        )


# -- start, join, leave -----------------------------------------------------------------------------------------


def plan_start(
    bundle: Bundle,
    roles: Mapping[str, Sequence[str] | str],
    actor: Actor,
    program: str | None,
    relationship_id: str | None,
) -> StartPlan:
    """A new relationship: checked roles and people, started by an administrator or one of its people."""
    workflow = bundle.workflow
    rel_id = check_identifier(relationship_id, "relationship id") if relationship_id is not None else new_id()
    if program is not None:
        check_identifier(program, "program")
    if not isinstance(roles, Mapping):
        raise InvalidInput(
            f"roles must map each role to its people, got {type(roles).__name__}",
            hint='Pass e.g. {"mentor": ["ann"], "mentee": ["bob"]}.',
        )
    participants: list[tuple[str, str]] = []
    for role, people in roles.items():
        if role not in workflow.roles:
            raise CardinalityError(
                f"workflow {workflow.workflow!r} has no role {role!r}", hint=f"Roles: {', '.join(workflow.roles)}."
            )
        listed = [people] if isinstance(people, str) else people
        if not isinstance(listed, (list, tuple)):
            raise InvalidInput(
                f"the people of role {role!r} must be a person id or a list of them, got {type(people).__name__}",
                hint=f'Pass e.g. {{"{role}": ["ann"]}}.',
            )
        participants.extend((check_identifier(person, "person"), role) for person in listed)
    people_seen = [person for person, _ in participants]
    twice = sorted({person for person in people_seen if people_seen.count(person) > 1})
    if twice:
        raise CardinalityError(
            f"{', '.join(map(repr, twice))} appear more than once; a person holds one role",
            hint="List each person under one role.",
        )
    _check_cardinality(
        bundle,
        {role: sum(1 for _, r in participants if r == role) for role in workflow.roles},
        "starting with these people",
    )
    if actor.kind == "system" or (actor.kind == "person" and actor.id not in people_seen):
        raise NotAllowed(
            f"{actor.label!r} may not start a relationship they are not part of",
            hint="Start it as an administrator (--admin) or as one of its participants.",
        )
    return StartPlan(rel_id, bundle, participants, program)


def plan_join(snapshot: Snapshot, role: str, person: str, actor: Actor) -> Write:
    _not_final(snapshot, "join")
    check_identifier(person, "person")
    workflow = snapshot.bundle.workflow
    if not isinstance(role, str) or role not in workflow.roles:
        raise CardinalityError(
            f"workflow {workflow.workflow!r} has no role {role!r}", hint=f"Roles: {', '.join(workflow.roles)}."
        )
    if actor.kind == "system":
        raise NotAllowed(
            "the system clock does not add participants", hint="Add people as an administrator or as a participant."
        )
    if actor.kind != "admin":
        _roles_of(snapshot, actor)
    if snapshot.roles_of(person):
        raise CardinalityError(
            f"{person!r} already takes part as {', '.join(snapshot.roles_of(person))}",
            hint="A person holds one role in a relationship.",
        )
    counts = {name: len(snapshot.participants.get(name, [])) for name in workflow.roles}
    limit = workflow.roles[role].max
    if limit is not None and counts[role] + 1 > limit:
        raise CardinalityError(
            f"role {role!r} is full ({counts[role]} of at most {limit})", hint="Someone must leave first."
        )
    return Write(events=[("joined", {"person": person, "role": role})], joined=[(person, role)])


def plan_leave(snapshot: Snapshot, person: str, actor: Actor, reason: str | None) -> Write:
    _not_final(snapshot, "leave")
    roles = snapshot.roles_of(person)
    if not roles:
        raise NotParticipant(f"{person!r} is not a participant of relationship {snapshot.id!r}")
    reason = _reason(reason)
    if actor.kind == "system" or (actor.kind == "person" and actor.id != person):
        raise NotAllowed(
            f"{actor.label!r} may not remove {person!r}",
            hint="People leave by themselves; administrators may remove anyone.",
        )
    role = roles[0]
    minimum = snapshot.bundle.workflow.roles[role].min
    if len(snapshot.participants[role]) - 1 < minimum:
        raise CardinalityError(
            f"role {role!r} needs at least {minimum}; {person!r} cannot leave",
            hint="Add someone to the role first, or end the relationship with its withdraw-like trigger.",
        )
    return Write(events=[("left", {"person": person, "role": role, "reason": reason})], left=[person])


# -- artifacts --------------------------------------------------------------------------------------------------


def _reason(reason: object) -> str | None:
    """A reason as given, or None when there is none (missing or blank)."""
    if reason is None:
        return None
    if not isinstance(reason, str):
        raise InvalidInput(f"a reason must be text, got {type(reason).__name__}", hint="Pass the reason as text.")
    if _has_surrogates(reason):
        raise InvalidInput(
            "the reason contains unpaired surrogate characters, which cannot be stored",
            hint="Pass the reason as valid Unicode text.",
        )
    return reason if reason.strip() else None


def _has_surrogates(text: str) -> bool:
    return any("\ud800" <= char <= "\udfff" for char in text)


def _unstorable(value: Any, path: str) -> list[PathError]:
    """The values canonical JSON cannot encode: text with unpaired surrogates, integers too long to print."""
    if isinstance(value, dict):
        return [
            error for key, child in value.items() for error in _unstorable(child, f"{path}.{key}" if path else str(key))
        ]
    if isinstance(value, list):
        return [error for index, child in enumerate(value) for error in _unstorable(child, f"{path}[{index}]")]
    if isinstance(value, str) and _has_surrogates(value):
        return [PathError(path, "text contains unpaired surrogate characters")]
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            str(value)
        except ValueError:
            return [PathError(path, "the number has too many digits")]
    return []


def _content_hash(content: dict[str, Any]) -> str:
    try:
        return sha256_hex(canonical_json(content))
    except ValueError as exc:  # UnicodeEncodeError is one; both mean the content cannot be stored
        raise ArtifactInvalid(
            "the content cannot be stored", _unstorable(content, "") or [PathError("", str(exc))]
        ) from exc


def _item(item: object) -> int | None:
    if item is None or (isinstance(item, int) and not isinstance(item, bool)):
        return item
    raise InvalidInput(f"an item number must be a whole number, got {item!r}", hint="Pass item=N, or leave it out.")


def _slot_for(snapshot: Snapshot, slot: str) -> None:
    if not isinstance(slot, str) or slot not in snapshot.bundle.workflow.artifacts:
        known = ", ".join(snapshot.bundle.workflow.artifacts) or "(none)"
        raise UnknownSlot(
            f"workflow {snapshot.bundle.workflow.workflow!r} has no artifact slot {slot!r}", hint=f"Slots: {known}."
        )


def plan_submit(
    snapshot: Snapshot, slot: str, content: Any, actor: Actor, item: int | None
) -> tuple[Write, NewRevision]:
    _slot_for(snapshot, slot)
    _not_final(snapshot, "submit")
    item = _item(item)
    definition = snapshot.slot(slot)
    if actor.kind == "system":
        raise NotAllowed("the system clock does not submit artifacts")
    if actor.kind == "person":
        roles = _roles_of(snapshot, actor)
        allowed = definition.submitted_by
        if allowed is not None and not set(roles) & set(allowed):
            raise NotAllowed(
                f"{actor.id!r} ({', '.join(roles)}) may not submit {slot!r}",
                hint=f"Slot {slot!r} is submitted by: {', '.join(allowed)}.",
            )
    checked = check_content(snapshot.bundle.kinds[definition.kind], content)
    items = snapshot.items.get(slot, {})
    if not definition.repeatable:
        if item not in (None, PLAIN_ITEM):
            raise InvalidInput(
                f"slot {slot!r} holds one document; it has no items", hint="Submit without an item number."
            )
        number_item = PLAIN_ITEM
    elif item is None:
        number_item = max(items, default=0) + 1
        if definition.max_items is not None and len(items) >= definition.max_items:
            raise ArtifactLimit(
                f"slot {slot!r} already holds {len(items)} items, its maximum",
                hint="Revise an existing item (--item N) instead.",
            )
    elif item in items:
        number_item = item
    else:
        raise InvalidInput(f"slot {slot!r} has no item {item}", hint=f"Items: {', '.join(map(str, items)) or 'none'}.")
    previous = items.get(number_item)
    content_hash = _content_hash(checked.content)
    revision = NewRevision(
        slot,
        number_item,
        (previous.latest.number + 1) if previous else 1,
        checked.content,
        content_hash,
        checked.complete,
        checked.missing,
    )
    event = {
        "slot": slot,
        "item": None if number_item == PLAIN_ITEM else number_item,
        "revision": revision.number,
        "content_hash": content_hash,
        "complete": checked.complete,
        "missing": checked.missing,
    }
    return Write(events=[("submitted", event)], revisions=[revision]), revision


def plan_sign(snapshot: Snapshot, slot: str, actor: Actor, item: int | None) -> Write:
    _slot_for(snapshot, slot)
    _not_final(snapshot, "sign")
    item = _item(item)
    definition = snapshot.slot(slot)
    if actor.kind != "person":
        raise NotSigner(
            "only participants sign, each for themselves; administrators and the system do not",
            hint="Ask the participants to sign.",
        )
    roles = _roles_of(snapshot, actor)
    signing = [role for role in roles if role in definition.signed_by]
    if not signing:
        raise NotSigner(
            f"{actor.id!r} ({', '.join(roles)}) does not sign {slot!r}",
            hint=f"Slot {slot!r} is signed by: {', '.join(definition.signed_by) or 'nobody'}.",
        )
    target = snapshot.items.get(slot, {}).get(item) if item is not None else snapshot.latest(slot)
    if target is None:
        raise ArtifactMissing(
            f"there is no {slot!r} to sign yet", hint=f"Submit {slot!r} first.", relationship=snapshot.id, slot=slot
        )
    revision = target.latest
    if not revision.complete:
        raise ArtifactIncomplete(
            f"{slot!r} revision {revision.number} is incomplete and cannot be signed",
            hint="Missing: " + ", ".join(revision.missing) + ".",
            relationship=snapshot.id,
            slot=slot,
        )
    if actor.id in revision.signatures:
        raise AlreadySigned(
            f"{actor.id!r} already signed {slot!r} revision {revision.number}",
            hint="A new revision needs new signatures; this one is done.",
        )
    signature = NewSignature(slot, target.item, revision.number, actor.id, signing[0], revision.content_hash)
    event = {
        "slot": slot,
        "item": None if target.item == PLAIN_ITEM else target.item,
        "revision": revision.number,
        "person": actor.id,
        "role": signing[0],
        "content_hash": revision.content_hash,
    }
    return Write(events=[("signed", event)], signatures=[signature])


# -- transitions ------------------------------------------------------------------------------------------------


def _requirements(transition: Transition) -> list[Requirement]:
    timed: list[Requirement] = [InStateDays(in_state_days=transition.after_days)] if transition.after_days else []
    return [*timed, *transition.requires]


def blockers_of(
    snapshot: Snapshot, transition: Transition, now: dt.datetime, guards: Mapping[str, GuardFunction]
) -> list[Blocker]:
    return [
        blocker for requirement in _requirements(transition) for blocker in evaluate(requirement, snapshot, now, guards)
    ]


def trigger_states(snapshot: Snapshot, now: dt.datetime, guards: Mapping[str, GuardFunction]) -> list[TriggerState]:
    """Each trigger that fires from the current state, with its blockers."""
    states = []
    for transition in compiled(snapshot.bundle).transitions_from(snapshot.state):
        blockers = blockers_of(snapshot, transition, now, guards)
        states.append(
            TriggerState.model_construct(
                trigger=transition.trigger,
                to=transition.to,
                allowed=not blockers,
                blockers=blockers,
                by=transition.by,
                reason_required=transition.reason == "required",
                timed_after_days=transition.after_days,
            )
        )
    return states


def _may_fire(snapshot: Snapshot, transition: Transition, actor: Actor, *, force: bool) -> None:
    """Participants fire triggers their role is listed for; the clock fires timed ones; only admins force."""
    trigger = transition.trigger
    if actor.kind == "person":
        roles = _roles_of(snapshot, actor)
        if transition.by is not None and not set(roles) & set(transition.by):
            raise NotAllowed(
                f"{actor.id!r} ({', '.join(roles)}) may not fire {trigger!r}",
                hint=f"{trigger!r} is fired by: {', '.join(transition.by)}, or an administrator.",
            )
    elif actor.kind == "system" and transition.after_days is None:
        raise NotAllowed(f"the system clock fires only timed triggers; {trigger!r} is not timed")
    if force and actor.kind != "admin":
        raise NotAllowed(
            "only administrators may force a transition", hint="Ask a program administrator, who must give a reason."
        )


def plan_fire(
    snapshot: Snapshot,
    trigger: str,
    actor: Actor,
    *,
    now: dt.datetime,
    guards: Mapping[str, GuardFunction],
    force: bool = False,
    reason: str | None = None,
    resolve: Callable[[str, int | None], Bundle] | None = None,
) -> Write:
    machine = compiled(snapshot.bundle)
    transition = machine.find(snapshot.state, trigger)
    reason = _reason(reason)
    _may_fire(snapshot, transition, actor, force=force)
    if (force or transition.reason == "required") and reason is None:
        why = "forcing a transition" if force else f"trigger {trigger!r}"
        raise ReasonRequired(f"{why} needs a reason")
    blockers = blockers_of(snapshot, transition, now, guards)
    if blockers and not force:
        raise Blocked(
            f"{trigger!r} is blocked from state {snapshot.state!r} ({len(blockers)} "
            f"blocker{'s' if len(blockers) > 1 else ''}): " + "; ".join(b.message for b in blockers),
            blockers,
            hint="Resolve the blockers, or ask an administrator to force it with a reason.",
        )
    target = machine.fire(snapshot.state, trigger, allowed=True)
    payload: dict[str, Any] = {"trigger": trigger, "from": snapshot.state, "to": target}
    if reason is not None:
        payload["reason"] = reason
    if force:
        payload["bypassed"] = [blocker.model_dump() for blocker in blockers]
    write = Write(events=[("overridden" if force else "transitioned", payload)], state=target)
    if transition.starts is not None:
        if resolve is None:  # pragma: no cover - the service always passes a resolver
            raise MentorflowError("no workflow resolver for a starts: effect")
        write.starts.append(_linked(snapshot, transition, resolve))
        write.events.append(
            (
                "started_linked",
                {
                    "relationship": write.starts[0].id,
                    "trigger": trigger,
                    "workflow": write.starts[0].bundle.workflow.workflow,
                },
            )
        )
    return write


def _linked(snapshot: Snapshot, transition: Transition, resolve: Callable[[str, int | None], Bundle]) -> StartPlan:
    starts = transition.starts
    assert starts is not None  # noqa: S101 - the caller checked
    bundle = resolve(starts.workflow, starts.version)
    participants = [
        (person, new_role)
        for new_role, old_role in starts.roles.items()
        for person in snapshot.participants.get(old_role, [])
    ]
    _check_cardinality(
        bundle,
        {role: sum(1 for _, r in participants if r == role) for role in bundle.workflow.roles},
        f"converting into {bundle.workflow.workflow!r}",
    )
    carry = [
        Carry(slot, item.item, item.latest.number)
        for slot in starts.carry
        for item in snapshot.items.get(slot, {}).values()
    ]
    return StartPlan(
        _linked_id(snapshot, transition.trigger),
        bundle,
        participants,
        snapshot.program,
        linked_from={"relationship": snapshot.id, "trigger": transition.trigger},
        carry=carry,
    )


def _linked_id(snapshot: Snapshot, trigger: str) -> str:
    """A readable id that names where a linked relationship came from, e.g. ``micro-tanaka-convert-14``.

    The event number makes it unique even if a workflow could fire the same trigger twice.
    """
    candidate = f"{snapshot.id}-{trigger}-{snapshot.seq + 1}"
    return candidate if len(candidate) <= MAX_IDENTIFIER else new_id()
