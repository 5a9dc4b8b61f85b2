"""What is for administrators on the command line: every pair's audit and changes; and `--admin --as NAME`."""

from __future__ import annotations

import pytest

from tests.cli.support import Invoke


@pytest.mark.parametrize(
    "command", [["audit"], ["audit", "--summary"], ["audit", "--format", "json"], ["changes"]], ids=" ".join
)
def test_a_person_may_not_read_every_pair(run: Invoke, command: list[str]) -> None:
    """Every pair's people, blockers and changes are for administrators: a person reads their own (`person`)."""
    refused = run("--as", "hannah.kim", *command)
    assert refused.exit_code == 1
    assert refused.stderr.startswith(f"error[actor.not_allowed]: hannah.kim may not run `{command[0]}`")
    assert run("--admin", "--as", "carol", *command).exit_code == 0
    assert run(*command).exit_code == 0  # the operator, trusted


def test_an_administrator_named_by_an_empty_as_is_refused(run: Invoke) -> None:
    """`--admin --as ''` acted as the administrator `admin`, where `--as ''` alone is refused."""
    result = run("--admin", "--as", "", "start", "micro-mentoring", "--role", "mentor=ann", "--role", "mentee=bob")
    assert result.exit_code == 1
    assert result.stderr.startswith("error[input.invalid]: administrator must be non-empty text")
