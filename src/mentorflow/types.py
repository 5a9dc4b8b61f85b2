"""The values the public API returns: frozen pydantic models, serialisable to JSON as they are.

They are the platform's view of mentorflow, kept apart from the engine's working structures so that internals can
change without breaking the shapes platforms store and send on.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = [
    "ArtifactState",
    "Blocker",
    "Event",
    "ObligationState",
    "Participant",
    "Relationship",
    "Revision",
    "Standing",
    "StandingBlocker",
    "Status",
    "TriggerState",
    "VerifyReport",
    "WorkflowInfo",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Blocker(_Frozen):
    """One reason a requirement does not hold."""

    code: str
    message: str
    requirement: dict[str, Any]


class Participant(_Frozen):
    person: str
    role: str


class Relationship(_Frozen):
    id: str
    workflow: str
    workflow_version: int
    state: str
    program: str | None


class Revision(_Frozen):
    relationship: str
    slot: str
    item: int | None
    revision: int
    complete: bool
    missing: list[str]
    content_hash: str
    submitted_by: str
    submitted_at: dt.datetime


class ArtifactState(_Frozen):
    slot: str
    item: int | None
    revision: int
    complete: bool
    missing: list[str]
    signed_by: list[str]
    unsigned: list[str]
    submitted_by: str
    submitted_at: dt.datetime


class TriggerState(_Frozen):
    trigger: str
    to: str
    allowed: bool
    blockers: list[Blocker]
    by: list[str] | None
    reason_required: bool
    timed_after_days: int | None = None


class ObligationState(_Frozen):
    requirement: str
    due_at: dt.datetime
    met: bool
    overdue: bool


class Status(_Frozen):
    id: str
    workflow: str
    workflow_version: int
    state: str
    phase: str | None
    final: bool
    outcome: str | None
    entered_at: dt.datetime
    days_in_state: int
    program: str | None
    participants: list[Participant]
    artifacts: list[ArtifactState]
    triggers: list[TriggerState]
    obligations: list[ObligationState]
    last_activity_at: dt.datetime


class Event(_Frozen):
    relationship: str
    seq: int
    kind: str
    actor: str
    at: dt.datetime
    payload: dict[str, Any]
    hash: str


class StandingBlocker(_Frozen):
    trigger: str
    code: str
    message: str
    requirement: dict[str, Any] = {}


class Standing(_Frozen):
    """Where one relationship stands, as an administrator's audit row."""

    id: str
    workflow: str
    workflow_version: int
    program: str | None
    state: str
    phase: str | None
    final: bool
    days_in_state: int
    participants: list[Participant]
    next: list[str]
    blockers: list[StandingBlocker]
    overdue: list[ObligationState]
    last_activity_at: dt.datetime
    stalled_days: int

    @property
    def blocked(self) -> bool:
        """Nothing can move without someone giving a reason: no trigger is allowed now but reason-bound ones."""
        return not self.final and not self.next

    def stalled(self, days: int) -> bool:
        """No event for at least ``days`` days; ended relationships never stall."""
        return not self.final and self.stalled_days >= days


class BrokenRelationship(_Frozen):
    relationship: str
    problems: list[str]


class VerifyReport(_Frozen):
    ok: bool
    checked: int
    events: int
    broken: list[BrokenRelationship]


class WorkflowInfo(_Frozen):
    workflow: str
    version: int
    title: str
    source: str
