"""Where relationships stand: one relationship's status, and the administrator's audit rows over many.

Both are computed from snapshots with the same evaluation the engine uses to guard transitions, so what an
administrator is told blocks a pair is exactly what would refuse its fire.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from mentorflow.engine.actions import trigger_states
from mentorflow.engine.requirements import DAY, GuardFunction, evaluate_obligation
from mentorflow.engine.snapshot import PLAIN_ITEM, Snapshot
from mentorflow.types import (
    ArtifactState,
    ObligationState,
    Participant,
    Standing,
    StandingBlocker,
    Status,
)

__all__ = ["build_standing", "build_status", "filter_standings", "obligations_of"]


def _participants(snapshot: Snapshot) -> list[Participant]:
    return [Participant.model_construct(person=person, role=role) for person, role in snapshot.people()]


def obligations_of(snapshot: Snapshot, now: dt.datetime) -> list[ObligationState]:
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
        days_in_state=_days(now - snapshot.entered_at),
        program=snapshot.program,
        participants=_participants(snapshot),
        artifacts=_artifacts(snapshot),
        triggers=[] if state.final else trigger_states(snapshot, now, guards),
        obligations=obligations_of(snapshot, now),
        last_activity_at=snapshot.last_event_at,
    )


def _days(delta: dt.timedelta) -> int:
    return max(0, int(delta / DAY))


def build_standing(snapshot: Snapshot, now: dt.datetime, guards: Mapping[str, GuardFunction]) -> Standing:
    triggers = [] if snapshot.final else trigger_states(snapshot, now, guards)
    return Standing.model_construct(
        id=snapshot.id,
        workflow=snapshot.bundle.workflow.workflow,
        workflow_version=snapshot.bundle.workflow.version,
        program=snapshot.program,
        state=snapshot.state,
        phase=snapshot.phase,
        final=snapshot.final,
        days_in_state=_days(now - snapshot.entered_at),
        participants=_participants(snapshot),
        next=[t.trigger for t in triggers if t.allowed and not t.reason_required],
        blockers=[
            StandingBlocker.model_construct(
                trigger=t.trigger, code=b.code, message=b.message, requirement=b.requirement
            )
            for t in triggers
            for b in t.blockers
        ],
        overdue=[o for o in obligations_of(snapshot, now) if o.overdue],
        last_activity_at=snapshot.last_event_at,
        stalled_days=_days(now - snapshot.last_event_at),
    )


def filter_standings(
    standings: Iterable[Standing],
    *,
    phase: str | None = None,
    stalled_days: int | None = None,
    overdue: bool = False,
    blocked: bool = False,
) -> list[Standing]:
    """Keep the rows an administrator asked for; ``blocked`` means nothing can move without a reason."""
    kept = []
    for standing in standings:
        if phase is not None and standing.phase != phase:
            continue
        if stalled_days is not None and not standing.stalled(stalled_days):
            continue
        if overdue and not standing.overdue:
            continue
        if blocked and not standing.blocked:
            continue
        kept.append(standing)
    return kept
