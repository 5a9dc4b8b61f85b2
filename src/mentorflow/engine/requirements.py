"""Requirements evaluated to blockers, and obligations evaluated to due dates.

A requirement never answers just "no": it returns one blocker per reason, each with a stable code and a message
that names the slot, the role and the people concerned, so that a pair knows exactly what to do next. Evaluation
is side-effect free and always reports every blocker, not the first one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mentorflow.definitions.checks import walk_requirements
from mentorflow.definitions.models import (
    AllOf,
    AnyOf,
    Check,
    Complete,
    CompleteObligation,
    Count,
    CountObligation,
    Current,
    CurrentObligation,
    InStateDays,
    NotReq,
    Obligation,
    Requirement,
    Signed,
    SignedObligation,
    Transition,
    slot_of,
)
from mentorflow.definitions.render import describe
from mentorflow.engine.snapshot import ItemView, Snapshot
from mentorflow.types import Blocker, ObligationState

__all__ = ["GuardContext", "GuardFunction", "evaluate", "evaluate_obligation", "next_change"]

DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class GuardContext:
    """What a custom guard (``check: NAME``) may look at. Guards must not write anything."""

    relationship: str
    workflow: str
    state: str
    program: str | None
    participants: Mapping[str, list[str]]
    args: Mapping[str, Any]
    now: dt.datetime
    snapshot: Snapshot = field(repr=False)


GuardFunction = Callable[[GuardContext], "str | None"]


@dataclass(frozen=True)
class _Eval:
    snapshot: Snapshot
    now: dt.datetime
    guards: Mapping[str, GuardFunction]
    since: dt.datetime | None = None
    """Obligations that recur count only what was dated at or after this moment."""


def evaluate(
    requirement: Requirement,
    snapshot: Snapshot,
    now: dt.datetime,
    guards: Mapping[str, GuardFunction] | None = None,
) -> list[Blocker]:
    """Every blocker of ``requirement`` on ``snapshot`` at ``now``; an empty list means it holds."""
    return _evaluate(requirement, _Eval(snapshot, now, {} if guards is None else guards))


def _blocker(
    code: str,
    message: str,
    requirement: Requirement,
    slot: str | None = None,
    who: Iterable[tuple[str, str]] = (),
    roles: list[str] | None = None,
) -> Blocker:
    """A blocker naming its slot and who must act: ``who`` as (person, role), ``roles`` the roles expected to act
    (which name the role even while nobody holds it)."""
    people, role = _acting(who, roles)
    return Blocker.model_construct(
        code=code, message=message, requirement=requirement.as_yaml, slot=slot, role=role, people=people
    )


def _acting(who: Iterable[tuple[str, str]], roles: list[str] | None = None) -> tuple[list[str], str | None]:
    """The distinct people in ``who``, in order, and their role when they share one (else the only role named)."""
    people: dict[str, None] = {}
    held: dict[str, None] = {}
    for person, role in who:
        people[person] = None
        held[role] = None
    named = list(held) or (roles or [])
    return list(people), (named[0] if len(named) == 1 else None)


def _who(people: list[tuple[str, str]]) -> str:
    return ", ".join(f"{role} {person}" for person, role in people)


def _evaluate(requirement: Requirement, ctx: _Eval) -> list[Blocker]:  # noqa: C901, PLR0911 - one branch per form
    if isinstance(requirement, Complete):
        return _complete(requirement, ctx)
    if isinstance(requirement, Signed):
        return _signed(requirement, ctx)
    if isinstance(requirement, Count):
        return _count(requirement, ctx)
    if isinstance(requirement, Current):
        return _current(requirement, ctx)
    if isinstance(requirement, InStateDays):
        days = (ctx.now - ctx.snapshot.entered_at) / DAY
        if days >= requirement.in_state_days:
            return []
        return [
            _blocker(
                "state.too_early",
                f"in state {ctx.snapshot.state!r} for {int(days)} of the {requirement.in_state_days} days required",
                requirement,
            )
        ]
    if isinstance(requirement, AllOf):
        return [blocker for child in requirement.all for blocker in _evaluate(child, ctx)]
    if isinstance(requirement, AnyOf):
        children = [_evaluate(child, ctx) for child in requirement.any]
        if not all(children):
            return []
        # Any one of the alternatives would do, so everyone one of them waits on may act.
        found = [blocker for blockers in children for blocker in blockers]
        slots = {blocker.slot for blocker in found}
        roles = {blocker.role for blocker in found}
        people = list(dict.fromkeys(person for blocker in found for person in blocker.people))
        return [
            Blocker.model_construct(
                code="any.none_held",
                message=f"none of these holds: {' / '.join(describe(c) for c in requirement.any)}",
                requirement=requirement.as_yaml,
                slot=slots.pop() if len(slots) == 1 else None,
                role=roles.pop() if len(roles) == 1 else None,
                people=people,
            )
        ]
    if isinstance(requirement, NotReq):
        if _evaluate(requirement.not_, ctx):
            return []
        return [_blocker("not.held", f"this must not hold, but does: {describe(requirement.not_)}", requirement)]
    return _check(requirement, ctx)


def _dated(item: ItemView, ctx: _Eval) -> bool:
    return ctx.since is None or item.latest.submitted_at >= ctx.since


def _complete(requirement: Complete, ctx: _Eval) -> list[Blocker]:
    slot_name = requirement.complete
    slot = ctx.snapshot.slot(slot_name)
    if requirement.by:
        done = {item.owner for item in ctx.snapshot.complete_items(slot_name) if _dated(item, ctx)}
        return [
            _blocker(
                "artifact.missing",
                f"{role} {person} has not submitted a complete {slot_name}",
                requirement,
                slot_name,
                [(person, role)],
            )
            for person, role in ctx.snapshot.people(requirement.by)
            if person not in done
        ]
    latest = ctx.snapshot.latest(slot_name)
    if latest is None or not _dated(latest, ctx):
        return [_missing(slot_name, slot.submitted_by, ctx, requirement)]
    if not latest.latest.complete:
        return [_incomplete(slot_name, latest, ctx, requirement)]
    return []


def _missing(slot_name: str, roles: list[str] | None, ctx: _Eval, requirement: Requirement) -> Blocker:
    people = ctx.snapshot.people(roles)
    who = _who(people)
    recent = " recently" if ctx.since is not None else ""
    return _blocker(
        "artifact.missing",
        f"no {slot_name} has been submitted{recent}" + (f" (to be submitted by {who})" if who else ""),
        requirement,
        slot_name,
        people,
        roles,
    )


def _submitters(slot_name: str, ctx: _Eval) -> tuple[list[tuple[str, str]], list[str] | None]:
    roles = ctx.snapshot.slot(slot_name).submitted_by
    return ctx.snapshot.people(roles), roles


def _incomplete(slot_name: str, item: ItemView, ctx: _Eval, requirement: Requirement) -> Blocker:
    missing = item.latest.missing
    shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")  # noqa: PLR2004
    # The item's owner completes it; a plain document may be revised by any of its submitters.
    owned = [(person, role) for person, role in ctx.snapshot.people() if person == item.owner]
    who, roles = (owned, None) if owned and ctx.snapshot.slot(slot_name).repeatable else _submitters(slot_name, ctx)
    return _blocker(
        "artifact.incomplete",
        f"{slot_name} revision {item.latest.number} is incomplete: missing {shown}",
        requirement,
        slot_name,
        who,
        roles,
    )


def _signed(requirement: Signed, ctx: _Eval) -> list[Blocker]:
    slot_name = requirement.signed
    slot = ctx.snapshot.slot(slot_name)
    latest = ctx.snapshot.latest(slot_name)
    if latest is None:
        return [_missing(slot_name, slot.submitted_by, ctx, requirement)]
    if not latest.latest.complete:
        return [_incomplete(slot_name, latest, ctx, requirement)]
    signatures = latest.latest.signatures
    return [
        _blocker(
            "artifact.unsigned",
            f"{slot_name} revision {latest.latest.number} is not signed by {role} {person}",
            requirement,
            slot_name,
            [(person, role)],
        )
        for person, role in ctx.snapshot.people(requirement.by or slot.signed_by)
        if person not in signatures or (ctx.since is not None and signatures[person][1] < ctx.since)
    ]


def _count(requirement: Count, ctx: _Eval) -> list[Blocker]:
    slot_name = requirement.count
    since = ctx.since or (ctx.snapshot.entered_at if requirement.since == "state" else None)
    have = sum(
        1 for item in ctx.snapshot.complete_items(slot_name) if since is None or item.latest.submitted_at >= since
    )
    if have >= requirement.min:
        return []
    window = (
        "in the last period"
        if ctx.since is not None
        else (f"since entering {ctx.snapshot.state!r}" if requirement.since == "state" else "since the start")
    )
    return [
        _blocker(
            "artifact.too_few",
            f"{have} of {requirement.min} complete {slot_name} items {window}",
            requirement,
            slot_name,
            *_submitters(slot_name, ctx),
        )
    ]


def _current(requirement: Current, ctx: _Eval) -> list[Blocker]:
    slot_name = requirement.current
    complete = [item for item in ctx.snapshot.complete_items(slot_name) if _dated(item, ctx)]
    if not complete:
        return [_missing(slot_name, ctx.snapshot.slot(slot_name).submitted_by, ctx, requirement)]
    newest = max(item.latest.submitted_at for item in complete)
    age = (ctx.now - newest) / DAY
    if age <= requirement.max_age_days:
        return []
    return [
        _blocker(
            "artifact.stale",
            f"the latest complete {slot_name} is {int(age)} days old; at most {requirement.max_age_days} allowed",
            requirement,
            slot_name,
            *_submitters(slot_name, ctx),
        )
    ]


def _check(requirement: Check, ctx: _Eval) -> list[Blocker]:
    guard = ctx.guards.get(requirement.check)
    if guard is None:
        return [_blocker("guard.failed", f"no guard is registered under {requirement.check!r}", requirement)]
    snapshot = ctx.snapshot
    context = GuardContext(
        snapshot.id,
        snapshot.bundle.workflow.workflow,
        snapshot.state,
        snapshot.program,
        {role: list(people) for role, people in snapshot.participants.items()},
        dict(requirement.args),
        ctx.now,
        snapshot,
    )
    try:
        result = guard(context)
    except Exception as exc:  # noqa: BLE001 - a platform's guard must not break evaluation of the others
        return [
            _blocker("guard.failed", f"guard {requirement.check!r} raised {type(exc).__name__}: {exc}", requirement)
        ]
    return [] if result is None else [_blocker("guard.failed", str(result), requirement)]


# -- obligations ------------------------------------------------------------------------------------------------


def evaluate_obligation(obligation: Obligation, snapshot: Snapshot, now: dt.datetime) -> ObligationState:
    """When an obligation is due, whether it is met, and whether it is overdue (unmet strictly after ``due_at``).

    ``within_days`` is due that long after entering the state. ``every_days`` is first due one period after
    entering the state, and from then on whenever the requirement, counting only the last period, next lapses.
    """
    timing = (
        f"within {obligation.within_days} days"
        if obligation.within_days is not None
        else f"every {obligation.every_days} days"
    )
    label = f"{describe(obligation)} {timing}"
    named = slot_of(obligation)
    slot = None if named is None else named[1]
    if obligation.within_days is not None:
        due_at = snapshot.entered_at + obligation.within_days * DAY
        blockers = _evaluate(obligation, _Eval(snapshot, now, {}))
    else:
        period = (obligation.every_days or 1) * DAY
        lapse = _lapse(obligation, snapshot, period)
        due_at = max(snapshot.entered_at + period, lapse or snapshot.entered_at)
        blockers = _evaluate(obligation, _Eval(snapshot, now, {}, since=now - period))
    met = not blockers
    # The role is the one the definition expects to act, so a met obligation still says whose it was.
    expected = _expected_roles(obligation, snapshot)
    roles = {blocker.role for blocker in blockers} if len(expected) != 1 else set(expected)
    return ObligationState(
        requirement=label,
        due_at=due_at,
        met=met,
        overdue=not met and now > due_at,
        slot=slot,
        role=roles.pop() if len(roles) == 1 else None,
        people=list(dict.fromkeys(person for blocker in blockers for person in blocker.people)),
    )


def _expected_roles(obligation: Obligation, snapshot: Snapshot) -> list[str]:
    """The roles an obligation waits on: those it names, else the slot's signers or submitters (all when unset)."""
    if isinstance(obligation, CompleteObligation) and obligation.by:
        return list(obligation.by)
    roles: list[str] | None
    if isinstance(obligation, SignedObligation):
        roles = obligation.by or snapshot.slot(obligation.signed).signed_by
    else:
        named = slot_of(obligation)
        roles = None if named is None else snapshot.slot(named[1]).submitted_by
    return list(snapshot.bundle.workflow.roles) if roles is None else list(roles)


