"""`mentorflow workflow ...`: list, show, validate, diagram and schema, as a workflow author uses them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.support import Invoke, as_json

BUILTINS = ["facilitated-peer", "group", "informal-peer", "micro-mentoring", "traditional-dyad"]

GOOD = """\
mentorflow: 1
workflow: coffee-chat
version: 1
title: Coffee chat
roles:
  host: {min: 1, max: 1}
  guest: {min: 1}
artifacts:
  notes: {kind: note, submitted_by: [host]}
states:
  invited: {initial: true}
  done: {final: true, outcome: success}
transitions:
  - {trigger: finish, from: invited, to: done, requires: [{complete: notes}]}
"""

NOTE_KIND = """\
mentorflow: 1
kind: note
title: Note
fields:
  text: {type: text}
"""


@pytest.fixture
def extra(tmp_path: Path) -> Path:
    """A directory holding one valid extra workflow and its kind."""
    directory = tmp_path / "extra"
    directory.mkdir()
    (directory / "coffee-chat.yaml").write_text(GOOD)
    (directory / "note.yaml").write_text(NOTE_KIND)
    return directory


def test_list_shows_every_builtin_with_its_source(run: Invoke) -> None:
    """`workflow list --format json` lists the built-ins with source builtin."""
    rows = as_json(run("workflow", "list", "--format", "json"))
    assert [row["workflow"] for row in rows] == BUILTINS
    assert {row["source"] for row in rows} == {"builtin"}
    assert set(rows[0]) >= {"workflow", "version", "title", "source"}


def test_list_includes_extra_directories_from_the_environment(run: Invoke, extra: Path, tmp_path: Path) -> None:
    """MENTORFLOW_WORKFLOWS adds directories, separated by os.pathsep."""
    empty = tmp_path / "empty"
    empty.mkdir()
    import os

    result = run("workflow", "list", "--format", "csv", env={"MENTORFLOW_WORKFLOWS": f"{extra}{os.pathsep}{empty}"})
    assert result.exit_code == 0, result.output
    assert f"coffee-chat,1,Coffee chat,{extra / 'coffee-chat.yaml'}" in result.stdout


def test_list_shows_definitions_registered_only_in_the_database(run: Invoke, extra: Path) -> None:
    """A workflow whose file is gone still lists, from the database."""
    assert (
        run(
            "--workflows", str(extra), "--admin", "start", "coffee-chat", "--role", "host=h", "--role", "guest=g"
        ).exit_code
        == 0
    )
    rows = as_json(run("workflow", "list", "--format", "json"))
    assert {"workflow": "coffee-chat", "version": 1, "title": "Coffee chat", "source": "database"} in rows


def test_show_prints_roles_states_and_requirements(run: Invoke) -> None:
    """`workflow show` prints each transition with its requirements."""
    result = run("workflow", "show", "traditional-dyad")
    assert result.exit_code == 0
    assert "roles: mentor 1..1, mentee 1..1" in result.stdout
    assert "negotiating -> early_meetings: launch [agreement signed; idp signed" in result.stdout


def test_show_json_is_the_definition(run: Invoke) -> None:
    """`workflow show --format json` gives the definition with YAML spellings (from, not from_)."""
    data = as_json(run("workflow", "show", "group@4", "--format", "json"))
    assert data["workflow"] == "group"
    assert data["source"] == "builtin"
    assert "from" in data["transitions"][0]


@pytest.mark.parametrize(
    ("reference", "code"),
    [("nope", "workflow.not_found"), ("group@9", "workflow.not_found"), ("group@x", "input.invalid")],
)
def test_show_unknown_reference_fails_with_a_code(run: Invoke, reference: str, code: str) -> None:
    """An unknown id or version exits 1 with its code and a hint."""
    result = run("workflow", "show", reference)
    assert result.exit_code == 1
    assert f"error[{code}]" in result.stderr
    assert "hint:" in result.stderr


def test_validate_accepts_the_builtins(run: Invoke) -> None:
    """The shipped workflows directory validates."""
    root = Path(__file__).resolve().parents[2] / "workflows"
    result = run("workflow", "validate", str(root))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok:")


def test_validate_lists_every_problem_with_its_location(run: Invoke, tmp_path: Path) -> None:
    """Each problem prints as file:line:col: code: message, and the exit code is 1."""
    broken = tmp_path / "broken.yaml"
    broken.write_text(GOOD.replace("to: done", "to: gone").replace("guest: {min: 1}", "guest: {min: 1, colour: 2}"))
    result = run("workflow", "validate", str(broken))
    assert result.exit_code == 1
    lines = [line for line in result.stdout.splitlines() if not line.startswith("  hint:")]
    assert f"{broken}:7:19: definition.unknown_key: unknown key 'colour' in roles.guest" in lines
    assert "error[definition.invalid]: 1 problem found" in result.stderr


def test_validate_json_lists_problems(run: Invoke, tmp_path: Path) -> None:
    """`--format json` gives file, line, column, code, message and hint per problem."""
    broken = tmp_path / "broken.yaml"
    broken.write_text(GOOD.replace("to: done", "to: gone"))
    result = run("workflow", "validate", "--format", "json", str(broken))
    assert result.exit_code == 1
    problems = json.loads(result.stdout)
    assert problems[0]["code"] == "definition.unknown_state"
    assert (problems[0]["line"], problems[0]["column"]) == (14, 38)
    assert "Use one of the states" in problems[0]["hint"]


def test_validate_resolves_kinds_from_extra_directories(run: Invoke, extra: Path) -> None:
    """A workflow validated on its own finds the kinds in --workflows directories."""
    result = run("--workflows", str(extra), "workflow", "validate", str(extra / "coffee-chat.yaml"))
    assert result.exit_code == 0, result.output


def test_validate_without_yaml_files_fails(run: Invoke, tmp_path: Path) -> None:
    """A directory with no YAML is an error, not a silent success."""
    result = run("workflow", "validate", str(tmp_path))
    assert result.exit_code == 1
    assert "definition.no_files" in result.stdout


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_diagram_labels_edges_with_requirements(run: Invoke, fmt: str) -> None:
    """Each edge carries its trigger and requirements."""
    result = run("workflow", "diagram", "micro-mentoring", "--format", fmt)
    assert result.exit_code == 0
    separator = "," if fmt == "mermaid" else ";"
    assert f"convert [conversion signed{separator} by mentor/mentee]" in result.stdout
    assert result.stdout.startswith("stateDiagram-v2" if fmt == "mermaid" else 'digraph "micro-mentoring"')


def test_diagram_of_a_file(run: Invoke, extra: Path) -> None:
    """A path draws that file, its kinds resolved through --workflows."""
    result = run("--workflows", str(extra), "workflow", "diagram", str(extra / "coffee-chat.yaml"))
    assert result.exit_code == 0, result.output
    assert "invited --> done: finish [notes complete]" in result.stdout


def test_diagram_of_a_broken_file_reports_its_problems(run: Invoke, tmp_path: Path) -> None:
    """Drawing an invalid file exits 1 with located problems."""
    broken = tmp_path / "broken.yaml"
    broken.write_text(GOOD)
    result = run("workflow", "diagram", str(broken))
    assert result.exit_code == 1
    assert "definition.unknown_kind" in result.stderr


@pytest.mark.parametrize("which", ["workflow", "kind"])
def test_schema_is_json_schema(run: Invoke, which: str) -> None:
    """`workflow schema` prints a JSON Schema that names the language's keys."""
    document = as_json(run("workflow", "schema", which))
    assert document["$schema"].startswith("https://json-schema.org/")
    assert ("transitions" if which == "workflow" else "fields") in document["properties"]
