"""Reading a scenario file: the safe YAML loader, the models, and the checks that need the workflow under test.

A scenario that names a trigger, slot or state its workflow does not have would fail at run time with a message
about the relationship; it is caught here instead, at the line that names it, with the nearest valid name. So a
scenario either does not load (``DefinitionError``, every problem with ``file:line:col``) or runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from mentorflow.definitions import Workflow
from mentorflow.definitions.checks import walk_requirements
from mentorflow.definitions.messages import did_you_mean
from mentorflow.definitions.models import Check
from mentorflow.definitions.parse import format_path, validation_problems
from mentorflow.definitions.yamlsafe import Located, PathKey, read_file
from mentorflow.errors import DefinitionError, DefinitionProblem
from mentorflow.scenarios.models import STEP_FORMS, At, Expect, ExpectStep, Fire, Join, Scenario, Sign, Submit, Tick

__all__ = ["LoadedScenario", "check_against", "load_scenario"]

_ACTIONS = tuple(form for form in STEP_FORMS if form != "expect")
_STEP_HINT = "Start each step with one action: " + ", ".join(f"{form}:" for form in STEP_FORMS) + "."


@dataclass(frozen=True)
class LoadedScenario:
    """A scenario and the positions of its YAML, to say which line a failing step is on."""

    scenario: Scenario
    doc: Located

    @property
    def file(self) -> str:
        return self.doc.file

    def where(self, path: PathKey) -> tuple[int, int]:
        return self.doc.where(path)


def load_scenario(path: Path) -> LoadedScenario:
    """Read and validate one scenario file; raise ``DefinitionError`` listing every problem."""
    doc = read_file(path)
    problems = _shape(doc)
    if problems:
        raise DefinitionError(problems)
    try:
        scenario = Scenario.model_validate(doc.value)
    except ValidationError as exc:
        raise DefinitionError(validation_problems(doc, Scenario, exc)) from None
    problems = _ordered(scenario, doc)
    if problems:
        raise DefinitionError(problems)
    return LoadedScenario(scenario, doc)


def _shape(doc: Located) -> list[DefinitionProblem]:
    """What pydantic would word poorly: a file that is not a scenario, and steps that name no action or two."""
    value = doc.value
    if not isinstance(value, dict) or "scenario" not in value:
        what = "a workflow" if isinstance(value, dict) and "states" in value else None
        what = what or ("an artifact kind" if isinstance(value, dict) and "kind" in value else "not a scenario")
        return [
            doc.problem(
                "definition.not_a_scenario",
                f"the document is {what}" + ("" if what.startswith("not") else ", not a scenario"),
                hint="A scenario file starts with `mentorflow: 1`, `scenario: NAME` and `workflow: ID`.",
            )
        ]
    steps = value.get("steps")
    if not isinstance(steps, list):
        return []
    problems = []
    for index, step in enumerate(steps):
        where = ("steps", index)
        if step == "tick":
            continue
        if not isinstance(step, dict):
            problems.append(
                doc.problem(
                    "definition.unknown_step",
                    f"{format_path(where)}: a step is a mapping such as {{fire: TRIGGER, as: PERSON}}",
                    where,
                    _STEP_HINT,
                )
            )
            continue
        actions = [key for key in step if key in _ACTIONS]  # in the author's order, to point at the second
        if len(actions) > 1:
            problems.append(
                doc.problem(
                    "definition.unknown_step",
                    f"{format_path(where)}: a step does one thing, this one has {' and '.join(actions)}",
                    (*where, actions[1]),
                    "Split it into one step per action.",
                )
            )
        elif not actions and "expect" not in step:
            first = next(iter(step), "")
            match = did_you_mean(first, STEP_FORMS)
            problems.append(
                doc.problem(
                    "definition.unknown_step",
                    f"{format_path(where)}: unknown step {first!r}" + (f" (did you mean {match!r}?)" if match else ""),
                    (*where, first),
                    _STEP_HINT,
                )
            )
    return problems


def _ordered(scenario: Scenario, doc: Located) -> list[DefinitionProblem]:
    """Time runs forward, and only a step that acts can fail."""
    problems = []
    day = 0
    for index, step in enumerate(scenario.steps):
        where = ("steps", index)
        if isinstance(step, At):
            if step.at < day:
                problems.append(
                    doc.problem(
                        "definition.invalid_value",
                        f"{format_path(where)}: at {step.at} would move the clock back from day {day}",
                        (*where, "at"),
                        "The clock only moves forward: order the steps by day.",
                    )
                )
            day = max(day, step.at)
        expect = getattr(step, "expect", None)
        if not isinstance(expect, Expect):
            continue
        if expect.error is not None and isinstance(step, At | Tick | ExpectStep):
            problems.append(
                doc.problem(
                    "definition.invalid_value",
                    f"{format_path(where)}: only a step that acts (submit, sign, fire, join, leave) can fail",
                    (*where, "expect", "error"),
                    "Move `error:` to the step that should fail.",
                )
            )
        if expect.blockers is not None and expect.error is None:
            problems.append(
                doc.problem(
                    "definition.invalid_value",
                    f"{format_path(where)}: `blockers` goes with `error: transition.blocked`",
                    (*where, "expect", "blockers"),
                    "Add `error: transition.blocked`, or check a trigger's blockers with `blocked: {TRIGGER: [...]}`.",
                )
            )
    return problems


# -- names the workflow must have -------------------------------------------------------------------------------


def check_against(loaded: LoadedScenario, workflow: Workflow) -> list[DefinitionProblem]:
    """Every name in the scenario that its workflow does not declare, with the nearest one that it does."""
    scenario, doc = loaded.scenario, loaded.doc
    names = _Names(workflow, doc)
    for role in scenario.people:
        names.need("role", role, workflow.roles, ("people", role))
    for guard in scenario.guards:
        names.need("check", guard, names.checks, ("guards", guard))
    for index, step in enumerate(scenario.steps):
        where: PathKey = ("steps", index)
        if isinstance(step, Submit | Sign):
            form = "submit" if isinstance(step, Submit) else "sign"
            names.need("slot", getattr(step, form), workflow.artifacts, (*where, form))
        elif isinstance(step, Fire):
            names.need("trigger", step.fire, names.triggers, (*where, "fire"))
        elif isinstance(step, Join):
            names.need("role", step.role, workflow.roles, (*where, "role"))
        for guard in getattr(step, "guards", None) or {}:
            names.need("check", guard, names.checks, (*where, "guards", guard))
        expect = getattr(step, "expect", None)
        if isinstance(expect, Expect):
            names.expectation(expect, (*where, "expect"))
    return names.problems


class _Names:
    def __init__(self, workflow: Workflow, doc: Located) -> None:
        self.workflow = workflow
        self.doc = doc
        self.triggers = list(dict.fromkeys(t.trigger for t in workflow.transitions))
        self.checks = list(
            dict.fromkeys(
                node.check
                for transition in workflow.transitions
                for requirement in transition.requires
                for node, _ in walk_requirements(requirement, ())
                if isinstance(node, Check)
            )
        )
        self.problems: list[DefinitionProblem] = []

    def need(self, what: str, name: str, known: Iterable[str], path: PathKey) -> None:
        choices = list(known)
        if name in choices:
            return
        match = did_you_mean(name, choices)
        listed = ", ".join(choices) or "(none)"
        self.problems.append(
            self.doc.problem(
                f"definition.unknown_{what}",
                f"{format_path(path)}: workflow {self.workflow.workflow!r} has no {what} {name!r}"
                + (f" (did you mean {match!r}?)" if match else ""),
                path,
                f"Its {what}s: {listed}." if what != "check" else f"The checks its requirements name: {listed}.",
            )
        )

    def expectation(self, expect: Expect, where: PathKey) -> None:
        workflow = self.workflow
        if expect.state is not None:
            self.need("state", expect.state, workflow.states, (*where, "state"))
        if expect.phase is not None:
            self.need("phase", expect.phase, workflow.phases, (*where, "phase"))
        for trigger in expect.allowed or []:
            self.need("trigger", trigger, self.triggers, (*where, "allowed"))
        for trigger in expect.blocked or {}:
            self.need("trigger", trigger, self.triggers, (*where, "blocked", trigger))
        for key in ("overdue", "due"):
            for slot in getattr(expect, key) or []:
                self.need("slot", slot, workflow.artifacts, (*where, key, slot) if key == "due" else (*where, key))
