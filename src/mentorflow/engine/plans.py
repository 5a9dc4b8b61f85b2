"""Deciding a write: what it changes, and which events record it.

Each ``plan_*`` function takes a snapshot and returns a ``Write`` (or raises a ``MentorflowError``) without
touching the database; the store then applies the write atomically. Keeping decisions pure makes them easy to
test as tables and lets ``verify`` replay them. Who may act at all is asked of ``rules`` first.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mentorflow.definitions import Bundle
from mentorflow.definitions.content import check_content
from mentorflow.definitions.models import InStateDays, Requirement, Slot, Transition
from mentorflow.engine.machine import compiled
from mentorflow.engine.requirements import GuardFunction, evaluate
from mentorflow.engine.rules import (
    check_cardinality,
    check_clock,
    may_act,
    may_add,
    may_fire,
    may_remove,
    may_revise,
    may_start,
    may_submit,
    not_final,
    signing_role,
)
from mentorflow.engine.snapshot import PLAIN_ITEM, ItemView, Snapshot
from mentorflow.engine.writes import Carry, NewRevision, NewSignature, StartPlan, Submitted, Write
from mentorflow.errors import (
    AlreadySigned,
    ArtifactError,
    ArtifactIncomplete,
    ArtifactLimit,
    ArtifactMissing,
    Blocked,
    CardinalityError,
    InvalidInput,
    MentorflowError,
    NotParticipant,
    ReasonRequired,
    StaleSignature,
    UnknownSlot,
)
from mentorflow.identifiers import MAX_IDENTIFIER, Actor, check_flag, check_identifier, check_person
from mentorflow.types import Blocker, DueTransition, TriggerState

__all__ = [
    "blockers_of",
    "due_transition",
    "new_id",
    "plan_fire",
    "plan_join",
    "plan_leave",
    "plan_sign",
    "plan_start",
    "plan_submit",
    "slot_for",
    "trigger_states",
]


_SURROGATE = re.compile("[\\ud800-\\udfff]")


def new_id() -> str:
    return "r" + secrets.token_hex(6)


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
        listed = [people] if isinstance(people, str) else people
        if not isinstance(listed, (list, tuple)):
            raise InvalidInput(
                f"the people of role {role!r} must be a person id or a list of them, got {type(people).__name__}",
                hint=f'Pass e.g. {{"{role}": ["ann"]}}.',
            )
        participants.extend((check_person(person), role) for person in listed)
    people_seen = [person for person, _ in participants]
    may_start(actor, people_seen)
    unknown = [role for role in roles if role not in workflow.roles]
    if unknown:
        raise CardinalityError(
            f"workflow {workflow.workflow!r} has no role {unknown[0]!r}", hint=f"Roles: {', '.join(workflow.roles)}."
        )
    twice = sorted({person for person in people_seen if people_seen.count(person) > 1})
    if twice:
        raise CardinalityError(
            f"{', '.join(map(repr, twice))} appear more than once; a person holds one role",
            hint="List each person under one role.",
        )
    check_cardinality(
        bundle,
        {role: sum(1 for _, r in participants if r == role) for role in workflow.roles},
        "starting with these people",
    )
    return StartPlan(rel_id, bundle, participants, program)


def plan_join(snapshot: Snapshot, role: str, person: str, actor: Actor, *, now: dt.datetime) -> Write:
    """``person`` takes ``role``: added by an administrator or by a holder of a role in its ``added_by``."""
    check_person(person)
    may_act(snapshot, actor)
    not_final(snapshot, "join")
    check_clock(snapshot, now)
    workflow = snapshot.bundle.workflow
    if not isinstance(role, str) or role not in workflow.roles:
        raise CardinalityError(
            f"workflow {workflow.workflow!r} has no role {role!r}", hint=f"Roles: {', '.join(workflow.roles)}."
        )
    may_add(snapshot, role, actor)
    if snapshot.roles_of(person):
        raise CardinalityError(
            f"{person!r} already takes part as {', '.join(snapshot.roles_of(person))}",
            hint="A person holds one role in a relationship.",
        )
    held = len(snapshot.participants.get(role, []))
    limit = workflow.roles[role].max
    if limit is not None and held + 1 > limit:
        raise CardinalityError(f"role {role!r} is full ({held} of at most {limit})", hint="Someone must leave first.")
    return Write(events=[("joined", {"person": person, "role": role})], joined=[(person, role)])


def plan_leave(snapshot: Snapshot, person: str, actor: Actor, reason: str | None, *, now: dt.datetime) -> Write:
    """``person`` leaves: by themselves, or removed by an administrator or a role in their role's ``added_by``."""
    check_person(person)
    may_act(snapshot, actor)
    not_final(snapshot, "leave")
    check_clock(snapshot, now)
    reason = _reason(reason)
    roles = snapshot.roles_of(person)
    if not roles:
        raise NotParticipant(
            f"{person!r} is not a participant of relationship {snapshot.id!r}",
            hint="Only someone who takes part can leave: check the person's id (status lists the participants).",
            cli_hint="Only someone who takes part can leave: check the person's id (`status` lists them).",
            relationship=snapshot.id,
        )
    role = roles[0]
    may_remove(snapshot, person, role, actor)
    minimum = snapshot.bundle.workflow.roles[role].min
    if len(snapshot.participants[role]) - 1 < minimum:
        raise CardinalityError(
            f"role {role!r} needs at least {minimum}; {person!r} cannot leave",
            hint="Add someone to the role first, or end the relationship with its withdraw-like trigger.",
        )
    return Write(events=[("left", {"person": person, "role": role, "reason": reason})], left=[person])