def _lapse(  # noqa: PLR0911 - one answer per obligation form
    obligation: Obligation, snapshot: Snapshot, period: dt.timedelta
) -> dt.datetime | None:
    """When a recurring requirement, counting only the last ``period``, stops holding (None: it never held)."""
    if isinstance(obligation, CountObligation):
        dates = sorted((item.latest.submitted_at for item in snapshot.complete_items(obligation.count)), reverse=True)
        return dates[obligation.min - 1] + period if len(dates) >= obligation.min else None
    if isinstance(obligation, CurrentObligation):
        dates = [item.latest.submitted_at for item in snapshot.complete_items(obligation.current)]
        return max(dates) + min(period, obligation.max_age_days * DAY) if dates else None
    if isinstance(obligation, CompleteObligation) and obligation.by:
        per_person = []
        for person, _ in snapshot.people(obligation.by):
            mine = [
                item.latest.submitted_at
                for item in snapshot.complete_items(obligation.complete)
                if item.owner == person
            ]
            if not mine:
                return None
            per_person.append(max(mine))
        return min(per_person) + period if per_person else None
    slot_name = obligation.complete if isinstance(obligation, CompleteObligation) else obligation.signed
    latest = snapshot.latest(slot_name)
    if latest is None or not latest.latest.complete:
        return None
    if isinstance(obligation, SignedObligation):
        signers = snapshot.people(obligation.by or snapshot.slot(slot_name).signed_by)
        signed = [latest.latest.signatures.get(person) for person, _ in signers]
        if any(entry is None for entry in signed):
            return None
        # The oldest signature is the first to fall out of the period.
        return min((entry[1] for entry in signed if entry is not None), default=latest.latest.submitted_at) + period
    return latest.latest.submitted_at + period


