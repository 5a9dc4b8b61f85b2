"""The values the public API returns, serialisable to JSON for the platform's own API.

They are the platform's view of mentorflow, kept apart from the engine's working structures so that internals can
change without breaking the shapes platforms store and send on.

Most are frozen pydantic models. An audit row and the values it holds (``Standing``, ``StandingBlocker``,
``Participant``, ``ObligationState``, ``DueObligation``, ``Override``) are frozen, slotted dataclasses instead: an
audit keeps hundreds of thousands of them, and a dataclass costs a fraction of a model's memory and time to make,
with nothing to validate (mentorflow makes them from values it has already checked). Pydantic still validates and
serialises them wherever they appear inside a model, as ``Status`` holds participants and obligations; on their
own, ``Standing.to_dict()`` gives a row's JSON values, and ``pydantic.TypeAdapter(list[Standing])`` dumps or
validates many at once.
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
    "ChainHead",
    "Checkpoint",
    "Document",
    "DocumentChange",
    "DocumentRevision",
    "DueObligation",
    "DueTransition",
    "Event",
    "FunnelStep",
    "MigrationResult",
    "NetworkEntry",
    "ObligationState",
    "Override",
    "Participant",
    "PersonRelationship",
    "PersonView",
    "PhaseDays",
    "PlannedEvent",
    "ProgramFigures",
    "Relationship",
    "Revision",
    "SignatureInfo",
    "Standing",
    "StandingBlocker",
    "StateCount",
    "Status",
    "Summary",
    "TodoItem",
    "TriggerState",
    "VerifyReport",
    "WorkflowInfo",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)


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


@dataclass(frozen=True, slots=True)
class DueObligation:
    """An unmet obligation of the state, when it falls due (overdue or not), and who still must act (§13)."""

    requirement: str
    due_at: dt.datetime
    slot: str | None = None
    people: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Override:
    """A forced transition (its ``overridden`` event's ``seq``): the trigger, who forced it as logged, and why."""

    seq: int
    trigger: str
    by: str
    reason: str


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


class PlannedEvent(_Frozen):
    """The event a write would append (``fire(..., dry_run=True)``), with the ``seq`` it would take.

    Nothing was written, so it has no hash: a hash names a link of the chain, and this one is not in it.
    """

    relationship: str
    seq: int
    kind: str
    actor: str
    at: dt.datetime
    payload: dict[str, Any]


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
    due: tuple[DueObligation, ...] = ()
    """Every unmet obligation with its date, overdue or not (tuples: an empty one costs the collector nothing)."""
    overrides: tuple[Override, ...] = ()
    """Forced transitions, oldest first."""

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


class MigrationResult(_Frozen):
    """What ``migrate`` did, or would do (``dry_run``), to one running relationship.

    ``result`` is ``migrated``, ``would_migrate`` (a dry run) or ``refused`` (the relationship stays where it is,
    ``reason`` says why; ``new_state`` is None when its state has no mapping). ``blockers`` and ``overdue`` are
    where it stands on the new version, evaluated as ``audit`` evaluates; a refused relationship has neither.
    """

    id: str
    workflow: str
    from_version: int
    to_version: int
    state: str
    new_state: str | None
    result: Literal["migrated", "would_migrate", "refused"]
    reason: str | None = None
    blockers: list[StandingBlocker] = Field(default_factory=list)
    overdue: list[ObligationState] = Field(default_factory=list)


class BrokenRelationship(_Frozen):
    relationship: str
    problems: list[str]


class ChainHead(_Frozen):
    """Where one relationship's chain ended when a checkpoint was taken."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    seq: int
    hash: str


class Checkpoint(_Frozen):
    """A statement of every chain head, to keep outside the database (``verify --checkpoint``).

    ``root`` is the SHA-256 of the canonical JSON of ``heads`` sorted by id, so the file cannot be edited without
    its root giving it away.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    mentorflow_checkpoint: Literal[1] = 1
    at: dt.datetime
    relationships: int
    events: int
    heads: list[ChainHead]
    root: str
    mac: str | None = None
    """With a keyed log: the HMAC-SHA256 of ``root`` under the signing key, so nobody without it can forge one."""


class VerifyReport(_Frozen):
    ok: bool
    checked: int
    events: int
    broken: list[BrokenRelationship]
    keyed: int = 0
    """How many events carry a MAC."""
    key_checked: bool = False
    """Whether a key was given, so that every MAC was checked and events without one were judged."""
    erased: int = 0
    """How many revisions an ``erase`` blanked, as their ``erased`` events record: not tampering."""
    unknown_keys: list[str] = []
    """The ids of keys the log is signed with that the key given does not hold: a wrong or incomplete
    ``MENTORFLOW_KEY`` (a rotation that dropped the old key), not tampering."""


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


# -- documents and people (DESIGN §12) ----------------------------------------------------------------------------


class SignatureInfo(_Frozen):
    """One signature on a revision: who, in which role, when."""

    person: str
    role: str
    at: dt.datetime


class Document(_Frozen):
    """One revision of a document or item with its content, as ``show`` prints it."""

    relationship: str
    slot: str
    item: int | None
    revision: int
    content: Any
    complete: bool
    missing: list[str]
    content_hash: str
    submitted_by: str
    submitted_at: dt.datetime
    signatures: list[SignatureInfo]
    kind: str = ""
    """The artifact kind of the slot, e.g. ``idp``."""
    title: str = ""
    """The kind's title, e.g. "Individual Development Plan"."""


class DocumentRevision(_Frozen):
    """One revision in a listing (``revisions``): what it is, without its content."""

    item: int | None
    revision: int
    complete: bool
    content_hash: str
    submitted_by: str
    submitted_at: dt.datetime
    signed_by: list[str]


class DocumentChange(_Frozen):
    """One difference between two revisions; ``path`` is written as in ``missing`` (``objectives[1].target_date``)."""

    path: str
    change: Literal["added", "removed", "changed"]
    before: Any = None
    after: Any = None


class PersonRelationship(_Frozen):
    """A relationship a person holds a role in (one entry per role held)."""

    id: str
    workflow: str
    role: str
    state: str
    phase: str | None
    program: str | None
    final: bool


class TodoItem(_Frozen):
    """One thing a person must do now: submit or sign a slot, or fire a trigger their role may fire."""

    relationship: str
    action: Literal["submit", "sign", "fire"]
    slot: str | None = None
    item: int | None = None
    trigger: str | None = None
    due_at: dt.datetime | None = None
    """When the obligation that makes it due falls due (the earliest, when several do); None when none does."""
    overdue: bool = False


class NetworkEntry(_Frozen):
    """Someone in a person's network: a co-participant (``relation`` their role, ``source`` the relationship id) or
    an entry of the person's latest complete network map (``relation`` its category, ``source`` ``network_map``)."""

    person: str
    relation: str
    source: str


class PersonView(_Frozen):
    """One person across relationships: where they take part, what they must do, who supports them."""

    person: str
    relationships: list[PersonRelationship]
    todo: list[TodoItem]
    network: list[NetworkEntry]
    gaps: list[dict[str, Any]]