def _reason(reason: object) -> str | None:
    """A reason as given, or None when there is none (missing or blank)."""
    if reason is None:
        return None
    if not isinstance(reason, str):
        raise InvalidInput(f"a reason must be text, got {type(reason).__name__}", hint="Pass the reason as text.")
    if _SURROGATE.search(reason):
        raise InvalidInput(
            "the reason contains unpaired surrogate characters, which cannot be stored",
            hint="Pass the reason as valid Unicode text.",
        )
    return reason if reason.strip() else None


# -- artifacts --------------------------------------------------------------------------------------------------


def _whole(number: object, what: str, hint: str) -> int | None:
    if number is None or (isinstance(number, int) and not isinstance(number, bool)):
        return number
    raise InvalidInput(f"{what} must be a whole number, got {type(number).__name__}", hint=hint)


_REVISION_HINT = "Pass the revision the signer read: revision=N."
"""Only Python reaches it: the command line requires ``--revision N``, a whole number."""


def slot_for(snapshot: Snapshot, slot: object) -> Slot:
    """The definition of ``slot`` in the relationship's workflow, else ``artifact.unknown_slot`` naming its slots."""
    if not isinstance(slot, str) or slot not in snapshot.bundle.workflow.artifacts:
        known = ", ".join(snapshot.bundle.workflow.artifacts) or "(none)"
        raise UnknownSlot(
            f"workflow {snapshot.bundle.workflow.workflow!r} has no artifact slot {slot!r}",
            hint=f"Slots: {known}.",
            relationship=snapshot.id,
            slot=str(slot),
        )
    return snapshot.slot(slot)


def _target(snapshot: Snapshot, slot: str, definition: Slot, item: int | None) -> tuple[int, ItemView | None]:
    """The item number a submission goes to, and the item when it exists: a plain slot's one document, the named
    item, or (no item named in a repeatable slot) always a new one."""
    items = snapshot.items.get(slot, {})
    if not definition.repeatable:
        if item not in (None, PLAIN_ITEM):
            raise InvalidInput(
                f"slot {slot!r} holds one document; it has no items", hint="Submit without an item number."
            )
        return PLAIN_ITEM, items.get(PLAIN_ITEM)
    if item is None:
        if definition.max_items is not None and len(items) >= definition.max_items:
            raise ArtifactLimit(
                f"slot {slot!r} already holds {len(items)} items, its maximum",
                hint="Revise an existing item (--item N) instead.",
                relationship=snapshot.id,
                slot=slot,
            )
        return max(items, default=0) + 1, None
    if item not in items:
        raise InvalidInput(f"slot {slot!r} has no item {item}", hint=f"Items: {', '.join(map(str, items)) or 'none'}.")
    return item, items[item]


