"""`--output FILE` of `export`, `checkpoint` and `audit`: written whole or not at all, through a symbolic link to
the file it names, straight into a device, and refused with `input.invalid` where it cannot be written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mentorflow import Actor, Mentorflow
from tests.cli.support import Invoke

COMMANDS = {
    "export": ["export"],
    "checkpoint": ["checkpoint"],
    "audit-json": ["audit", "--format", "json"],
    "audit-html": ["audit", "--format", "html"],
}


@pytest.fixture(autouse=True)
def _one_relationship(cli_db: str) -> None:
    mf = Mentorflow(cli_db)
    mf.start("micro-mentoring", {"mentor": "ann", "mentee": "bob"}, actor=Actor.admin(), id="m-bob")
    mf.engine.dispose()


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
def test_a_path_that_cannot_be_written_is_refused_with_the_reason(
    run: Invoke, tmp_path: Path, command: list[str]
) -> None:
    """A missing directory was an internal FileNotFoundError; `--output ''` an internal ValueError."""
    missing = str(tmp_path / "missing" / "out")
    for output, shown, reason in ((missing, missing, "No such file or directory"), ("", ".", "Is a directory")):
        result = run(*command, "--output", output)
        assert result.exit_code == 1
        assert f"error[input.invalid]: cannot write '{shown}': {reason}" in result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["cli.db"]  # no half file left behind


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
def test_a_symbolic_link_is_written_through(run: Invoke, tmp_path: Path, command: list[str]) -> None:
    """Moving the finished file into place used to replace the link itself with a plain file."""
    target, link = tmp_path / "target", tmp_path / "link"
    target.write_text("old", encoding="utf-8")
    link.symlink_to(target)
    result = run(*command, "--output", str(link))
    assert result.exit_code == 0, result.output
    assert link.is_symlink()
    assert target.read_text(encoding="utf-8") != "old"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="this system has no /dev/full")
def test_a_device_is_written_into_not_replaced(run: Invoke) -> None:
    """`--output /dev/full` replaced the device with a plain file, and said the checkpoint was written."""
    result = run("checkpoint", "--output", "/dev/full")
    assert result.exit_code == 1
    assert "error[input.invalid]: cannot write '/dev/full': No space left on device" in result.stderr
    assert Path("/dev/full").is_char_device()


def test_a_file_written_is_what_standard_output_would_show(run: Invoke, tmp_path: Path) -> None:
    output = tmp_path / "audit.json"
    assert run("audit", "--format", "json", "--output", str(output)).exit_code == 0
    assert [row["id"] for row in json.loads(output.read_text(encoding="utf-8"))] == ["m-bob"]
