"""Running one scenario: a fresh in-memory database, a clock that moves only when told, and the public API.

Each scenario gets its own ``Mentorflow("sqlite://")``, so that nothing it writes can reach the database a command
was pointed at, and a ``tick`` in one scenario never fires another's relationship. Steps go through the same
methods a platform calls, so a passing scenario says how the workflow behaves in production, rules of §10
included (item owners, ``added_by``, signatures bound to a revision). The first step that differs from what it
expects ends the scenario, at that step's line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mentorflow.definitions import Workflow
from mentorflow.errors import Blocked, MentorflowError
from mentorflow.identifiers import ADMIN_PREFIX, Actor
from mentorflow.scenarios.coverage import Coverage
from mentorflow.scenarios.load import LoadedScenario, check_against
from mentorflow.scenarios.models import At, Expect, Fire, Guards, Join, Leave, Sign, Step, Stub, Submit, Tick
from mentorflow.service import Mentorflow
from mentorflow.types import Blocker, Status

__all__ = ["ADMIN", "RELATIONSHIP", "START", "Failure", "ScenarioResult", "actor_of", "run_scenario"]

START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
"""Day 0 of every scenario: when its relationship starts."""
RELATIONSHIP = "scenario"
ADMIN = "admin"
"""``as: admin`` acts as the administrator ``admin``; ``as: admin:NAME`` as the administrator NAME."""
DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Failure:
    """Where a scenario went wrong, and what differed."""

    line: int
    column: int
    message: str
    hint: str = ""


@dataclass(frozen=True)
class ScenarioResult:
    file: str
    name: str
    workflow: str | None
    version: int | None
    steps: int
    """How many steps ran (the failing one included)."""
    failures: list[Failure] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        first = self.failures[0] if self.failures else None
        return {
            "file": self.file,
            "scenario": self.name,
            "workflow": self.workflow,
            "version": self.version,
            "result": "pass" if self.passed else "fail",
            "steps": self.steps,
            "line": first.line if first else None,
            "column": first.column if first else None,
            "message": first.message if first else None,
            "failures": [
                {"line": f.line, "column": f.column, "message": f.message, "hint": f.hint} for f in self.failures
            ],
        }


class _Clock:
    """Stands still between ``at`` steps: everything written between two of them happens at one moment."""

    def __init__(self) -> None:
        self.moment = START

    def __call__(self) -> dt.datetime:
        return self.moment


class _Differs(Exception):
    """A step did not do what it expected."""


def actor_of(name: str) -> Actor:
    """``admin`` and ``admin:NAME`` are administrators (person ids may not start with ``admin:``); else a person."""
    if name == ADMIN:
        return Actor.admin(ADMIN)
    if name.startswith(ADMIN_PREFIX):
        return Actor.admin(name.removeprefix(ADMIN_PREFIX))
    return Actor.person(name)


def _stubbed(stubs: dict[str, Stub], name: str) -> Callable[[object], str | None]:
    """A guard that answers as the scenario's current stub for ``name`` says (steps may change it)."""

    def guard(_context: object) -> str | None:
        stub = stubs.get(name)
        if stub is True:
            return None
        if stub is None:
            return f"guard {name!r} has no stub in this scenario yet"
        return stub if isinstance(stub, str) else f"guard {name!r} is stubbed to fail"

    return guard


def run_scenario(
    loaded: LoadedScenario, workflow_dirs: Sequence[str | Path] = (), coverage: Coverage | None = None
) -> ScenarioResult:
    """Run every step of ``loaded`` until one differs from what it expects."""
    scenario = loaded.scenario
    name, version = scenario.reference
    clock = _Clock()
    mf = Mentorflow("sqlite://", workflow_dirs=workflow_dirs, clock=clock)
    try:
        try:
            workflow = mf.registry.bundle(name, version).workflow
        except MentorflowError as error:
            if error.code.startswith("definition."):
                raise  # the workflow directories themselves are broken: no scenario can run
            line, column = loaded.where(("workflow",))
            return ScenarioResult(
                loaded.file, scenario.scenario, name, version, 0, [Failure(line, column, error.message, error.hint)]
            )
        result = ScenarioResult(loaded.file, scenario.scenario, workflow.workflow, workflow.version, 0)
        problems = check_against(loaded, workflow)
        if problems:
            failures = [Failure(p.line, p.column, f"{p.code}: {p.message}", p.hint) for p in problems]
            return replace(result, failures=failures)
        if coverage is not None:
            coverage.track(workflow)
        mf.upgrade()
        return _Run(loaded, mf, clock, workflow, coverage).run(result)
    finally:
        mf.engine.dispose()


