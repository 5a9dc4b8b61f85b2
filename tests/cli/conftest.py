"""Fixtures for driving the CLI through click's CliRunner against a fresh database."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mentorflow.cli import cli
from tests.cli.support import Invoke


@pytest.fixture
def cli_db(tmp_path: Path) -> str:
    """A fresh SQLite database with the schema created through `mentorflow init`."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    result = CliRunner().invoke(cli, ["--db", url, "init"])
    assert result.exit_code == 0, result.output
    return url


@pytest.fixture
def run(cli_db: str) -> Invoke:
    """Run `mentorflow --db <fresh db> ARGS...`; keyword `env` adds environment variables."""

    def invoke(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:  # noqa: A002
        return CliRunner().invoke(cli, ["--db", cli_db, *args], env=env, input=input, catch_exceptions=False)

    return invoke
