"""The ``Mentorflow`` facade: the one object a platform, the CLI and the tests talk to.

Each public method checks its arguments, hands the engine's plan to a ``Writer`` (``mentorflow.writing``: one
transaction, retried on lost races) or reads through the store and the audit package, and returns a value of
``mentorflow.types``.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO, overload

from mentorflow import lifecycle, store
from mentorflow.audit import documents
from mentorflow.definitions import Registry
from mentorflow.engine.plans import (
    due_transition,
    plan_fire,
    plan_join,
    plan_leave,
    plan_sign,
    plan_start,
    plan_submit,
)
from mentorflow.engine.reminders import Reminder, TickResult, reminders_owed
from mentorflow.engine.requirements import GuardFunction
from mentorflow.engine.snapshot import PLAIN_ITEM, Snapshot
from mentorflow.engine.writes import Write
from mentorflow.errors import InvalidInput
from mentorflow.identifiers import Actor, check_flag, check_identifier, check_whole
from mentorflow.keys import Keyring
from mentorflow.lifecycle import ArchiveCounts, Erasure
from mentorflow.migrating import Migration
from mentorflow.reading import Reads, check_page
from mentorflow.store import feed, queries, repo
from mentorflow.store import reminders as stored_reminders
from mentorflow.store.feed import ChangePage
from mentorflow.types import (
    DueTransition,
    Event,
    MigrationResult,
    PlannedEvent,
    Relationship,
    Revision,
)
from mentorflow.writing import Outcome, Subscriber, Writer

if TYPE_CHECKING:
    from mentorflow.webhooks import Webhooks

__all__ = ["Mentorflow"]

Clock = Callable[[], dt.datetime]
DEFAULT_DB = "sqlite:///mentorflow.db"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Mentorflow(Reads):
    """Mentoring relationships as guarded state machines, persisted with a tamper-evident log.

    Args:
        db: an SQLAlchemy URL, or the platform's own ``Engine``.
        workflow_dirs: extra directories of workflow and artifact-kind YAML, beside the built-ins.
        clock: returns the current time (aware, or naive UTC); inject one to compute audits "as of" a date.
        retries: how many times a write that lost a race is re-read and retried before ``ConcurrencyConflict``.
        key: the key of a keyed log, kept outside the database (or several, the first signing; see
            ``docs/reliability.md``); None reads ``MENTORFLOW_KEY``, and without either events carry no MAC.
    """

    def __init__(
        self,
        db: str | store.Engine = DEFAULT_DB,
        *,
        workflow_dirs: Sequence[str | Path] = (),
        clock: Clock | None = None,
        retries: int = 8,
        key: str | Sequence[str] | None = None,
    ) -> None:
        self.engine = store.connect(db)
        self.keys = Keyring.of(key)
        """Signs each event written and checks each event verified; from ``key``, else ``MENTORFLOW_KEY``."""
        self.registry = Registry(workflow_dirs)
        self.clock = clock or _utcnow
        self.retries = check_whole(retries, "retries", least=1, most=1000, hint="Pass e.g. retries=8.")
        self.guards: dict[str, GuardFunction] = {}
        self.bundles = store.Bundles()
        """The stored definitions this instance has read, by hash (they are content-addressed)."""
        self._writer = Writer(self.engine, self.registry, self.bundles, self.now, self.retries, keys=self.keys)

    # -- set-up --------------------------------------------------------------------------------------------------

    def upgrade(self) -> None:
        """Create or migrate the schema (the Alembic migrations shipped in the package)."""
        store.upgrade(self.engine)

    def guard(self, name: str) -> Callable[[GuardFunction], GuardFunction]:
        """Register a custom requirement, used in YAML as ``check: NAME``; it returns None or a blocker message."""

        def register(function: GuardFunction) -> GuardFunction:
            if not callable(function):
                raise InvalidInput(f"a guard is a function, got {function!r}", hint="Decorate a function with it.")
            self.guards[name] = function
            return function

        return register

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(event)`` for each event after its transaction commits; returns an unsubscribe."""
        if not callable(callback):
            raise InvalidInput(f"a subscriber is a function, got {callback!r}", hint="Pass a function of one event.")
        subscribers = self._writer.subscribers
        subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in subscribers:  # calling it twice is harmless
                subscribers.remove(callback)

        return unsubscribe

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
        started = Relationship(
            id=plan.id,
            workflow=bundle.workflow.workflow,
            workflow_version=bundle.workflow.version,
            state=bundle.workflow.initial_state,
            program=program,
        )

        def body(connection: store.Connection, now: dt.datetime) -> Outcome[Relationship]:
            self.bundles.register(connection, bundle, loaded, now)
            events = repo.create(connection, plan, who, now, self.keys)
            return Outcome(started, events, {plan.id: bundle.workflow.workflow}, events[0])

        return self._writer.run(session, body, who).value

    def join(
        self, relationship: str, role: str, person: str, *, actor: Actor | str, session: store.SessionLike | None = None
    ) -> Event:
        """Add ``person`` to ``role``; the ``joined`` event."""
        who = Actor.of(actor)
        return self._event(
            relationship, lambda snapshot, now: plan_join(snapshot, role, person, who, now=now), who, session
        )

    def leave(
        self,
        relationship: str,
        person: str,
        *,
        actor: Actor | str,
        reason: str | None = None,
        session: store.SessionLike | None = None,
    ) -> Event:
        """Remove ``person`` (themselves, or by someone allowed to); the ``left`` event."""
        who = Actor.of(actor)
        return self._event(
            relationship, lambda snapshot, now: plan_leave(snapshot, person, who, reason, now=now), who, session
        )

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
        """Submit a revision of a slot (a new item of a repeatable slot unless ``item`` is given).

        Content identical to the latest revision stores nothing and returns that revision, ``unchanged``.
        """
        who = Actor.of(actor)
        erased: int | None = None

        def decide(snapshot: Snapshot, now: dt.datetime) -> tuple[Write, Revision]:
            write, revision = plan_submit(snapshot, slot, content, who, item, now=now, erased=erased)
            return write, Revision(
                relationship=relationship,
                slot=slot,
                item=None if revision.item == PLAIN_ITEM else revision.item,
                revision=revision.number,
                complete=revision.complete,
                missing=revision.missing,
                content_hash=revision.content_hash,
                submitted_by=revision.submitted_by,
                submitted_at=revision.submitted_at,
                unchanged=revision.unchanged,
            )

        found = self._writer.write(relationship, decide, who, session).value
        if found.unchanged:
            with store.read(self.engine, session) as reading:
                if documents.erased(reading, relationship, slot, found.item or PLAIN_ITEM, found.revision):
                    erased = found.revision  # what erasure blanked, given again: stored anew, to be read again
        if erased is not None:
            found = self._writer.write(relationship, decide, who, session).value
        return found

    def sign(
        self,
        relationship: str,
        slot: str,
        *,
        actor: Actor | str,
        revision: int,
        item: int | None = None,
        session: store.SessionLike | None = None,
    ) -> Event:
        """Sign revision ``revision`` of a slot (or of ``item``) as ``actor``, for their own role.

        The revision is the one the signer read: if it is no longer the latest, ``StaleSignature`` is raised.
        """
        who = Actor.of(actor)
        return self._event(
            relationship, lambda snapshot, now: plan_sign(snapshot, slot, who, item, revision, now=now), who, session
        )

    @overload
    def fire(
        self,
        relationship: str,
        trigger: str,
        *,
        actor: Actor | str,
        force: bool = ...,
        reason: str | None = ...,
        dry_run: Literal[False] = ...,
        session: store.SessionLike | None = ...,
    ) -> Event: ...

    @overload
    def fire(
        self,
        relationship: str,
        trigger: str,
        *,
        actor: Actor | str,
        force: bool = ...,
        reason: str | None = ...,
        dry_run: Literal[True],
        session: store.SessionLike | None = ...,
    ) -> PlannedEvent: ...

    @overload
    def fire(
        self,
        relationship: str,
        trigger: str,
        *,
        actor: Actor | str,
        force: bool = ...,
        reason: str | None = ...,
        dry_run: bool,
        session: store.SessionLike | None = ...,
    ) -> Event | PlannedEvent: ...

    def fire(
        self,
        relationship: str,
        trigger: str,
        *,
        actor: Actor | str,
        force: bool = False,
        reason: str | None = None,
        dry_run: bool = False,
        session: store.SessionLike | None = None,
    ) -> Event | PlannedEvent:
        """Fire a trigger; raises ``Blocked`` listing every blocker when its requirements do not hold.

        With ``dry_run``, decide exactly as a fire would (the same refusals and blockers) but write nothing, and
        return the ``PlannedEvent`` that would be appended, with the ``seq`` it would take.
        """
        who, dry_run = Actor.of(actor), check_flag(dry_run, "dry_run")

        def decide(snapshot: Snapshot, now: dt.datetime) -> Write:
            return plan_fire(
                snapshot,
                trigger,
                who,
                now=now,
                guards=self.guards,
                force=force,
                reason=reason,
                resolve=self.registry.bundle,
            )

        if dry_run:
            return self._preview(relationship, decide, who, session)
        return self._event(relationship, decide, who, session)

    def _preview(
        self,
        relationship: str,
        decide: Callable[[Snapshot, dt.datetime], Write],
        actor: Actor,
        session: store.SessionLike | None,
    ) -> PlannedEvent:
        """The event a write would record, decided on a read of the relationship: nothing is written."""
        with store.read(self.engine, session) as reading:
            snapshot = repo.load_snapshot(reading, self.bundles, check_identifier(relationship, "relationship id"))
        now = self.now()
        kind, payload = decide(snapshot, now).events[0]
        return PlannedEvent(
            relationship=snapshot.id, seq=snapshot.seq + 1, kind=kind, actor=actor.label, at=now, payload=payload
        )

    def tick(self, *, session: store.SessionLike | None = None) -> list[Event]:
        """Fire every timed transition that is due and unblocked, as the system; running it twice changes nothing.

        Then record the reminders that have come (``run_tick`` returns them too), and bring the standing cache up
        to date (``refresh``), so that the day's audits read rather than evaluate.
        """
        return self.run_tick(session=session).events

    def run_tick(self, *, session: store.SessionLike | None = None) -> TickResult:
        """``tick``, returning the reminders it recorded beside the events it wrote."""
        system = Actor.system()

        def decide(snapshot: Snapshot, now: dt.datetime) -> tuple[Write, None]:
            if now < snapshot.last_event_at:
                return Write(), None  # a tick "as of" the past fires nothing that happened since
            due = due_transition(snapshot, now, self.guards)
            if due is None:
                return Write(), None
            write = plan_fire(snapshot, due.trigger, system, now=now, guards=self.guards, resolve=self.registry.bundle)
            return write, None

        fired: list[Event] = []
        for rel_id in self._due_candidates(session):
            fired += self._writer.write(rel_id, decide, system, session).events
        now = self.now()
        owed = self.due_reminders(session=session)
        recorded: list[Reminder] = []
        if owed:
            with store.write(self.engine, store.caller_session(session)) as writing:
                recorded = stored_reminders.record_reminders(writing, owed, now)
        self.refresh(session=session)
        return TickResult(events=fired, reminders=recorded)

    def due_reminders(self, *, session: store.SessionLike | None = None) -> list[Reminder]:
        """The reminders ``tick`` would record now (``tick --dry-run``), not recorded yet; nothing is written."""
        now = self.now()
        owed: list[Reminder] = []
        with store.read(self.engine, session) as reading:
            candidates = stored_reminders.reminder_candidates(reading, self.bundles, now)
            for start in range(0, len(candidates), queries.BATCH):
                ids = candidates[start : start + queries.BATCH]
                loaded = {s.id: s for s in queries.load_snapshots(reading, self.bundles, ids=ids)}
                batch = [reminder for rel_id in ids for reminder in reminders_owed(loaded[rel_id], now)]
                owed += stored_reminders.unrecorded(reading, batch)
        return owed

    def reminders(
        self,
        *,
        relationship: str | None = None,
        after: int | None = None,
        limit: int | None = None,
        session: store.SessionLike | None = None,
    ) -> list[Reminder]:
        """The reminders ``tick`` recorded, in the order it recorded them: of one relationship, or all; ``after``
        an ``id`` already seen. To send them on, follow the change feed (``changes``), which carries them too."""
        check_page(after, limit, "the id of the last reminder read", unlimited=True)
        with store.read(self.engine, session) as reading:
            return stored_reminders.list_reminders(
                reading,
                relationship=None if relationship is None else check_identifier(relationship, "relationship id"),
                after=after,
                limit=limit,
            )

    def changes(self, *, after: int | None = None, limit: int = 100) -> ChangePage:
        """The change feed: committed events and reminders after position ``after`` (None: from the start), at most
        ``limit``, in commit order. Poll again with ``after=page.next``: no change is ever skipped or repeated.

        It runs in transactions of its own: the numbering of newly committed changes is a write (``store.feed``).
        """
        check_page(after, limit, "the position of the last change read (`next`)", most=1000)
        feed.sequence(self.engine)
        with store.read(self.engine, None) as reading:
            return feed.read(reading, after or 0, limit)

    @functools.cached_property
    def webhooks(self) -> Webhooks:
        """Webhook endpoints and the delivery worker, on this database and clock (``docs/webhooks.md``)."""
        from mentorflow.webhooks import Webhooks  # noqa: PLC0415 - most programs never deliver webhooks

        return Webhooks(self.engine, self.now)

    def due(self, *, session: store.SessionLike | None = None) -> list[DueTransition]:
        """The timed transitions ``tick`` would fire now (``tick --dry-run``); nothing is written."""
        now = self.now()
        found = []
        with store.read(self.engine, session) as reading:
            for rel_id in queries.due_candidates(reading, self.bundles, now):
                due = due_transition(repo.load_snapshot(reading, self.bundles, rel_id), now, self.guards)
                if due is not None:
                    found.append(due)
        return found

    def migrate(
        self,
        workflow: str,
        *,
        to_version: int,
        from_version: int | None = None,
        states: Mapping[str, str] | None = None,
        program: str | None = None,
        dry_run: bool = False,
        actor: Actor | str | None = None,
        session: store.SessionLike | None = None,
    ) -> list[MigrationResult]:
        """Move the running relationships of ``workflow`` (of ``from_version``, of ``program``) onto ``to_version``.

        ``states`` maps old state names to new ones; other states keep their names. Each relationship moves in its
        own transaction with a ``migrated`` event, or is refused with a reason and stays where it is. With
        ``dry_run``, nothing is written and each result says what would happen. For administrators: ``actor`` is
        an ``Actor.admin`` or None (the trusted caller, recorded as ``system``). See docs/migration.md.
        """
        migration = Migration(self.engine, self.registry, self.bundles, self._writer, self.guards, self.now)
        return migration.run(
            workflow,
            to_version=to_version,
            from_version=from_version,
            states=states,
            program=program,
            dry_run=dry_run,
            actor=actor,
            session=session,
        )

    # -- data lifecycle (DESIGN §16; docs/operations.md) ----------------------------------------------------------

    def export(
        self, out: TextIO, *, relationships: Sequence[str] | None = None, session: store.SessionLike | None = None
    ) -> ArchiveCounts:
        """Write a JSON Lines archive of every relationship (or of ``relationships``) to ``out``, streamed."""
        with store.read(self.engine, session) as reading:
            return lifecycle.export(reading, out, relationships, self.now())

    def import_archive(
        self, source: TextIO, *, name: str = "the archive", session: store.SessionLike | None = None
    ) -> ArchiveCounts:
        """Load an archive written by ``export``, all or nothing, once every chain (and MAC, with a key) holds."""
        with store.write(self.engine, store.caller_session(session)) as working:
            return lifecycle.load(working, source, self.keys, name)

    def erase(
        self, person: str, *, reason: str, actor: Actor | str | None = None, session: store.SessionLike | None = None
    ) -> Erasure:
        """Blank the content of every revision ``person`` submitted, keeping its hash, with an ``erased`` event in
        each relationship concerned. For administrators: ``actor`` is an ``Actor.admin`` (default ``admin``)."""
        who = Actor.admin() if actor is None else Actor.of(actor)
        return lifecycle.erase(self._writer, person, reason, who, session)

    def _due_candidates(self, session: store.SessionLike | None) -> list[str]:
        with store.read(self.engine, session) as reading:
            return queries.due_candidates(reading, self.bundles, self.now())

    def _event(
        self,
        relationship: str,
        decide: Callable[[Snapshot, dt.datetime], Write],
        actor: Actor,
        session: store.SessionLike | None,
    ) -> Event:
        """Run a write that always records an event, and return that event."""
        outcome = self._writer.write(relationship, lambda snapshot, now: (decide(snapshot, now), None), actor, session)
        assert outcome.main is not None  # noqa: S101 - plans of these writes always hold an event
        return outcome.main
