"""The facade's reads: where one relationship stands, its log, the audits, the summaries, verification.

They are ``Mentorflow``'s methods (the class inherits them); kept in a module of their own because the writes
and the reads are two ideas, each read opening its own read transaction (or using the caller's session).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from mentorflow import store
from mentorflow.audit import reads
from mentorflow.audit.cache import FORMAT
from mentorflow.audit.standing import build_status, filter_standings, matches
from mentorflow.audit.summary import summarise
from mentorflow.audit.verify import check_relationship
from mentorflow.definitions import Registry, Workflow
from mentorflow.engine.requirements import GuardFunction
from mentorflow.errors import InvalidInput
from mentorflow.identifiers import check_identifier
from mentorflow.store import queries, repo, standings
from mentorflow.store.definitions import definitions
from mentorflow.types import (
    Event,
    Standing,
    Status,
    Summary,
    VerifyReport,
    WorkflowInfo,
)

__all__ = ["Reads"]


def _check_filters(**filters: str | None) -> None:
    """Audit filters are names or ids: text without control characters, never anything else."""
    for what, value in filters.items():
        if value is not None:
            check_identifier(value, f"{what} filter")


class Reads:
    """The read methods of ``Mentorflow``; the attributes are the instance's, set in ``Mentorflow.__init__``."""

    engine: store.Engine
    registry: Registry
    bundles: store.Bundles
    guards: dict[str, GuardFunction]

    def now(self) -> dt.datetime:
        raise NotImplementedError

    # -- reads ------------------------------------------------------------------------------------------------

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
