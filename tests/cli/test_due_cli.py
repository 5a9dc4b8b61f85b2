"""``audit --due-within DAYS`` and ``audit --forced`` on the command line: JSON, table and CSV, on both backends."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from click.testing import CliRunner, Result

from mentorflow import Actor, Mentorflow
from mentorflow.cli import cli
from mentorflow.cli.admin import CSV_HEADERS, audit_table
from tests.cli.support import as_json
from tests.conftest import FakeClock


@pytest.fixture
def audit(demo: Mentorflow, db_url: str, clock: FakeClock) -> Any:
    """Run ``mentorflow --db URL --now DEMO-MOMENT audit ARGS...`` on a database holding the demo."""
    moment = clock().isoformat()

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--db", db_url, "--now", moment, "audit", *args], catch_exceptions=False)

    return invoke


def test_json_rows_carry_due_and_overrides(audit: Any, mf: Mentorflow) -> None:
    rows = as_json(audit("--format", "json"))
    assert rows == [row.to_dict() for row in mf.audit()]
    assert all({"due", "overrides"} <= set(row) for row in rows)
    assert {tuple(entry) for row in rows for entry in row["due"]} == {("requirement", "due_at", "slot", "people")}
    assert {tuple(entry) for row in rows for entry in row["overrides"]} == {("seq", "trigger", "by", "reason")}
    assert {"slot", "people"} <= {key for row in rows for entry in row["overdue"] for key in entry}


def test_due_within_and_forced_keep_what_the_api_keeps(audit: Any, mf: Mentorflow) -> None:
    soon = as_json(audit("--due-within", "7", "--format", "json"))
    assert [row["id"] for row in soon] == [row.id for row in mf.audit(due_within=7)]
    assert soon
    forced = as_json(audit("--forced", "--format", "json"))
    assert [row["id"] for row in forced] == [row.id for row in mf.audit(forced=True)] == ["dyad-rossi"]
    assert forced[0]["overrides"][0]["by"] == "admin:m.reyes"


def test_the_table_adds_a_due_or_forced_column_when_asked(audit: Any, mf: Mentorflow) -> None:
    plain = audit()
    assert plain.exit_code == 0
    assert "DUE" not in plain.stdout
    assert "FORCED" not in plain.stdout
    soon = audit("--due-within", "7")
    assert soon.exit_code == 0
    header = next(line for line in soon.stdout.splitlines() if "WAITING ON" in line)
    assert header.split()[:5] == ["ID", "STATE", "DAYS", "PEOPLE", "DUE"]
    for row in mf.audit(due_within=7):
        line = next(line for line in soon.stdout.splitlines() if line.split()[:1] == [row.id])
        assert min(d.due_at for d in row.due if d.due_at >= mf.now()).strftime("%Y-%m-%d") in line
    forced = audit("--forced")
    assert forced.exit_code == 0
    assert "FORCED" in forced.stdout
    assert "dyad-rossi" in forced.stdout
    assert "launch" in forced.stdout.split("dyad-rossi", 1)[1]


def test_the_table_cells_for_nothing_due_and_several_overrides(mf: Mentorflow) -> None:
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=Actor.admin()).id
    mf.fire(rel_id, "negotiate", actor=Actor.admin(), force=True, reason="paper IDP")
    mf.fire(rel_id, "launch", actor=Actor.admin(), force=True, reason="paper agreement")
    mf.fire(rel_id, "withdraw", actor="bob", reason="moved away")
    assert len(mf.audit()) == 1
    plain = mf.start("traditional-dyad", {"mentor": "cy", "mentee": "dee"}, actor=Actor.admin()).id
    table = audit_table(mf.audit(), width=200, due=True, forced=True)
    header = table.splitlines()[1]
    line, other = (next(line for line in table.splitlines() if line.startswith(f"  {i} ")) for i in (rel_id, plain))
    assert header.split()[4:6] == ["DUE", "FORCED"]
    assert re.search(r" cy \+1\s+2026-04-01\s+-\s+", other), other
    assert re.search(r"ann \+1\s+-\s+launch \+1\s+ended$", line), line


def test_csv_adds_due_and_overrides_at_the_end(audit: Any, mf: Mentorflow) -> None:
    result = audit("--forced", "--due-within", "365", "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == CSV_HEADERS
    assert rows[0][-2:] == ["due", "overrides"]
    [line] = rows[1:]
    [row] = mf.audit(forced=True, due_within=365)
    assert line[-2] == "; ".join(f"{d.requirement}@{d.due_at.isoformat()}" for d in row.due)
    override = row.overrides[0]
    assert line[-1] == f"{override.seq}:launch:admin:m.reyes:{override.reason}"


@pytest.mark.parametrize("bad", ["-1", "x", "1.5", ""])
def test_bad_days_exit_1_with_a_clear_error(audit: Any, bad: str) -> None:
    result = audit("--due-within", bad)
    assert result.exit_code == 1
    assert "error[input.invalid]" in result.stderr
    assert "--due-within" in result.stderr or "due within days must be a whole number from 0 to 36600" in result.stderr
    assert "hint: Pass a whole number" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--overdue"], "--overdue"),
        (["--blocked", "--forced"], "--blocked, --forced"),
        (["--stalled", "30"], "--stalled"),
        (["--person", "dr.abebe"], "--person"),
        (["--due-within", "7"], "--due-within"),
    ],
)
def test_a_summary_refuses_row_filters_instead_of_ignoring_them(audit: Any, args: list[str], named: str) -> None:
    result = audit("--summary", *args)
    assert result.exit_code == 1
    assert "error[input.invalid]" in result.output
    assert f"so {named} would be ignored" in result.output
    assert "Leave out --summary" in result.output
