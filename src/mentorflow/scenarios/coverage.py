"""What the scenarios of a workflow exercised, and what they left untried.

Coverage here is about decisions the engine made, as branch coverage is about code: a transition counts once it
fired, a requirement once a fire (or a tick) found it blocking and once found it holding, an obligation once an
expectation saw it due. A scenario that only walks the happy path leaves every "blocking" untried, which is where
a workflow's rules are most often wrong.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from mentorflow.definitions import Workflow
from mentorflow.definitions.checks import walk_requirements
from mentorflow.definitions.models import InStateDays, Requirement, Transition
from mentorflow.definitions.render import describe
from mentorflow.types import Blocker

__all__ = ["Coverage", "Gap", "requirements_of", "transition_index"]


@dataclass(frozen=True)
class Gap:
    """One thing no scenario exercised."""

    workflow: str
    version: int
    kind: Literal["transition", "requirement", "obligation"]
    missing: list[str]
    """``fired``; ``blocking`` and/or ``holding``; ``due``."""
    message: str
    trigger: str | None = None
    state: str | None = None
    requirement: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "workflow": self.workflow,
            "version": self.version,
            "kind": self.kind,
            "trigger": self.trigger,
            "state": self.state,
            "requirement": self.requirement,
            "missing": self.missing,
            "message": self.message,
        }


def requirements_of(transition: Transition) -> list[Requirement]:
    """What a fire of ``transition`` evaluates, in the engine's order: its delay (timed ones), then ``requires``."""
    delay: list[Requirement] = [InStateDays(in_state_days=transition.after_days)] if transition.after_days else []
    return [*delay, *transition.requires]


def transition_index(workflow: Workflow, state: str, trigger: str) -> int | None:
    """The position in ``transitions`` of the one that ``trigger`` fires from ``state``."""
    for index, transition in enumerate(workflow.transitions):
        if transition.trigger == trigger and state in workflow.sources(transition):
            return index
    return None


@dataclass
class _Seen:
    workflow: Workflow
    fired: set[int] = field(default_factory=set)
    blocking: set[tuple[int, int]] = field(default_factory=set)
    holding: set[tuple[int, int]] = field(default_factory=set)
    due: set[tuple[str, int]] = field(default_factory=set)


class Coverage:
    """Observations from every scenario run with it, per workflow version."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, int], _Seen] = {}

    def _of(self, workflow: Workflow) -> _Seen:
        key = (workflow.workflow, workflow.version)
        if key not in self._seen:
            self._seen[key] = _Seen(workflow)
        return self._seen[key]

    def track(self, workflow: Workflow) -> None:
        """A scenario ran on ``workflow``: its gaps are reported even if nothing else is recorded."""
        self._of(workflow)

    def attempted(self, workflow: Workflow, state: str, trigger: str, blockers: Iterable[Blocker]) -> None:
        """The engine evaluated ``trigger``'s requirements from ``state`` and found ``blockers``."""
        index = transition_index(workflow, state, trigger)
        if index is None:
            return
        seen = self._of(workflow)
        failing = [blocker.requirement for blocker in blockers]
        for number, requirement in enumerate(requirements_of(workflow.transitions[index])):
            nodes = [node.as_yaml for node, _ in walk_requirements(requirement, ())]
            (seen.blocking if any(found in nodes for found in failing) else seen.holding).add((index, number))

    def fired(self, workflow: Workflow, state: str, trigger: str) -> None:
        index = transition_index(workflow, state, trigger)
        if index is not None:
            self._of(workflow).fired.add(index)

    def saw_due(self, workflow: Workflow, state: str, obligation: int) -> None:
        self._of(workflow).due.add((state, obligation))

    def gaps(self) -> list[Gap]:
        """Everything untried, per workflow (sorted by id and version), in definition order."""
        return [gap for key in sorted(self._seen) for gap in _gaps(self._seen[key])]

    def totals(self) -> list[dict[str, Any]]:
        """Per workflow: how many transitions, requirements and obligations there are, and how many were tried."""
        rows = []
        for key in sorted(self._seen):
            seen = self._seen[key]
            gaps = _gaps(seen)
            counts: dict[str, Any] = {"workflow": key[0], "version": key[1]}
            for kind, total in _sizes(seen.workflow).items():
                counts[kind] = {"total": total, "exercised": total - sum(1 for gap in gaps if gap.kind == kind)}
            rows.append(counts)
        return rows


_PHRASES = {"blocking": "blocked a fire", "holding": "held at a fire"}


def _sizes(workflow: Workflow) -> dict[str, int]:
    return {
        "transition": len(workflow.transitions),
        "requirement": sum(len(requirements_of(t)) for t in workflow.transitions),
        "obligation": sum(len(state.obligations) for state in workflow.states.values()),
    }


def _edge(workflow: Workflow, transition: Transition) -> str:
    sources = "*" if transition.from_ == "*" else ", ".join(workflow.sources(transition))
    return f"{transition.trigger} ({sources} -> {transition.to})"


def _gaps(seen: _Seen) -> list[Gap]:
    workflow = seen.workflow
    key = (workflow.workflow, workflow.version)
    gaps = []
    for index, transition in enumerate(workflow.transitions):
        edge = _edge(workflow, transition)
        if index not in seen.fired:
            gaps.append(
                Gap(
                    *key,
                    kind="transition",
                    missing=["fired"],
                    message=f"{edge} never fired",
                    trigger=transition.trigger,
                )
            )
        for number, requirement in enumerate(requirements_of(transition)):
            missing = [
                word
                for word, found in (("blocking", seen.blocking), ("holding", seen.holding))
                if (index, number) not in found
            ]
            if not missing:
                continue
            delay = transition.after_days and number == 0
            what = f"the {transition.after_days}-day delay" if delay else f"requirement `{describe(requirement)}`"
            gaps.append(
                Gap(
                    *key,
                    kind="requirement",
                    missing=missing,
                    message=f"{what} of {edge}: never " + " and never ".join(_PHRASES[word] for word in missing),
                    trigger=transition.trigger,
                    requirement=requirement.as_yaml,
                )
            )
    for state_name, state in workflow.states.items():
        for number, obligation in enumerate(state.obligations):
            if (state_name, number) in seen.due:
                continue
            timing = (
                f"within {obligation.within_days} days"
                if obligation.within_days is not None
                else f"every {obligation.every_days} days"
            )
            gaps.append(
                Gap(
                    *key,
                    kind="obligation",
                    missing=["due"],
                    message=f"obligation `{describe(obligation)} {timing}` of state {state_name} never seen due "
                    "(expect `due:` or `overdue:` in that state)",
                    state=state_name,
                    requirement=obligation.as_yaml,
                )
            )
    return gaps
