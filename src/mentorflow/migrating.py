"""``migrate``: moving a workflow's running relationships onto another version, one transaction each.

The facade delegates here, because a migration is many writes with a report, not one write. The decisions are
the engine's (``engine.migration``) and the write the store's (``store.moves``); this module checks the request
once (the target version, the state mapping), selects the relationships, and runs one write per relationship
through the ``Writer``, so that a lost race with a fire or a second migration re-reads the relationship and decides
again. A relationship another migration moved meanwhile is no longer selected, which also makes an interrupted
migration safe to run again. A dry run decides the same way on one read and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from mentorflow import store
from mentorflow.audit.standing import build_standing
from mentorflow.definitions import Bundle, Loaded, Registry
from mentorflow.definitions.models import MAX_WHOLE
from mentorflow.engine.migration import Move, Refusal, check_mapping, plan_migration
from mentorflow.engine.requirements import GuardFunction
from mentorflow.engine.snapshot import Snapshot
from mentorflow.errors import (
    ConcurrencyConflict,
    DefinitionProblem,
    InvalidInput,
    NotAllowed,
    VersionConflict,
    WorkflowNotFound,
)
from mentorflow.identifiers import Actor, check_identifier, check_person, check_whole
from mentorflow.store import moves, queries, repo
from mentorflow.store.definitions import definitions
from mentorflow.types import MigrationResult
from mentorflow.writing import Outcome, Writer

__all__ = ["Migration", "mover"]

_Done = Literal["migrated", "would_migrate"]


def mover(actor: Actor | str | None) -> Actor:
    """Who may migrate: an administrator, or the trusted caller (None, recorded as ``system``); never a person."""
    if actor is None:
        return Actor.system()
    who = Actor.of(actor)
    if who.kind == "person":
        check_person(who.id)  # a reserved id is refused as such first (DESIGN §17, order of refusals)
        raise NotAllowed(
            f"{who.id!r} may not migrate relationships: moving them to another workflow version is for administrators",
            hint="Act as an administrator: actor=Actor.admin(ID), or actor=None as the trusted platform.",
            cli_hint="Add --admin, or run it without --as as the operator.",
            actor=who.label,
        )
    return who


def _version(value: object, what: str) -> int:
    return check_whole(value, what, least=1, most=MAX_WHOLE, hint="Pass e.g. 2.")


def _mapping(states: Mapping[str, str] | None) -> dict[str, str]:
    if states is None:
        return {}
    if not isinstance(states, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in states.items()):
        raise InvalidInput(
            "states must map each old state name to a new one", hint='Pass e.g. {"early_meetings": "meeting"}.'
        )
    return dict(states)


@dataclass(frozen=True)
class _Request:
    workflow: str
    target: Bundle
    source: Loaded | None
    """The file the target was loaded from; None when it is known only from the database (already stored)."""
    from_version: int | None
    program: str | None
    states: dict[str, str]

    def selects(self, snapshot: Snapshot) -> bool:
        """Whether ``snapshot``, read afresh, is still one this migration moves."""
        workflow = snapshot.bundle.workflow
        return (
            workflow.workflow == self.workflow
            and workflow.version != self.target.workflow.version
            and (self.from_version is None or workflow.version == self.from_version)
            and (self.program is None or snapshot.program == self.program)
            and not snapshot.final
        )


@dataclass
class Migration:
    """Runs ``Mentorflow.migrate`` with the instance's engine, definitions, writer, guards and clock."""

    engine: store.Engine
    registry: Registry
    bundles: store.Bundles
    writer: Writer
    guards: Mapping[str, GuardFunction]
    clock: Callable[[], dt.datetime]

    def run(
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
        who = mover(actor)
        check_identifier(workflow, "workflow")
        target_version = _version(to_version, "to_version")
        if from_version is not None and _version(from_version, "from_version") == target_version:
            raise InvalidInput(
                f"from_version and to_version are both {target_version}: there is nothing to move",
                hint="Name the version to move to with to_version (--to), and the one to move from with --from.",
            )
        if program is not None:
            check_identifier(program, "program")
        mapping = _mapping(states)
        with store.read(self.engine, session) as reading:
            request = self._request(reading, workflow, target_version, from_version, program, mapping)
            ids = moves.candidates(reading, workflow, target_version, from_version, program)
            if dry_run:
                return self._preview(reading, request, ids)
        results = []
        for rel_id in ids:
            result = self._move(rel_id, request, who, session)
            if result is not None:
                results.append(result)
        return results

    def _request(
        self,
        reading: store.Executor,
        workflow: str,
        to_version: int,
        from_version: int | None,
        program: str | None,
        states: dict[str, str],
    ) -> _Request:
        """The checked request: the target definition (loaded, or stored), its sources, and the state mapping."""
        stored = {version: digest for name, version, _, digest in definitions(reading) if name == workflow}
        source: Loaded | None = None
        try:
            source = self.registry.get(workflow, to_version)
            target = self.registry.bundle(workflow, to_version)
        except WorkflowNotFound:
            if to_version not in stored:
                raise
            target = self.bundles.get(reading, stored[to_version])
        if stored.get(to_version, target.hash) != target.hash:
            assert source is not None  # noqa: S101 - a definition read from the database is the stored one
            raise VersionConflict(
                [
                    DefinitionProblem(
                        "definition.version_conflict",
                        f"workflow {workflow!r} version {to_version} is already registered with different content "
                        f"(stored {stored[to_version][:12]}, now {target.hash[:12]})",
                        source.file,
                        *source.doc.where(("version",)),
                        f"Relationships already run on version {to_version}; bump `version:` in {source.file} "
                        "and migrate to that version.",
                    )
                ]
            )
        sources = [
            self.bundles.get(reading, digest)
            for version, digest in sorted(stored.items())
            if version != to_version and (from_version is None or version == from_version)
        ]
        mapping = check_mapping(sources, target, states)
        return _Request(workflow, target, source, from_version, program, mapping)

    def _preview(self, reading: store.Executor, request: _Request, ids: list[str]) -> list[MigrationResult]:
        """What a migration would do, decided on one read in batches; nothing is written."""
        now = self._now()
        results = []
        for start in range(0, len(ids), queries.BATCH):
            for snapshot in queries.load_snapshots(reading, self.bundles, ids=ids[start : start + queries.BATCH]):
                plan = plan_migration(snapshot, request.target, request.states, now)
                results.append(self._result(snapshot, request, plan, now, "would_migrate"))
        return results

    def _move(
        self, rel_id: str, request: _Request, who: Actor, session: store.SessionLike | None
    ) -> MigrationResult | None:
        """Move one relationship in its own transaction; None when it no longer needs moving."""

        def body(working: store.Connection, now: dt.datetime) -> Outcome[MigrationResult | None]:
            snapshot = repo.load_snapshot(working, self.bundles, rel_id)
            if not request.selects(snapshot):
                return Outcome(None)  # moved by another migration meanwhile, or ended
            plan = plan_migration(snapshot, request.target, request.states, now)
            result = self._result(snapshot, request, plan, now, "migrated")
            if isinstance(plan, Refusal):
                return Outcome(result)
            if request.source is not None:
                self.bundles.register(working, request.target, request.source, now)
            event = moves.apply_move(
                working, snapshot, request.target, plan.new_state, plan.payload, who, now, self.writer.keys
            )
            return Outcome(result, [event], {rel_id: request.workflow}, event)

        try:
            return self.writer.run(session, body, who).value
        except ConcurrencyConflict:
            with store.read(self.engine, session) as reading:
                snapshot = repo.load_snapshot(reading, self.bundles, rel_id)
            reason = f"it changed on each of {self.writer.retries} attempts to move it; run the migration again"
            return self._result(snapshot, request, Refusal(None, reason), self._now(), "migrated")

    def _result(
        self, snapshot: Snapshot, request: _Request, plan: Move | Refusal, now: dt.datetime, done: _Done
    ) -> MigrationResult:
        refused = isinstance(plan, Refusal)
        standing = None if isinstance(plan, Refusal) else build_standing(plan.snapshot, now, self.guards)
        # Built from values the engine made and checked: validating every blocker again would cost a dry run
        # over many relationships a third of its time.
        return MigrationResult.model_construct(
            id=snapshot.id,
            workflow=request.workflow,
            from_version=snapshot.bundle.workflow.version,
            to_version=request.target.workflow.version,
            state=snapshot.state,
            new_state=plan.new_state,
            result="refused" if refused else done,
            reason=plan.reason if isinstance(plan, Refusal) else None,
            blockers=[] if standing is None else standing.blockers,
            overdue=[] if standing is None else standing.overdue,
        )

    def _now(self) -> dt.datetime:
        return self.clock()
