"""The in-memory picture of one relationship that requirements are evaluated on.

A snapshot is built the same way whether it comes from the tables (to act) or from the event log (to verify):
both feed it participants, revisions, signatures and state changes through the same few methods, so the two can
never disagree about what a relationship looks like.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from mentorflow.definitions import Bundle
from mentorflow.definitions.models import Slot

__all__ = ["ItemView", "RevisionView", "Snapshot"]

PLAIN_ITEM = 0
"""The item number of a plain (non-repeatable) slot's one document."""


@dataclass
class RevisionView:
    number: int
    complete: bool
    missing: list[str]
    content_hash: str
    submitted_by: str
    submitted_at: dt.datetime
    signatures: dict[str, tuple[str, dt.datetime]] = field(default_factory=dict)
    """person -> (role, signed_at) of the signatures on this revision."""


@dataclass
class ItemView:
    """One document (plain slot) or one item (repeatable slot): its owner and its latest revision."""

    item: int
    owner: str
    """Who submitted the first revision (revisions are added oldest first): of a repeatable slot's item, the only
    person who may revise it (DESIGN §10). An item an administrator started (``admin:ID``) belongs to no person: only
    administrators revise it."""
    created_at: dt.datetime
    latest: RevisionView
    revisions: int = 1


@dataclass
class Snapshot:
    id: str
    bundle: Bundle
    state: str
    entered_at: dt.datetime
    started_at: dt.datetime
    program: str | None
    last_event_at: dt.datetime
    seq: int = 0
    last_hash: str = ""
    lock_version: int = 0
    participants: dict[str, list[str]] = field(default_factory=dict)
    """role -> people holding it, in joining order."""
    items: dict[str, dict[int, ItemView]] = field(default_factory=dict)
    """slot -> item number -> item."""

    # -- building ------------------------------------------------------------------------------------------------

    def add_participant(self, person: str, role: str) -> None:
        self.participants.setdefault(role, []).append(person)

    def remove_participant(self, person: str) -> None:
        for people in self.participants.values():
            if person in people:
                people.remove(person)

    def add_revision(self, slot: str, revision: RevisionView, item: int) -> None:
        items = self.items.setdefault(slot, {})
        existing = items.get(item)
        if existing is None:
            items[item] = ItemView(item, revision.submitted_by, revision.submitted_at, revision)
        else:
            existing.latest = revision
            existing.revisions += 1

    def add_signature(self, slot: str, item: int, person: str, role: str, at: dt.datetime) -> None:
        self.items[slot][item].latest.signatures[person] = (role, at)

    def move(self, state: str, at: dt.datetime) -> None:
        self.state = state
        self.entered_at = at

    # -- reading -------------------------------------------------------------------------------------------------

    def slot(self, name: str) -> Slot:
        return self.bundle.workflow.artifacts[name]

    def roles_of(self, person: str) -> list[str]:
        return [role for role, people in self.participants.items() if person in people]

    def people(self, roles: list[str] | None = None) -> list[tuple[str, str]]:
        """(person, role) for every participant holding one of ``roles`` (all roles when None)."""
        wanted = roles if roles is not None else list(self.bundle.workflow.roles)
        return [(person, role) for role in wanted for person in self.participants.get(role, [])]

    def latest(self, slot: str) -> ItemView | None:
        """The plain slot's document, or a repeatable slot's newest item."""
        items = self.items.get(slot)
        if not items:
            return None
        return items[max(items)]

    def complete_items(self, slot: str) -> list[ItemView]:
        return [item for item in self.items.get(slot, {}).values() if item.latest.complete]

    @property
    def final(self) -> bool:
        return self.bundle.workflow.states[self.state].final

    @property
    def phase(self) -> str | None:
        return self.bundle.workflow.states[self.state].phase
