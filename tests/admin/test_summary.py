"""`summary` figures checked against histories computed by hand, and the offline HTML report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from mentorflow import Actor, Mentorflow
from mentorflow.cli import cli

FLOW = """\
mentorflow: 1
workflow: ladder
version: 1
title: Ladder
roles: {mentor: {max: 1}, mentee: {max: 1}}
phases: [first, second, third]
states:
  a: {phase: first, initial: true}
  b: {phase: second}
  b2: {phase: second}
  c: {phase: third}
  won: {phase: third, final: true, outcome: success}
  lost: {final: true, outcome: ended}
transitions:
  - {trigger: up, from: a, to: b}
  - {trigger: side, from: b, to: b2}
  - {trigger: up2, from: [b, b2], to: c}
  - {trigger: win, from: c, to: won}
  - {trigger: quit, from: "*", to: lost}
"""

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now

    def at(self, days: float) -> None:
        self.now = START + dt.timedelta(days=days)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def mf(tmp_path: Path, clock: Clock) -> Iterator[Mentorflow]:
    """A Mentorflow with the ladder workflow and a fake clock."""
    (tmp_path / "wf").mkdir()
    (tmp_path / "wf" / "ladder.yaml").write_text(FLOW)
    engine = Mentorflow(f"sqlite:///{tmp_path / 'summary.db'}", workflow_dirs=[tmp_path / "wf"], clock=clock)
    engine.upgrade()
    yield engine
    engine.engine.dispose()


def walk(mf: Mentorflow, clock: Clock, name: str, program: str, steps: list[tuple[float, str]]) -> None:
    """Start a ladder at day 0 and fire each (day, trigger) in turn as an administrator."""
    clock.at(0)
    mf.start("ladder", {"mentor": "m-" + name, "mentee": "e-" + name}, actor=Actor.admin(), program=program, id=name)
    for day, trigger in steps:
        clock.at(day)
        mf.fire(name, trigger, actor=Actor.admin())


@pytest.fixture
def history(mf: Mentorflow, clock: Clock) -> Mentorflow:
    """Four ladders with known histories (days in brackets are the stays)."""
    walk(mf, clock, "r1", "p1", [(10, "up"), (15, "side"), (30, "up2"), (40, "win")])  # first 10, second 20, third 10
    walk(mf, clock, "r2", "p1", [(4, "up"), (8, "up2")])  # first 4, second 4; now in third
    walk(mf, clock, "r3", "p1", [(6, "quit")])  # first 6, then lost
    walk(mf, clock, "r4", "p2", [])  # still in first
    clock.at(50)
    return mf


def test_counts_per_workflow_and_state(history: Mentorflow) -> None:
    """One row per (workflow, state) with its phase and outcome."""
    summary = history.summary()
    assert [(s.state, s.count, s.outcome) for s in summary.states] == [
        ("a", 1, None),
        ("c", 1, None),
        ("lost", 1, "ended"),
        ("won", 1, "success"),
    ]
    assert (summary.total, summary.active) == (4, 2)


def test_completion_rate_per_program(history: Mentorflow) -> None:
    """Completion is successes over finished relationships; None where none finished."""
    programs = {p.program: p for p in history.summary().programs}
    assert (programs["p1"].success, programs["p1"].ended, programs["p1"].completion_rate) == (1, 1, 0.5)
    assert programs["p2"].completion_rate is None


def test_phase_funnel(history: Mentorflow) -> None:
    """Reached counts every relationship that ever entered the phase; now counts the active ones in it."""
    funnel = [(f.phase, f.reached, f.current) for f in history.summary().funnel]
    assert funnel == [("first", 4, 1), ("second", 2, 0), ("third", 2, 1)]


def test_days_per_phase_from_history(history: Mentorflow) -> None:
    """Median and 90th percentile of finished stays; consecutive states of one phase are one stay."""
    days = {d.phase: (d.samples, d.median_days, d.p90_days) for d in history.summary().phase_days}
    assert days["first"] == (3, 6, 10)  # stays of 10, 4 and 6 days
    assert days["second"] == (2, 12, 20)  # 20 (b then b2) and 4
    assert days["third"] == (1, 10, 10)  # r1's 10; r2 is still there


def test_summary_filters(history: Mentorflow) -> None:
    """Filters apply before aggregation."""
    assert history.summary(program="p2").total == 1
    assert history.summary(phase="third").total == 2


def test_cli_summary_table_and_json(history: Mentorflow, tmp_path: Path) -> None:
    """`audit --summary` prints the figures; JSON round-trips to the same model."""
    from mentorflow.types import Summary

    args = ["--db", str(history.engine.url), "--workflows", str(tmp_path / "wf"), "--now", "2026-02-20"]
    text = CliRunner().invoke(cli, [*args, "audit", "--summary"]).stdout
    assert ["p1", "3", "1", "1", "1", "50%"] in [line.split() for line in text.splitlines()]
    data = CliRunner().invoke(cli, [*args, "audit", "--summary", "--format", "json"]).stdout
    assert Summary.model_validate_json(data).total == 4


def test_html_report_is_self_contained(history: Mentorflow, tmp_path: Path) -> None:
    """The HTML report has the funnel as inline SVG, the lists, and no external resource."""
    target = tmp_path / "report.html"
    args = ["--db", str(history.engine.url), "--workflows", str(tmp_path / "wf"), "--now", "2026-02-20"]
    result = CliRunner().invoke(cli, [*args, "audit", "--format", "html", "--output", str(target), "--program", "p1"])
    assert result.exit_code == 0, result.output
    html = target.read_text()
    assert "<svg" in html
    assert "Stalled: no activity for 30 days or more (1)" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html
    assert "<script" not in html


def test_html_needs_an_output_file(history: Mentorflow) -> None:
    """`--format html` without `--output` is a usage error."""
    result = CliRunner().invoke(cli, ["--db", str(history.engine.url), "audit", "--format", "html"])
    assert result.exit_code == 2


def test_html_escapes_database_values(mf: Mentorflow, clock: Clock, tmp_path: Path) -> None:
    """Hostile ids and programs are escaped, never markup."""
    mf.start("ladder", {"mentor": "<script>x</script>", "mentee": "b"}, actor=Actor.admin(), program="<b>p</b>")
    target = tmp_path / "r.html"
    CliRunner().invoke(
        cli,
        [
            "--db",
            str(mf.engine.url),
            "--workflows",
            str(tmp_path / "wf"),
            "audit",
            "--format",
            "html",
            "--output",
            str(target),
        ],
    )
    html = target.read_text()
    assert "<script>x" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html


def test_overview_is_the_summary_and_the_audit_in_one_read(history: Mentorflow) -> None:
    """`overview` gives what `summary` and `audit` give separately, for the same filters."""
    summary, standings = history.overview(program="p1")
    assert summary == history.summary(program="p1")
    assert standings == history.audit(program="p1")
    assert [s.id for s in standings] == ["r1", "r2", "r3"]


def test_blocked_and_stalled_are_properties_of_a_row(history: Mentorflow) -> None:
    """A row knows whether it is blocked or stalled; ended relationships are neither."""
    rows = {s.id: s for s in history.audit()}
    assert not rows["r1"].blocked  # won: ended
    assert not rows["r1"].stalled(1)
    assert rows["r4"].stalled(50)
    assert not rows["r4"].stalled(51)
