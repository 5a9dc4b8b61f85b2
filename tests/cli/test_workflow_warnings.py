"""`mentorflow workflow validate` as a workflow author meets it: warnings, `--strict`, kinds beside the file, and
messages that name what is wrong in the author's terms."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.support import Invoke, as_json

CHAT = """\
mentorflow: 1
workflow: coffee-chat
version: 1
title: Coffee chat
roles:
  host: {min: 1, max: 1}
  guest: {min: 1, added_by: [host]}
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

UNUSED = CHAT.replace(
    "  notes: {kind: note, submitted_by: [host]}\n",
    "  notes: {kind: note, submitted_by: [host]}\n  photo: {kind: note}\n",
)
UNUSED_MESSAGE = "slot 'photo' is never required: no requirement or obligation names it"


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    """A directory with a workflow and, beside it, the kind it uses."""
    (tmp_path / "lab").mkdir()
    (tmp_path / "lab" / "note.yaml").write_text(NOTE_KIND)
    return tmp_path / "lab"


def _write(directory: Path, text: str) -> Path:
    path = directory / "coffee-chat.yaml"
    path.write_text(text)
    return path


def test_a_file_alone_finds_the_kind_beside_it(run: Invoke, lab: Path) -> None:
    """Validating one workflow file needs no --workflows when its kinds sit in the same directory."""
    path = _write(lab, CHAT)
    result = run("workflow", "validate", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout == f"ok: {path} valid\n"


def test_a_warning_is_printed_and_passes(run: Invoke, lab: Path) -> None:
    """A warning prints as `file:line:col: warning[CODE]: message` with its hint; the exit code stays 0."""
    path = _write(lab, UNUSED)
    result = run("workflow", "validate", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{path}:10:3: warning[warning.unused_slot]: {UNUSED_MESSAGE}",
        "  hint: Require 'photo' in a transition or an obligation, or remove the slot if nothing waits for it.",
        f"ok: {path} valid (1 warning)",
    ]
    assert result.stderr == ""


def test_strict_fails_on_a_warning(run: Invoke, lab: Path) -> None:
    """With --strict a warning exits 1, says so on stderr, and no `ok:` line is printed."""
    path = _write(lab, UNUSED)
    result = run("workflow", "validate", "--strict", str(path))
    assert result.exit_code == 1
    assert "warning[warning.unused_slot]" in result.stdout
    assert "ok:" not in result.stdout
    assert result.stderr == "error[definition.invalid]: 1 warning found (--strict)\n"


def test_strict_passes_a_clean_file(run: Invoke, lab: Path) -> None:
    """--strict changes nothing for a file without warnings."""
    result = run("workflow", "validate", "--strict", str(_write(lab, CHAT)))
    assert result.exit_code == 0, result.output


def test_json_tells_warnings_from_errors(run: Invoke, lab: Path) -> None:
    """`--format json` gives each entry a severity, so that tools can tell a warning from an error."""
    path = _write(lab, UNUSED)
    (entry,) = as_json(run("workflow", "validate", "--format", "json", str(path)))
    assert entry == {
        "file": str(path),
        "line": 10,
        "column": 3,
        "code": "warning.unused_slot",
        "severity": "warning",
        "message": UNUSED_MESSAGE,
        "hint": "Require 'photo' in a transition or an obligation, or remove the slot if nothing waits for it.",
    }


def test_errors_and_warnings_of_several_files_are_listed_together(run: Invoke, lab: Path, tmp_path: Path) -> None:
    """An error in one file and a warning in another: both listed, errors first, and the exit code is 1."""
    broken = tmp_path / "broken.yaml"
    broken.write_text(CHAT.replace("workflow: coffee-chat", "workflow: tea-chat").replace("to: done", "to: gone"))
    path = _write(lab, UNUSED)
    result = run("workflow", "validate", "--format", "json", str(broken), str(path))
    assert result.exit_code == 1
    assert [(entry["code"], entry["severity"]) for entry in json.loads(result.stdout)] == [
        ("definition.unknown_state", "error"),
        ("warning.unused_slot", "warning"),
    ]


REFUSALS = [
    ("  invited: {initial: true}", "  invited: {initial: yes}",
     ("11:13: definition.invalid_value: states.invited.initial: takes true or false: write `true`, not 'yes', "
      "which YAML 1.2 reads as text")),
    ("[{complete: notes}]", "[{approvd: notes}]",
     ("14:59: definition.unknown_requirement: transitions[0].requires[0]: a requirement needs one of the keys: "
      "complete, signed, count, current, in_state_days, all, any, not, check; "
      "unknown key 'approvd' (did you mean 'signed'?)")),
    ("guest: {min: 1, added_by: [host]}", "guest: {min: 1, added_by: [hots]}",
     "7:30: definition.unknown_role: unknown role 'hots'"),
    ("guest: {min: 1, added_by: [host]}", "guest: {min: 1, added_by: host}",
     "7:19: definition.invalid_value: roles.guest.added_by: takes a list, such as [a, b] (got 'host')"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("old", "new", "line"), REFUSALS, ids=["yes", "approvd", "added-by-typo", "added-by-not-a-list"]
)
def test_refusals_name_the_key_and_what_to_write(run: Invoke, lab: Path, old: str, new: str, line: str) -> None:
    """A flag written `yes`, a misspelt requirement and a wrong `added_by` are each named at their position."""
    path = _write(lab, CHAT.replace(old, new))
    result = run("workflow", "validate", str(path))
    assert result.exit_code == 1
    assert f"{path}:{line}" in result.stdout.splitlines()


def test_an_unknown_added_by_role_suggests_the_declared_one(run: Invoke, lab: Path) -> None:
    """The hint of a misspelt role in `added_by` offers the closest declared role."""
    path = _write(lab, CHAT.replace("added_by: [host]", "added_by: [hots]"))
    result = run("workflow", "validate", str(path))
    assert "  hint: Did you mean 'host'? Use one of the roles: 'host', 'guest', or declare it under `roles`." in (
        result.stdout.splitlines()
    )


def test_the_schema_describes_added_by(run: Invoke) -> None:
    """`workflow schema` lists `added_by` on roles, for editors to complete."""
    schema = as_json(run("workflow", "schema"))
    added_by = schema["$defs"]["Cardinality"]["properties"]["added_by"]
    assert added_by["type"] == "array"
    assert "add people" in added_by["description"]
