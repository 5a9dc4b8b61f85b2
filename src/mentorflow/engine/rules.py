"""Who may act: the refusals every write checks before it decides anything.

Kept apart from ``plans`` (what a write changes) so that the rules of DESIGN §5 and §10 read as one list: a
stranger is not a participant, a role acts only where the definition lists it, an item is revised by its owner,
people are added by the roles the definition names, time runs forward, an ended relationship takes nothing more,
and the participants always fit the roles' bounds; and, for reads, who may read a slot's content (``Reader``,
``may_read``, ``check_readable``). Each function either returns what the caller needs to go on
(the roles an actor holds, the role they sign in) or raises the refusal, with the objects involved.

The plans call them in one order, so that a caller learns the most basic thing wrong first: a reserved id
(``actor.invalid``), then participation (``actor.not_participant``), then the role rules (``actor.not_allowed``,
``actor.not_owner``), then cardinality and content.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mentorflow.definitions import Bundle
from mentorflow.definitions.models import Slot, Transition
from mentorflow.engine.snapshot import ItemView, Snapshot
from mentorflow.errors import (
    ArtifactHidden,
    CardinalityError,
    ClockBackwards,
    NotAllowed,
    NotOwner,
    NotParticipant,
    NotSigner,
    RelationshipFinal,
)
from mentorflow.identifiers import Actor

__all__ = [
    "Reader",
    "check_cardinality",
    "check_clock",
    "check_readable",
    "may_act",
    "may_add",
    "may_fire",
    "may_read",
    "may_remove",
    "may_revise",
    "may_start",
    "may_submit",
    "not_final",
    "participant_roles",
    "reader_of",
    "signing_role",
]


def participant_roles(snapshot: Snapshot, actor: Actor) -> list[str]:
    """The roles a person acts in; a stranger is refused, told which roles take part but never who holds them
    (who mentors whom is the participants' business, not a stranger's)."""
    roles = snapshot.roles_of(actor.id)
    if not roles:
        held = ", ".join(dict.fromkeys(role for _, role in snapshot.people()))
        raise NotParticipant(
            f"{actor.id!r} is not a participant of relationship {snapshot.id!r}",
            hint=f"Only its participants ({held}) and administrators act here; an administrator can add you.",
            relationship=snapshot.id,
            actor=actor.label,
        )
    return roles


def may_act(snapshot: Snapshot, actor: Actor) -> None:
    """A person acts only where they take part. Asked before anything else about a write (DESIGN §17's order of
    refusals), so that a stranger learns nothing from the refusal: not the state, nor a trigger or slot name."""
    if actor.kind == "person":
        participant_roles(snapshot, actor)


def not_final(snapshot: Snapshot, doing: str) -> None:
    if snapshot.final:
        raise RelationshipFinal(
            f"relationship {snapshot.id!r} has ended (state {snapshot.state!r}); cannot {doing}",
            relationship=snapshot.id,
            state=snapshot.state,
        )


def check_clock(snapshot: Snapshot, now: dt.datetime) -> None:
    """A write is dated at or after the relationship's latest event: the log's times only run forward."""
    if now < snapshot.last_event_at:
        raise ClockBackwards(
            f"the write is dated {now.isoformat()}, before the latest event of relationship {snapshot.id!r} "
            f"({snapshot.last_event_at.isoformat()})",
            relationship=snapshot.id,
        )


def check_cardinality(bundle: Bundle, counts: Mapping[str, int], what: str) -> None:
    """Every role of ``bundle`` held by as many people as its bounds allow; one refusal lists every role off."""
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


def may_start(actor: Actor, people: list[str]) -> None:
    """A relationship is started by an administrator or by one of the people it starts with."""
    if actor.kind == "system" or (actor.kind == "person" and actor.id not in people):
        raise NotAllowed(
            f"{actor.label!r} may not start a relationship they are not part of",
            hint="Start it as an administrator (--admin) or as one of its participants.",
            actor=actor.label,
        )


def _added_by(snapshot: Snapshot, role: str) -> list[str]:
    return snapshot.bundle.workflow.roles[role].added_by


def may_add(snapshot: Snapshot, role: str, actor: Actor) -> None:
    """Administrators add people to any role; a participant only to a role whose ``added_by`` lists theirs."""
    if actor.kind == "admin":
        return
    if actor.kind == "system":
        raise NotAllowed(
            "the system clock does not add participants",
            hint="Add people as an administrator or as a participant.",
            relationship=snapshot.id,
            actor=actor.label,
        )
    roles = participant_roles(snapshot, actor)
    adders = _added_by(snapshot, role)
    if not set(roles) & set(adders):
        raise NotAllowed(
            f"{actor.id!r} ({', '.join(roles)}) may not add people to role {role!r}",
            hint=(
                f"People are added to {role!r} by: {', '.join(adders)}, or an administrator."
                if adders
                else f"Only administrators add people to {role!r}."
            ),
            relationship=snapshot.id,
            actor=actor.label,
        )


def may_remove(snapshot: Snapshot, person: str, role: str, actor: Actor) -> None:
    """Anyone may leave by themselves; removing someone else takes an administrator or a holder of a role in the
    ``added_by`` of that person's role."""
    if actor.kind == "admin":
        return
    if actor.kind == "system":
        raise NotAllowed(
            f"{actor.label!r} may not remove {person!r}",
            hint="People leave by themselves; administrators may remove anyone.",
            relationship=snapshot.id,
            actor=actor.label,
        )
    roles = participant_roles(snapshot, actor)
    if actor.id == person:
        return
    adders = _added_by(snapshot, role)
    if not set(roles) & set(adders):
        raise NotAllowed(
            f"{actor.label!r} may not remove {person!r}",
            hint="People leave by themselves; administrators may remove anyone"
            + (f", and {', '.join(adders)} may remove a {role}." if adders else "."),
            relationship=snapshot.id,
            actor=actor.label,
        )


