"""Nothing reads without bound: endless files, oversized and deeply nested content, numbers that do not fit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from mentorflow.cli import cli
from tests.conftest import Database

LIMIT = 1024 * 1024


@pytest.fixture
def started(database: Database) -> list[str]:
    base = ["--db", database.url]
    args = [*base, "--admin", "start", "traditional-dyad", "--role", "mentor=ann", "--role", "mentee=bob", "--id", "r"]
    assert CliRunner().invoke(cli, args).exit_code == 0
    return base


def _submit(base: list[str], path: str) -> subprocess.CompletedProcess[str]:
    """`submit --file` in its own process, so that a read without bound would show as a time-out, not a hang."""
    command = [
        str(Path(sys.executable).parent / "mentorflow"),
        *base,
        "--as",
        "bob",
        "submit",
        "r",
        "idp",
        "--file",
        path,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="the machine has no /dev/zero")
def test_dev_zero_as_a_file_is_read_to_the_limit_and_refused(started: list[str]) -> None:
    """`--file /dev/zero` stops at 1 MiB with `input.too_large` instead of reading until memory runs out."""
    result = _submit(started, "/dev/zero")
    assert result.returncode == 1
    assert result.stderr.startswith("error[input.too_large]")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="the platform has no named pipes")
def test_an_endless_pipe_as_a_file_is_read_to_the_limit_and_refused(started: list[str], tmp_path: Path) -> None:
    """A FIFO fed for ever is read to its limit, refused, and the writer is left to stop."""
    fifo = tmp_path / "endless.yaml"
    os.mkfifo(fifo)
    stop = threading.Event()

    def feed() -> None:
        try:
            with fifo.open("wb") as pipe:
                while not stop.is_set():
                    pipe.write(b"long_term_goals: [grow]\n" * 1024)
        except (BrokenPipeError, OSError):
            return  # the reader closed its end: what a bounded read does

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        result = _submit(started, str(fifo))
    finally:
        stop.set()
    writer.join(timeout=10)
    assert result.returncode == 1
    assert result.stderr.startswith("error[input.too_large]")
    assert "long_term_goals" not in result.stderr  # a refused file's content is never echoed


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="the platform has no named pipes")
@pytest.mark.parametrize(
    ("command", "code"),
    [
        (["--as", "bob", "submit", "r", "idp", "--file"], "artifact.invalid"),
        (["verify", "--checkpoint"], "checkpoint.invalid"),
        (["import"], "import.refused"),
        (["workflow", "validate"], "definition.invalid"),
    ],
    ids=["submit", "verify", "import", "validate"],
)
def test_a_pipe_nobody_writes_to_reads_as_empty_instead_of_waiting(
    started: list[str], tmp_path: Path, command: list[str], code: str
) -> None:
    """Opening a FIFO for reading waits for a writer: `submit --file` and `workflow validate` waited for ever."""
    fifo = tmp_path / "silent.yaml"
    os.mkfifo(fifo)
    mentorflow = str(Path(sys.executable).parent / "mentorflow")
    result = subprocess.run(
        [mentorflow, *started, *command, str(fifo)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 1
    assert f"error[{code}]" in result.stderr


def test_a_file_over_the_limit_is_refused_without_echoing_it(started: list[str], tmp_path: Path) -> None:
    """A regular file one byte over 1 MiB is refused by its size; the message names the limit, not the content."""
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"long_term_goals": ["secret-" + "x" * LIMIT]}), encoding="utf-8")
    result = CliRunner().invoke(cli, [*started, "--as", "bob", "submit", "r", "idp", "--file", str(big)])
    assert result.exit_code == 1
    assert result.stderr.startswith("error[input.too_large]")
    assert "secret" not in result.stderr
