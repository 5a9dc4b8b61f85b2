"""Reads that take an actor: who is reading, and what of a status or a history they may see (DESIGN §12).

The rule itself (``engine.rules.may_read``) decides on a snapshot; this module loads what it needs (the roles a
person ever held, since someone who left still reads what they took part in) and applies it to the reads of one
relationship: a status lists only the items its reader may read, a history leaves out the submissions and
signatures of the others. Without an actor the caller is trusted and sees everything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from mentorflow.audit import asof
from mentorflow.engine.rules import Reader, may_read, reader_of
from mentorflow.engine.snapshot import PLAIN_ITEM, Snapshot
from mentorflow.identifiers import Actor, check_person
from mentorflow.store import Executor, queries, repo
from mentorflow.store.definitions import Bundles
from mentorflow.types import Event, Status

__all__ = ["open_read", "readable_events", "readable_status"]


def open_read(
    session: Executor, bundles: Bundles, relationship: str, actor: Actor | None, now: dt.datetime | None = None
) -> tuple[Snapshot, Reader]:
    """The relationship's snapshot and who reads it; a person who never took part is refused.

    At a ``now`` before its latest event, the snapshot is where it stood then, from its log (``audit.asof``): one
    not started by then is not found, and a person reads it only if they had taken part by then.
    """
    if actor is not None and actor.kind == "person":
        check_person(actor.id)
    snapshot = repo.load_snapshot(session, bundles, relationship)
    past = None
    if now is not None and snapshot.last_event_at > now:
        past = asof.relationship_at(session, bundles, snapshot.id, now)
        snapshot = past.snapshot
    held: list[str] = []
    if actor is not None and actor.kind == "person":
        held = queries.roles_held(session, snapshot.id, actor.id) if past is None else asof.roles_held(past, actor.id)
    return snapshot, reader_of(snapshot, actor, held)


def _readable(snapshot: Snapshot, slot: str, item: int | None, reader: Reader) -> bool:
    if reader.person is None or slot not in snapshot.bundle.workflow.artifacts:
        return True
    found = snapshot.items.get(slot, {}).get(PLAIN_ITEM if item is None else item)
    return may_read(snapshot, slot, found, reader)


def readable_status(status: Status, snapshot: Snapshot, reader: Reader) -> Status:
    """``status`` with only the artifacts ``reader`` may read."""
    if reader.person is None:
        return status
    kept = [a for a in status.artifacts if _readable(snapshot, a.slot, a.item, reader)]
    return status if len(kept) == len(status.artifacts) else status.model_copy(update={"artifacts": kept})


def readable_events(events: Iterable[Event], snapshot: Snapshot, reader: Reader) -> list[Event]:
    """The events ``reader`` may see: those about an item they may not read (its submissions and signatures) are
    left out."""
    return [
        event
        for event in events
        if event.kind not in ("submitted", "signed")
        or _readable(snapshot, str(event.payload.get("slot")), event.payload.get("item"), reader)
    ]
