"""Run every benchmark, print a table with each target, and write ``bench/results.json``.

``python bench/run.py`` is the full run; ``BENCH_SCALE=small`` is the quick one. PostgreSQL is benchmarked when
``MENTORFLOW_BENCH_POSTGRES`` holds an SQLAlchemy URL. The databases live in ``bench/.work/`` and are removed at
the end unless ``BENCH_KEEP=1``.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path

import asof
import audits
import changefeed
import deliver
import fire
import integrity
import migrations
import people
import startup
import workload
from timing import AS_OF, RESULTS, WORK, Result, Stopwatch, quiet, result, scale, timed

import lifecycle
from mentorflow import Mentorflow


def _prepare(
    work: Path, watch: Stopwatch, seeds: int, template: int, stored: int, stored_small: int
) -> dict[str, float]:
    """Make the databases; returns the seconds the nightly refresh of the standing cache took, per database."""
    seed_db = work / "seed.db"
    mf = Mentorflow(f"sqlite:///{seed_db}")
    mf.upgrade()
    workload.synchronous(mf.engine, lambda: "OFF")  # generating data is not what is measured
    mf.engine.dispose()
    workload.seed(mf, realistic=seeds, fire_ready=template)
    mf.engine.dispose()
    watch.say(
        f"seeded {workload.count(mf.engine)} relationships through the API "
        f"({seeds} played to varied stages, {template} ready to launch, the rest linked by conversions)"
    )
    refreshed = {}
    for name, target in (("fire.db", None), ("big.db", stored), ("little.db", stored_small)):
        workload.copy_database(seed_db, work / name)
        if target is not None:
            grown = Mentorflow(f"sqlite:///{work / name}", clock=lambda: AS_OF)
            workload.grow(grown.engine, target)
            watch.say(f"{name}: cloned up to {workload.count(grown.engine)} relationships")
            # What the nightly `mentorflow tick` does after firing: bring the standing cache up to date.
            refreshed[name] = timed(grown.refresh)
            watch.say(f"{name}: standing cache refreshed in {refreshed[name]:.1f} s (as the nightly tick does)")
            grown.engine.dispose()
    return refreshed


def main() -> None:
    chosen = scale()
    quiet()
    watch = Stopwatch()
    work = WORK / chosen.name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    template = chosen.template
    watch.say(
        f"scale {chosen.name}: {chosen.stored} stored, {chosen.fires} fires x {chosen.runs} runs, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )
    refreshed = _prepare(work, watch, chosen.seeds, template, chosen.stored, chosen.stored_small)
    results: list[Result] = []

    ours, raw = fire.isolated("sqlite", str(work / "fire.db"), "FULL")
    results.append(result("fire_sqlite_full", ours, "us", raw, max_ratio=2.0))
    ours, raw = fire.isolated("sqlite", str(work / "fire.db"), "NORMAL")
    results.append(result("fire_sqlite_normal", ours, "us", raw, max_ratio=5.0))
    postgres = os.environ.get("MENTORFLOW_BENCH_POSTGRES")
    if postgres:
        ours, raw = fire.isolated("postgres", postgres)
        results.append(result("fire_postgres", ours, "us", raw, max_ratio=2.0))
    else:
        watch.say("fire_postgres skipped: MENTORFLOW_BENCH_POSTGRES is not set")

    results += audits.figures(work, chosen, refreshed["big.db"], watch)
    results += asof.figures(work, chosen, watch)
    results += people.figures(work, chosen, watch)
    results += migrations.figures(work, work / "seed.db", chosen, watch)
    results += integrity.figures(work, chosen, watch)
    results += lifecycle.figures(work, chosen, watch)
    results += changefeed.figures(work, chosen, watch)
    results += deliver.figures(work, chosen.name, watch)

    ours, raw = fire.isolated("scaling", str(work / "big.db"), str(work / "little.db"))
    results.append(
        result(
            "fire_scaling",
            ours,
            "us",
            raw,
            max_ratio=1.3,
            note=f"{chosen.stored} vs {chosen.stored_small} stored, synchronous=NORMAL",
        )
    )

    ours, raw = startup.cli_help(chosen, watch)
    results.append(result("cli_help", ours, "s", raw, max_ratio=2.0))
    ours, raw = startup.cli_status(chosen, watch, work)
    results.append(result("cli_status", ours, "s", raw, max_ratio=1.3, note=f"baseline: {startup.STATUS_PEER}"))
    ours, raw = startup.definitions_load(chosen, watch)
    results.append(result("definitions_load", ours, "s", raw, max_ratio=5.0))

    RESULTS.write_text(json.dumps([r.row() for r in results], indent=2) + "\n", encoding="utf-8")
    if os.environ.get("BENCH_KEEP") != "1":
        shutil.rmtree(work, ignore_errors=True)
    _table(results, chosen.name, time.perf_counter() - watch.started)


def alone(name: str, what: str, figures: Callable[[Path, Stopwatch, dict[str, float]], list[Result]]) -> None:
    """One module's rows of the table, without the rest of the run: ``python bench/asof.py``, for example.

    The databases are made as the full run makes them (``figures`` gets the seconds each refresh took); they live in
    ``bench/.work/SCALE-NAME`` and are removed at the end unless ``BENCH_KEEP=1``.
    """
    chosen, watch = scale(), Stopwatch()
    quiet()
    work = WORK / f"{chosen.name}-{name}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    watch.say(f"scale {chosen.name}: {what} only, {chosen.stored} stored, {chosen.runs} runs")
    try:
        refreshed = _prepare(work, watch, chosen.seeds, chosen.template, chosen.stored, chosen.stored_small)
        rows = figures(work, watch, refreshed)
    finally:
        if os.environ.get("BENCH_KEEP") != "1":
            shutil.rmtree(work, ignore_errors=True)
    _table(rows, chosen.name, time.perf_counter() - watch.started)


def _table(results: list[Result], scale_name: str, seconds: float) -> None:
    print()
    print(f"mentorflow benchmarks, scale {scale_name}, {seconds:.0f} s in all (results in {RESULTS})")
    header = f"{'name':<20} {'value':>12} {'baseline':>12} {'unit':<4} {'ratio':>8}  {'target':<26} result"
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.name:<20} {r.value:>12.4g} {r.baseline:>12.4g} {r.unit:<4} {r.ratio:>8.3f}  {r.target:<26} "
            f"{'PASS' if r.passed else 'MISS'}"
        )
        if r.note:
            print(f"{'':<20} {r.note}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
