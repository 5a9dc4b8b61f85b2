"""`mentorflow workflow test`: PASS and FAIL lines, the closing count, exit codes, JSON, coverage; --db untouched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mentorflow.cli import cli
from tests.conftest import GATES_DIR
from tests.scenarios.conftest import WriteScenario

PASSING = """\
mentorflow: 1
scenario: plan first
workflow: traditional-dyad
people: {mentor: [ann], mentee: [bob]}
steps:
  - {fire: negotiate, as: bob, expect: {error: transition.blocked, blockers: [artifact.missing]}}
  - {expect: {state: preparing, allowed: [withdraw]}}
"""
FAILING = """\
mentorflow: 1
scenario: too soon
workflow: traditional-dyad
people: {mentor: [ann], mentee: [bob]}
steps:
  - {at: 3}
  - fire: withdraw
    as: bob
    reason: moving away
    expect:
      state: preparing
"""


def invoke(*args: str, db: Path | None = None) -> Result:
    prefix = ["--db", f"sqlite:///{db}"] if db is not None else []
    return CliRunner().invoke(cli, [*prefix, "workflow", "test", *args], catch_exceptions=False)


def test_pass_and_fail_lines_then_a_count(scenario_file: WriteScenario) -> None:
    """Each scenario prints PASS NAME or FAIL FILE:LINE:COL: WHAT; a count closes; any failure exits 1."""
    good, bad = scenario_file(PASSING, "a-good"), scenario_file(FAILING, "b-bad")
    result = invoke(str(good), str(bad))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "PASS plan first",
        f"FAIL {bad}:7:5: expected state preparing, got withdrawn",
        "1 passed, 1 failed",
    ]
    assert result.stderr == "error[scenario.failed]: 1 of 2 scenarios failed\n"


def test_all_passing_exits_0(scenario_file: WriteScenario) -> None:
    """Only passing scenarios: exit 0."""
    result = invoke(str(scenario_file(PASSING)))
    assert (result.exit_code, result.stdout.splitlines()[-1]) == (0, "1 passed, 0 failed")


def test_a_directory_runs_every_file_in_it(scenario_file: WriteScenario) -> None:
    """A directory stands for the YAML files under it, in name order."""
    scenario_file(PASSING, "one")
    scenario_file(PASSING.replace("plan first", "plan first again"), "two")
    result = invoke(str(scenario_file(PASSING, "three").parent))
    assert result.stdout.splitlines() == [
        "PASS plan first",
        "PASS plan first",
        "PASS plan first again",
        "3 passed, 0 failed",
    ]


def test_a_file_that_does_not_load_fails_with_each_problem(scenario_file: WriteScenario) -> None:
    """A malformed file is a failing scenario: one FAIL line per problem, each with its hint."""
    path = scenario_file(PASSING.replace("as: bob, expect", "as: bob, expct"))
    result = invoke(str(path))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"FAIL {path}:6:32: definition.unknown_key: unknown key 'expct' in steps[0] (did you mean 'expect'?)"
    )
    assert lines[1].startswith("  hint: Allowed keys here: ")
    assert lines[-1] == "0 passed, 1 failed"


def test_the_database_option_is_never_used(scenario_file: WriteScenario, tmp_path: Path) -> None:
    """Scenarios run in memory: the --db file is not created, let alone written."""
    db = tmp_path / "never.db"
    assert invoke(str(scenario_file(PASSING)), db=db).exit_code == 0
    assert not db.exists()


def test_workflows_directories_are_honoured(scenario_file: WriteScenario) -> None:
    """--workflows adds the workflows under test, as for every other command."""
    path = scenario_file(
        "mentorflow: 1\nscenario: gates\nworkflow: gates\npeople: {lead: ann, member: bob}\nsteps: [tick]\n"
    )
    without = invoke(str(path))
    assert without.stdout.splitlines()[0] == f"FAIL {path}:3:1: unknown workflow 'gates'"
    result = CliRunner().invoke(cli, ["--workflows", str(GATES_DIR), "workflow", "test", str(path)])
    assert result.stdout.splitlines() == ["PASS gates", "1 passed, 0 failed"]


def test_json_lists_each_scenario_and_the_counts(scenario_file: WriteScenario) -> None:
    """`--format json`: each scenario's file, name, workflow, result and failure; the counts; coverage on demand."""
    bad = scenario_file(FAILING, "bad")
    result = invoke(str(bad), "--format", "json", "--coverage")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert document["passed"] == 0
    assert document["failed"] == 1
    [row] = document["scenarios"]
    assert row == {
        "file": str(bad),
        "scenario": "too soon",
        "workflow": "traditional-dyad",
        "version": 3,
        "result": "fail",
        "steps": 2,
        "line": 7,
        "column": 5,
        "message": "expected state preparing, got withdrawn",
        "failures": [{"line": 7, "column": 5, "message": "expected state preparing, got withdrawn", "hint": ""}],
    }
    gaps = document["coverage"]["gaps"]
    assert {"workflow", "version", "kind", "trigger", "state", "requirement", "missing", "message"} == set(gaps[0])
    assert [g["trigger"] for g in gaps if g["kind"] == "transition"] == [
        "negotiate",
        "launch",
        "deepen",
        "conclude",
        "complete",
    ]
    [totals] = document["coverage"]["workflows"]
    assert totals["transition"] == {"total": 6, "exercised": 1}
    assert "coverage" not in json.loads(invoke(str(bad), "--format", "json").stdout)


def test_coverage_lists_what_no_scenario_tried(scenario_file: WriteScenario) -> None:
    """`--coverage` adds a line per workflow and one per untried transition, requirement or obligation."""
    result = invoke(str(scenario_file(PASSING)), "--coverage")
    lines = result.stdout.splitlines()
    assert lines[1] == "coverage traditional-dyad v3: 0 of 6 transitions, 0 of 8 requirements, 0 of 7 obligations"
    assert "  untried traditional-dyad v3: negotiate (preparing -> negotiating) never fired" in lines
    assert (
        "  untried traditional-dyad v3: requirement `idp complete` of negotiate (preparing -> negotiating): "
        "never held at a fire"
    ) in lines
    assert (
        "  untried traditional-dyad v3: obligation `idp complete within 30 days` of state preparing never seen due "
        "(expect `due:` or `overdue:` in that state)"
    ) in lines
    assert lines[-1] == "1 passed, 0 failed"


def test_no_scenario_files_is_an_error(tmp_path: Path) -> None:
    """An empty directory is refused, not a silent success."""
    result = CliRunner().invoke(cli, ["workflow", "test", str(tmp_path)])
    assert result.exit_code == 1
    assert "error[input.invalid]: no scenario files (*.yaml, *.yml) in" in result.stderr


@pytest.mark.parametrize("which", ["workflow", "kind", "scenario"])
def test_schema_prints_each_language(which: str) -> None:
    """`workflow schema scenario` sits beside the workflow and kind schemas."""
    result = CliRunner().invoke(cli, ["workflow", "schema", which])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["additionalProperties"] is False
