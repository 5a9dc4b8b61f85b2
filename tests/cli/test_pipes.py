"""A reader that stops early (`mentorflow audit | head`) ends the command quietly, with exit 0."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mentorflow import Actor, Mentorflow

PROGRAM = "from mentorflow.cli import main; main()"


@pytest.mark.parametrize("output_format", ["table", "json"])
def test_a_closed_pipe_is_no_error(tmp_path: Path, output_format: str) -> None:
    """stdout closed before anything is written: no `error[internal]`, no traceback, exit 0."""
    url = f"sqlite:///{tmp_path / 'pipes.db'}"
    mf = Mentorflow(url)
    mf.upgrade()
    mf.start("informal-peer", {"peer": ["p1", "p2"]}, actor=Actor.admin(), id="peers")
    mf.engine.dispose()
    command = [sys.executable, "-c", PROGRAM, "--db", url, "audit", "--format", output_format]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        process.stdout.close()  # the reader is gone before the command writes a byte
        errors = process.stderr.read()
        assert process.wait(timeout=120) == 0
    assert errors == b""
