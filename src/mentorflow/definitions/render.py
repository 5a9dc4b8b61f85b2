"""Definitions as text for people: requirement phrases, and state diagrams in Mermaid and Graphviz dot.

Each edge of a diagram carries its trigger and its requirements, so that the picture answers "what does it take to
move on?" without opening the YAML.
"""

from __future__ import annotations

from mentorflow.definitions.models import (
    AllOf,
    AnyOf,
    Check,
    Complete,
    Count,
    Current,
    InStateDays,
    NotReq,
    Requirement,
    Signed,
    Transition,
    Workflow,
)

__all__ = ["describe", "dot", "edge_label", "mermaid"]


def describe(requirement: Requirement) -> str:  # noqa: PLR0911 - one phrase per form
    """A short phrase for a requirement, e.g. ``agreement signed by mentor, mentee``."""
    if isinstance(requirement, Complete):
        return f"{requirement.complete} complete" + (f" by each {'/'.join(requirement.by)}" if requirement.by else "")
    if isinstance(requirement, Signed):
        return f"{requirement.signed} signed" + (f" by {', '.join(requirement.by)}" if requirement.by else "")
    if isinstance(requirement, Count):
        since = " since start" if requirement.since == "start" else ""
        return f">= {requirement.min} {requirement.count}{since}"
    if isinstance(requirement, Current):
        return f"{requirement.current} within {requirement.max_age_days} days"
    if isinstance(requirement, InStateDays):
        return f"{requirement.in_state_days} days in state"
    if isinstance(requirement, AllOf):
        return "(" + " and ".join(describe(child) for child in requirement.all) + ")"
    if isinstance(requirement, AnyOf):
        return "(" + " or ".join(describe(child) for child in requirement.any) + ")"
    if isinstance(requirement, NotReq):
        return f"not {describe(requirement.not_)}"
    assert isinstance(requirement, Check)  # noqa: S101 - the union is closed
    return f"check {requirement.check}"


def edge_label(transition: Transition) -> str:
    parts = [describe(requirement) for requirement in transition.requires]
    if transition.by:
        parts.append(f"by {'/'.join(transition.by)}")
    if transition.after_days is not None:
        parts.append(f"after {transition.after_days} days")
    if transition.reason == "required":
        parts.append("reason")
    return transition.trigger + (f" [{'; '.join(parts)}]" if parts else "")


def _edges(workflow: Workflow) -> list[tuple[str, str, str]]:
    return [
        (source, transition.to, edge_label(transition))
        for transition in workflow.transitions
        for source in workflow.sources(transition)
    ]


def mermaid(workflow: Workflow) -> str:
    """A Mermaid ``stateDiagram-v2`` of the workflow."""
    lines = ["stateDiagram-v2", f"    [*] --> {workflow.initial_state}"]
    lines += [f"    {source} --> {target}: {_mermaid_text(label)}" for source, target, label in _edges(workflow)]
    lines += [f"    {name} --> [*]" for name, state in workflow.states.items() if state.final]
    return "\n".join(lines) + "\n"


def _mermaid_text(label: str) -> str:
    # Mermaid ends a label at a colon or semicolon and reads '#' as an entity.
    return label.replace(":", " ").replace(";", ",").replace("#", "no.")


def dot(workflow: Workflow) -> str:
    """A Graphviz ``digraph`` of the workflow."""
    lines = [
        f'digraph "{workflow.workflow}" {{',
        "    rankdir=LR;",
        "    node [shape=box, style=rounded];",
        '    "__start" [shape=point];',
        f'    "__start" -> "{workflow.initial_state}";',
    ]
    lines += [f'    "{name}" [peripheries=2];' for name, state in workflow.states.items() if state.final]
    lines += [
        f'    "{source}" -> "{target}" [label="{_dot_text(label)}"];' for source, target, label in _edges(workflow)
    ]
    return "\n".join([*lines, "}"]) + "\n"


def _dot_text(label: str) -> str:
    return label.replace("\\", "\\\\").replace('"', '\\"')
