"""One relationship as an administrator sees it: its ``Status``, its audit row (``Standing``), and the filters.

Both are built from a snapshot with the engine's own evaluation (``trigger_states``, ``evaluate_obligation``), so
a row's blockers are what would refuse a fire, and its overdue and due obligations what ``status`` reports. The
filters that SQL cannot decide (phase, stalled days, overdue, blocked, due within, forced) are applied to rows
here, the same way whether a row was evaluated or decoded from the standing cache.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from mentorflow.engine.plans import trigger_states
from mentorflow.engine.requirements import DAY, GuardFunction, evaluate_obligation
from mentorflow.engine.snapshot import PLAIN_ITEM, Snapshot
from mentorflow.types import (
    ArtifactState,
    DueObligation,
    ObligationState,
    Override,
    Participant,
    Standing,
    StandingBlocker,
    Status,
)

__all__ = [
    "build_standing",
    "build_status",
    "due_soon",
    "filter_standings",
    "matches",
    "obligations_of",
]


def _days(earlier: dt.datetime, later: dt.datetime) -> int:
    """Whole days from ``earlier`` to ``later``, never negative (a clock set back shows 0, not -1)."""
    return max(0, int((later - earlier) / DAY))


def _participants(snapshot: Snapshot) -> list[Participant]:
    return [Participant(person, role) for person, role in snapshot.people()]


def obligations_of(snapshot: Snapshot, now: dt.datetime) -> list[ObligationState]:
    """Every obligation of the relationship's state at ``now``; none once it has ended."""
    if snapshot.final:
        return []
    state = snapshot.bundle.workflow.states[snapshot.state]
    return [evaluate_obligation(obligation, snapshot, now) for obligation in state.obligations]


def _artifacts(snapshot: Snapshot) -> list[ArtifactState]:
    artifacts = []
    for slot_name, items in snapshot.items.items():
        signers = snapshot.people(snapshot.slot(slot_name).signed_by)
        for number, item in sorted(items.items()):
            signed = list(item.latest.signatures)
            artifacts.append(
                ArtifactState(
                    slot=slot_name,
                    item=None if number == PLAIN_ITEM else number,
                    revision=item.latest.number,
                    complete=item.latest.complete,
                    missing=item.latest.missing,
                    signed_by=signed,
                    unsigned=[person for person, _ in signers if person not in item.latest.signatures],
                    submitted_by=item.latest.submitted_by,
                    submitted_at=item.latest.submitted_at,
                )
            )
    return artifacts


def build_status(snapshot: Snapshot, now: dt.datetime, guards: Mapping[str, GuardFunction]) -> Status:
    state = snapshot.bundle.workflow.states[snapshot.state]
    return Status(
        id=snapshot.id,
        workflow=snapshot.bundle.workflow.workflow,
        workflow_version=snapshot.bundle.workflow.version,
        state=snapshot.state,
        phase=state.phase,
        final=state.final,
        outcome=state.outcome,
        entered_at=snapshot.entered_at,
        days_in_state=_days(snapshot.entered_at, now),
        program=snapshot.program,
        participants=_participants(snapshot),
        artifacts=_artifacts(snapshot),
        triggers=[] if state.final else trigger_states(snapshot, now, guards),
        obligations=obligations_of(snapshot, now),
        last_activity_at=snapshot.last_event_at,
    )


def build_standing(
    snapshot: Snapshot,
    now: dt.datetime,
    guards: Mapping[str, GuardFunction],
    overrides: Sequence[Override] = (),
) -> Standing:
    """The audit row of ``snapshot`` at ``now``, evaluated (the standing cache decodes the same row).

    ``overrides`` are the relationship's forced transitions (``store.queries.overrides_of``): the snapshot does not
    keep its events, so the caller reads them beside it.
    """
    triggers = [] if snapshot.final else trigger_states(snapshot, now, guards)
    obligations = obligations_of(snapshot, now)
    return Standing(
        id=snapshot.id,
        workflow=snapshot.bundle.workflow.workflow,
        workflow_version=snapshot.bundle.workflow.version,
        program=snapshot.program,
        state=snapshot.state,
        phase=snapshot.phase,
        final=snapshot.final,
        days_in_state=_days(snapshot.entered_at, now),
        participants=_participants(snapshot),
        next=[t.trigger for t in triggers if t.allowed and not t.reason_required],
        blockers=[
            StandingBlocker(t.trigger, b.code, b.message, b.requirement, b.slot, b.role, b.people)
            for t in triggers
            for b in t.blockers
        ],
        overdue=[o for o in obligations if o.overdue],
        due=tuple([DueObligation(o.requirement, o.due_at, o.slot, o.people) for o in obligations if not o.met]),
        overrides=tuple(overrides),
        last_activity_at=snapshot.last_event_at,
        stalled_days=_days(snapshot.last_event_at, now),
    )


def due_soon(standing: Standing, now: dt.datetime, days: int) -> bool:
    """Whether an obligation not yet overdue falls due within ``days`` days of ``now`` (``--due-within``)."""
    horizon = now + days * DAY
    return any(now <= due.due_at <= horizon for due in standing.due)


def matches(
    standing: Standing,
    *,
    phase: str | None = None,
    stalled_days: int | None = None,
    overdue: bool = False,
    blocked: bool = False,
    due_within: tuple[dt.datetime, int] | None = None,
    forced: bool = False,
) -> bool:
    """Whether a row is one an administrator asked for; ``blocked`` means nothing can move without a reason.

    ``due_within`` is (the audit's moment, days): rows with an obligation not yet overdue due by then.
    """
    return (
        (phase is None or standing.phase == phase)
        and (stalled_days is None or standing.stalled(stalled_days))
        and (not overdue or bool(standing.overdue))
        and (not blocked or standing.blocked)
        and (due_within is None or due_soon(standing, *due_within))
        and (not forced or bool(standing.overrides))
    )


def filter_standings(
    standings: Iterable[Standing],
    *,
    phase: str | None = None,
    stalled_days: int | None = None,
    overdue: bool = False,
    blocked: bool = False,
    due_within: tuple[dt.datetime, int] | None = None,
    forced: bool = False,
) -> list[Standing]:
    """The rows an administrator asked for (see ``matches``)."""
    return [
        s
        for s in standings
        if matches(
            s,
            phase=phase,
            stalled_days=stalled_days,
            overdue=overdue,
            blocked=blocked,
            due_within=due_within,
            forced=forced,
        )
    ]
