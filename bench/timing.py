"""What every benchmark shares: the scale, the clock, quiet logging, medians and the result rows.

A figure is the median of ``RUNS`` timed runs that follow an untimed warm-up; its baseline is measured the same way
in the same process run, so the ratio compares two numbers taken on the same machine under the same load.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import structlog

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / ".work"
RESULTS = BENCH / "results.json"

AS_OF = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
"""The moment audits are computed at; every generated event happens before it."""


@dataclass(frozen=True)
class Scale:
    """How big a run is. ``small`` fits in a minute; ``full`` is the scale the targets are written for."""

    name: str
    seeds: int
    """Realistic relationships created through the API, before cloning."""
    stored: int
    """Relationships stored for the audit figures and the large side of fire_scaling."""
    stored_small: int
    """Relationships stored for the small side of fire_scaling."""
    fires: int
    """Fires per timed run (one per relationship)."""
    runs: int
    """Timed runs per figure, after a warm-up."""
    template: int = 200
    """Fire-ready dyads made through the API; each timed run fires clones of them."""
    warmup_fires: int = 200


SCALES = {
    "full": Scale("full", seeds=300, stored=100_000, stored_small=1_000, fires=200, runs=5, template=200),
    "small": Scale("small", seeds=80, stored=10_000, stored_small=1_000, fires=200, runs=5, template=25),
}


def scale() -> Scale:
    name = os.environ.get("BENCH_SCALE", "full").strip().lower() or "full"
    if name not in SCALES:
        raise SystemExit(f"BENCH_SCALE must be one of {', '.join(SCALES)}, got {name!r}")
    return SCALES[name]


def quiet() -> None:
    """Drop mentorflow's per-write info logs, as a platform that logs at WARNING would; errors still show."""
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING), cache_logger_on_first_use=True
    )


@dataclass
class Result:
    name: str
    value: float
    unit: str
    baseline: float
    ratio: float
    target: str
    passed: bool
    note: str = ""

    def row(self) -> dict[str, object]:
        data = asdict(self)
        return {key: data[key] for key in ("name", "value", "unit", "baseline", "ratio")} | {
            "target": self.target,
            "pass": self.passed,
            "note": self.note,
        }


def result(
    name: str,
    value: float,
    unit: str,
    baseline: float,
    *,
    max_ratio: float | None = None,
    max_value: float | None = None,
    note: str = "",
) -> Result:
    """A result row checked against its target: a ceiling on the ratio, on the value, or both."""
    ratio = value / baseline if baseline else float("inf")
    checks = []
    passed = True
    if max_value is not None:
        checks.append(f"<= {max_value:g} {unit}")
        passed &= value <= max_value
    if max_ratio is not None:
        checks.append(f"ratio <= {max_ratio:g}")
        passed &= ratio <= max_ratio
    return Result(name, value, unit, baseline, ratio, " and ".join(checks), passed, note)


def median(values: list[float]) -> float:
    return statistics.median(values)


def timed(function: Callable[[], object]) -> float:
    """Wall time of one call, in seconds."""
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


class Stopwatch:
    """Prints what the run is doing and how long it took, so a slow step is visible in the log."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    def say(self, message: str) -> None:
        print(f"[{time.perf_counter() - self.started:7.1f}s] {message}", flush=True)