def may_submit(snapshot: Snapshot, slot: str, definition: Slot, actor: Actor) -> None:
    """Participants submit to the slots their role submits; administrators to any; the clock to none."""
    if actor.kind == "system":
        raise NotAllowed(
            "the system clock does not submit artifacts",
            hint="Submit as the participant whose document it is, or as an administrator.",
            relationship=snapshot.id,
            slot=slot,
            actor=actor.label,
        )
    if actor.kind == "person":
        roles = participant_roles(snapshot, actor)
        allowed = definition.submitted_by
        if allowed is not None and not set(roles) & set(allowed):
            raise NotAllowed(
                f"{actor.id!r} ({', '.join(roles)}) may not submit {slot!r}",
                hint=f"Slot {slot!r} is submitted by: {', '.join(allowed)}.",
                relationship=snapshot.id,
                slot=slot,
                actor=actor.label,
            )


def may_revise(snapshot: Snapshot, slot: str, item: ItemView, actor: Actor) -> None:
    """An item of a repeatable slot is revised by its owner (who submitted its first revision) or by an
    administrator. A plain slot's document is shared by its submitting roles, which ``may_submit`` checks."""
    if actor.kind == "person" and actor.id != item.owner:
        raise NotOwner(
            f"item {item.item} of {slot!r} belongs to {item.owner!r}; {actor.id!r} may not revise it",
            hint=f"Submit a new item (leave out the item number), or ask {item.owner!r} to revise it.",
            relationship=snapshot.id,
            slot=slot,
            actor=actor.label,
        )


def signing_role(snapshot: Snapshot, slot: str, definition: Slot, actor: Actor) -> str:
    """The role a participant signs ``slot`` in; nobody signs for someone else, administrators and the clock
    sign nothing."""
    if actor.kind != "person":
        raise NotSigner(
            "only participants sign, each for themselves; administrators and the system do not",
            hint="Ask the participants to sign.",
            relationship=snapshot.id,
            slot=slot,
            actor=actor.label,
        )
    roles = participant_roles(snapshot, actor)
    signing = [role for role in roles if role in definition.signed_by]
    if not signing:
        raise NotSigner(
            f"{actor.id!r} ({', '.join(roles)}) does not sign {slot!r}",
            hint=f"Slot {slot!r} is signed by: {', '.join(definition.signed_by) or 'nobody'}.",
            relationship=snapshot.id,
            slot=slot,
            actor=actor.label,
        )
    return signing[0]


