"""Which reminders a relationship is owed now: the pure half of reminders (``store.reminders`` records them).

An obligation's ``remind`` (or its workflow's) names moments around its due date: ``before_days`` before it, and
every ``overdue_every_days`` after it while it is unmet. A reminder is owed for the latest of those moments that
has come, provided the obligation is still unmet and the moment falls within the stay in the current state. Only
the latest one: a ``tick`` that runs late, or after a pause, sends one reminder per obligation, not one for each
moment it missed, so people are not woken by a pile of stale nudges. Run daily, it misses none of a cadence whose
moments are at least a day apart.

``Reminder`` and ``TickResult`` are public values (exported by ``mentorflow``); they live here, beside the one
planning that makes them, rather than in ``types``.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict

from mentorflow.definitions.models import Remind, Workflow
from mentorflow.engine.requirements import DAY, evaluate_obligation
from mentorflow.engine.snapshot import Snapshot
from mentorflow.types import Event

__all__ = ["Reminder", "TickResult", "earliest_reminder_days", "latest_offset", "reminders_owed"]


class Reminder(BaseModel):
    """A reminder of an unmet obligation, addressed to the people who must act (``DESIGN.md`` §13).

    One is recorded once per (relationship, state, obligation, due date, offset): ``offset_days`` is ``-N`` for
    "N days before", 0 for the day and ``+k * overdue_every_days`` for the repeats while overdue; ``at`` is the
    moment it was for (``due_at`` plus the offset). ``id`` and ``recorded_at`` are None on one that ``tick
    --dry-run`` would record. It is a notification, not an event of the chain: nothing decides on it.
    """

    model_config = ConfigDict(frozen=True)

    relationship: str
    state: str
    obligation: int
    """The obligation's position in its state's ``obligations``."""
    requirement: str
    slot: str | None
    due_at: dt.datetime
    offset_days: int
    at: dt.datetime
    people: list[str]
    role: str | None = None
    id: int | None = None
    recorded_at: dt.datetime | None = None


class TickResult(BaseModel):
    """What one ``tick`` did: the events it wrote (``mf.tick()`` returns these alone) and the reminders it recorded."""

    model_config = ConfigDict(frozen=True)

    events: list[Event]
    reminders: list[Reminder]


def latest_offset(remind: Remind, due_at: dt.datetime, since: dt.datetime, now: dt.datetime) -> int | None:
    """The offset in days of the latest reminder moment in ``[since, now]``; None when none has come.

    Overdue repeats count from the due date: ``+every``, ``+2*every``... (the day itself is ``before_days: 0``).
    """
    if now < since:
        return None
    if remind.overdue_every_days is not None and now >= due_at + remind.overdue_every_days * DAY:
        repeats = (now - due_at) // (remind.overdue_every_days * DAY)
        offset = repeats * remind.overdue_every_days
        if due_at + offset * DAY >= since:
            return offset
    passed = [-days for days in remind.before_days if since <= due_at - days * DAY <= now]
    return max(passed) if passed else None


def reminders_owed(snapshot: Snapshot, now: dt.datetime) -> list[Reminder]:
    """The reminder owed now for each unmet obligation of the relationship's current state (none once it ended,
    and none "as of" a moment before its latest event)."""
    workflow = snapshot.bundle.workflow
    if snapshot.final or now < snapshot.last_event_at:
        return []
    owed = []
    for index, obligation in enumerate(workflow.states[snapshot.state].obligations):
        remind = workflow.reminds(obligation)
        if remind is None:
            continue
        state = evaluate_obligation(obligation, snapshot, now)
        if state.met:
            continue
        offset = latest_offset(remind, state.due_at, snapshot.entered_at, now)
        if offset is None:
            continue
        owed.append(
            Reminder(
                relationship=snapshot.id,
                state=snapshot.state,
                obligation=index,
                requirement=state.requirement,
                slot=state.slot,
                due_at=state.due_at,
                offset_days=offset,
                at=state.due_at + offset * DAY,
                people=state.people,
                role=state.role,
            )
        )
    return owed


def earliest_reminder_days(workflow: Workflow, state: str) -> int | None:
    """The fewest days after entering ``state`` that its first reminder can come (None: it has none), so that a
    tick reads only the relationships that have been in a state long enough to be owed one.

    A due date is never earlier than ``within_days`` (or one ``every_days`` period) after entering the state.
    """
    found: list[int] = []
    for obligation in workflow.states[state].obligations:
        remind = workflow.reminds(obligation)
        if remind is None or (not remind.before_days and remind.overdue_every_days is None):
            continue
        due = obligation.within_days if obligation.within_days is not None else obligation.every_days or 0
        found.append(max(0, due - max(remind.before_days, default=0)) if remind.before_days else due)
    return min(found) if found else None