class _Run:
    def __init__(
        self, loaded: LoadedScenario, mf: Mentorflow, clock: _Clock, workflow: Workflow, coverage: Coverage | None
    ) -> None:
        self.loaded = loaded
        self.mf = mf
        self.clock = clock
        self.workflow = workflow
        self.coverage = coverage
        self.stubs: dict[str, Stub] = dict(loaded.scenario.guards)
        names = set(self.stubs) | {g for step in loaded.scenario.steps if isinstance(step, Guards) for g in step.guards}
        for guard in sorted(names):
            mf.guard(guard)(_stubbed(self.stubs, guard))

    def run(self, result: ScenarioResult) -> ScenarioResult:
        scenario = self.loaded.scenario
        try:
            self.mf.start(
                self.workflow.workflow,
                scenario.roles(),
                actor=actor_of(ADMIN),
                program=scenario.program,
                id=RELATIONSHIP,
                version=self.workflow.version,
            )
        except MentorflowError as error:
            line, column = self.loaded.where(("people",))
            message = f"the relationship cannot start: error[{error.code}]: {error.message}"
            return replace(result, failures=[Failure(line, column, message, error.hint)])
        for index, step in enumerate(scenario.steps):
            try:
                self._step(step)
            except _Differs as differs:
                line, column = self.loaded.where(("steps", index))
                failure = Failure(line, column, str(differs))
                return replace(result, steps=index + 1, failures=[failure])
        return replace(result, steps=len(scenario.steps))

    # -- steps ----------------------------------------------------------------------------------------------------

    def _step(self, step: Step) -> None:
        if isinstance(step, At):
            self.clock.moment = max(self.clock.moment, START + step.at * DAY)
        elif isinstance(step, Guards):
            self.stubs.update(step.guards)
        elif isinstance(step, Tick):
            self._tick()
        elif isinstance(step, Submit | Sign | Fire | Join | Leave):
            self._act(step)
        expect = getattr(step, "expect", None)
        if isinstance(expect, Expect):
            self._check(expect)

    def _status(self) -> Status:
        return self.mf.status(RELATIONSHIP)

    def _act(self, step: Submit | Sign | Fire | Join | Leave) -> None:
        wanted = step.expect.error if step.expect is not None else None
        before = self._status() if isinstance(step, Fire) and self.coverage is not None else None
        what = _describe(step)
        try:
            self._perform(step)
        except MentorflowError as error:
            if before is not None and isinstance(step, Fire) and isinstance(error, Blocked):
                self._attempted(before, step.fire, error.blockers)
            if wanted is None:
                raise _Differs(f"{what} failed: error[{error.code}]: {error.message}") from None
            if error.code != wanted:
                raise _Differs(
                    f"expected error {wanted}, but {what} failed with error[{error.code}]: {error.message}"
                ) from None
            expected = step.expect.blockers if step.expect is not None else None
            if expected is not None:
                got = sorted({blocker.code for blocker in getattr(error, "blockers", [])})
                if got != sorted(set(expected)):
                    raise _Differs(
                        f"expected blockers {_listed(expected)}, got {_listed(got)}: {error.message}"
                    ) from None
            return
        if before is not None and isinstance(step, Fire):
            trigger = next((t for t in before.triggers if t.trigger == step.fire), None)
            self._attempted(before, step.fire, trigger.blockers if trigger is not None else [])
            self._fired(before.state, step.fire)
        if wanted is not None:
            raise _Differs(f"expected error {wanted}, but {what} succeeded")

    def _perform(self, step: Submit | Sign | Fire | Join | Leave) -> None:
        mf, actor = self.mf, actor_of(step.as_)
        if isinstance(step, Submit):
            mf.submit(RELATIONSHIP, step.submit, step.content, actor=actor, item=step.item)
        elif isinstance(step, Sign):
            revision = step.revision if step.revision is not None else self._latest(step.sign, step.item)
            mf.sign(RELATIONSHIP, step.sign, actor=actor, revision=revision, item=step.item)
        elif isinstance(step, Fire):
            mf.fire(RELATIONSHIP, step.fire, actor=actor, force=step.force, reason=step.reason)
        elif isinstance(step, Join):
            mf.join(RELATIONSHIP, step.role, step.join, actor=actor)
        else:
            mf.leave(RELATIONSHIP, step.leave, actor=actor, reason=step.reason)

    def _latest(self, slot: str, item: int | None) -> int:
        """The revision a signer has just read: the latest of the slot, of ``item``, or of the newest item."""
        documents = [a for a in self._status().artifacts if a.slot == slot and (item is None or a.item == item)]
        if not documents:
            return 1  # nothing to sign: the library says so (artifact.missing, or no such item)
        return max(documents, key=lambda a: a.item or 0).revision

    def _tick(self) -> None:
        before = self._status() if self.coverage is not None else None
        events = self.mf.tick()
        if before is None:
            return
        for trigger in before.triggers:
            if trigger.timed_after_days is not None:
                self._attempted(before, trigger.trigger, trigger.blockers)
        for event in events:
            if event.relationship == RELATIONSHIP and event.kind in ("transitioned", "overridden"):
                self._fired(str(event.payload.get("from")), str(event.payload.get("trigger")))

    def _attempted(self, before: Status, trigger: str, blockers: Iterable[Blocker]) -> None:
        if self.coverage is not None:
            self.coverage.attempted(self.workflow, before.state, trigger, blockers)

    def _fired(self, state: str, trigger: str) -> None:
        if self.coverage is not None:
            self.coverage.fired(self.workflow, state, trigger)

    # -- expectations ---------------------------------------------------------------------------------------------

    def _check(self, expect: Expect) -> None:
        status = self._status()
        differences: list[str] = []
        if expect.state is not None and status.state != expect.state:
            differences.append(f"expected state {expect.state}, got {status.state}")
        if expect.phase is not None and status.phase != expect.phase:
            differences.append(f"expected phase {expect.phase}, got {status.phase or '(none)'}")
        if expect.allowed is not None:
            differences += _allowed(status, expect.allowed)
        for trigger, codes in (expect.blocked or {}).items():
            differences += _blocked(status, trigger, codes)
        differences += self._obligations(status, expect)
        if differences:
            raise _Differs("; ".join(differences))

    def _obligations(self, status: Status, expect: Expect) -> list[str]:
        obligations = status.obligations
        if self.coverage is not None and (expect.due is not None or expect.overdue is not None):
            for number, obligation in enumerate(obligations):
                if not obligation.met:  # an overdue obligation is unmet too
                    self.coverage.saw_due(self.workflow, status.state, number)
        differences = []
        if expect.overdue is not None:
            overdue = sorted({str(o.slot) for o in obligations if o.overdue})
            if overdue != sorted(set(expect.overdue)):
                differences.append(f"expected overdue {_listed(expect.overdue)}, got {_listed(overdue)}")
        if isinstance(expect.due, list):
            due = sorted({str(o.slot) for o in obligations if not o.met})
            if due != sorted(set(expect.due)):
                differences.append(f"expected due {_listed(expect.due)}, got {_listed(due)}")
        elif isinstance(expect.due, dict):
            days = {str(o.slot): (o.due_at - START) / DAY for o in obligations if not o.met}
            if days != {slot: float(day) for slot, day in expect.due.items()}:
                shown = ", ".join(f"{slot}: day {_day(day)}" for slot, day in sorted(days.items())) or "nothing"
                wanted = ", ".join(f"{slot}: day {day}" for slot, day in sorted(expect.due.items())) or "nothing"
                differences.append(f"expected due {{{wanted}}}, got {{{shown}}}")
        return differences


