"""`--now` before the latest events: the CLI's reads answer as the database stood then (DESIGN §13)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.support import Invoke, as_json

OCTOBER = "2026-10-01"
NOVEMBER = "2026-11-01"
LATE = "2026-11-19"
TODAY = "2026-12-01"


@pytest.fixture
def program(run: Invoke) -> Invoke:
    """``early`` starts on 1 October and withdraws on 19 November; ``newcomer`` starts on 19 November."""
    for when, rel_id, mentee in ((OCTOBER, "early", "bob"), (LATE, "newcomer", "cid")):
        started = run(
            "--now",
            when,
            "--admin",
            "start",
            "traditional-dyad",
            "--role",
            "mentor=ann",
            "--role",
            f"mentee={mentee}",
            "--program",
            "fall",
            "--id",
            rel_id,
        )
        assert started.exit_code == 0, started.output
    fired = run("--now", LATE, "--admin", "fire", "early", "withdraw", "--reason", "moved away")
    assert fired.exit_code == 0, fired.output
    return run


def test_an_audit_of_the_past_leaves_out_later_pairs(program: Invoke) -> None:
    """The issue's case: on 1 November, the pair that started on 19 November is not listed."""
    rows = as_json(program("--now", NOVEMBER, "audit", "--format", "json"))
    assert [(row["id"], row["state"], row["days_in_state"]) for row in rows] == [("early", "preparing", 31)]
    today = as_json(program("--now", TODAY, "audit", "--format", "json"))
    assert sorted(row["id"] for row in today) == ["early", "newcomer"]


def test_status_of_a_later_pair_is_not_found(program: Invoke) -> None:
    """Read before it started, a pair is unknown: exit 1 with the not-found error."""
    result = program("--now", NOVEMBER, "status", "newcomer")
    assert result.exit_code == 1
    assert "no relationship 'newcomer'" in result.output


def test_status_and_history_stand_at_the_moment(program: Invoke) -> None:
    """On 1 November ``early`` is still negotiating and its log ends with its start."""
    status = as_json(program("--now", NOVEMBER, "status", "early", "--format", "json"))
    assert (status["state"], status["days_in_state"]) == ("preparing", 31)
    events = as_json(program("--now", NOVEMBER, "history", "early", "--format", "json"))
    assert [event["kind"] for event in events] == ["started"]


def test_summary_person_and_report_of_the_past(program: Invoke, tmp_path: Path) -> None:
    """The summary counts one active pair, the mentor's view lists one, the report shows one row."""
    summary = as_json(program("--now", NOVEMBER, "audit", "--summary", "--format", "json"))
    assert (summary["total"], summary["active"]) == (1, 1)
    view = as_json(program("--now", NOVEMBER, "person", "ann", "--format", "json"))
    assert [r["id"] for r in view["relationships"]] == ["early"]
    report = tmp_path / "report.html"
    written = program("--now", NOVEMBER, "audit", "--format", "html", "--output", str(report))
    assert written.exit_code == 0, written.output
    page = report.read_text(encoding="utf-8")
    assert "early" in page
    assert "newcomer" not in page
