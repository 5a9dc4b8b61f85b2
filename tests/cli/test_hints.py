"""What the command line tells people to do is said in its own terms: options, never Python calls."""

from __future__ import annotations

import re

from click.testing import CliRunner

from mentorflow.cli import cli

PYTHON = re.compile(r"\w+\(|\b\w+=\w")


def test_a_reserved_person_id_is_explained_with_options(db_url: str) -> None:
    result = CliRunner().invoke(cli, ["--db", db_url, "--as", "system", "migrate", "group", "--to", "2"])
    assert result.exit_code == 1
    hint = result.stderr.split("hint: ", 1)[1]
    assert "--admin" in hint
    assert not PYTHON.search(hint), hint


def test_migrate_as_a_person_is_explained_with_options(db_url: str) -> None:
    result = CliRunner().invoke(cli, ["--db", db_url, "--as", "bob", "migrate", "group", "--to", "2"])
    assert result.exit_code == 1
    assert "error[actor.not_allowed]" in result.stderr
    hint = result.stderr.split("hint: ", 1)[1]
    assert not PYTHON.search(hint), hint


def test_a_weak_key_is_explained_in_shell_terms(db_url: str) -> None:
    result = CliRunner().invoke(cli, ["--db", db_url, "verify"], env={"MENTORFLOW_KEY": "short"})
    assert result.exit_code == 1
    assert "error[input.invalid]: a key must be at least 32 printable ASCII characters" in result.stderr
    hint = result.stderr.split("hint: ", 1)[1]
    assert "openssl rand" in hint
    assert not PYTHON.search(hint), hint


def test_an_unknown_relationship_is_explained_with_commands(db_url: str) -> None:
    assert CliRunner().invoke(cli, ["--db", db_url, "init"]).exit_code == 0
    result = CliRunner().invoke(cli, ["--db", db_url, "status", "nobody-here"])
    assert result.exit_code == 1
    assert "error[relationship.not_found]" in result.stderr
    hint = result.stderr.split("hint: ", 1)[1]
    assert "mentorflow audit" in hint
    assert not PYTHON.search(hint), hint
