"""The facade's reads: where one relationship stands, its log and documents, a person's view, the audits, the
summaries, verification.

They are ``Mentorflow``'s methods (the class inherits them); kept in a module of their own because the writes
and the reads are two ideas, each read opening its own read transaction (or using the caller's session). The
reads of one relationship and of one person take an optional ``actor``: who reads (DESIGN §12); without one the
caller is trusted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

from mentorflow import store
from mentorflow.audit import asof, documents, reads
from mentorflow.audit.cache import FORMAT
from mentorflow.audit.checkpoint import problems_since
from mentorflow.audit.checkpoint import take as take_checkpoint
from mentorflow.audit.filters import check_filters
from mentorflow.audit.links import Links
from mentorflow.audit.people import person_view
from mentorflow.audit.standing import build_status, matches
from mentorflow.audit.summary import summarise
from mentorflow.audit.verify import Definitions, check_relationship, erased_revisions
from mentorflow.audit.visibility import open_read, readable_events, readable_status
from mentorflow.definitions import Registry, Workflow
from mentorflow.definitions.models import MAX_DAYS, MAX_WHOLE
from mentorflow.engine.requirements import GuardFunction
from mentorflow.errors import InvalidInput
from mentorflow.identifiers import Actor, check_identifier, check_person, check_whole
from mentorflow.keys import Keyring
from mentorflow.store import heads, queries, records, repo, standings
from mentorflow.store.definitions import definitions
from mentorflow.types import (
    BrokenRelationship,
    Checkpoint,
    Document,
    DocumentChange,
    DocumentRevision,
    Event,
    PersonView,
    Standing,
    Status,
    Summary,
    VerifyReport,
    WorkflowInfo,
)

__all__ = ["Reads"]


def _relationship(relationship: str) -> str:
    return check_identifier(relationship, "relationship id")


def _actor(actor: Actor | str | None) -> Actor | None:
    """A read's actor; None is the platform itself, trusted."""
    return None if actor is None else Actor.of(actor)


def _check_days(days: object, what: str) -> None:
    """A number of days given to a filter: None, or a whole number from 0 to a hundred years."""
    if days is not None:
        check_whole(days, what, least=0, most=MAX_DAYS, hint="Pass a whole number of days.")


def check_page(after: object, limit: object, last: str, *, most: int = MAX_WHOLE, unlimited: bool = False) -> None:
    """Refuse an ``after`` that is not a whole number from 0 (None reads from the start), or a ``limit`` not from 1
    to ``most`` (None only where a read may be ``unlimited``); both bounded by what the ids' columns hold."""
    hint = f"Pass {last} as after=, a count as limit=, or leave them out."
    if after is not None:
        check_whole(after, "after", least=0, most=MAX_WHOLE, hint=hint)
    if limit is not None or not unlimited:
        check_whole(limit, "limit", least=1, most=most, hint=hint)


EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)
"""The clock's range: wide enough for any program, and narrow enough that a hundred years of due dates on either
side of it are still dates Python can reckon with."""


def moment_of(clock: Callable[[], object]) -> dt.datetime:
    """The clock's time as aware UTC (a naive time is UTC), refused with ``input.invalid`` when it is no datetime
    or lies outside ``EARLIEST`` to ``LATEST``."""
    given = clock()
    hint = "Check the clock: --now or MENTORFLOW_NOW on the command line, or the clock= given to Mentorflow."
    if not isinstance(given, dt.datetime):
        raise InvalidInput(f"the clock gave {given!r}, not a datetime", hint=hint)
    try:
        moment = given.replace(tzinfo=dt.UTC) if given.tzinfo is None else given.astimezone(dt.UTC)
    except OverflowError:  # in UTC, before the year 1 or after 9999: outside the range all the same
        moment = None
    if moment is None or not EARLIEST <= moment < LATEST:
        raise InvalidInput(
            f"the clock gave {given.isoformat()}, outside the years {EARLIEST.year} to {LATEST.year - 1}", hint=hint
        )
    return moment


