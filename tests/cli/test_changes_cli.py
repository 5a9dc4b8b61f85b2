"""`changes`: the feed as JSON lines, one change per line and nothing else; `--follow` keeps printing."""

from __future__ import annotations

import json
import time

import pytest

from mentorflow import Actor, Mentorflow
from mentorflow.cli import feed as feed_command
from tests.cli.support import Invoke


def _start(cli_db: str, *mentees: str) -> None:
    mf = Mentorflow(cli_db)
    for mentee in mentees:
        mf.start("micro-mentoring", {"mentor": "ann", "mentee": mentee}, actor=Actor.admin(), id=f"m-{mentee}")
    mf.engine.dispose()


def _lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines()]


def test_it_prints_every_change_after_a_position(run: Invoke, cli_db: str) -> None:
    _start(cli_db, "bob", "cy", "dee")
    every = run("changes")
    assert every.exit_code == 0, every.output
    lines = _lines(every.stdout)
    assert [line["position"] for line in lines] == [1, 2, 3]
    assert set(lines[0]) == {"position", "id", "kind", "relationship", "seq", "at", "people", "payload"}
    mf = Mentorflow(cli_db)
    assert lines == [change.to_dict() for change in mf.changes().changes]
    mf.engine.dispose()
    assert str(lines[0]["at"]).endswith("Z")
    assert lines[0]["people"] == ["ann", "bob"]
    assert [line["relationship"] for line in _lines(run("changes", "--after", "1").stdout)] == ["m-cy", "m-dee"]
    assert [line["position"] for line in _lines(run("changes", "--after", "1", "--limit", "1").stdout)] == [2]
    assert run("changes", "--after", "3").stdout == ""


def test_without_a_limit_it_reads_past_one_page(run: Invoke, cli_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feed_command, "PAGE", 2)
    _start(cli_db, "bob", "cy", "dee")
    assert [line["position"] for line in _lines(run("changes").stdout)] == [1, 2, 3]
    assert [line["position"] for line in _lines(run("changes", "--limit", "3").stdout)] == [1, 2, 3]


def test_follow_prints_changes_as_they_come_until_interrupted(
    run: Invoke, cli_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _start(cli_db, "bob")
    naps: list[float] = []

    def nap(seconds: float) -> None:
        naps.append(seconds)
        if len(naps) == 1:
            _start(cli_db, "cy")  # written while the follower waits
            return
        raise KeyboardInterrupt

    monkeypatch.setattr(time, "sleep", nap)
    result = run("changes", "--follow", "--interval", "0.5")
    assert result.exit_code == 0, result.output
    assert [line["relationship"] for line in _lines(result.stdout)] == ["m-bob", "m-cy"]
    assert naps == [0.5, 0.5]


def test_follow_stops_at_its_limit(run: Invoke, cli_db: str) -> None:
    _start(cli_db, "bob", "cy")
    assert [line["position"] for line in _lines(run("changes", "--follow", "--limit", "2").stdout)] == [1, 2]


@pytest.mark.parametrize("args", [["--after", "-1"], ["--limit", "0"], ["--limit", "1001"], ["--interval", "0"]])
def test_bad_options_are_refused(run: Invoke, args: list[str]) -> None:
    result = run("changes", *args)
    assert result.exit_code == 2
    assert "Invalid value" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    "arguments",
    [
        ["changes", "--follow", "--interval", "nan"],
        ["changes", "--follow", "--interval", "inf"],
        ["deliver", "--once", "--lease", "nan"],
        ["deliver", "--once", "--timeout", "inf"],
        ["deliver", "--poll", "1e300"],
    ],
    ids=" ".join,
)
def test_seconds_that_are_no_number_or_past_a_day_are_refused(run: Invoke, arguments: list[str]) -> None:
    """`nan` passed every bound and `inf` overflowed the clock: a worker crashed, leaving its deliveries leased."""
    result = run(*arguments)
    assert result.exit_code == 2
    assert "Invalid value for '--" in result.stderr
    assert "error[internal]" not in result.output
