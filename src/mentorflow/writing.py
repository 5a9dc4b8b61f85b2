"""How one write runs: a transaction (or a savepoint in the caller's), bounded retries of lost races, then news.

The facade decides nothing here. A write reads a fresh snapshot, asks the engine for a plan, and has the store
append the plan's events with compare-and-set; a lost race re-reads and re-decides, so requirements are always
evaluated on what is really stored. Logs and subscribers hear of events only once they are committed.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from mentorflow import store
from mentorflow.definitions import Registry
from mentorflow.engine.snapshot import Snapshot
from mentorflow.engine.writes import Write
from mentorflow.errors import ConcurrencyConflict
from mentorflow.identifiers import Actor, check_identifier
from mentorflow.keys import Keyring
from mentorflow.logs import Log
from mentorflow.store import repo
from mentorflow.types import Event

__all__ = ["Outcome", "Subscriber", "Writer"]

T = TypeVar("T")
Subscriber = Callable[[Event], None]
Decide = Callable[[Snapshot, dt.datetime], tuple[Write, T]]


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What a write returns: the decision's own value, and the events committed (none if nothing changed)."""

    value: T
    events: list[Event] = field(default_factory=list)
    workflows: dict[str, str] = field(default_factory=dict)
    """Each written relationship's workflow, for the logs."""
    main: Event | None = None
    """The event that records the write itself (the transition of a fire), whatever else it caused."""


@dataclass
class Writer:
    """Runs writes for one ``Mentorflow`` instance."""

    engine: store.Engine
    registry: Registry
    bundles: store.Bundles
    clock: Callable[[], dt.datetime]
    retries: int
    subscribers: list[Subscriber] = field(default_factory=list)
    log: Log = field(default_factory=Log)
    keys: Keyring | None = None
    """Signs every event written (a keyed log); None writes events without a MAC."""

    def write(
        self, relationship: str, decide: Decide[T], actor: Actor, session: store.SessionLike | None
    ) -> Outcome[T]:
        """Decide and apply a write to one relationship, from a fresh snapshot each attempt."""
        check_identifier(relationship, "relationship id")

        def body(working: store.Connection, now: dt.datetime) -> Outcome[T]:
            snapshot = repo.load_snapshot(working, self.bundles, relationship)
            write, value = decide(snapshot, now)
            workflows = {snapshot.id: snapshot.bundle.workflow.workflow}
            if not write.events:
                return Outcome(value, workflows=workflows)
            for plan in write.starts:
                workflows[plan.id] = plan.bundle.workflow.workflow
                self.bundles.register(working, plan.bundle, self.registry.get(*plan.bundle.key), now)
            events = repo.apply_write(working, snapshot, write, actor, now, self.keys)
            # The store returns the linked relationships' events first, then this one's in the write's order,
            # whose first records the write itself.
            return Outcome(value, events, workflows, events[len(events) - len(write.events)])

        return self.run(session, body, actor)

    def run(
        self,
        session: store.SessionLike | None,
        body: Callable[[store.Connection, dt.datetime], Outcome[T]],
        actor: Actor,
    ) -> Outcome[T]:
        """Run ``body`` in one transaction, retrying lost races a bounded number of times, then publish.

        ``body`` runs on a plain ``Connection`` (``store.write``): its own transaction, or a savepoint in the
        caller's session, whose ``after_commit`` then publishes the events.
        """
        caller = store.caller_session(session)
        for attempt in range(self.retries):
            now = self.clock()
            try:
                with store.write(self.engine, caller) as working:
                    outcome = body(working, now)
            except ConcurrencyConflict:
                if attempt == self.retries - 1:
                    raise
                self.log.debug("retrying", attempt=attempt + 1, actor=actor.label)
                time.sleep(random.uniform(0, 0.002 * 2 ** min(attempt, 6)))  # noqa: S311 - jitter, not secrets
                continue
            self._publish(outcome, caller)
            return outcome
        raise AssertionError("unreachable")  # pragma: no cover

    def _publish(self, outcome: Outcome[T], session: store.Session | None) -> None:
        events = outcome.events
        for event in events:
            self.log.info(
                event.kind,
                relationship=event.relationship,
                workflow=outcome.workflows.get(event.relationship),
                trigger=event.payload.get("trigger"),
                actor=event.actor,
                seq=event.seq,
            )
        if not self.subscribers or not events:
            return
        if session is None:
            self._notify(events)
        else:
            store.after_commit(session, lambda: self._notify(events))

    def _notify(self, events: list[Event]) -> None:
        for event in events:
            for subscriber in list(self.subscribers):
                try:
                    subscriber(event)
                except Exception:
                    self.log.exception("subscriber_failed", relationship=event.relationship, seq=event.seq)
