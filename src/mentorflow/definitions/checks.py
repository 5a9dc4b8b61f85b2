"""The semantic checks of a workflow: what pydantic's structure cannot see (graph shape, references, fit).

Each check reports every problem it finds, located at the offending YAML, naming the offenders and saying what to
do; the caller raises them together so that an author fixes a file in one pass.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from mentorflow.definitions.messages import did_you_mean
from mentorflow.definitions.models import (
    AllOf,
    AnyOf,
    Complete,
    Count,
    Kind,
    NotReq,
    Remind,
    Requirement,
    Signed,
    Transition,
    Workflow,
    slot_of,
)
from mentorflow.definitions.yamlsafe import Located, PathKey
from mentorflow.errors import DefinitionProblem

__all__ = ["check_references", "check_workflow", "walk_requirements"]


def walk_requirements(requirement: Requirement, path: PathKey) -> Iterator[tuple[Requirement, PathKey]]:
    """Every requirement inside ``requirement`` (itself included), with its YAML path."""
    yield requirement, path
    if isinstance(requirement, AllOf):
        for index, child in enumerate(requirement.all):
            yield from walk_requirements(child, (*path, "all", index))
    elif isinstance(requirement, AnyOf):
        for index, child in enumerate(requirement.any):
            yield from walk_requirements(child, (*path, "any", index))
    elif isinstance(requirement, NotReq):
        yield from walk_requirements(requirement.not_, (*path, "not"))


def _names(items: list[str]) -> str:
    return ", ".join(repr(item) for item in items)


def _guess(word: str, choices: list[str]) -> str:
    """``Did you mean 'mentor'? `` before a hint, when one declared name is close to the unknown one."""
    match = did_you_mean(word, choices)
    return f"Did you mean {match!r}? " if match else ""


class _Checker:
    def __init__(self, workflow: Workflow, doc: Located) -> None:
        self.wf = workflow
        self.doc = doc
        self.problems: list[DefinitionProblem] = []

    def add(self, code: str, message: str, path: PathKey, hint: str) -> None:
        self.problems.append(self.doc.problem(code, message, path, hint))

    def role(self, role: str, path: PathKey) -> None:
        if role not in self.wf.roles:
            self.add(
                "definition.unknown_role",
                f"unknown role {role!r}",
                path,
                _guess(role, list(self.wf.roles))
                + f"Use one of the roles: {_names(list(self.wf.roles))}, or declare it under `roles`.",
            )

    def state(self, state: str, path: PathKey) -> None:
        if state not in self.wf.states:
            self.add(
                "definition.unknown_state",
                f"unknown state {state!r}",
                path,
                _guess(state, list(self.wf.states))
                + f"Use one of the states: {_names(list(self.wf.states))}, or declare it under `states`.",
            )

    def slot(self, slot: str, path: PathKey) -> bool:
        if slot not in self.wf.artifacts:
            known = _names(list(self.wf.artifacts)) or "(none declared)"
            self.add(
                "definition.unknown_slot",
                f"unknown artifact slot {slot!r}",
                path,
                _guess(slot, list(self.wf.artifacts))
                + f"Use one of the slots: {known}, or declare it under `artifacts`.",
            )
            return False
        return True

    def run(self) -> list[DefinitionProblem]:
        self.remind(self.wf.remind, ("remind",))
        self.check_roles()
        self.check_states()
        self.check_slots()
        self.check_transitions()
        if not self.problems:
            self.check_graph()
        return self.problems

    def check_states(self) -> None:
        initials = [name for name, state in self.wf.states.items() if state.initial]
        if len(initials) != 1:
            found = _names(initials) if initials else "none"
            self.add(
                "definition.initial_state",
                f"a workflow needs exactly one initial state; found {found}",
                ("states", initials[1]) if len(initials) > 1 else ("states",),
                "Mark exactly one state with `initial: true`.",
            )
        for name, state in self.wf.states.items():
            if state.phase is not None and state.phase not in self.wf.phases:
                self.add(
                    "definition.unknown_phase",
                    f"state {name!r} names unknown phase {state.phase!r}",
                    ("states", name, "phase"),
                    _guess(state.phase, self.wf.phases)
                    + f"Use one of the phases: {_names(self.wf.phases) or '(none declared)'}.",
                )
            if state.outcome is not None and not state.final:
                self.add(
                    "definition.outcome_not_final",
                    f"state {name!r} has an outcome but is not final",
                    ("states", name, "outcome"),
                    "Remove `outcome`, or add `final: true`.",
                )
            if state.final and state.initial:
                self.add(
                    "definition.final_initial",
                    f"state {name!r} is both initial and final",
                    ("states", name),
                    "A relationship must be able to start; make the initial state non-final.",
                )
            for index, obligation in enumerate(state.obligations):
                self.requirement(obligation, ("states", name, "obligations", index))
                self.remind(obligation.remind, ("states", name, "obligations", index, "remind"))

    def remind(self, remind: Remind | None, path: PathKey) -> None:
        """A reminder day listed twice would be one reminder written as two."""
        if remind is not None:
            self.once(remind.before_days, (*path, "before_days"), "definition.duplicate_reminder", "day")

    def once(self, values: Sequence[object], path: PathKey, code: str, noun: str) -> None:
        """Say which entry of a list repeats an earlier one: a name listed twice is a slip, never a meaning."""
        seen: set[object] = set()
        for index, value in enumerate(values):
            if value in seen:
                shown = value if isinstance(value, int) else repr(value)
                self.add(
                    code,
                    f"{path[-1]} lists {shown} twice",
                    (*path, index),
                    f"List each {noun} once: remove this {shown}.",
                )
            seen.add(value)

    def check_roles(self) -> None:
        self.once(self.wf.phases, ("phases",), "definition.duplicate_name", "phase")
        for name, cardinality in self.wf.roles.items():
            self.once(cardinality.added_by, ("roles", name, "added_by"), "definition.duplicate_name", "role")
            for index, role in enumerate(cardinality.added_by):
                self.role(role, ("roles", name, "added_by", index))

    def check_slots(self) -> None:
        for name, slot in self.wf.artifacts.items():
            for key in ("submitted_by", "signed_by", "visible_to"):
                roles = getattr(slot, key) or []
                self.once(roles, ("artifacts", name, key), "definition.duplicate_name", "role")
                for index, role in enumerate(roles):
                    self.role(role, ("artifacts", name, key, index))

    def check_transitions(self) -> None:
        seen: dict[tuple[str, str], int] = {}
        for index, transition in enumerate(self.wf.transitions):
            path: PathKey = ("transitions", index)
            self.transition_references(transition, path)
            self.listed_twice(transition, path)
            self.transition_sources(transition, index, seen)

    def transition_references(self, transition: Transition, path: PathKey) -> None:
        """The states, roles, slots and requirements one transition names."""
        if transition.from_ != "*":
            for position, source in enumerate(self.wf.sources(transition)):
                source_path = (*path, "from") if isinstance(transition.from_, str) else (*path, "from", position)
                self.state(source, source_path)
        self.state(transition.to, (*path, "to"))
        self.once(transition.by or [], (*path, "by"), "definition.duplicate_name", "role")
        for position, role in enumerate(transition.by or []):
            self.role(role, (*path, "by", position))
        for position, requirement in enumerate(transition.requires):
            self.requirement(requirement, (*path, "requires", position))
        if transition.starts is not None:
            for position, slot in enumerate(transition.starts.carry):
                self.slot(slot, (*path, "starts", "carry", position))
            for new_role, old_role in transition.starts.roles.items():
                self.role(old_role, (*path, "starts", "roles", new_role))

    def transition_sources(self, transition: Transition, index: int, seen: dict[tuple[str, str], int]) -> None:
        """A trigger fires once from any state, and never from a final one."""
        path: PathKey = ("transitions", index)
        for source in dict.fromkeys(self.wf.sources(transition)):
            key = (transition.trigger, source)
            if key in seen:
                self.add(
                    "definition.ambiguous_trigger",
                    f"trigger {transition.trigger!r} is defined twice from state {source!r} "
                    f"(transitions {seen[key]} and {index})",
                    (*path, "trigger"),
                    "Give one of the transitions another trigger name, or merge them.",
                )
            seen[key] = index
            if source in self.wf.states and self.wf.states[source].final:
                self.add(
                    "definition.final_has_exit",
                    f"final state {source!r} has an outgoing transition {transition.trigger!r}",
                    (*path, "from"),
                    f"Remove {source!r} from `from`, or make it non-final.",
                )

    def listed_twice(self, transition: Transition, path: PathKey) -> None:
        if isinstance(transition.from_, list):
            for source in sorted({s for s in transition.from_ if transition.from_.count(s) > 1}):
                self.add(
                    "definition.ambiguous_trigger",
                    f"trigger {transition.trigger!r} lists state {source!r} twice in `from`",
                    (*path, "from"),
                    f"List {source!r} once.",
                )

    def requirement(self, requirement: Requirement, path: PathKey) -> None:
        for node, node_path in walk_requirements(requirement, path):
            named = slot_of(node)
            if named is not None:
                form, slot_name = named
                if not self.slot(slot_name, (*node_path, form)):
                    continue
                slot = self.wf.artifacts[slot_name]
                for position, role in enumerate(getattr(node, "by", None) or []):
                    self.role(role, (*node_path, "by", position))
                needs_repeatable = isinstance(node, Count) or (isinstance(node, Complete) and node.by)
                if needs_repeatable and not slot.repeatable:
                    self.add(
                        "definition.requires_repeatable",
                        f"`{'count' if isinstance(node, Count) else 'complete ... by'}` needs a repeatable "
                        f"slot, but {slot_name!r} holds a single document",
                        (*node_path, form),
                        f"Add `repeatable: true` to slot {slot_name!r}, or use `complete: {slot_name}`.",
                    )
                if isinstance(node, Signed) and not (node.by or slot.signed_by):
                    self.add(
                        "definition.no_signers",
                        f"`signed: {slot_name}` but slot {slot_name!r} has no signed_by roles",
                        (*node_path, form),
                        f"Add `signed_by: [...]` to slot {slot_name!r}, or `by: [...]` here.",
                    )

    def check_graph(self) -> None:
        initial = self.wf.initial_state
        edges: dict[str, set[str]] = {name: set() for name in self.wf.states}
        for transition in self.wf.transitions:
            for source in self.wf.sources(transition):
                edges[source].add(transition.to)
        reached = {initial}
        frontier = [initial]
        while frontier:
            for target in edges[frontier.pop()] - reached:
                reached.add(target)
                frontier.append(target)
        for name, state in self.wf.states.items():
            if name not in reached:
                self.add(
                    "definition.unreachable_state",
                    f"state {name!r} cannot be reached from the initial state {initial!r}",
                    ("states", name),
                    f"Add a transition to {name!r}, or remove the state.",
                )
            elif not state.final and not edges[name]:
                self.add(
                    "definition.dead_end",
                    f"non-final state {name!r} has no outgoing transition",
                    ("states", name),
                    f"Add a transition from {name!r}, or mark it `final: true`.",
                )


def check_workflow(workflow: Workflow, doc: Located) -> list[DefinitionProblem]:
    """The semantic problems of one workflow on its own (cross-file references are ``check_references``)."""
    return _Checker(workflow, doc).run()


def check_references(
    workflow: Workflow,
    doc: Located,
    kinds: Mapping[str, Kind],
    workflows: Mapping[str, Workflow],
    versions: Mapping[tuple[str, int], Workflow] | None = None,
) -> list[DefinitionProblem]:
    """Problems with what a workflow references in other files: artifact kinds and the workflows it starts.

    ``workflows`` holds the latest version of each workflow; ``versions``, when given, every (id, version), so
    that a `starts` pinned to a version is checked against that version.
    """
    problems: list[DefinitionProblem] = []
    for name, slot in workflow.artifacts.items():
        if slot.kind not in kinds:
            problems.append(
                doc.problem(
                    "definition.unknown_kind",
                    f"slot {name!r} uses unknown artifact kind {slot.kind!r}",
                    ("artifacts", name, "kind"),
                    _guess(slot.kind, sorted(kinds))
                    + f"Use one of the kinds: {_names(sorted(kinds))}, or add a kind file for {slot.kind!r}.",
                )
            )
    for index, transition in enumerate(workflow.transitions):
        if transition.starts is not None:
            problems.extend(
                _check_starts(workflow, transition, doc, ("transitions", index, "starts"), workflows, versions or {})
            )
    return problems


def _check_starts(
    workflow: Workflow,
    transition: Transition,
    doc: Located,
    path: PathKey,
    workflows: Mapping[str, Workflow],
    versions: Mapping[tuple[str, int], Workflow],
) -> list[DefinitionProblem]:
    assert transition.starts is not None  # noqa: S101 - the caller checked
    starts = transition.starts
    target = workflows.get(starts.workflow)
    if target is None:
        return [
            doc.problem(
                "definition.unknown_workflow",
                f"transition {transition.trigger!r} starts unknown workflow {starts.workflow!r}",
                (*path, "workflow"),
                _guess(starts.workflow, sorted(workflows)) + f"Use one of the workflows: {_names(sorted(workflows))}.",
            )
        ]
    if starts.version is not None and versions:
        pinned = versions.get((starts.workflow, starts.version))
        if pinned is None:
            known = ", ".join(str(number) for workflow_id, number in sorted(versions) if workflow_id == starts.workflow)
            return [
                doc.problem(
                    "definition.unknown_workflow",
                    f"transition {transition.trigger!r} starts workflow "
                    f"{starts.workflow!r} version {starts.version}, which is not defined",
                    (*path, "version"),
                    f"Use a version that exists: {known}, or leave `version` out.",
                )
            ]
        target = pinned
    problems = [
        doc.problem(
            "definition.unknown_role",
            f"workflow {target.workflow!r} has no role {new_role!r}",
            (*path, "roles", new_role),
            _guess(new_role, list(target.roles)) + f"Use one of its roles: {_names(list(target.roles))}.",
        )
        for new_role in starts.roles
        if new_role not in target.roles
    ]
    problems += [
        doc.problem(
            "definition.unfilled_role",
            f"transition {transition.trigger!r} starts workflow {target.workflow!r}, whose role {role!r} needs at "
            f"least {limits.min}, but `roles` gives it nobody: the trigger could never fire",
            (*path, "roles"),
            f"Fill it from one of this workflow's roles: {role}: {next(iter(workflow.roles), 'ROLE')}.",
        )
        for role, limits in target.roles.items()
        if limits.min >= 1 and role not in starts.roles
    ]
    for position, slot in enumerate(starts.carry):
        mine, theirs = workflow.artifacts.get(slot), target.artifacts.get(slot)
        if mine is not None and (theirs is None or theirs.kind != mine.kind):
            problems.append(
                doc.problem(
                    "definition.unknown_slot",
                    f"workflow {target.workflow!r} has no slot {slot!r} of kind {mine.kind!r} to carry into",
                    (*path, "carry", position),
                    "Carry only slots both workflows declare with the same kind.",
                )
            )
    return problems
