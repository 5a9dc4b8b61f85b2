"""Audit filters are checked: a misspelt state is an error with a suggestion, never an empty answer.

``audit --state negotiatng`` used to print "no relationships match" and exit 0, which reads as good news. A filter
now names a workflow that is loaded (a built-in, an extra directory, or stored in the database), a state or phase
of such a workflow (of the filtered workflow, when one is given), or a program some relationship belongs to; any
other value is ``audit.unknown_filter`` with the nearest valid name.
"""

from __future__ import annotations

from collections.abc import Iterable

from mentorflow import store
from mentorflow.definitions import Registry, Workflow
from mentorflow.definitions.messages import did_you_mean
from mentorflow.errors import UnknownFilter
from mentorflow.identifiers import check_identifier
from mentorflow.store.definitions import definitions
from mentorflow.store.queries import programs

__all__ = ["check_filters"]

SHOWN = 12
"""How many valid names a refusal lists."""


def check_filters(
    reading: store.Executor,
    registry: Registry,
    bundles: store.Bundles,
    *,
    workflow: str | None,
    state: str | None,
    phase: str | None,
    program: str | None,
) -> None:
    """Refuse a filter value that names nothing there is."""
    given = {"workflow": workflow, "state": state, "phase": phase, "program": program}
    for what, value in given.items():
        if value is not None:
            check_identifier(value, f"{what} filter")
    if all(value is None for value in given.values()):
        return
    known = _workflows(reading, registry, bundles)
    if workflow is not None:
        _refuse_unknown(workflow, known, f"no workflow {workflow!r} is loaded", "workflows")
        known = {workflow: known[workflow]}
    owner = f"workflow {workflow!r} has no" if workflow is not None else "no workflow loaded has a"
    if state is not None:
        states = {name for found in known.values() for name in found.states}
        _refuse_unknown(state, states, f"{owner} state {state!r}", "states")
    if phase is not None:
        phases = {name for found in known.values() for name in found.phases}
        _refuse_unknown(phase, phases, f"{owner} phase {phase!r}", "phases")
    if program is not None:
        _refuse_unknown(program, programs(reading), f"no relationship belongs to program {program!r}", "programs")


def _workflows(reading: store.Executor, registry: Registry, bundles: store.Bundles) -> dict[str, _Union]:
    """Every workflow known by id; for one with several versions, the union of their states is what counts."""
    found: dict[str, list[Workflow]] = {}
    for entry in registry.workflows():
        if isinstance(entry.definition, Workflow):
            found.setdefault(entry.definition.workflow, []).append(entry.definition)
    for workflow_id, _, _, definition_hash in definitions(reading):
        found.setdefault(workflow_id, []).append(bundles.get(reading, definition_hash).workflow)
    return {workflow_id: _Union(versions) for workflow_id, versions in found.items()}


class _Union:
    """The states and phases of every version of one workflow."""

    def __init__(self, versions: Iterable[Workflow]) -> None:
        listed = list(versions)
        self.states = {state for version in listed for state in version.states}
        self.phases = {phase for version in listed for phase in version.phases}


def _refuse_unknown(value: str, choices: Iterable[str], message: str, what: str) -> None:
    names = sorted(set(choices))
    if value in names:
        return
    match = did_you_mean(value, names)
    listed = ", ".join(names[:SHOWN]) + (", and more" if len(names) > SHOWN else "")
    known = f"Known {what}: {listed}." if names else f"There are no {what} yet."
    raise UnknownFilter(message, hint=(f"Did you mean {match!r}? " if match else "") + known)
