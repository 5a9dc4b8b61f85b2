"""The administrator's reads at scale: ``mf.audit()`` rows and ``mf.summary()``, and the peak memory of an audit.

The audit is timed in a fresh process per run (streamed, then as a list), which also gives the peak RSS of each
against the RSS right after import; the process warms up on a small filtered audit first. The naive peer
(``naive.py``) and the raw GROUP BY run in this process. ``python bench/audits.py`` runs these figures alone
(``BENCH_SCALE=small`` for the quick run), on databases made as ``bench/run.py`` makes them.
"""

from __future__ import annotations

import json
import resource
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from timing import AS_OF, BENCH, Result, Scale, Stopwatch, median, quiet, result, scale, timed

WARMUP_FILTER = {"workflow": "facilitated-peer", "state": "launched"}


def _peak_rss_mb() -> float:
    """This process's peak RSS in MiB.

    On Linux ``VmHWM`` is read from ``/proc/self/status``: ``ru_maxrss`` survives ``execve``, so a child started by
    a large parent would report the parent's size as its own floor.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def child(url: str) -> None:
    """Run in a subprocess: the whole audit streamed, then kept as a list, printed as JSON.

    The stream writes each row as CSV to nowhere as it comes, as ``mentorflow audit --format csv`` does (through
    ``mf.iter_audit()``); the list keeps every row, as ``mf.audit()`` returns them. The stream goes first, so the
    peak RSS read after it is its own, and the list's peak after it is the list's (it is the larger).
    """
    from mentorflow import Mentorflow  # noqa: PLC0415 - the import is part of what is measured
    from mentorflow.cli.admin import _csv_lines  # noqa: PLC0415

    quiet()
    after_import = _peak_rss_mb()
    mf = Mentorflow(url, clock=lambda: AS_OF)
    mf.audit(**WARMUP_FILTER)
    pieces = []
    stream_seconds = timed(lambda: pieces.extend(1 for _ in _csv_lines(mf.iter_audit())))
    stream_peak = _peak_rss_mb()
    rows: list[Any] = []
    seconds = timed(lambda: rows.extend(mf.audit()))
    figures = {
        "seconds": seconds,
        "rows": len(rows),
        "rss_after_import_mb": after_import,
        "peak_rss_mb": _peak_rss_mb(),
        "stream_seconds": stream_seconds,
        "stream_rows": len(pieces) - 1,  # the last piece written is the end of the CSV, not a row
        "stream_peak_rss_mb": stream_peak,
    }
    print(json.dumps(figures))


def audit_runs(path: Path, scale: Scale, watch: Stopwatch) -> dict[str, float]:
    """Median audit seconds and RSS figures over ``scale.runs`` fresh processes, each warmed up on a small audit."""
    runs = []
    for run in range(scale.runs):
        output = subprocess.run(
            [sys.executable, str(BENCH / "audits.py"), f"sqlite:///{path}"], check=True, capture_output=True, text=True
        ).stdout
        runs.append(json.loads(output.strip().splitlines()[-1]))
        last = runs[-1]
        watch.say(
            f"audit run {run + 1}: list {last['seconds']:.2f} s for {last['rows']} rows, peak "
            f"{last['peak_rss_mb']:.0f} MB; streamed {last['stream_seconds']:.2f} s, peak "
            f"{last['stream_peak_rss_mb']:.0f} MB"
        )
    return {key: median([run[key] for run in runs]) for key in runs[0]}


def naive_runs(path: Path, scale: Scale, every: int, watch: Stopwatch) -> float:
    """Median seconds of the naive peer over the whole database (measured on every ``every``-th row, scaled)."""
    import naive  # noqa: PLC0415 - imports transitions; keep it out of the child's measured imports

    from mentorflow import Mentorflow  # noqa: PLC0415

    mf = Mentorflow(f"sqlite:///{path}", clock=lambda: AS_OF)
    peer = naive.NaiveAudit(mf.engine, AS_OF)
    peer.run(limit=200)  # warm-up
    times = []
    for run in range(scale.runs):
        started = time.perf_counter()
        rows = peer.run(every=every)
        times.append((time.perf_counter() - started) * every)
        scaled = f" x {every}" if every > 1 else ""
        watch.say(f"naive run {run + 1}: {times[-1]:.2f} s ({len(rows)} rows{scaled})")
    mf.engine.dispose()
    return median(times)


def parity(path: Path) -> tuple[int, int]:
    """(relationships compared, relationships on which mf.audit() and the naive peer disagree)."""
    import naive  # noqa: PLC0415

    from mentorflow import Mentorflow  # noqa: PLC0415

    mf = Mentorflow(f"sqlite:///{path}", clock=lambda: AS_OF)
    ours = mf.audit()
    theirs = naive.NaiveAudit(mf.engine, AS_OF).run()
    mf.engine.dispose()
    return len(ours), naive.parity(ours, theirs)


def summary_runs(path: Path, scale: Scale, watch: Stopwatch) -> tuple[float, float]:
    """(mf.summary(), raw GROUP BY) median seconds over the whole database."""
    from mentorflow import Mentorflow  # noqa: PLC0415

    mf = Mentorflow(f"sqlite:///{path}", clock=lambda: AS_OF)
    connection = sqlite3.connect(path)
    group_by = "SELECT workflow, state, count(*) FROM mentorflow_relationships GROUP BY workflow, state"
    mf.summary(**WARMUP_FILTER)
    connection.execute(group_by).fetchall()
    ours, theirs = [], []
    for run in range(scale.runs):
        ours.append(timed(mf.summary))
        theirs.append(timed(lambda: connection.execute(group_by).fetchall()))
        watch.say(f"summary run {run + 1}: {ours[-1]:.2f} s, GROUP BY {theirs[-1] * 1000:.1f} ms")
    connection.close()
    mf.engine.dispose()
    return median(ours), median(theirs)


def figures(work: Path, chosen: Scale, refreshed: float, watch: Stopwatch) -> list[Result]:
    """The audit rows of ``bench/run.py``'s table, from ``big.db`` and ``little.db`` in ``work``."""
    compared, differ = parity(work / "little.db")
    watch.say(f"parity: mf.audit() and the naive peer disagree on {differ} of {compared} relationships")
    found = audit_runs(work / "big.db", chosen, watch)
    every = 1 if chosen.name == "full" else 10
    naive = naive_runs(work / "big.db", chosen, every, watch)
    sampled = f"; naive peer timed on every {every}th relationship, x {every}" if every > 1 else ""
    rows = [
        result(
            "audit_rows_100k",
            found["seconds"],
            "s",
            naive,
            max_value=3.0,
            max_ratio=0.1,
            note=(
                f"{int(found['rows'])} relationships, standing cache refreshed by the nightly tick "
                f"({refreshed:.0f} s); {differ} of {compared} differ from the naive peer{sampled}"
            ),
        ),
        result(
            "audit_peak_rss_mb",
            found["peak_rss_mb"],
            "MB",
            found["rss_after_import_mb"],
            max_value=300.0,
            note=f"{int(found['rows'])} relationships, all kept in the list mf.audit() returns",
        ),
        result(
            "audit_stream_peak_rss_mb",
            found["stream_peak_rss_mb"],
            "MB",
            found["rss_after_import_mb"],
            max_value=300.0,
            note=(
                f"{int(found['stream_rows'])} relationships written as CSV as they are read "
                f"(mentorflow audit --format csv, mf.iter_audit()), in {found['stream_seconds']:.2f} s"
            ),
        ),
    ]
    ours, raw = summary_runs(work / "big.db", chosen, watch)
    rows.append(result("audit_summary_100k", ours, "s", raw, max_value=0.5))
    return rows


def audit_only() -> None:
    """The audit rows of ``bench/run.py``'s table, without the fire and start-up figures."""
    import run  # noqa: PLC0415 - run imports this module; only this entry point needs it back

    run.alone(
        "audit", "audit figures", lambda work, watch, refreshed: figures(work, scale(), refreshed["big.db"], watch)
    )


if __name__ == "__main__":
    if len(sys.argv) == 1:
        audit_only()
    else:
        child(sys.argv[1])
