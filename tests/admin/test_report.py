"""The HTML report for a program meeting: its charts, its definitions, every filter, and waiting apart from blocking.

The page is parsed with the standard library's HTML parser, so a test reads what a browser would show (ids,
links, chart titles), not the markup's spelling. The browser itself renders it in ``test_report_browser.py``.
"""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from mentorflow import Mentorflow, Participant, Standing, StandingBlocker
from mentorflow.audit.charts import Bars, Series, Spread, bar_chart, spread_chart
from mentorflow.audit.report import render_html
from mentorflow.cli import cli
from mentorflow.types import DueObligation, Summary
from tests.conftest import FakeClock

CHARTS = [
    "Phase funnel",
    "Completion rate per program",
    "Overdue and due soon per program",
    "Days spent in each phase",
]
TERMS = [
    "Completion rate",
    "Overdue",
    "Due soon",
    "Blocked",
    "Waiting",
    "Stalled",
    "Phase funnel",
    "Days per phase",
]


class Page(HTMLParser):
    """What a report holds: element ids, link targets, section ids, chart titles and definition terms."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.links: list[str] = []
        self.sections: list[str] = []
        self.titles: list[str] = []
        self.terms: list[str] = []
        self._open: list[str] = []
        self._terms = False
        self._text: dict[str, list[str]] = {}
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.append(str(found["id"]))
        if tag == "a" and str(found.get("href", "")).startswith("#rel-"):
            self.links.append(str(found["href"])[1:])
        if tag == "section":
            self.sections.append(str(found["id"]))
        if tag == "dl":
            self._terms = found.get("class") == "terms"
        self._open.append(tag)
        self._text[tag] = []

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1] == tag:
            self._open.pop()
            text = "".join(self._text.pop(tag, []))
            if tag == "title" and "svg" in self._open:
                self.titles.append(text)
            elif tag == "dt" and self._terms:
                self.terms.append(text)

    def handle_data(self, data: str) -> None:
        if self._open and self._open[-1] in self._text:
            self._text[self._open[-1]].append(data)


def report(mf: Mentorflow, **filters: Any) -> str:
    summary, rows = mf.overview(**filters)
    return render_html(summary, rows, stalled_days=filters.get("stalled_days") or 30, title="t", filters=filters)


def test_the_report_shows_each_chart_with_a_title_and_a_description(demo: Mentorflow) -> None:
    """Four charts, each an accessible inline SVG (title, description) with its legend and values as text."""
    html = report(demo)
    page = Page(html)
    assert [title for title in page.titles if title in CHARTS] == CHARTS
    assert html.count('role="img"') == 4
    assert html.count("<desc ") == 4
    assert "reached the phase" in html  # the funnel's legend
    assert re.search(r"\d+ reached, \d+ now", html)


def test_every_figure_is_defined_in_the_page(demo: Mentorflow) -> None:
    """The definitions section names each figure the page shows."""
    page = Page(report(demo))
    assert "definitions" in page.ids
    assert page.terms == TERMS


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"overdue": True},
        {"blocked": True},
        {"stalled_days": 40},
        {"person": "dr.cho"},
        {"due_within": 7},
        {"forced": True},
        {"workflow": "micro-mentoring"},
        {"program": "fall-2026"},
        {"state": "negotiating"},
        {"phase": "launch"},
        {"program": "fall-2026", "overdue": True},
    ],
    ids=lambda filters: ",".join(filters) or "none",
)
def test_every_filter_chooses_the_relationships_listed(demo: Mentorflow, filters: dict[str, Any]) -> None:
    """The report has a section for exactly the rows `audit` gives for the same filters, in its order."""
    page = Page(report(demo, **filters))
    expected = [row.id for row in demo.audit(**filters)]
    assert expected or filters == {"state": "negotiating"}
    assert page.sections == [f"rel-{rel}" for rel in expected]


def test_the_page_says_what_the_figures_and_the_lists_cover(demo: Mentorflow) -> None:
    """The figures cover the workflow, program, state and phase filters; the other filters narrow the lists."""
    html = report(demo, program="fall-2026", overdue=True, stalled_days=10, due_within=3, person="wei.chen")
    total = demo.summary(program="fall-2026").total
    listed = len(demo.audit(program="fall-2026", overdue=True, stalled_days=10, due_within=3, person="wei.chen"))
    assert f"Figures and charts: {total} relationships (program fall-2026)." in html
    assert (
        f"Lists: {listed} relationships with overdue; no activity for 10+ days; something due within 3 days; "
        "person wei.chen." in html
    )


def test_every_row_links_to_its_relationship(demo: Mentorflow) -> None:
    """Each link in a list leads to a section of the page, and every listed relationship has one."""
    page = Page(report(demo))
    assert page.links
    assert set(page.links) <= set(page.sections)
    assert len(page.sections) == len(set(page.sections)) == len(demo.audit())


def test_a_timed_transition_is_a_date_not_a_blocker(demo: Mentorflow) -> None:
    """A request waiting to expire shows when it does, never as "25 of the 30 days required"."""
    html = report(demo)
    assert any(b.code == "state.too_early" for row in demo.audit() for b in row.blockers)
    assert "days required" not in html
    assert re.search(r"expire: waiting until \d{4}-\d{2}-\d{2}", html)


def test_the_cli_report_honours_the_row_filters(demo: Mentorflow, clock: FakeClock, tmp_path: Path) -> None:
    """`--overdue` reaches the HTML report: it lists the overdue relationships only."""
    target = tmp_path / "report.html"
    args = ["--db", str(demo.engine.url), "--now", clock().isoformat()]
    result = CliRunner().invoke(cli, [*args, "audit", "--overdue", "--format", "html", "--output", str(target)])
    assert result.exit_code == 0, result.output
    overdue = [row.id for row in demo.audit(overdue=True)]
    assert result.output == f"wrote {target} ({len(overdue)} relationships)\n"
    assert Page(target.read_text()).sections == [f"rel-{rel}" for rel in overdue]
    assert "with overdue." in target.read_text()


def test_a_bad_filter_writes_no_report(demo: Mentorflow, tmp_path: Path) -> None:
    """A misspelt state is refused before anything is written."""
    target = tmp_path / "report.html"
    args = ["--db", str(demo.engine.url), "audit", "--state", "negotiatng", "--format", "html", "--output"]
    result = CliRunner().invoke(cli, [*args, str(target)])
    assert result.exit_code == 1
    assert not target.exists()


NOW = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)
EMPTY = Summary(as_of=NOW, total=0, active=0, overdue=0, blocked=0, states=[], programs=[], funnel=[], phase_days=[])


def standing(**changes: Any) -> Standing:
    """An audit row of a pair that can only wait: its one trigger is timed."""
    values: dict[str, Any] = {
        "id": "pair-1",
        "workflow": "w",
        "workflow_version": 1,
        "program": None,
        "state": "requested",
        "phase": None,
        "final": False,
        "days_in_state": 25,
        "participants": [Participant("ann", "mentor")],
        "next": [],
        "blockers": [
            StandingBlocker("expire", "state.too_early", "in state for 25 of the 30 days", {"in_state_days": 30})
        ],
        "overdue": [],
        "due": [],
        "overrides": [],
        "last_activity_at": NOW,
        "stalled_days": 0,
    }
    return Standing(**{**values, **changes})


def test_a_pair_that_can_only_wait_is_blocked_by_a_date() -> None:
    """The date is the day the waiting period ends; the blocked list says there is nothing but that date."""
    html = render_html(EMPTY, [standing()], stalled_days=30, title="t")
    assert "expire: waiting until 2026-03-07" in html
    assert "nothing but a date (see waiting)" in html


def test_a_waiting_blocker_without_its_days_is_shown_as_a_blocker() -> None:
    """Should a delay's row lack its number of days, the report shows its message rather than guess a date."""
    blocker = StandingBlocker("expire", "state.too_early", "in state for a while", {})
    html = render_html(EMPTY, [standing(blockers=[blocker], participants=[])], stalled_days=30, title="t")
    assert "expire: in state for a while" in html
    assert "waiting until" not in html


