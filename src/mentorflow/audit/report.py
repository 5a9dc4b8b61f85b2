"""The offline audit report: one self-contained HTML file to put on the screen at a program meeting.

It opens with the figures people would rather look at than read (charts from ``charts``), says in the page how each
figure is computed, lists what needs attention, and ends with a section per relationship that the lists link to.
No scripts, no fonts, no images fetched from anywhere, so the file opens the same on a laptop without a network;
every value from the database is escaped.

The figures describe the relationships the workflow, program, state and phase filters select (a ``Summary``); the
lists show the rows ``audit`` returned for every filter given. A waiting period (a timed transition, or an
``in_state_days`` requirement) is not a blocker here: it is shown apart, as the date it ends.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape

from mentorflow.audit.charts import Bars, Series, Spread, bar_chart, spread_chart
from mentorflow.audit.standing import due_soon
from mentorflow.engine.requirements import DAY
from mentorflow.types import Standing, StandingBlocker, Summary

__all__ = ["SCOPE_FILTERS", "render_html"]

SCOPE_FILTERS = ("workflow", "program", "state", "phase")
"""The filters that choose what the figures describe; every other filter only narrows the lists."""

WAITING = "state.too_early"
"""The blocker of a waiting period: a timed transition, or an ``in_state_days`` requirement, before its day."""

OVERDUE, DUE_SOON = Series("overdue", "#b3261e"), Series("due soon", "#e0a526")

STYLE = """
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5rem auto;max-width:60rem;
padding:0 1rem;color:#1d2433}
h1{font-size:1.6rem;margin-bottom:.2rem} h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d7dce5}
h3{font-size:1rem;margin:1.2rem 0 .3rem} .meta{color:#5b6478;margin:.2rem 0}
table{border-collapse:collapse;width:100%;margin:.5rem 0;table-layout:auto}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #eceff4;vertical-align:top;overflow-wrap:break-word}
th{background:#f4f6fa;font-weight:600} td.n{text-align:right;font-variant-numeric:tabular-nums}
.tiles{display:flex;gap:1rem;flex-wrap:wrap} .tile{border:1px solid #d7dce5;border-radius:6px;padding:.6rem 1rem}
.tile b{display:block;font-size:1.4rem} ul{margin:.2rem 0;padding-left:1.1rem} .none{color:#5b6478}
nav{margin:1rem 0} nav a{margin-right:.8rem;white-space:nowrap}
svg.chart{display:block;width:100%;height:auto;max-width:900px} svg text{font:13px system-ui,sans-serif;fill:#1d2433}
dl.terms dt{font-weight:600;margin-top:.6rem} dl.terms dd{margin:0 0 0 1rem}
dl.rel{display:grid;grid-template-columns:9rem 1fr;gap:.1rem .8rem;margin:.2rem 0 .6rem}
dl.rel dd{margin:0;overflow-wrap:break-word} dd ul{margin:0}
section.rel{border-top:1px solid #eceff4}
"""


@dataclass(frozen=True, slots=True)
class _Row:
    """A listed relationship with what the report says of it, worked out once."""

    standing: Standing
    blockers: list[StandingBlocker]
    """What blocks a trigger, waiting periods left out."""
    waits: list[tuple[str, dt.datetime]]
    """(trigger, when its waiting period ends)."""
    upcoming: list[tuple[str, dt.datetime, list[str]]]
    """(requirement, due at, who must act) of obligations not yet overdue."""
    soon: bool
    """Whether one of them falls due soon."""


def _read(standing: Standing, now: dt.datetime, due_days: int) -> _Row:
    blockers: list[StandingBlocker] = []
    waits: dict[str, dt.datetime] = {}
    for blocker in standing.blockers:
        needed = blocker.requirement.get("in_state_days")
        if blocker.code == WAITING and isinstance(needed, int):
            # Days in state are whole days, so the day it ends is good to the day, as the message it replaces was.
            waits.setdefault(blocker.trigger, now + (needed - standing.days_in_state) * DAY)
        else:
            blockers.append(blocker)
    upcoming = [(due.requirement, due.due_at, due.people) for due in standing.due if due.due_at >= now]
    return _Row(standing, blockers, sorted(waits.items()), upcoming, due_soon(standing, now, due_days))


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[int] = ()) -> str:
    if not rows:
        return '<p class="none">None.</p>'
    head = "".join(f"<th>{escape(header)}</th>" for header in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{cell}</td>' if index in numeric else f"<td>{cell}</td>" for index, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _anchor(relationship: str) -> str:
    return "rel-" + escape(relationship)


def _who(standing: Standing) -> list[str]:
    """The cells that open every list row: the relationship (a link to its section), workflow and state, people."""
    link = f'<a href="#{_anchor(standing.id)}">{escape(standing.id)}</a>'
    return [link, escape(standing.workflow), escape(standing.state), _people(standing)]


def _people(standing: Standing) -> str:
    """The people of a list row, by id (their roles are in the relationship's section)."""
    return escape(", ".join(p.person for p in standing.participants)) or "-"


def _list(items: Sequence[str]) -> str:
    return "<ul>" + "".join(f"<li>{escape(item)}</li>" for item in items) + "</ul>" if items else "-"


def _day(at: dt.datetime) -> str:
    return f"{at:%Y-%m-%d}"


def _acting(people: Sequence[str]) -> str:
    return f" (to act: {', '.join(people)})" if people else ""


def _describe(filters: Mapping[str, object]) -> tuple[list[str], list[str]]:
    """(what the figures cover, what narrows the lists), in words, from the filters the report was asked for."""
    scope: list[str] = []
    narrowed: list[str] = []
    for name, value in filters.items():
        if value is None or value is False:
            continue
        words = {
            "stalled_days": f"no activity for {value}+ days",
            "due_within": f"something due within {value} days",
            "person": f"person {value}",
        }.get(name, name.replace("_", " ") if value is True else f"{name.replace('_', ' ')} {value}")
        (scope if name in SCOPE_FILTERS else narrowed).append(words)
    return scope, narrowed


def _tiles(summary: Summary) -> str:
    success = sum(p.success for p in summary.programs)
    finished = success + sum(p.ended for p in summary.programs)
    return "".join(
        f'<div class="tile"><b>{value}</b>{escape(label)}</div>'
        for label, value in (
            ("relationships", summary.total),
            ("active", summary.active),
            ("completion rate", f"{success / finished:.0%}" if finished else "-"),
            ("overdue", summary.overdue),
            ("blocked", summary.blocked),
        )
    )


def _charts(summary: Summary, rows: Sequence[_Row], due_days: int) -> list[str]:
    funnel = bar_chart(
        "funnel",
        "Phase funnel",
        "For each workflow and phase: how many relationships ever reached it, and how many are there now.",
        [Series("reached the phase", "#b9cdf0"), Series("there now", "#3563b5")],
        [
            Bars(f"{s.workflow} · {s.phase}", (s.reached, s.current), f"{s.reached} reached, {s.current} now")
            for s in summary.funnel
        ],
        overlap=True,
    )
    completion = bar_chart(
        "completion",
        "Completion rate per program",
        "Of the relationships of each program that have ended, the share that ended in success.",
        [Series("completion rate", "#2e7d4f")],
        [
            Bars(
                p.program or "(no program)",
                (p.completion_rate or 0,),
                "none ended yet"
                if p.completion_rate is None
                else f"{p.completion_rate:.0%} ({p.success} of {p.success + p.ended} ended in success)",
            )
            for p in summary.programs
        ],
        top=1,
    )
    overdue: Counter[str | None] = Counter(row.standing.program for row in rows if row.standing.overdue)
    soon: Counter[str | None] = Counter(row.standing.program for row in rows if row.soon)
    programs = sorted({row.standing.program for row in rows}, key=lambda name: (name is None, name or ""))
    attention = bar_chart(
        "attention",
        "Overdue and due soon per program",
        f"Listed relationships per program with an overdue obligation, and with one due in the next {due_days} days.",
        [OVERDUE, DUE_SOON],
        [
            Bars(
                program or "(no program)",
                (overdue[program], soon[program]),
                f"{overdue[program]} overdue, {soon[program]} due soon",
            )
            for program in programs
        ],
    )
    days = spread_chart(
        "days",
        "Days spent in each phase",
        "For each workflow and phase, how long the stays that have ended lasted: the median and the 90th percentile.",
        [Spread(f"{d.workflow} · {d.phase}", d.median_days, d.p90_days, d.samples) for d in summary.phase_days],
    )
    return [
        '<h2 id="funnel">Phase funnel</h2>',
        funnel,
        '<h2 id="completion">Completion per program</h2>',
        completion,
        '<h2 id="attention">Overdue and due soon per program</h2>',
        attention,
        '<h2 id="days">Days spent in each phase</h2>',
        days,
    ]


def _definitions(stalled_days: int, due_days: int) -> str:
    terms = {
        "Completion rate": (
            "Of a program's relationships in a final state, the share whose outcome is success: success / (success "
            "+ ended). Relationships still running do not count; with none ended it is shown as -. The overall "
            "rate adds up every program's."
        ),
        "Overdue": (
            "An obligation of the relationship's current state that is not met and whose due date has passed. An "
            "ended relationship has none. The count is of relationships with at least one."
        ),
        "Due soon": f"An obligation that is not met and not yet overdue, due within the next {due_days} days.",
        "Blocked": (
            "Nothing can move without someone giving a reason: the relationship has not ended, and no trigger is "
            "allowed now except those that require a reason. A transition still waiting for its day counts as not "
            "allowed, so a relationship that can only wait is blocked too; its waiting period is shown apart."
        ),
        "Waiting": (
            "A timed transition (or an in-state-days requirement) before its day: it is not a blocker, only a date. "
            "It ends the given number of days after the relationship entered its state."
        ),
        "Stalled": (
            f"No event recorded for {stalled_days} days or more (whole days since the last one), of a "
            "relationship that has not ended."
        ),
        "Phase funnel": (
            "Reached: relationships whose history ever entered a state of the phase. Now: those in a state of the "
            "phase that is not final."
        ),
        "Days per phase": (
            "A stay runs from entering a state of the phase until entering a state of another phase or a final "
            "state; consecutive states of one phase are one stay, and stays still running do not count. The median "
            "is the middle stay (or the mean of the two middle ones); the 90th percentile is the stay at rank "
            "ceil(0.9 * stays), so 90% of stays were as short or shorter."
        ),
    }
    body = "".join(f"<dt>{escape(term)}</dt><dd>{escape(text)}</dd>" for term, text in terms.items())
    return f'<h2 id="definitions">How each figure is computed</h2><dl class="terms">{body}</dl>'


def _lists(rows: Sequence[_Row], stalled_days: int, due_days: int) -> list[str]:
    overdue = [row for row in rows if row.standing.overdue]
    soon = [row for row in rows if row.soon]
    stalled = [row for row in rows if row.standing.stalled(stalled_days)]
    blocked = [row for row in rows if row.standing.blocked]
    waiting = [row for row in rows if row.waits and not row.standing.final]
    who = ["relationship", "workflow", "state", "people"]
    return [
        f'<h2 id="overdue">Overdue ({len(overdue)})</h2>',
        _table(
            [*who, "overdue"],
            [
                [*_who(r.standing), _list([f"{o.requirement} (due {_day(o.due_at)})" for o in r.standing.overdue])]
                for r in overdue
            ],
        ),
        f'<h2 id="due-soon">Due in the next {due_days} days ({len(soon)})</h2>',
        _table(
            [*who, "due"],
            [
                [
                    *_who(r.standing),
                    _list([f"{what} (due {_day(at)}){_acting(people)}" for what, at, people in r.upcoming]),
                ]
                for r in soon
            ],
        ),
        f'<h2 id="stalled">Stalled: no activity for {stalled_days} days or more ({len(stalled)})</h2>',
        _table(
            [*who, "days quiet", "last activity"],
            [[*_who(r.standing), str(r.standing.stalled_days), _day(r.standing.last_activity_at)] for r in stalled],
            numeric=[4],
        ),
        f'<h2 id="blocked">Blocked: nothing can move without a reason ({len(blocked)})</h2>',
        _table(
            [*who, "waiting for"],
            [[*_who(r.standing), _list(_blocks(r) or ["nothing but a date (see waiting)"])] for r in blocked],
        ),
        f'<h2 id="waiting">Waiting for a date ({len(waiting)})</h2>',
        _table([*who, "until"], [[*_who(r.standing), _list(_waits(r))] for r in waiting]),
    ]


def _blocks(row: _Row) -> list[str]:
    return [f"{b.trigger}: {b.message}" for b in row.blockers]


def _waits(row: _Row) -> list[str]:
    return [f"{trigger}: waiting until {_day(at)}" for trigger, at in row.waits]


def _section(row: _Row) -> str:
    """A relationship's own section, which the lists link to: where it is, who is in it, and what it waits on."""
    s = row.standing
    where = " · ".join(
        [
            f"{escape(s.workflow)} version {s.workflow_version}",
            f"program {escape(s.program)}" if s.program else "no program",
            escape(s.state) + (f" (phase {escape(s.phase)})" if s.phase else "") + (", ended" if s.final else ""),
            f"{s.days_in_state} days in state",
            f"last activity {_day(s.last_activity_at)} ({s.stalled_days} days ago)",
        ]
    )
    facts = {
        "people": [", ".join(f"{p.person} ({p.role})" for p in s.participants)] if s.participants else [],
        "can happen next": list(s.next),
        "blocked by": _blocks(row),
        "waiting": _waits(row),
        "overdue": [f"{o.requirement} (due {_day(o.due_at)}){_acting(o.people)}" for o in s.overdue],
        "due": [f"{what} (due {_day(at)}){_acting(people)}" for what, at, people in row.upcoming],
        "forced": [f"event {o.seq}: {o.trigger} by {o.by}: {o.reason}" for o in s.overrides],
    }
    body = "".join(f"<dt>{escape(label)}</dt><dd>{_list(items)}</dd>" for label, items in facts.items() if items)
    return (
        f'<section class="rel" id="{_anchor(s.id)}"><h3>{escape(s.id)}</h3><p class="meta">{where}</p>'
        f'<dl class="rel">{body}</dl></section>'
    )


def render_html(
    summary: Summary,
    standings: Sequence[Standing],
    *,
    stalled_days: int,
    title: str,
    due_days: int = 7,
    filters: Mapping[str, object] | None = None,
) -> str:
    """The whole report as one HTML document: ``summary`` for the figures, ``standings`` for the lists.

    ``filters`` are the ones the report was asked for (``audit``'s keyword arguments), named in the page; "due
    soon" means within ``due_days`` days of the summary's moment.
    """
    now = summary.as_of
    rows = [_read(standing, now, due_days) for standing in standings]
    scope, narrowed = _describe(filters or {})
    covered = f"{summary.total} relationships" + (f" ({escape('; '.join(scope))})" if scope else "")
    listed = f"{len(rows)} relationships" + (f" with {escape('; '.join(narrowed))}" if narrowed else "")
    nav = " ".join(
        f'<a href="#{anchor}">{label}</a>'
        for anchor, label in (
            ("funnel", "Funnel"),
            ("completion", "Completion"),
            ("attention", "Overdue and due soon"),
            ("days", "Days per phase"),
            ("overdue", "Overdue"),
            ("due-soon", "Due soon"),
            ("stalled", "Stalled"),
            ("blocked", "Blocked"),
            ("waiting", "Waiting"),
            ("relationships", "Each relationship"),
            ("definitions", "Definitions"),
        )
    )
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
            f"<h1>{escape(title)}</h1>",
            f'<p class="meta">As of {now:%Y-%m-%d %H:%M} UTC · generated by mentorflow</p>',
            f'<p class="meta">Figures and charts: {covered}. Lists: {listed}.</p>',
            f"<nav>{nav}</nav>",
            f'<div class="tiles">{_tiles(summary)}</div>',
            *_charts(summary, rows, due_days),
            *_lists(rows, stalled_days, due_days),
            f'<h2 id="relationships">Each relationship ({len(rows)})</h2>',
            "".join(_section(row) for row in rows) or '<p class="none">None.</p>',
            _definitions(stalled_days, due_days),
            "</body></html>",
            "",
        ]
    )
