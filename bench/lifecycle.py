"""Archives at scale: ``export_100k`` and ``import_100k`` of the keyed bench database, and their peak memory.

The database is ``integrity``'s (``scale.stored`` relationships whose chains all verify, keyed), since an import
proves every chain and MAC before it keeps anything. Each side runs in a fresh process that reports its peak RSS:
``mf.export`` to a file, then ``mf.import_archive`` of that file into a new, migrated SQLite database (the key set,
so every MAC is checked). The baselines, in the same run, do the same I/O with plain ``sqlite3``: reading every row
of the six tables an archive carries and writing each as a JSON line; reading the same rows and inserting them
into a new database with ``executemany`` in one transaction. ``python bench/lifecycle.py`` runs these alone.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import integrity
from audits import _peak_rss_mb
from timing import AS_OF, BENCH, WORK, Result, Scale, Stopwatch, quiet, result, scale, timed

TABLES = (
    "mentorflow_definitions",
    "mentorflow_relationships",
    "mentorflow_participants",
    "mentorflow_events",
    "mentorflow_revisions",
    "mentorflow_signatures",
)


def child(what: str, url: str, path: str) -> None:
    """Run in a subprocess: one export to ``path``, or one import of ``path``; printed as JSON."""
    from mentorflow import Mentorflow  # noqa: PLC0415

    quiet()
    mf = Mentorflow(url, clock=lambda: AS_OF, key=integrity.KEY)
    counts: list[Any] = []
    if what == "export":
        with open(path, "w", encoding="utf-8", newline="\n") as out:  # noqa: PTH123
            seconds = timed(lambda: counts.append(mf.export(out)))
    else:
        mf.upgrade()
        with open(path, encoding="utf-8", newline="\n") as source:  # noqa: PTH123
            seconds = timed(lambda: counts.append(mf.import_archive(source)))
    print(json.dumps({"seconds": seconds, "peak_rss_mb": _peak_rss_mb(), **counts[0].model_dump()}))


def _rows(connection: sqlite3.Connection, table: str) -> Any:
    return connection.execute(f"SELECT * FROM {table}")


def export_baseline(source: Path, out: Path) -> None:
    """Every row of the archive's tables read with sqlite3 and written as a JSON line."""
    connection = sqlite3.connect(source)
    with out.open("w", encoding="utf-8") as file:
        for table in TABLES:
            for row in _rows(connection, table):
                file.write(json.dumps(row, default=str) + "\n")
    connection.close()


def import_baseline(source: Path, empty: Path, target: Path) -> None:
    """The same rows read with sqlite3 and inserted into a new database in one transaction."""
    shutil.copy(empty, target)
    reading, writing = sqlite3.connect(source), sqlite3.connect(target)
    with writing:
        for table in TABLES:
            cursor = _rows(reading, table)
            columns = [column[0] for column in cursor.description]
            marks = ", ".join("?" for _ in columns)
            writing.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", cursor)
    reading.close()
    writing.close()


def _empty(work: Path) -> Path:
    """A migrated database with no rows, copied for each baseline import."""
    from mentorflow import Mentorflow  # noqa: PLC0415

    path = work / "lifecycle-empty.db"
    mf = Mentorflow(f"sqlite:///{path}")
    mf.upgrade()
    mf.engine.dispose()
    return path


def _run(what: str, url: str, path: Path) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, str(BENCH / "lifecycle.py"), what, url, str(path)], check=True, capture_output=True, text=True
    ).stdout
    found: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return found


def figures(work: Path, chosen: Scale, watch: Stopwatch) -> list[Result]:
    source = work / "keyed.db"
    if not source.exists():  # made by integrity's figures earlier in a full run
        source = integrity.build(work, chosen, watch)
    archive, empty = work / "archive.jsonl", _empty(work)
    exported = _run("export", f"sqlite:///{source}", archive)
    plain_export = timed(lambda: export_baseline(source, work / "plain.jsonl"))
    watch.say(
        f"export: {exported['seconds']:.1f} s for {exported['relationships']} relationships "
        f"({exported['events']} events, {archive.stat().st_size / 1e6:.0f} MB), peak {exported['peak_rss_mb']:.0f} MB; "
        f"plain sqlite3 {plain_export:.1f} s"
    )
    target = work / "imported.db"
    shutil.copy(empty, target)
    imported = _run("import", f"sqlite:///{target}", archive)
    plain_import = timed(lambda: import_baseline(source, empty, work / "plain.db"))
    watch.say(
        f"import: {imported['seconds']:.1f} s, every chain and MAC checked, peak {imported['peak_rss_mb']:.0f} MB; "
        f"plain sqlite3 inserts {plain_import:.1f} s"
    )
    note = f"{exported['relationships']} relationships, {exported['events']} events, keyed"
    return [
        result("export_100k", exported["seconds"], "s", plain_export, max_ratio=3.0, note=note),
        result("export_peak_rss_mb", exported["peak_rss_mb"], "MB", 1.0, max_value=200),
        result("import_100k", imported["seconds"], "s", plain_import, max_ratio=3.0, note=note + ", all verified"),
        result("import_peak_rss_mb", imported["peak_rss_mb"], "MB", 1.0, max_value=200),
    ]


def _alone() -> None:
    chosen, watch = scale(), Stopwatch()
    quiet()
    work = WORK / f"{chosen.name}-lifecycle"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        for row in figures(work, chosen, watch):
            print(row.row())
    finally:
        if os.environ.get("BENCH_KEEP") != "1":
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        child(*sys.argv[1:4])
    else:
        _alone()
