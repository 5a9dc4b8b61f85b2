"""`export`, `import` and `erase` on the command line: for administrators, exit 1 with error[CODE] on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mentorflow import Mentorflow
from mentorflow.cli import cli
from tests.conftest import FakeClock, MakeMentorflow
from tests.lifecycle.support import body, fresh_sqlite, play


@pytest.fixture
def source(make_mf: MakeMentorflow, sqlite_template: Path, tmp_path: Path, clock: FakeClock) -> Mentorflow:
    mf = fresh_sqlite(make_mf, sqlite_template, tmp_path / "source.db")
    play(mf, clock)
    return mf


def _run(mf: Mentorflow, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", str(mf.engine.url), "--now", "2026-06-01", *args])


def test_export_to_stdout_and_to_a_file_then_import(
    source: Mentorflow, make_mf: MakeMentorflow, sqlite_template: Path, tmp_path: Path
) -> None:
    """stdout without --output; the file written whole; `import` loads it and says how much."""
    printed = _run(source, "export")
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.stdout.splitlines()[0])["relationships"] == 1
    written = _run(source, "export", "--relationship", "dyad", "--output", str(tmp_path / "a.jsonl"))
    assert written.exit_code == 0
    assert "exported 1 relationship," in written.stderr
    assert body((tmp_path / "a.jsonl").read_text(encoding="utf-8")) == body(printed.stdout)
    target = fresh_sqlite(make_mf, sqlite_template, tmp_path / "target.db")
    loaded = _run(target, "import", str(tmp_path / "a.jsonl"), "--format", "json")
    assert loaded.exit_code == 0, loaded.output
    assert json.loads(loaded.stdout) == {"relationships": 1, "events": len(source.history("dyad")), "definitions": 1}
    again = _run(fresh_target := target, "import", str(tmp_path / "a.jsonl"))
    assert again.exit_code == 1
    assert "relationship dyad already exists" in again.stderr
    assert fresh_target.verify().checked == 1


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ("not json\n", "import.refused"),
        (b"\xff\xfe\n", "import.refused"),
        ('{"mentorflow_export": 1}\n', "import.refused"),
    ],
    ids=["not JSON", "not UTF-8", "no counts"],
)
def test_import_of_a_file_that_is_not_an_archive(
    source: Mentorflow, tmp_path: Path, content: str | bytes, code: str
) -> None:
    """exit 1, error[import.refused], nothing imported."""
    path = tmp_path / "x.jsonl"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = _run(source, "import", str(path))
    assert result.exit_code == 1
    assert f"error[{code}]" in result.stderr
    assert "nothing was imported" in result.stderr


def test_import_of_a_missing_file(source: Mentorflow, tmp_path: Path) -> None:
    result = _run(source, "import", str(tmp_path / "absent.jsonl"))
    assert result.exit_code == 1
    assert "error[import.refused]: cannot read" in result.stderr


def test_erase_and_its_refusals(source: Mentorflow) -> None:
    """erase prints what it blanked; an unknown person is actor.not_participant; verify then counts it apart."""
    done = _run(source, "erase", "bob", "--reason", "request 9", "--format", "json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) == {"person": "bob", "revisions": 3, "relationships": ["dyad"]}
    assert "erased 0 revisions of bob in 0 relationships" in _run(source, "erase", "bob", "--reason", "r").stdout
    unknown = _run(source, "erase", "nobody", "--reason", "r")
    assert unknown.exit_code == 1
    assert "error[actor.not_participant]" in unknown.stderr
    verified = _run(source, "verify")
    assert verified.exit_code == 0
    assert "erased: 3 revisions" in verified.stdout
    shown = _run(source, "show", "dyad", "idp")
    assert shown.exit_code == 1
    assert "error[artifact.erased]" in shown.stderr


@pytest.mark.parametrize("command", [["export"], ["import", "x"], ["erase", "bob", "--reason", "r"]], ids=str)
def test_a_person_may_not_run_them(source: Mentorflow, command: list[str]) -> None:
    """With --as a person and no --admin: actor.not_allowed; with --admin it runs."""
    result = CliRunner().invoke(cli, ["--db", str(source.engine.url), "--as", "ann", *command])
    assert result.exit_code == 1
    assert "error[actor.not_allowed]" in result.stderr
