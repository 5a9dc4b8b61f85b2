"""The offline audit report: one self-contained HTML file to put on the screen at a program meeting.

No scripts, no fonts, no images fetched from anywhere: styles are inline and the phase funnel is drawn as inline
SVG, so the file opens the same on a laptop without a network. Every value from the database is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from mentorflow.types import FunnelStep, Standing, Summary

__all__ = ["render_html"]

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:64rem;color:#1d2433}
h1{font-size:1.6rem;margin-bottom:.2rem} h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d7dce5}
.meta{color:#5b6478} table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #eceff4;vertical-align:top}
th{background:#f4f6fa;font-weight:600} td.n{text-align:right;font-variant-numeric:tabular-nums}
.tiles{display:flex;gap:1rem;flex-wrap:wrap} .tile{border:1px solid #d7dce5;border-radius:6px;padding:.6rem 1rem}
.tile b{display:block;font-size:1.4rem} ul{margin:.2rem 0;padding-left:1.1rem} .none{color:#5b6478}
svg text{font:12px system-ui,sans-serif;fill:#1d2433}
"""


def _funnel_svg(steps: Sequence[FunnelStep]) -> str:
    """Horizontal bars per workflow and phase: reached (light) with those currently there (dark) inside."""
    if not steps:
        return '<p class="none">No relationships yet.</p>'
    top = max(step.reached for step in steps) or 1
    row, label_width, bar_width = 22, 260, 420
    height = row * len(steps) + 10
    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_width + bar_width + 170}" height="{height}" '
            'role="img" aria-label="Phase funnel">'
        )
    ]
    for index, step in enumerate(steps):
        y = 5 + index * row
        reached = bar_width * step.reached / top
        current = bar_width * step.current / top
        parts.append(f'<text x="0" y="{y + 14}">{escape(step.workflow)} · {escape(step.phase)}</text>')
        parts.append(f'<rect x="{label_width}" y="{y + 2}" width="{reached:.1f}" height="16" fill="#b9cdf0"/>')
        parts.append(f'<rect x="{label_width}" y="{y + 2}" width="{current:.1f}" height="16" fill="#3563b5"/>')
        parts.append(
            f'<text x="{label_width + reached + 6:.1f}" y="{y + 14}">{step.reached} reached, {step.current} now</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


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


def _who(standing: Standing) -> list[str]:
    """The cells that open every list row: the relationship, its workflow and state, its people."""
    return [escape(standing.id), escape(standing.workflow), escape(standing.state), _people(standing)]


def _people(standing: Standing) -> str:
    return escape(", ".join(f"{p.person} ({p.role})" for p in standing.participants))


def _list(items: Sequence[str]) -> str:
    return "<ul>" + "".join(f"<li>{escape(item)}</li>" for item in items) + "</ul>" if items else "-"


def render_html(summary: Summary, standings: Sequence[Standing], *, stalled_days: int, title: str) -> str:
    """The whole report as one HTML document."""
    overdue = [s for s in standings if s.overdue]
    stalled = [s for s in standings if s.stalled(stalled_days)]
    blocked = [s for s in standings if s.blocked]
    tiles = "".join(
        f'<div class="tile"><b>{value}</b>{escape(label)}</div>'
        for label, value in (
            ("relationships", summary.total),
            ("active", summary.active),
            ("overdue", len(overdue)),
            (f"stalled {stalled_days}+ days", len(stalled)),
            ("blocked", len(blocked)),
        )
    )
    programs = _table(
        ["program", "total", "active", "success", "ended", "completion rate"],
        [
            [
                escape(p.program or "(none)"),
                str(p.total),
                str(p.active),
                str(p.success),
                str(p.ended),
                "-" if p.completion_rate is None else f"{p.completion_rate:.0%}",
            ]
            for p in summary.programs
        ],
        numeric=[1, 2, 3, 4, 5],
    )
    states = _table(
        ["workflow", "state", "phase", "count"],
        [
            [
                escape(s.workflow),
                escape(s.state) + (f" ({escape(s.outcome)})" if s.outcome else ""),
                escape(s.phase or "-"),
                str(s.count),
            ]
            for s in summary.states
        ],
        numeric=[3],
    )
    days = _table(
        ["workflow", "phase", "stays", "median days", "90th percentile"],
        [
            [escape(d.workflow), escape(d.phase), str(d.samples), f"{d.median_days:g}", f"{d.p90_days:g}"]
            for d in summary.phase_days
        ],
        numeric=[2, 3, 4],
    )
    overdue_rows = [
        [
            *_who(s),
            _list([f"{o.requirement} (due {o.due_at:%Y-%m-%d})" for o in s.overdue]),
        ]
        for s in overdue
    ]
    stalled_rows = [
        [
            *_who(s),
            str(s.stalled_days),
            f"{s.last_activity_at:%Y-%m-%d}",
        ]
        for s in stalled
    ]
    blocked_rows = [
        [
            *_who(s),
            _list([f"{b.trigger}: {b.message}" for b in s.blockers]),
        ]
        for s in blocked
    ]
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
            f"<h1>{escape(title)}</h1>",
            f'<p class="meta">As of {summary.as_of:%Y-%m-%d %H:%M} UTC · generated by mentorflow</p>',
            f'<div class="tiles">{tiles}</div>',
            "<h2>Phase funnel</h2>",
            _funnel_svg(summary.funnel),
            "<h2>Programs</h2>",
            programs,
            "<h2>Where relationships are</h2>",
            states,
            "<h2>Days spent in each phase</h2>",
            days,
            f"<h2>Overdue ({len(overdue)})</h2>",
            _table(["relationship", "workflow", "state", "people", "overdue"], overdue_rows),
            f"<h2>Stalled: no activity for {stalled_days} days or more ({len(stalled)})</h2>",
            _table(
                ["relationship", "workflow", "state", "people", "days quiet", "last activity"],
                stalled_rows,
                numeric=[4],
            ),
            f"<h2>Blocked: nothing can move without a reason ({len(blocked)})</h2>",
            _table(["relationship", "workflow", "state", "people", "waiting for"], blocked_rows),
            "</body></html>",
            "",
        ]
    )
