"""Warnings: definitions that are legal, run, and are still probably not what their author meant.

An error stops a workflow from loading; a warning does not, because each of these can be intended (a slot kept
for notes nobody must write, a trigger only administrators fire). ``workflow validate`` prints them and fails on
them only with ``--strict``. Each warning is located at, and names, the slot, trigger or obligation concerned.
"""

from __future__ import annotations

from collections.abc import Iterable

from mentorflow.definitions.checks import walk_requirements
from mentorflow.definitions.models import Requirement, Workflow, slot_of
from mentorflow.definitions.yamlsafe import Located
from mentorflow.errors import DefinitionProblem

__all__ = ["WARNING_CODES", "is_warning", "workflow_warnings"]

WARNING_CODES = (
    "warning.unused_slot",
    "warning.nobody_submits",
    "warning.nobody_fires",
    "warning.unneeded_obligation",
    "warning.never_ends",
)


def is_warning(problem: DefinitionProblem) -> bool:
    """Whether a problem is a warning (the definition loads) rather than an error."""
    return problem.code.startswith("warning.")


def _slots(requirements: Iterable[Requirement]) -> set[str]:
    """The slots some requirement in ``requirements`` names, at any depth of ``all``/``any``/``not``."""
    named = set()
    for requirement in requirements:
        for node, _ in walk_requirements(requirement, ()):
            found = slot_of(node)
            if found is not None:
                named.add(found[1])
    return named


def workflow_warnings(workflow: Workflow, doc: Located) -> list[DefinitionProblem]:
    """The warnings of a workflow that passed its checks, in file order."""
    problems = [*_slot_warnings(workflow, doc), *_trigger_warnings(workflow, doc), *_obligation_warnings(workflow, doc)]
    if not any(state.final for state in workflow.states.values()):
        problems.append(
            doc.problem(
                "warning.never_ends",
                "no state is final: a relationship of this workflow can never end",
                ("states",),
                "Mark the states where a relationship ends with `final: true` (and an `outcome`).",
            )
        )
    return sorted(problems, key=lambda problem: (problem.line, problem.column))


def _slot_warnings(workflow: Workflow, doc: Located) -> list[DefinitionProblem]:
    # A carried slot is used even if nothing here requires it: the relationship it starts receives it.
    used = _slots([requirement for transition in workflow.transitions for requirement in transition.requires])
    used |= _slots([obligation for state in workflow.states.values() for obligation in state.obligations])
    used |= {slot for t in workflow.transitions if t.starts is not None for slot in t.starts.carry}
    problems = []
    for name, slot in workflow.artifacts.items():
        if name not in used:
            problems.append(
                doc.problem(
                    "warning.unused_slot",
                    f"slot {name!r} is never required: no requirement or obligation names it",
                    ("artifacts", name),
                    f"Require {name!r} in a transition or an obligation, or remove the slot if nothing waits for it.",
                )
            )
        if slot.submitted_by == []:
            problems.append(
                doc.problem(
                    "warning.nobody_submits",
                    f"slot {name!r} has `submitted_by: []`: no participant can submit to it, only administrators",
                    ("artifacts", name, "submitted_by"),
                    "List the roles that submit it, or leave `submitted_by` out to let every role submit.",
                )
            )
    return problems


def _trigger_warnings(workflow: Workflow, doc: Located) -> list[DefinitionProblem]:
    # A timed trigger with `by: []` is the clock's alone: that is a design, not a slip.
    return [
        doc.problem(
            "warning.nobody_fires",
            f"trigger {transition.trigger!r} has `by: []`: no participant can fire it, only administrators",
            ("transitions", index, "by"),
            "List the roles that may fire it, or leave `by` out to let every role fire it.",
        )
        for index, transition in enumerate(workflow.transitions)
        if transition.by == [] and transition.after_days is None
    ]


def _obligation_warnings(workflow: Workflow, doc: Located) -> list[DefinitionProblem]:
    """A deadline (``within_days``) on a slot that no way out of its state requires: the audit will chase people
    for something the relationship never waits on. A recurring obligation (``every_days``) is a rhythm kept while
    in the state, such as meeting monthly, and needs no transition to mean something."""
    problems = []
    for state_name, state in workflow.states.items():
        exits = [t for t in workflow.transitions if state_name in workflow.sources(t)]
        needed = _slots([requirement for transition in exits for requirement in transition.requires])
        for index, obligation in enumerate(state.obligations):
            named = slot_of(obligation)
            if obligation.within_days is None or named is None or named[1] in needed:
                continue
            form, slot = named
            problems.append(
                doc.problem(
                    "warning.unneeded_obligation",
                    f"obligation `{form}: {slot}` of state {state_name!r} is needed by no transition: "
                    f"no transition out of {state_name!r} requires {slot!r}",
                    ("states", state_name, "obligations", index),
                    f"Require {slot!r} in a transition from {state_name!r}, or remove the obligation.",
                )
            )
    return problems