class Reads:
    """The read methods of ``Mentorflow``; the attributes are the instance's, set in ``Mentorflow.__init__``."""

    engine: store.Engine
    keys: Keyring | None
    registry: Registry
    bundles: store.Bundles
    guards: dict[str, GuardFunction]

    clock: Callable[[], dt.datetime]

    def now(self) -> dt.datetime:
        """The clock's time, as aware UTC: what every read and write is dated by."""
        return moment_of(self.clock)

    def _check_filters(self, session: store.SessionLike | None, **filters: str | None) -> None:
        """Refuse a filter that names no workflow, state or phase loaded, or no program stored, before a streamed
        audit starts (its own read only opens when the first row is asked for)."""
        with store.read(self.engine, session) as reading:
            check_filters(reading, self.registry, self.bundles, **filters)

    # -- reads ------------------------------------------------------------------------------------------------

    def status(
        self, relationship: str, *, actor: Actor | str | None = None, session: store.SessionLike | None = None
    ) -> Status:
        """Where a relationship stands; read by ``actor``, it lists only the artifacts they may read."""
        now = self.now()
        with store.read(self.engine, session) as reading:
            snapshot, reader = open_read(reading, self.bundles, _relationship(relationship), _actor(actor), now)
        return readable_status(build_status(snapshot, now, self.guards), snapshot, reader)

    def history(
        self, relationship: str, *, actor: Actor | str | None = None, session: store.SessionLike | None = None
    ) -> list[Event]:
        """The event log up to now, oldest first; read by ``actor``, without the events of items they may not
        read."""
        now = self.now()
        with store.read(self.engine, session) as reading:
            snapshot, reader = open_read(reading, self.bundles, _relationship(relationship), _actor(actor), now)
            events = [repo.to_event(row) for row in repo.events_of(reading, [snapshot.id], until=now)]
        return readable_events(events, snapshot, reader)

    # -- documents and people (DESIGN §12) -------------------------------------------------------------------

    def document(
        self,
        relationship: str,
        slot: str,
        item: int | None = None,
        revision: int | None = None,
        actor: Actor | str | None = None,
        *,
        session: store.SessionLike | None = None,
    ) -> Document:
        """One revision of a document or item with its content (the latest revision, of the newest item the
        reader may read, by default); ``artifact.hidden`` when ``actor`` may not read it."""
        with store.read(self.engine, session) as reading:
            return documents.document(
                reading, self.bundles, _relationship(relationship), slot, item, revision, _actor(actor)
            )

    def revisions(
        self,
        relationship: str,
        slot: str,
        item: int | None = None,
        actor: Actor | str | None = None,
        *,
        session: store.SessionLike | None = None,
    ) -> list[DocumentRevision]:
        """The revisions of a slot (or of one item), oldest first, without content; items ``actor`` may not read
        are left out."""
        with store.read(self.engine, session) as reading:
            return documents.revisions(reading, self.bundles, _relationship(relationship), slot, item, _actor(actor))

    def diff(
        self,
        relationship: str,
        slot: str,
        item: int | None = None,
        old: int | None = None,
        new: int | None = None,
        actor: Actor | str | None = None,
        *,
        session: store.SessionLike | None = None,
    ) -> list[DocumentChange]:
        """What changed between two revisions (default: the previous one and the latest), path by path."""
        with store.read(self.engine, session) as reading:
            return documents.diff(
                reading, self.bundles, _relationship(relationship), slot, item, old, new, _actor(actor)
            )

    def person(
        self, person: str, actor: Actor | str | None = None, *, session: store.SessionLike | None = None
    ) -> PersonView:
        """One person across relationships: where they take part, what they must do now (``todo``, with due
        dates), their ``network`` and its ``gaps``. A person reads only their own view."""
        now = self.now()
        with store.read(self.engine, session) as reading:
            return person_view(reading, self.bundles, person, now, self.guards, _actor(actor))

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
        person: str | None = None,
        due_within: int | None = None,
        forced: bool = False,
        session: store.SessionLike | None = None,
    ) -> list[Standing]:
        """Where every matching relationship stands: next triggers, blockers, overdue and due obligations, forced
        transitions, activity. ``due_within`` keeps rows with an obligation not yet overdue that falls due within
        that many days; ``forced`` keeps relationships that had a forced transition."""
        rows = self.iter_audit(
            workflow=workflow,
            program=program,
            state=state,
            phase=phase,
            stalled_days=stalled_days,
            overdue=overdue,
            blocked=blocked,
            person=person,
            due_within=due_within,
            forced=forced,
            session=session,
        )
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
        person: str | None = None,
        due_within: int | None = None,
        forced: bool = False,
        session: store.SessionLike | None = None,
    ) -> Iterator[Standing]:
        """The rows of ``audit`` one at a time, oldest first, in flat memory however many there are.

        The read stays open until the iterator is exhausted or closed; the arguments are checked at the call.
        """
        _check_days(stalled_days, "stalled days")
        _check_days(due_within, "due within days")
        self._check_filters(session, workflow=workflow, program=program, state=state, phase=phase)
        if person is not None:
            check_person(person, "person filter")
        now = self.now()
        filters = {"workflow": workflow, "program": program, "state": state}

        def rows() -> Iterator[Standing]:
            with store.read(self.engine, session) as reading:
                theirs = None if person is None else asof.relationships_of(reading, self.bundles, person, now)
                for standing in reads.standing_rows(reading, self.bundles, now, self.guards, filters):
                    if (theirs is None or standing.id in theirs) and matches(
                        standing,
                        phase=phase,
                        stalled_days=stalled_days,
                        overdue=overdue,
                        blocked=blocked,
                        due_within=None if due_within is None else (now, due_within),
                        forced=forced,
                    ):
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
        now = self.now()
        with store.read(self.engine, session) as reading:
            check_filters(
                reading, self.registry, self.bundles, workflow=workflow, state=state, phase=phase, program=program
            )
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
        stalled_days: int | None = None,
        overdue: bool = False,
        blocked: bool = False,
        person: str | None = None,
        due_within: int | None = None,
        forced: bool = False,
        session: store.SessionLike | None = None,
    ) -> tuple[Summary, list[Standing]]:
        """The summary of the relationships ``workflow``, ``program``, ``state`` and ``phase`` select, and the rows
        ``audit`` gives for all the filters, in one read: for a dashboard (the HTML report) that shows both.

        The row filters apply in ``audit`` alone, so the report lists exactly what ``audit`` would.
        """
        with store.read_session(self.engine, session) as reading:
            summary = self.summary(workflow=workflow, program=program, state=state, phase=phase, session=reading)
            rows = self.audit(
                workflow=workflow,
                program=program,
                state=state,
                phase=phase,
                stalled_days=stalled_days,
                overdue=overdue,
                blocked=blocked,
                person=person,
                due_within=due_within,
                forced=forced,
                session=reading,
            )
        return summary, rows

    def verify(self, *, checkpoint: Checkpoint | None = None, session: store.SessionLike | None = None) -> VerifyReport:
        """Recompute every hash chain and replay every relationship against its pinned definition.

        With a ``checkpoint`` (from ``checkpoint()``, kept outside the database), also prove that no relationship
        it names was deleted since and no chain was cut or rewritten.
        """
        if checkpoint is not None and not isinstance(checkpoint, Checkpoint):
            raise InvalidInput(
                f"checkpoint must be a Checkpoint, got {type(checkpoint).__name__}",
                hint="Pass what checkpoint() returned, or Checkpoint.model_validate_json(the file's text).",
            )
        checked = events = erased = 0
        with store.read(self.engine, session) as reading:
            since: dict[str, list[str]] = {}
            for relationship, lost in problems_since(reading, checkpoint) if checkpoint else ():
                since.setdefault(relationship, []).append(lost)
            keyed, keyed_since, key_ids = heads.keyed(reading)
            unknown = [key for key in key_ids if not self.keys.knows(key)] if self.keys else []
            definitions = None
            links = Links()
            found: dict[str, list[str]] = {}
            for rows in records.records(reading):
                checked += 1
                events += len(rows.events)
                erased += erased_revisions(rows)
                links.add(rows)
                definitions = definitions or Definitions(rows.bodies)
                problem = check_relationship(rows, self.keys, keyed_since, definitions)
                if problem is not None:
                    found[rows.row.id] = problem.problems
            for relationship, lost in links.problems():
                found.setdefault(relationship, []).append(lost)
        for relationship, lost_problems in since.items():
            found[relationship] = [*lost_problems, *found.get(relationship, [])]
        broken = [BrokenRelationship(relationship=id_, problems=problems) for id_, problems in sorted(found.items())]
        return VerifyReport(
            ok=not broken,
            checked=checked,
            events=events,
            broken=broken,
            keyed=keyed,
            unknown_keys=unknown,
            key_checked=self.keys is not None,
            erased=erased,
        )

    def checkpoint(self, *, session: store.SessionLike | None = None) -> Checkpoint:
        """Every chain's head now: keep it outside the database and hand it to ``verify(checkpoint=...)`` later."""
        with store.read(self.engine, session) as reading:
            return take_checkpoint(reading, self.now(), self.keys)

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
