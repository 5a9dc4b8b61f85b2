"""Charts for the offline report, drawn as inline SVG in Python.

A report is mailed and opened at meetings without a network, so it can load no charting library, font or image;
and a chart is read by people with screen readers too. Each chart here is therefore one ``<svg>`` element with a
``<title>`` and a ``<desc>`` that also lists every value (what a screen reader reads), a legend, and the value
written as text beside each bar, so the figure is readable without the picture. Charts scale to the width they
are given (a ``viewBox``), so a page fits a 1024 px screen. Callers pass plain text; everything is escaped here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["Bars", "Series", "Spread", "bar_chart", "spread_chart"]

WIDTH = 900
"""The drawing's width in its own units; the page scales it to the column."""
LABEL = 240
"""Room for the row labels, right-aligned against the bars."""
BAR = 360
"""The length of the longest bar."""
LINE = 18
"""The height of one bar."""
LEGEND = 30
"""The height of the legend above the bars."""
TICKS = 5
"""An axis is marked at most this many times past zero."""


@dataclass(frozen=True, slots=True)
class Series:
    """One kind of bar in a chart: its name in the legend and its colour."""

    name: str
    colour: str


@dataclass(frozen=True, slots=True)
class Bars:
    """One row of a bar chart: a label, one value per series, and the values as text written beside the bars."""

    label: str
    values: tuple[float, ...]
    text: str


@dataclass(frozen=True, slots=True)
class Spread:
    """How long the stays of one group lasted: the median and the 90th percentile, in days, of ``samples`` stays."""

    label: str
    median: float
    p90: float
    samples: int


def _open(ident: str, title: str, description: str, height: int) -> str:
    """The opening of a chart's ``<svg>``, named by its title and description (``ident`` is unique in the page)."""
    return (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-labelledby="{ident}-t {ident}-d">'
        f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(description)}</desc>'
    )


def _legend(series: Sequence[Series]) -> str:
    parts = []
    x = LABEL
    for item in series:
        parts.append(f'<rect x="{x}" y="6" width="14" height="14" fill="{item.colour}"/>')
        parts.append(f'<text x="{x + 20}" y="18">{escape(item.name)}</text>')
        x += 40 + 8 * len(item.name)
    return '<g class="legend">' + "".join(parts) + "</g>"


def _label(text: str, y: float) -> str:
    return f'<text x="{LABEL - 8}" y="{y:.1f}" text-anchor="end">{escape(text)}</text>'


def bar_chart(
    ident: str,
    title: str,
    description: str,
    series: Sequence[Series],
    rows: Sequence[Bars],
    *,
    top: float | None = None,
    overlap: bool = False,
) -> str:
    """Horizontal bars, a row per item and a bar per series, scaled so that ``top`` (or the largest value) fills
    the bar's length. With ``overlap`` a row's bars are drawn over one another, largest first (a funnel's
    "reached" holding its "there now"); otherwise they are stacked one under the other."""
    if not rows:
        return '<p class="none">Nothing to draw yet.</p>'
    largest = top or max(max(row.values, default=0) for row in rows) or 1
    lines = 1 if overlap else len(series)
    row_height = LINE * lines + 10
    height = LEGEND + row_height * len(rows) + 6
    values = "; ".join(f"{row.label}: {row.text}" for row in rows)
    parts = [_open(ident, title, f"{description} {values}.", height), _legend(series)]
    for index, row in enumerate(rows):
        y = LEGEND + index * row_height
        parts.append("<g>")
        parts.append(f"<title>{escape(row.label)}: {escape(row.text)}</title>")
        parts.append(_label(row.label, y + row_height / 2 + 4))
        end = 0.0
        for number, (item, value) in enumerate(zip(series, row.values, strict=True)):
            length = BAR * min(value, largest) / largest
            top_y = y + (0 if overlap else number * LINE)
            parts.append(
                f'<rect x="{LABEL}" y="{top_y + 2:.1f}" width="{length:.1f}" height="{LINE - 4}" fill="{item.colour}"/>'
            )
            end = max(end, length)
        parts.append(f'<text x="{LABEL + end + 6:.1f}" y="{y + row_height / 2 + 4:.1f}">{escape(row.text)}</text>')
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


SPREAD_SERIES = (Series("half the stays, up to the median", "#3563b5"), Series("up to the 90th percentile", "#b9cdf0"))


def spread_chart(ident: str, title: str, description: str, rows: Sequence[Spread]) -> str:
    """How long stays last, a row per group on one day axis: a dark bar to the median, a light one on to the 90th
    percentile, and the figures written beside them."""
    if not rows:
        return '<p class="none">No stay in a phase has ended yet.</p>'
    largest = max(row.p90 for row in rows) or 1
    row_height = LINE + 8
    axis = LEGEND + row_height * len(rows)
    height = axis + 24
    texts = [(row.label, _spread_text(row)) for row in rows]
    values = "; ".join(f"{label}: {text}" for label, text in texts)
    parts = [_open(ident, title, f"{description} {values}.", height), _legend(SPREAD_SERIES)]
    for tick in _ticks(largest):
        x = LABEL + BAR * tick / largest
        parts.append(f'<line x1="{x:.1f}" y1="{LEGEND}" x2="{x:.1f}" y2="{axis}" stroke="#d7dce5"/>')
        parts.append(f'<text x="{x:.1f}" y="{axis + 16}" text-anchor="middle">{tick:g} d</text>')
    for index, (row, (_, text)) in enumerate(zip(rows, texts, strict=True)):
        y = LEGEND + index * row_height
        median, p90 = BAR * row.median / largest, BAR * row.p90 / largest
        parts.append("<g>")
        parts.append(f"<title>{escape(row.label)}: {escape(text)}</title>")
        parts.append(_label(row.label, y + LINE / 2 + 6))
        parts.append(
            f'<rect x="{LABEL}" y="{y + 4}" width="{p90:.1f}" height="{LINE - 4}" fill="{SPREAD_SERIES[1].colour}"/>'
        )
        parts.append(
            f'<rect x="{LABEL}" y="{y + 4}" width="{median:.1f}" height="{LINE - 4}" fill="{SPREAD_SERIES[0].colour}"/>'
        )
        parts.append(f'<text x="{LABEL + p90 + 6:.1f}" y="{y + LINE / 2 + 6}">{escape(text)}</text>')
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def _spread_text(row: Spread) -> str:
    stays = "1 stay" if row.samples == 1 else f"{row.samples} stays"
    return f"median {row.median:g} d, 90% within {row.p90:g} d, {stays}"


def _ticks(largest: float) -> list[float]:
    """Round day marks along an axis that ends at ``largest``: every 1, 2, 5, 10, 20, 50... days, at most six."""
    step = 1.0
    while largest / step > TICKS:
        for factor in (2, 2.5, 2):
            step *= factor
            if largest / step <= TICKS:
                break
    count = int(largest // step)
    return [step * n for n in range(count + 1)]
