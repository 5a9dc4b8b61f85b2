"""`mentorflow migrate`: the table and JSON reports, dry runs, and who may run it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.support import Invoke, as_json
from tests.migration.support import write_versions


@pytest.fixture
def circles(run: Invoke, tmp_path: Path) -> list[str]:
    """`--workflows DIR` with the circle workflow in versions 1 and 2 (running renamed active), and two circles."""
    directory = str(write_versions(tmp_path / "workflows", running="active"))
    for rel_id in ("c1", "c2"):
        started = run(
            "--workflows",
            directory,
            "--admin",
            "start",
            "circle@1",
            "--role",
            "lead=lee",
            "--role",
            "peer=pat",
            "--id",
            rel_id,
        )
        assert started.exit_code == 0, started.output
    forced = run("--workflows", directory, "--admin", "fire", "c2", "begin", "--force", "--reason", "on paper")
    assert forced.exit_code == 0, forced.output
    return ["--workflows", directory]


def test_a_dry_run_prints_the_table_and_writes_nothing(run: Invoke, circles: list[str]) -> None:
    """Without a mapping the running circle is refused; the table says why, and nothing moves."""
    result = run(*circles, "migrate", "circle", "--to", "2", "--dry-run")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["ID", "FROM", "TO", "STATE", "NEW", "STATE", "RESULT", "NOTE"]
    assert lines[1].split()[:6] == ["c1", "1", "2", "open", "open", "would_migrate"]
    assert "state 'running' has no mapping" in lines[2]
    assert lines[-1] == "1 would migrate, 1 refused"
    assert as_json(run("status", "c1", "--format", "json"))["workflow_version"] == 1


def test_migrate_moves_and_history_and_verify_follow(run: Invoke, circles: list[str]) -> None:
    """With `--state running=active` both move; history shows the move and verify passes."""
    moved = as_json(
        run(*circles, "--admin", "migrate", "circle", "--to", "2", "--state", "running=active", "--format", "json")
    )
    assert [(r["id"], r["new_state"], r["result"]) for r in moved] == [
        ("c1", "open", "migrated"),
        ("c2", "active", "migrated"),
    ]
    assert set(moved[0]) >= {
        "id",
        "from_version",
        "to_version",
        "state",
        "new_state",
        "result",
        "reason",
        "blockers",
        "overdue",
    }
    history = run("history", "c2")
    assert "admin:admin  migrated    circle version 1 -> 2: running -> active" in history.output
    assert run("verify").exit_code == 0
    again = run(*circles, "migrate", "circle", "--to", "2")
    assert again.output == "nothing to migrate\n"


def test_a_person_may_not_migrate(run: Invoke, circles: list[str]) -> None:
    """With `--as` a person and no `--admin`, migrate is refused with actor.not_allowed."""
    result = run(*circles, "--as", "lee", "migrate", "circle", "--to", "2")
    assert result.exit_code == 1
    assert result.output.startswith("error[actor.not_allowed]: lee may not run `migrate`")


@pytest.mark.parametrize(
    ("arguments", "code", "message"),
    [
        (["--state", "running"], 2, "'running' is not OLD=NEW"),
        (["--state", "running=active", "--state", "running=open"], 2, "state 'running' is mapped twice"),
        (["--state", "runing=active"], 1, "error[migration.refused]: the state mapping for 'circle' is wrong"),
        (["--to", "0"], 2, "0 is not in the range x>=1"),
    ],
)
def test_bad_arguments_exit_without_writing(
    run: Invoke, circles: list[str], arguments: list[str], code: int, message: str
) -> None:
    """A malformed or wrong mapping is a usage error or a refusal, and nothing moves."""
    to = [] if "--to" in arguments else ["--to", "2"]
    result = run(*circles, "migrate", "circle", *to, *arguments)
    assert result.exit_code == code
    assert message in result.output
    assert as_json(run("status", "c1", "--format", "json"))["workflow_version"] == 1
