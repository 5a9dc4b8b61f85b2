"""The scenarios shipped with the built-in workflows: each passes, and together they leave nothing untried."""

from __future__ import annotations

from pathlib import Path

import pytest

from mentorflow.definitions import Registry, Workflow, builtin_dir, validate_paths
from mentorflow.scenarios import load_scenario, run_paths, run_scenario

SCENARIOS = builtin_dir() / "tests"
FILES = sorted(SCENARIOS.glob("*.yaml"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_builtin_scenario_passes(path: Path) -> None:
    """Each scenario file in workflows/tests/ passes against the built-in workflows."""
    result = run_scenario(load_scenario(path))
    assert result.passed, "\n".join(f"{path}:{f.line}:{f.column}: {f.message}" for f in result.failures)
    assert result.steps == len(load_scenario(path).scenario.steps)


def test_every_builtin_workflow_has_scenarios() -> None:
    """No built-in workflow ships without a scenario that runs on it."""
    tested = {load_scenario(path).scenario.reference[0] for path in FILES}
    builtins = {e.definition.workflow for e in Registry().workflows() if isinstance(e.definition, Workflow)}
    assert tested == builtins


def test_builtin_scenarios_leave_nothing_untried() -> None:
    """Every transition, requirement and obligation of every built-in workflow is exercised (`--coverage`)."""
    report = run_paths([SCENARIOS], coverage=True)
    assert report.failed == 0
    assert report.gaps == [], "\n".join(gap.message for gap in report.gaps or [])
    assert {row["workflow"] for row in report.totals} == {load_scenario(p).scenario.reference[0] for p in FILES}


def test_the_registry_does_not_read_scenarios_as_workflows(tmp_path: Path) -> None:
    """A `tests/` directory inside a definitions directory holds scenarios: neither the registry nor `validate`
    reads them as definitions (so the built-ins can ship theirs in workflows/tests/)."""
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "story.yaml").write_text((SCENARIOS / "informal-peer.yaml").read_text(), encoding="utf-8")
    (tmp_path / "one-on-one.yaml").write_text(
        "mentorflow: 1\nworkflow: one-on-one\nversion: 1\ntitle: One on one\nroles: {mentor: {}}\n"
        "states: {open: {initial: true}, done: {final: true}}\n"
        "transitions: [{trigger: finish, from: open, to: done}]\n",
        encoding="utf-8",
    )
    registry = Registry([tmp_path])
    extra = [e.definition for e in registry.workflows() if e.source != "builtin"]
    assert [w.workflow for w in extra if isinstance(w, Workflow)] == ["one-on-one"]
    assert validate_paths([tmp_path]) == []
    assert FILES, "the built-in scenarios are missing"