# -- when time alone changes an evaluation --------------------------------------------------------------------------


def next_change(
    transitions: Iterable[Transition], obligations: Iterable[Obligation], snapshot: Snapshot, now: dt.datetime
) -> dt.datetime | None:
    """The first moment at or after ``now`` when evaluating these at a later time could give another answer.

    Evaluations are constant from ``now`` until that moment (exclusive) unless the relationship is written to;
    None means they never change by time alone. A delay's blocker counts whole days, so it changes at each day
    boundary; a recurring obligation changes when a dated item or signature leaves its window; a custom guard may
    change at any moment, which makes the answer ``now``.
    """
    moments: list[dt.datetime] = []
    for transition in transitions:
        delay = [InStateDays(in_state_days=transition.after_days)] if transition.after_days else []
        for requirement in [*delay, *transition.requires]:
            _changes(requirement, snapshot, now, None, moments)
    for obligation in obligations:
        period = None if obligation.every_days is None else obligation.every_days * DAY
        _changes(obligation, snapshot, now, period, moments)
    return min(moments, default=None)


def _next_day(since: dt.datetime, now: dt.datetime) -> dt.datetime:
    """The first whole-day boundary after ``now`` counted from ``since``: where ``int(days)`` next ticks over."""
    return since + (int((now - since) / DAY) + 1) * DAY


def _changes(
    requirement: Requirement,
    snapshot: Snapshot,
    now: dt.datetime,
    period: dt.timedelta | None,
    moments: list[dt.datetime],
) -> None:
    for node, _ in walk_requirements(requirement, ()):
        named = slot_of(node)
        if isinstance(node, Check):
            moments.append(now)
        elif isinstance(node, InStateDays):
            if now < snapshot.entered_at + node.in_state_days * DAY:
                moments.append(_next_day(snapshot.entered_at, now))
        elif named is not None:
            slot_name = named[1]
            dates = [item.latest.submitted_at for item in snapshot.complete_items(slot_name)]
            if isinstance(node, Current) and dates:
                newest = max(dates)
                limit = newest + node.max_age_days * DAY
                moments.append(limit if now <= limit else _next_day(newest, now))
            if period is not None:
                latest = snapshot.latest(slot_name)
                if latest is not None:
                    dates += [signed_at for _, signed_at in latest.latest.signatures.values()]
                moments += [date + period for date in dates if date + period >= now]
