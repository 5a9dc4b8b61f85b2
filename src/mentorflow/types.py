"""The values the public API returns, serialisable to JSON for the platform's own API.

They are the platform's view of mentorflow, kept apart from the engine's working structures so that internals can
change without breaking the shapes platforms store and send on.

Most are frozen pydantic models. An audit row and the values it holds (``Standing``, ``StandingBlocker``,
``Participant``, ``ObligationState``) are frozen, slotted dataclasses instead: an audit keeps hundreds of thousands
of them, and a dataclass costs a fraction of a model's memory and time to make, with nothing to validate (mentorflow
makes them from values it has already checked). Pydantic still validates and serialises them wherever they appear
inside a model, as ``Status`` holds participants and obligations; on their own, ``Standing.to_dict()`` gives a
row's JSON values, and ``pydantic.TypeAdapter(list[Standing])`` dumps or validates many at once.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, computed_field

__all__ = [
    "ArtifactState",
    "Blocker",
    "DueTransition",
    "Event",
    "FunnelStep",
    "ObligationState",
    "Participant",
    "PhaseDays",
    "ProgramFigures",
    "Relationship",
    "Revision",
    "Standing",
    "StandingBlocker",
    "StateCount",
    "Status",
    "Summary",
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
    slot: str | None = None
    """The slot the blocker is about; None for a delay, a guard or a negation."""
    role: str | None = None
    """The role of the people who must act, when they hold one role."""
    people: list[str] = Field(default_factory=list)
    """The ids of those who still must act (for a signature, those who have not signed), so nobody parses text."""


@dataclass(frozen=True, slots=True)
class Participant:
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
    unchanged: bool = False
    """True when the content equalled the latest revision's: nothing was stored, this is that revision."""


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


class DueTransition(_Frozen):
    """A timed transition that ``tick`` would fire now (what ``tick --dry-run`` lists): nothing was written."""

    relationship: str
    trigger: str
    from_state: str
    to_state: str


@dataclass(frozen=True, slots=True)
class ObligationState:
    requirement: str
    due_at: dt.datetime
    met: bool
    overdue: bool
    slot: str | None = None
    """The slot the obligation is about (every obligation form names one), so that nobody parses the phrase."""
    role: str | None = None
    """The role of the people who must act, when they hold one role."""
    people: list[str] = field(default_factory=list)
    """The ids of those who still must act to meet it; empty once it is met (``DESIGN.md`` §12)."""


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

    @computed_field  # type: ignore[prop-decorator]
    @property
    def actor_kind(self) -> Literal["person", "admin", "system"]:
        """Who acted, from the label the log records: person ids may not be ``system`` or start ``admin:``."""
        if self.actor == "system":
            return "system"
        return "admin" if self.actor.startswith("admin:") else "person"


@dataclass(frozen=True, slots=True)
class StandingBlocker:
    trigger: str
    code: str
    message: str
    requirement: dict[str, Any] = field(default_factory=dict)
    slot: str | None = None
    role: str | None = None
    people: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Standing:
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

    def to_dict(self) -> dict[str, Any]:
        """The row as JSON values (times as ISO 8601 text): what ``mentorflow audit --format json`` prints."""
        return _standing_adapter().dump_python(self, mode="json")  # type: ignore[no-any-return]


@functools.cache
def _standing_adapter() -> TypeAdapter[Standing]:
    """Made on first use: building the serialiser costs milliseconds that a command without audits need not pay."""
    return TypeAdapter(Standing)


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


# -- the summary ------------------------------------------------------------------------------------------------


class StateCount(_Frozen):
    workflow: str
    state: str
    phase: str | None
    final: bool
    outcome: str | None
    count: int


class ProgramFigures(_Frozen):
    program: str | None
    total: int
    active: int
    success: int
    ended: int
    completion_rate: float | None
    """Share of finished relationships that finished with outcome ``success``; None while none has finished."""


class FunnelStep(_Frozen):
    workflow: str
    phase: str
    reached: int
    current: int


class PhaseDays(_Frozen):
    workflow: str
    phase: str
    samples: int
    median_days: float
    p90_days: float


class Summary(_Frozen):
    """Program-level figures: counts per state and per program, the phase funnel, days spent per phase."""

    as_of: dt.datetime
    total: int
    active: int
    overdue: int
    blocked: int
    states: list[StateCount]
    programs: list[ProgramFigures]
    funnel: list[FunnelStep]
    phase_days: list[PhaseDays]
