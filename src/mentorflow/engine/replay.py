"""Replaying a relationship's log: the pure steps that rebuild a snapshot from its events.

The log is the source of truth, and two reads go back to it: verification, which replays every event to prove
the cached rows, and an as-of read, which replays the events up to a moment to answer as the database stood then.
Both build the snapshot through the steps here, so a relationship read from its log looks the same whichever of
the two read it. The steps check nothing: verification does its checks around them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from mentorflow.definitions import Bundle
from mentorflow.engine.migration import moved
from mentorflow.engine.snapshot import PLAIN_ITEM, RevisionView, Snapshot

__all__ = ["ERASED", "ERASED_CONTENT", "MOVES", "DefinitionLookup", "apply_event", "started"]

DefinitionLookup = Callable[[str], Bundle]
"""The definition stored under a hash: what a ``migrated`` event moves a relationship onto."""

MOVES = ("transitioned", "overridden")
"""Events that move a relationship to another state of its definition."""

ERASED = "erased"
"""The event that records an erasure: the revisions (slot, item, revision, content hash) whose content was blanked.
It changes nothing a decision reads (completeness, missing fields and hashes stay), so a replay passes over it."""
ERASED_CONTENT = "{}"
"""What an erased revision's content becomes: an empty document, which every reader of content still parses."""


def started(relationship_id: str, bundle: Bundle, at: dt.datetime, payload: dict[str, Any]) -> Snapshot:
    """The snapshot a ``started`` event (payload and time) makes, on the definition it started on."""
    snapshot = Snapshot(relationship_id, bundle, bundle.workflow.initial_state, at, at, payload["program"], at)
    for person in payload["participants"]:
        snapshot.add_participant(person["person"], person["role"])
    return snapshot


def apply_event(
    snapshot: Snapshot,
    kind: str,
    actor: str,
    at: dt.datetime,
    payload: dict[str, Any],
    definitions: DefinitionLookup,
) -> Snapshot:
    """``snapshot`` after one later event: the same snapshot changed, or (past a ``migrated`` event) a new one on
    the definition it moved to. The event's own bookkeeping (``seq``, ``last_event_at``) is the caller's."""
    if kind == "joined":
        snapshot.add_participant(payload["person"], payload["role"])
    elif kind == "left":
        snapshot.remove_participant(payload["person"])
    elif kind == "submitted":
        snapshot.add_revision(
            payload["slot"],
            RevisionView(
                payload["revision"],
                payload["complete"],
                payload["missing"],
                payload["content_hash"],
                payload.get("submitted_by", actor),
                at,
            ),
            payload["item"] or PLAIN_ITEM,
        )
    elif kind == "signed":
        snapshot.add_signature(payload["slot"], payload["item"] or PLAIN_ITEM, payload["person"], payload["role"], at)
    elif kind in MOVES:
        snapshot.move(payload["to"], at)
    elif kind == "migrated":
        return moved(snapshot, definitions(payload["to_definition"]), payload["to"])
    # ``ERASED`` and any other kind change nothing a snapshot holds: an erased revision keeps its hash and flags.
    return snapshot
