"""The values the public API returns and accepts: frozen pydantic models, serialisable to JSON as they are.

They are the platform's view of mentorflow, kept apart from the engine's working structures so that internals can
change without breaking the shapes platforms store and send on.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from mentorflow.errors import InvalidInput

__all__ = [
    "Actor",
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
    "check_identifier",
]

MAX_IDENTIFIER = 200
ADMIN_PREFIX = "admin:"


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
"""Unicode's control (Cc) and surrogate (Cs) characters: one regex, where asking ``unicodedata`` for each character
cost a write 10-20 µs."""


def check_identifier(value: object, what: str) -> str:
    """A person, relationship or program identifier: 1 to 200 characters, no control characters."""
    if not isinstance(value, str) or not value or value != value.strip():
        raise InvalidInput(
            f"{what} must be non-empty text without surrounding spaces, got {value!r}",
            hint=f"Pass the {what} as the embedding platform names it.",
        )
    if len(value) > MAX_IDENTIFIER:
        raise InvalidInput(
            f"{what} is {len(value)} characters long; the limit is {MAX_IDENTIFIER}", hint=f"Use a shorter {what}."
        )
    if _CONTROL.search(value):
        raise InvalidInput(f"{what} {value!r} contains control characters", hint=f"Remove them from the {what}.")
    return value


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Actor(_Frozen):
    """Who acts: a person (a participant), a program administrator, or the system clock."""

    kind: Literal["person", "admin", "system"]
    id: str

    @classmethod
    def person(cls, person: str) -> Actor:
        return cls.model_construct(kind="person", id=check_identifier(person, "person"))

    @classmethod
    def admin(cls, person: str = "admin") -> Actor:
        checked = check_identifier(person, "administrator")
        # The log and the revisions record an administrator as `admin:ID`, in columns as wide as a person id.
        if len(ADMIN_PREFIX) + len(checked) > MAX_IDENTIFIER:
            raise InvalidInput(
                f"administrator id is {len(checked)} characters long; the limit is "
                f"{MAX_IDENTIFIER - len(ADMIN_PREFIX)}",
                hint="Use a shorter administrator id.",
            )
        return cls(kind="admin", id=checked)

    @classmethod
    def system(cls) -> Actor:
        return cls(kind="system", id="system")

    @classmethod
    def of(cls, actor: Actor | str) -> Actor:
        """Accept the API's shorthand: a plain string is a person id."""
        if isinstance(actor, Actor):
            return actor
        return cls.person(actor)

    @property
    def label(self) -> str:
        """How the event log writes the actor: ``bob``, ``admin:carol`` or ``system``."""
        return self.id if self.kind == "person" else ("system" if self.kind == "system" else ADMIN_PREFIX + self.id)

    def __str__(self) -> str:
        return self.label


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