def may_fire(snapshot: Snapshot, transition: Transition, actor: Actor, *, force: bool) -> None:
    """Participants fire triggers their role is listed for; the clock fires timed ones; only admins force."""
    trigger = transition.trigger
    if actor.kind == "person":
        roles = participant_roles(snapshot, actor)
        if transition.by is not None and not set(roles) & set(transition.by):
            raise NotAllowed(
                f"{actor.id!r} ({', '.join(roles)}) may not fire {trigger!r}",
                hint=f"{trigger!r} is fired by: {', '.join(transition.by)}, or an administrator.",
                relationship=snapshot.id,
                trigger=trigger,
                actor=actor.label,
            )
    elif actor.kind == "system" and transition.after_days is None:
        raise NotAllowed(
            f"the system clock fires only timed triggers; {trigger!r} is not timed",
            relationship=snapshot.id,
            trigger=trigger,
            actor=actor.label,
        )
    if force and actor.kind != "admin":
        raise NotAllowed(
            "only administrators may force a transition",
            hint="Ask a program administrator, who must give a reason.",
            relationship=snapshot.id,
            trigger=trigger,
            actor=actor.label,
        )


# -- reads ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reader:
    """Who reads: a trusted caller or an administrator (``person`` None, who reads everything), or a person with
    every role they ever held in the relationship (someone who left may still read what they took part in)."""

    person: str | None = None
    roles: frozenset[str] = frozenset()


TRUSTED = Reader()


def reader_of(snapshot: Snapshot, actor: Actor | None, roles_held: Sequence[str]) -> Reader:
    """The reader ``actor`` is, given the roles they ever held; a person who never took part is refused.

    No actor is the platform itself, trusted; administrators and the system read everything.
    """
    if actor is None or actor.kind != "person":
        return TRUSTED
    if not roles_held:
        participant_roles(snapshot, actor)  # raises NotParticipant, naming who does take part
    return Reader(actor.id, frozenset(roles_held))


def may_read(snapshot: Snapshot, slot: str, item: ItemView | None, reader: Reader) -> bool:
    """Whether ``reader`` may read an item of ``slot`` (or the plain slot's document).

    Everyone who took part reads a slot without ``visible_to``. Otherwise: the roles it lists; an item's owner
    (of a plain slot, the roles that submit it); the roles that sign it, who must read what they sign.
    """
    if reader.person is None:
        return True
    definition = snapshot.slot(slot)
    if definition.visible_to is None:
        return True
    allowed = set(definition.visible_to) | set(definition.signed_by)
    if definition.repeatable:
        if item is not None and item.owner == reader.person:
            return True
    elif definition.submitted_by is None:
        return True
    else:
        allowed |= set(definition.submitted_by)
    return bool(allowed & reader.roles)


def check_readable(snapshot: Snapshot, slot: str, item: ItemView | None, reader: Reader) -> None:
    """Refuse (``artifact.hidden``) a read of content ``reader`` may not see, saying who may."""
    if may_read(snapshot, slot, item, reader):
        return
    definition = snapshot.slot(slot)
    readers = sorted(set(definition.visible_to or []) | set(definition.signed_by))
    owner = "the item's owner" if definition.repeatable else "its submitters"
    where = f"item {item.item} of {slot!r}" if item is not None and definition.repeatable else repr(slot)
    raise ArtifactHidden(
        f"{reader.person!r} may not read {where} of relationship {snapshot.id!r}",
        hint=f"{slot!r} is read by {owner}" + (f", {', '.join(readers)}" if readers else "") + " and administrators.",
        relationship=snapshot.id,
        slot=slot,
        actor=reader.person,
    )
