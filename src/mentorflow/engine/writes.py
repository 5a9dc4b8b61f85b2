"""What a write is: the values a plan hands to the store, which applies them in one transaction, and what a
submission comes to.

Kept apart from ``plans`` (which decides them) because the store needs only these: it never asks how a write was
decided, and the decisions never ask how it is stored.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from mentorflow.definitions import Bundle

__all__ = ["Carry", "NewRevision", "NewSignature", "StartPlan", "Submitted", "Write"]


@dataclass(frozen=True)
class NewRevision:
    slot: str
    item: int
    number: int
    content: dict[str, Any]
    content_hash: str
    complete: bool
    missing: list[str]
    origin: dict[str, Any] | None = None


@dataclass(frozen=True)
class Submitted:
    """The revision a submission comes to: the new one, or the latest one when the content was identical to it
    (``unchanged``: nothing was stored, no signature voided, and it keeps its submitter and time)."""

    slot: str
    item: int
    number: int
    complete: bool
    missing: list[str]
    content_hash: str
    submitted_by: str
    submitted_at: dt.datetime
    unchanged: bool = False


@dataclass(frozen=True)
class NewSignature:
    slot: str
    item: int
    number: int
    person: str
    role: str
    content_hash: str


@dataclass(frozen=True)
class Carry:
    """A revision (and its signatures) to copy from the relationship being converted."""

    slot: str
    item: int
    number: int


@dataclass
class StartPlan:
    id: str
    bundle: Bundle
    participants: list[tuple[str, str]]
    program: str | None
    linked_from: dict[str, Any] | None = None
    carry: list[Carry] = field(default_factory=list)

    @property
    def started_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "workflow": self.bundle.workflow.workflow,
            "version": self.bundle.workflow.version,
            "definition": self.bundle.hash,
            "state": self.bundle.workflow.initial_state,
            "program": self.program,
            "participants": [{"person": person, "role": role} for person, role in self.participants],
        }
        if self.linked_from is not None:
            payload["linked_from"] = self.linked_from
        return payload


@dataclass
class Write:
    """Everything one operation changes on one relationship, with the events that record it."""

    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    state: str | None = None
    joined: list[tuple[str, str]] = field(default_factory=list)
    left: list[str] = field(default_factory=list)
    revisions: list[NewRevision] = field(default_factory=list)
    signatures: list[NewSignature] = field(default_factory=list)
    starts: list[StartPlan] = field(default_factory=list)