def plan_submit(
    snapshot: Snapshot,
    slot: str,
    content: Any,
    actor: Actor,
    item: int | None,
    *,
    now: dt.datetime,
    erased: int | None = None,
) -> tuple[Write, Submitted]:
    """A new revision of a slot (or of one item), or, when the content is identical to the latest revision of
    that document, nothing: that revision comes back ``unchanged`` and no signature is voided. Unless ``erased``
    names that latest revision, whose content erasure blanked: then the content, given again, is stored anew."""
    may_act(snapshot, actor)
    definition = slot_for(snapshot, slot)
    not_final(snapshot, "submit")
    check_clock(snapshot, now)
    item = _whole(item, "an item number", "Pass item=N, or leave it out.")
    may_submit(snapshot, slot, definition, actor)
    number_item, existing = _target(snapshot, slot, definition, item)
    if existing is not None and definition.repeatable:
        may_revise(snapshot, slot, existing, actor)
    try:
        checked = check_content(snapshot.bundle.kinds[definition.kind], content)
    except ArtifactError as exc:
        exc.relationship, exc.slot = snapshot.id, slot
        raise
    if (
        existing is not None
        and existing.latest.content_hash == checked.content_hash
        and existing.latest.number != erased
    ):
        latest = existing.latest
        return Write(), Submitted(
            slot=slot,
            item=number_item,
            number=latest.number,
            complete=latest.complete,
            missing=latest.missing,
            content_hash=latest.content_hash,
            submitted_by=latest.submitted_by,
            submitted_at=latest.submitted_at,
            unchanged=True,
        )
    number = existing.latest.number + 1 if existing is not None else 1
    revision = NewRevision(
        slot, number_item, number, checked.content, checked.content_hash, checked.complete, checked.missing
    )
    event: dict[str, Any] = {
        "slot": slot,
        "item": None if number_item == PLAIN_ITEM else number_item,
        "revision": number,
        "content_hash": checked.content_hash,
        "complete": checked.complete,
        "missing": checked.missing,
    }
    if existing is not None and definition.repeatable and existing.owner != actor.label:
        event["owner"] = existing.owner  # an administrator revised someone's item: the log says whose
    submitted = Submitted(
        slot, number_item, number, checked.complete, checked.missing, checked.content_hash, actor.label, now
    )
    return Write(events=[("submitted", event)], revisions=[revision]), submitted


def plan_sign(
    snapshot: Snapshot, slot: str, actor: Actor, item: int | None, revision: int, *, now: dt.datetime
) -> Write:
    """``actor``'s signature on ``revision``, the revision they read: refused unless it is still the latest."""
    may_act(snapshot, actor)
    definition = slot_for(snapshot, slot)
    not_final(snapshot, "sign")
    check_clock(snapshot, now)
    item = _whole(item, "an item number", "Pass item=N, or leave it out.")
    named = _whole(revision, "a revision number", _REVISION_HINT)
    if named is None:
        raise InvalidInput("a signature needs the revision its signer read", hint=_REVISION_HINT)
    role = signing_role(snapshot, slot, definition, actor)
    target = snapshot.items.get(slot, {}).get(item) if item is not None else snapshot.latest(slot)
    if target is None:
        raise ArtifactMissing(
            f"there is no {slot!r} to sign yet", hint=f"Submit {slot!r} first.", relationship=snapshot.id, slot=slot
        )
    latest = target.latest
    what = slot if target.item == PLAIN_ITEM else f"{slot} item {target.item}"
    if named != latest.number:
        raise StaleSignature(
            f"{what} revision {named} is not its latest revision: a signature binds the revision its signer read",
            hint=f"The latest is revision {latest.number}; read it, then sign revision {latest.number}.",
            relationship=snapshot.id,
            slot=slot,
            actor=actor.label,
        )
    if not latest.complete:
        raise ArtifactIncomplete(
            f"{slot!r} revision {latest.number} is incomplete and cannot be signed",
            hint="Missing: " + ", ".join(latest.missing) + ".",
            relationship=snapshot.id,
            slot=slot,
        )
    if actor.id in latest.signatures:
        raise AlreadySigned(
            f"{actor.id!r} already signed {slot!r} revision {latest.number}",
            hint="A new revision needs new signatures; this one is done.",
            relationship=snapshot.id,
            slot=slot,
            actor=actor.label,
        )
    signature = NewSignature(slot, target.item, latest.number, actor.id, role, latest.content_hash)
    event = {
        "slot": slot,
        "item": None if target.item == PLAIN_ITEM else target.item,
        "revision": latest.number,
        "person": actor.id,
        "role": role,
        "content_hash": latest.content_hash,
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
    may_act(snapshot, actor)
    force = check_flag(force, "force")
    check_clock(snapshot, now)
    machine = compiled(snapshot.bundle)
    transition = machine.find(snapshot.state, trigger)
    reason = _reason(reason)
    may_fire(snapshot, transition, actor, force=force)
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
        # The log keeps what was bypassed as it was first recorded; who must act is for display, not the record.
        payload["bypassed"] = [blocker.model_dump(include={"code", "message", "requirement"}) for blocker in blockers]
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
    check_cardinality(
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


def due_transition(snapshot: Snapshot, now: dt.datetime, guards: Mapping[str, GuardFunction]) -> DueTransition | None:
    """The timed transition ``tick`` fires on this relationship now: the first, in definition order, whose delay
    has passed and whose requirements hold; None when nothing is due."""
    for transition in compiled(snapshot.bundle).transitions_from(snapshot.state):
        if transition.after_days is not None and not blockers_of(snapshot, transition, now, guards):
            return DueTransition(
                relationship=snapshot.id, trigger=transition.trigger, from_state=snapshot.state, to_state=transition.to
            )
    return None
