"""Warnings: legal but suspect definitions load, and are named with a code, a location and the offender.

Each file in ``suspect/`` is a valid workflow with one suspect spot (its first line says which); the table below is
the warning an author sees for it. The built-in workflows give none.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mentorflow.definitions import Registry, Workflow, builtin_dir, is_warning, validate_paths, workflow_warnings
from mentorflow.definitions.lint import WARNING_CODES
from mentorflow.definitions.parse import parse_document
from mentorflow.definitions.yamlsafe import load_text
from mentorflow.errors import DefinitionProblem

SUSPECT = Path(__file__).parent / "suspect"
BASE = (SUSPECT / "unused_slot.yaml").read_text()

# file, code, line, column, message (it names the slot, trigger or obligation)
CASES = [
    ("never_ends.yaml", "warning.never_ends", 10, 1,
     "no state is final: a relationship of this workflow can never end"),
    ("nobody_fires.yaml", "warning.nobody_fires", 22, 52,
     "trigger 'finish' has `by: []`: no participant can fire it, only administrators"),
    ("nobody_submits.yaml", "warning.nobody_submits", 9, 28,
     "slot 'rules' has `submitted_by: []`: no participant can submit to it, only administrators"),
    ("unneeded_obligation.yaml", "warning.unneeded_obligation", 15, 9,
     ("obligation `signed: rules` of state 'gathering' is needed by no transition: no transition out of "
      "'gathering' requires 'rules'")),
    ("unused_slot.yaml", "warning.unused_slot", 11, 3,
     "slot 'notes' is never required: no requirement or obligation names it"),
]  # fmt: skip


def _warnings(text: str) -> list[DefinitionProblem]:
    doc = load_text(text, "circle.yaml")
    workflow = parse_document(doc)
    assert isinstance(workflow, Workflow)
    return workflow_warnings(workflow, doc)


def test_every_suspect_file_is_in_the_table() -> None:
    """A file added to ``suspect/`` without an expected warning fails here rather than going untested."""
    assert sorted(path.name for path in SUSPECT.glob("*.yaml")) == [case[0] for case in CASES]


def test_there_is_a_suspect_file_per_warning_code() -> None:
    """Every warning code has its example in the corpus."""
    assert sorted(case[1] for case in CASES) == sorted(WARNING_CODES)


@pytest.mark.parametrize(("name", "code", "line", "column", "message"), CASES, ids=[case[0] for case in CASES])
def test_suspect_file_warns_at_the_offender(name: str, code: str, line: int, column: int, message: str) -> None:
    """Validating the file gives exactly its one warning, located and naming the offender, with a hint."""
    (warning,) = validate_paths([SUSPECT / name], warnings=True)
    assert (warning.file, warning.code, warning.line, warning.column) == (str(SUSPECT / name), code, line, column)
    assert warning.message == message
    assert warning.hint
    assert is_warning(warning)


@pytest.mark.parametrize("name", [case[0] for case in CASES])
def test_a_suspect_workflow_still_loads(name: str) -> None:
    """A warning never refuses a definition: the registry loads the file, and plain validation passes it."""
    assert Registry().load_file(SUSPECT / name).workflow.title == "Writing circle"
    assert validate_paths([SUSPECT / name]) == []


@pytest.mark.parametrize("path", sorted(builtin_dir().glob("*.yaml")), ids=lambda p: p.name)
def test_builtin_workflows_give_no_warnings(path: Path) -> None:
    """Each built-in workflow validates with no errors and no warnings."""
    assert validate_paths([path], warnings=True) == []


def test_a_timed_trigger_may_be_for_the_clock_alone() -> None:
    """`by: []` on a trigger with `after_days` is the clock's trigger, not a slip: no warning."""
    text = BASE.replace("to: finished, by: [writer],", "to: finished, by: [], after_days: 90,")
    assert [w.code for w in _warnings(text)] == ["warning.unused_slot"]


def test_a_recurring_obligation_needs_no_transition() -> None:
    """An `every_days` rhythm in a state whose exits do not require its slot is not warned about."""
    text = BASE.replace("requires: [{count: draft, min: 3}]", "requires: [{signed: rules}]")
    assert "every_days: 30" in text
    assert [w.code for w in _warnings(text)] == ["warning.unused_slot"]


def test_an_obligation_is_needed_by_a_transition_from_every_state() -> None:
    """A requirement of a `from: "*"` transition counts for every non-final state's obligations."""
    text = BASE.replace(
        "  - {trigger: start, from: gathering, to: writing, requires: [{signed: rules}]}\n",
        "  - {trigger: start, from: gathering, to: writing}\n"
        '  - {trigger: stop, from: "*", to: finished, requires: [{not: {signed: rules}}]}\n',
    )
    assert [w.code for w in _warnings(text)] == ["warning.unused_slot"]


def test_a_requirement_nested_in_a_combinator_uses_its_slot() -> None:
    """A slot named only inside `any`/`all`/`not` is required: no `unused_slot` warning."""
    text = BASE.replace(
        "requires: [{count: draft, min: 3}]", "requires: [{count: draft, min: 3}, {any: [{complete: notes}]}]"
    )
    assert _warnings(text) == []


def test_a_carried_slot_is_used() -> None:
    """A slot only carried into the relationship a transition starts is not unused."""
    text = BASE.replace(
        "to: finished, by: [writer],",
        "to: finished, by: [writer], starts: {workflow: informal-peer, roles: {peer: writer}, carry: [notes]},",
    )
    assert _warnings(text) == []


def test_warnings_come_in_file_order() -> None:
    """Several warnings in one workflow are all reported, ordered by line."""
    text = BASE.replace("submitted_by: [writer], signed_by", "submitted_by: [], signed_by").replace(
        "to: finished, by: [writer],", "to: finished, by: [],"
    )
    assert [(w.code, w.line) for w in _warnings(text)] == [
        ("warning.nobody_submits", 9),
        ("warning.unused_slot", 11),
        ("warning.nobody_fires", 23),
    ]


def test_a_workflow_with_errors_gets_no_warnings(tmp_path: Path) -> None:
    """Warnings wait until the errors are fixed: a broken graph would make them misleading."""
    path = tmp_path / "circle.yaml"
    path.write_text(BASE.replace("to: finished, by: [writer],", "to: done, by: [writer],"))
    assert [p.code for p in validate_paths([path], warnings=True)] == ["definition.unknown_state"]


def test_warnings_are_left_out_unless_asked_for() -> None:
    """`validate_paths` reports errors only by default, so that a warning never reads as a failure."""
    assert validate_paths([SUSPECT / "unused_slot.yaml"]) == []