def _allowed(status: Status, expected: list[str]) -> list[str]:
    allowed = sorted(t.trigger for t in status.triggers if t.allowed)
    if allowed == sorted(set(expected)):
        return []
    notes = [
        f"{t.trigger} is blocked by " + "; ".join(f"{b.code} ({b.message})" for b in t.blockers)
        for t in status.triggers
        if t.trigger in expected and not t.allowed
    ]
    absent = [trigger for trigger in expected if trigger not in {t.trigger for t in status.triggers}]
    notes += [f"{trigger} does not fire from state {status.state}" for trigger in absent]
    return [f"expected allowed {_listed(expected)}, got {_listed(allowed)}" + "".join(f"; {n}" for n in notes)]


def _blocked(status: Status, trigger: str, codes: list[str]) -> list[str]:
    found = next((t for t in status.triggers if t.trigger == trigger), None)
    if found is None:
        return [f"expected {trigger} blocked by {_listed(codes)}, but it does not fire from state {status.state}"]
    got = sorted({blocker.code for blocker in found.blockers})
    if got == sorted(set(codes)):
        return []
    if not got:
        return [f"expected {trigger} blocked by {_listed(codes)}, but it is allowed"]
    reasons = "; ".join(f"{b.code} ({b.message})" for b in found.blockers)
    return [f"expected {trigger} blocked by {_listed(codes)}, got {_listed(got)}: {reasons}"]


def _describe(step: Submit | Sign | Fire | Join | Leave) -> str:
    if isinstance(step, Submit):
        return f"submit {step.submit}" + (f" item {step.item}" if step.item else "") + f" as {step.as_}"
    if isinstance(step, Sign):
        return f"sign {step.sign}" + (f" item {step.item}" if step.item else "") + f" as {step.as_}"
    if isinstance(step, Fire):
        return f"fire {step.fire} as {step.as_}" + (" (forced)" if step.force else "")
    if isinstance(step, Join):
        return f"join {step.join} as {step.role} (by {step.as_})"
    return f"leave {step.leave} (by {step.as_})"


def _listed(values: Sequence[str]) -> str:
    return "[" + ", ".join(values) + "]"


def _day(days: float) -> str:
    return str(int(days)) if days == int(days) else f"{days:.2f}"