def test_due_soon_lists_what_falls_due_within_the_days_given() -> None:
    """An obligation due in 3 days is due soon within 7 days, not within 2; one already past is not."""
    due = [
        DueObligation("agreement signed", NOW + dt.timedelta(days=3), "agreement", ["ann"]),
        DueObligation("idp complete", NOW - dt.timedelta(days=1), "idp", ["ann"]),
    ]
    row = standing(due=due, program="spring")
    soon = render_html(EMPTY, [row], stalled_days=30, title="t", due_days=7)
    assert "Due in the next 7 days (1)" in soon
    assert "agreement signed (due 2026-03-05) (to act: ann)" in soon
    assert "idp complete (due" not in soon.split('id="due-soon"')[1].split('id="stalled"')[0]
    assert "0 overdue, 1 due soon" in soon
    later = render_html(EMPTY, [row], stalled_days=30, title="t", due_days=2)
    assert "Due in the next 2 days (0)" in later


def test_an_empty_database_gives_a_page_without_charts_to_draw() -> None:
    """Nothing to draw is said in words, and every list says None."""
    html = render_html(EMPTY, [], stalled_days=30, title="Empty")
    assert "<svg" not in html
    assert html.count("Nothing to draw yet.") == 3
    assert "No stay in a phase has ended yet." in html
    assert "Each relationship (0)" in html


def test_bars_are_scaled_to_the_top_given_and_values_are_written_out() -> None:
    """A completion rate of 50% fills half the bar; the text beside it is the value."""
    svg = bar_chart("c", "Completion", "d", [Series("rate", "#000")], [Bars("p", (0.5,), "50%")], top=1)
    assert 'width="180.0"' in svg
    assert ">50%</text>" in svg
    assert 'aria-labelledby="c-t c-d"' in svg


def test_a_spread_axis_is_marked_in_round_days() -> None:
    """Marks fall on round numbers of days, at most six of them, and the figures are written beside each row."""
    svg = spread_chart("s", "Days", "d", [Spread("x", 12, 230, 9), Spread("y", 0, 0, 1)])
    marks = re.findall(r">(\d+) d</text>", svg)
    assert marks == ["0", "50", "100", "150", "200"]
    assert "median 12 d, 90% within 230 d, 9 stays" in svg
    assert "median 0 d, 90% within 0 d, 1 stay" in svg
    assert re.findall(r">(\d+) d</text>", spread_chart("z", "Days", "d", [Spread("z", 0, 0, 1)])) == ["0", "1"]


def test_row_filters_narrow_the_rows_of_an_overview_not_its_summary(demo: Mentorflow) -> None:
    """`overview(overdue=True)` summarises what `summary()` does and lists what `audit(overdue=True)` does."""
    summary, rows = demo.overview(program="fall-2026", overdue=True)
    assert summary == demo.summary(program="fall-2026")
    assert rows == demo.audit(program="fall-2026", overdue=True)
    assert len(rows) < summary.total
