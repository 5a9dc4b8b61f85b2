"""The ``Mentorflow`` facade: the one object a platform, the CLI and the tests talk to.

Each write runs in one transaction (or a savepoint in the caller's session), reads a fresh snapshot, lets the
engine decide, and has the store append the events with compare-and-set. A lost race is retried a bounded number
of times, re-reading and re-evaluating requirements each time. Subscribers hear of events only after commit.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import structlog

from mentorflow import reads, store
from mentorflow.audit import (
    FORMAT,
    build_status,
    filter_standings,
    matches,
)
from mentorflow.definitions import Registry, Workflow
from mentorflow.engine.actions import (
    Write,
    blockers_of,
    plan_fire,
    plan_join,
    plan_leave,
    plan_sign,
    plan_start,
    plan_submit,
)
from mentorflow.engine.machine import compiled
from mentorflow.engine.requirements import GuardFunction
from mentorflow.engine.snapshot import PLAIN_ITEM, Snapshot
from mentorflow.errors import ConcurrencyConflict, InvalidInput
from mentorflow.identifiers import Actor, check_identifier
from mentorflow.store import queries, repo, standings
from mentorflow.store.definitions import definitions
from mentorflow.summary import Summary, summarise
from mentorflow.types import Event, Relationship, Revision, Standing, Status, VerifyReport, WorkflowInfo
from mentorflow.verify import check_relationship

__all__ = ["Mentorflow"]

T = TypeVar("T")
Clock = Callable[[], dt.datetime]
Subscriber = Callable[[Event], None]
DEFAULT_DB = "sqlite:///mentorflow.db"


def _check_filters(**filters: str | None) -> None:
    """Audit filters are names or ids: text without control characters, never anything else."""
    for what, value in filters.items():
        if value is not None:
            check_identifier(value, f"{what} filter")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Mentorflow:
    """Mentoring relationships as guarded state machines, persisted with a tamper-evident log.

    Args:
        db: an SQLAlchemy URL, or the platform's own ``Engine``.
        workflow_dirs: extra directories of workflow and artifact-kind YAML, beside the built-ins.
        clock: returns the current time (aware, or naive UTC); inject one to compute audits "as of" a date.
        retries: how many times a write that lost a race is re-read and retried before ``ConcurrencyConflict``.
    """

    def __init__(
        self,
        db: str | store.Engine = DEFAULT_DB,
        *,
        workflow_dirs: Sequence[str | Path] = (),
        clock: Clock | None = None,
        retries: int = 8,
    ) -> None:
        self.engine = store.connect(db)
        self.registry = Registry(workflow_dirs)
        self.clock = clock or _utcnow
        self.retries = max(1, retries)
        self.guards: dict[str, GuardFunction] = {}
        self.bundles = store.Bundles()
        """The stored definitions this instance has read, by hash (they are content-addressed)."""
        self._subscribers: list[Subscriber] = []
        self._log = structlog.get_logger("mentorflow")

    # -- set-up --------------------------------------------------------------------------------------------------

    def upgrade(self) -> None:
        """Create or migrate the schema (the Alembic migrations shipped in the package)."""
        store.upgrade(self.engine)

    def guard(self, name: str) -> Callable[[GuardFunction], GuardFunction]:
        """Register a custom requirement, used in YAML as ``check: NAME``; it returns None or a blocker message."""

        def register(function: GuardFunction) -> GuardFunction:
            self.guards[name] = function
            return function

        return register

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(event)`` for each event after its transaction commits; returns an unsubscribe."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:  # calling it twice is harmless
                self._subscribers.remove(callback)

        return unsubscribe

    def now(self) -> dt.datetime:
        moment = self.clock()
        return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)

    # -- writes --------------------------------------------------------------------------------------------------

    def start(
        self,
        workflow: str,
        roles: Mapping[str, Sequence[str] | str],
        *,
        actor: Actor | str,
        program: str | None = None,
        id: str | None = None,  # noqa: A002 - the CLI's --id
        version: int | None = None,
        session: store.SessionLike | None = None,
    ) -> Relationship:
        """Start a relationship on the current definition of ``workflow`` (or ``version``)."""
        who = Actor.of(actor)
        loaded = self.registry.get(workflow, version)
        bundle = self.registry.bundle(workflow, version)
        plan = plan_start(bundle, roles, who, program, id)

        def body(session: store.Session, now: dt.datetime) -> list[Event]:
            self.bundles.register(session, bundle, loaded, now)
            return repo.create(session, plan, who, now)

        self._run(session, body, who, {plan.id: bundle.workflow.workflow})
        return Relationship(
            id=plan.id,
            workflow=bundle.workflow.workflow,
            workflow_version=bundle.workflow.version,
            state=bundle.workflow.initial_state,
            program=program,
        )

    def join(
        self, relationship: str, role: str, person: str, *, actor: Actor | str, session: store.SessionLike | None = None
    ) -> Event:
        who = Actor.of(actor)
        return self._write(relationship, lambda s, _now: (plan_join(s, role, person, who), None), who, session)[1][-1]

    def leave(
        self,
        relationship: str,
        person: str,
        *,
        actor: Actor | str,
        reason: str | None = None,
        session: store.SessionLike | None = None,
    ) -> Event:
        who = Actor.of(actor)
        return self._write(relationship, lambda s, _now: (plan_leave(s, person, who, reason), None), who, session)[1][
            -1
        ]

    def submit(
        self,
        relationship: str,
        slot: str,
        content: Any,
        *,
        actor: Actor | str,
        item: int | None = None,
        session: store.SessionLike | None = None,
    ) -> Revision:
        """Submit a revision of a slot (a new item of a repeatable slot unless ``item`` is given)."""
        who = Actor.of(actor)
        revision, events = self._write(
            relationship, lambda s, _now: plan_submit(s, slot, content, who, item), who, session
        )
        return Revision(
            relationship=relationship,
            slot=slot,
            item=None if revision.item == PLAIN_ITEM else revision.item,
            revision=revision.number,
            complete=revision.complete,
            missing=revision.missing,
            content_hash=revision.content_hash,
            submitted_by=who.label,
            submitted_at=events[-1].at,
        )

    def sign(
        self,
        relationship: str,
        slot: str,
        *,
        actor: Actor | str,
        item: int | None = None,
        session: store.SessionLike | None = None,
    ) -> Event:
        """Sign the latest revision of a slot (or of ``item``) as ``actor``, for their own role."""
        who = Actor.of(actor)
        return self._write(relationship, lambda s, _now: (plan_sign(s, slot, who, item), None), who, session)[1][-1]

    def fire(
        self,
        relationship: str,
        trigger: str,
        *,
        actor: Actor | str,
        force: bool = False,
        reason: str | None = None,
        session: store.SessionLike | None = None,
    ) -> Event:
        """Fire a trigger; raises ``Blocked`` listing every blocker when its requirements do not hold."""
        who = Actor.of(actor)

        def decide(snapshot: Snapshot, now: dt.datetime) -> tuple[Write, None]:
            return plan_fire(
                snapshot,
                trigger,
                who,
                now=now,
                guards=self.guards,
                force=force,
                reason=reason,
                resolve=self.registry.bundle,
            ), None

        events = self._write(relationship, decide, who, session)[1]
        return next(
            event
            for event in events
            if event.relationship == relationship and event.kind in ("transitioned", "overridden")
        )

    def tick(self, *, dry_run: bool = False, session: store.SessionLike | None = None) -> list[Event]:
        """Fire every timed transition that is due and unblocked, as the system; running it twice changes nothing.

        Then bring the standing cache up to date (``refresh``), so that the day's audits read rather than evaluate.
        """
        system = Actor.system()
        now = self.now()
        with store.read(self.engine, session) as reading:
            candidates = queries.due_candidates(reading, self.bundles, now)
        fired: list[Event] = []
        for rel_id in candidates:
            if dry_run:
                with store.read(self.engine, session) as reading:
                    trigger = self._due_trigger(repo.load_snapshot(reading, self.bundles, rel_id), now)
                if trigger is not None:
                    fired.append(
                        Event(
                            relationship=rel_id,
                            seq=0,
                            kind="would_fire",
                            actor=system.label,
                            at=now,
                            payload={"trigger": trigger},
                            hash="",
                        )
                    )
                continue

            def decide(snapshot: Snapshot, now: dt.datetime) -> tuple[Write, None]:
                trigger = self._due_trigger(snapshot, now)
                if trigger is None:
                    return Write(), None
                return plan_fire(
                    snapshot, trigger, system, now=now, guards=self.guards, resolve=self.registry.bundle
                ), None

            fired += self._write(rel_id, decide, system, session)[1]
        if not dry_run:
            self.refresh(session=session)
        return fired

    def _due_trigger(self, snapshot: Snapshot, now: dt.datetime) -> str | None:
        for transition in compiled(snapshot.bundle).transitions_from(snapshot.state):
            if transition.after_days is not None and not blockers_of(snapshot, transition, now, self.guards):
                return transition.trigger
        return None

    # -- reads ---------------------------------------------------------------------------------------------------

    def status(self, relationship: str, *, session: store.SessionLike | None = None) -> Status:
        with store.read(self.engine, session) as reading:
            snapshot = repo.load_snapshot(reading, self.bundles, check_identifier(relationship, "relationship id"))
        return build_status(snapshot, self.now(), self.guards)

    def history(self, relationship: str, *, session: store.SessionLike | None = None) -> list[Event]:
        with store.read(self.engine, session) as reading:
            repo.load_snapshot(reading, self.bundles, check_identifier(relationship, "relationship id"))
            return [repo.to_event(row) for row in repo.events_of(reading, [relationship])]

    def audit(
        self,
        *,
        workflow: str | None = None,
        program: str | None = None,
        state: str | None = None,
        phase: str | None = None,
        stalled_days: int | None = None,
        overdue: bool = False,
        blocked: bool = False,
        session: store.SessionLike | None = None,
    ) -> list[Standing]:
        """Where every matching relationship stands: next triggers, blockers, overdue obligations, activity."""
        rows = self.iter_audit(
            workflow=workflow,
            program=program,
            state=state,
            phase=phase,
            stalled_days=stalled_days,
            overdue=overdue,
            blocked=blocked,
            session=session,
        )
        with reads.collector_paused():
            return list(rows)

    def iter_audit(
        self,
        *,
        workflow: str | None = None,
        program: str | None = None,
        state: str | None = None,
        phase: str | None = None,
        stalled_days: int | None = None,
        overdue: bool = False,
        blocked: bool = False,
        session: store.SessionLike | None = None,
    ) -> Iterator[Standing]:
        """The rows of ``audit`` one at a time, oldest first, in flat memory however many there are.

        The read stays open until the iterator is exhausted or closed; the arguments are checked at the call.
        """
        if stalled_days is not None and (
            not isinstance(stalled_days, int) or isinstance(stalled_days, bool) or stalled_days < 0
        ):
            raise InvalidInput(
                f"stalled days must be 0 or more, got {stalled_days!r}", hint="Pass a whole number of days."
            )
        _check_filters(workflow=workflow, program=program, state=state, phase=phase)
        now = self.now()
        filters = {"workflow": workflow, "program": program, "state": state}

        def rows() -> Iterator[Standing]:
            with store.read(self.engine, session) as reading:
                for standing in reads.standing_rows(reading, self.bundles, now, self.guards, filters):
                    if matches(standing, phase=phase, stalled_days=stalled_days, overdue=overdue, blocked=blocked):
                        yield standing

        return rows()

    def refresh(self, *, session: store.SessionLike | None = None) -> int:
        """Bring the standing cache up to date as of now; returns how many relationships were re-evaluated.

        Audits are correct without it (they evaluate what the cache cannot answer), and fast with it. ``tick``
        calls it; run it after bulk imports, or whenever the cache has fallen behind many writes.
        """
        now = self.now()
        with store.read(self.engine, session) as reading:
            ids = standings.stale_ids(reading, now, FORMAT)
        written = 0
        for start in range(0, len(ids), queries.BATCH):
            with store.transaction(self.engine, store.caller_session(session)) as writing:
                written += reads.refresh(writing, self.bundles, ids[start : start + queries.BATCH], now, self.guards)
        return written

    def summary(
        self,
        *,
        workflow: str | None = None,
        program: str | None = None,
        state: str | None = None,
        phase: str | None = None,
        session: store.SessionLike | None = None,
    ) -> Summary:
        """Counts per workflow and state and per program, a phase funnel, days per phase, completion rates."""
        _check_filters(workflow=workflow, program=program, state=state, phase=phase)
        now = self.now()
        with store.read(self.engine, session) as reading:
            tallies = reads.tallies(
                reading,
                self.bundles,
                now,
                self.guards,
                phase,
                {"workflow": workflow, "program": program, "state": state},
            )
        return summarise(tallies, now)

    def overview(
        self,
        *,
        workflow: str | None = None,
        program: str | None = None,
        state: str | None = None,
        phase: str | None = None,
        session: store.SessionLike | None = None,
    ) -> tuple[Summary, list[Standing]]:
        """The summary and the audit rows it was computed from, for a dashboard that shows both."""
        _check_filters(workflow=workflow, program=program, state=state, phase=phase)
        now = self.now()
        filters = {"workflow": workflow, "program": program, "state": state}
        with store.read(self.engine, session) as reading:
            rows = filter_standings(reads.standing_rows(reading, self.bundles, now, self.guards, filters), phase=phase)
            tallies = reads.tallies(reading, self.bundles, now, self.guards, phase, filters)
        return summarise(tallies, now), rows

    def verify(self, *, session: store.SessionLike | None = None) -> VerifyReport:
        """Recompute every hash chain and replay every relationship against its pinned definition."""
        broken = []
        checked = events = 0
        with store.read(self.engine, session) as reading:
            for records in queries.records(reading):
                checked += 1
                events += len(records.events)
                problem = check_relationship(records)
                if problem is not None:
                    broken.append(problem)
        return VerifyReport(ok=not broken, checked=checked, events=events, broken=broken)

    def workflows(self, *, session: store.SessionLike | None = None, database: bool = True) -> list[WorkflowInfo]:
        """Every workflow known: built-in, from extra directories, and registered in the database."""
        known = [
            WorkflowInfo(
                workflow=workflow.workflow, version=workflow.version, title=workflow.title, source=entry.source
            )
            for entry in self.registry.workflows()
            if isinstance(workflow := entry.definition, Workflow)
        ]
        if database:
            seen = {(info.workflow, info.version) for info in known}
            with store.read(self.engine, session) as reading:
                known += [
                    WorkflowInfo(workflow=workflow, version=version, title=title, source="database")
                    for workflow, version, title, _ in definitions(reading)
                    if (workflow, version) not in seen
                ]
        return sorted(known, key=lambda info: (info.workflow, info.version))

    def relationship_ids(self, *, session: store.SessionLike | None = None) -> Iterator[str]:
        """Every relationship's id, oldest first (without loading the relationships)."""
        with store.read(self.engine, session) as reading:
            ids = queries.relationship_ids(reading)
        yield from ids

    # -- machinery -----------------------------------------------------------------------------------------------

    def _write(
        self,
        relationship: str,
        decide: Callable[[Snapshot, dt.datetime], tuple[Write, T]],
        actor: Actor,
        session: store.SessionLike | None,
    ) -> tuple[T, list[Event]]:
        check_identifier(relationship, "relationship id")
        outcome: list[T] = []
        workflows: dict[str, str] = {}

        def body(session: store.Session, now: dt.datetime) -> list[Event]:
            snapshot = repo.load_snapshot(session, self.bundles, relationship)
            workflows[snapshot.id] = snapshot.bundle.workflow.workflow
            write, result = decide(snapshot, now)
            outcome[:] = [result]
            if not write.events:
                return []
            for plan in write.starts:
                workflows[plan.id] = plan.bundle.workflow.workflow
                self.bundles.register(session, plan.bundle, self.registry.get(*plan.bundle.key), now)
            return repo.apply_write(session, snapshot, write, actor, now)

        events = self._run(session, body, actor, workflows)
        return outcome[0], events

    def _run(
        self,
        session: store.SessionLike | None,
        body: Callable[[store.Session, dt.datetime], list[Event]],
        actor: Actor,
        workflows: Mapping[str, str],
    ) -> list[Event]:
        """Run one write in a transaction, retrying lost races; ``workflows`` names each relationship's workflow
        for the logs (filled in by ``body``)."""
        session = store.caller_session(session)
        for attempt in range(self.retries):
            now = self.now()
            try:
                with store.transaction(self.engine, session) as working:
                    events = body(working, now)
            except ConcurrencyConflict:
                if attempt == self.retries - 1:
                    raise
                self._log.debug("retrying", attempt=attempt + 1, actor=actor.label)
                time.sleep(random.uniform(0, 0.002 * 2 ** min(attempt, 6)))  # noqa: S311 - jitter, not secrets
                continue
            self._publish(events, session, workflows)
            return events
        raise AssertionError("unreachable")  # pragma: no cover

    def _publish(self, events: list[Event], session: store.Session | None, workflows: Mapping[str, str]) -> None:
        for event in events:
            self._log.info(
                event.kind,
                relationship=event.relationship,
                workflow=workflows.get(event.relationship),
                trigger=event.payload.get("trigger"),
                actor=event.actor,
                seq=event.seq,
            )
        if not self._subscribers or not events:
            return
        if session is None:
            self._notify(events)
        else:
            store.after_commit(session, lambda: self._notify(events))

    def _notify(self, events: list[Event]) -> None:
        for event in events:
            for subscriber in list(self._subscribers):
                try:
                    subscriber(event)
                except Exception:  # noqa: BLE001 - a notification must never undo or break a committed write
                    self._log.exception("subscriber_failed", relationship=event.relationship, seq=event.seq)
