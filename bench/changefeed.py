"""The change feed at scale: reading it in pages, and what it costs eight writers on PostgreSQL.

``feed_read_100k`` reads ``FEED_CHANGES`` changes through ``mf.changes`` in pages of 1000, as a poller catching
up would, against one plain SQL scan of as many rows of the events table (``sqlite3``, every column fetched) in
the same run. The feed is filled the way writers fill it, then numbered by one ``sequence`` (its time is noted).

``fire_postgres_8`` runs eight processes firing ``launch`` at once on PostgreSQL, each on dyads of its own, and
times the wall clock until all are done: mentorflow with the feed on, against the raw psycopg peer of
``bench/fire.py`` in eight processes; its note compares mentorflow with the feed on and off (off: the feed's insert
replaced by nothing in the child), the cost the feed adds to every write. Skipped without
``MENTORFLOW_BENCH_POSTGRES``. ``python bench/changefeed.py`` runs these figures alone.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import fire
import workload
from sqlalchemy import create_engine, make_url, text
from timing import WORK, Result, Scale, Stopwatch, median, quiet, result, scale, timed

from mentorflow import Mentorflow
from mentorflow.store import feed

FEED_CHANGES = {"full": 100_000, "small": 10_000}
WRITERS = 8
FIRES_PER_WRITER = {"full": 100, "small": 25}


# -- reading ------------------------------------------------------------------------------------------------------


def _fill(path: Path, chosen: Scale, wanted: int, watch: Stopwatch) -> None:
    """A database with at least ``wanted`` events, and a change in the feed for each of the first ``wanted``."""
    mf = Mentorflow(f"sqlite:///{path}")
    mf.upgrade()
    workload.synchronous(mf.engine, lambda: "OFF")
    workload.seed(mf, realistic=chosen.seeds, fire_ready=0)
    with mf.engine.connect() as connection:
        per = connection.execute(text("SELECT count(*) * 1.0 / count(DISTINCT relationship_id) FROM mentorflow_events"))
        events_per_relationship = float(per.scalar_one())
    workload.grow(mf.engine, int(wanted / events_per_relationship) + chosen.seeds)
    with mf.engine.begin() as connection:
        # What the writers would have inserted: a change per event, unnumbered, with the people in the relationship.
        connection.execute(
            text(
                "INSERT INTO mentorflow_changes (change_id, kind, relationship_id, seq, at, people, payload) "
                "SELECT 'evt_' || substr(e.hash, 1, 32), e.kind, e.relationship_id, e.seq, e.at, "
                "(SELECT json_group_array(person) FROM mentorflow_participants p "
                " WHERE p.relationship_id = e.relationship_id), e.payload "
                "FROM mentorflow_events e ORDER BY e.id LIMIT :wanted"
            ),
            {"wanted": wanted},
        )
    numbered = timed(lambda: feed.sequence(mf.engine))
    watch.say(f"feed: {wanted} changes written, numbered by one sequence in {numbered:.1f} s")
    mf.engine.dispose()


def feed_read(path: Path, chosen: Scale, wanted: int, watch: Stopwatch) -> tuple[float, float]:
    """(mentorflow, plain SQL) median seconds to read ``wanted`` changes, or as many events."""
    mf = Mentorflow(f"sqlite:///{path}")

    def ours() -> None:
        after, read = 0, 0
        while read < wanted:
            page = mf.changes(after=after, limit=1000)
            read += len(page.changes)
            after = page.next
        if read != wanted:
            raise RuntimeError(f"read {read} changes, wanted {wanted}")

    def plain() -> None:
        connection = sqlite3.connect(path)
        rows = connection.execute("SELECT * FROM mentorflow_events ORDER BY id LIMIT ?", (wanted,)).fetchall()
        connection.close()
        if len(rows) != wanted:
            raise RuntimeError(f"scanned {len(rows)} events, wanted {wanted}")

    ours()
    plain()
    mine, theirs = [], []
    for _ in range(chosen.runs):
        mine.append(timed(ours))
        theirs.append(timed(plain))
    mf.engine.dispose()
    watch.say(f"feed_read: {median(mine):.2f} s for {wanted} changes, plain scan {median(theirs):.2f} s")
    return median(mine), median(theirs)


# -- eight writers on PostgreSQL ----------------------------------------------------------------------------------


def _writer(side: str, url: str, schema: str, targets: list[list[str]]) -> None:
    """A child: get ready (imports, definitions, a connection), say so, wait for "go", then fire ``launch`` on each
    (relationship, mentor) as ``side``: ``feed``, ``nofeed`` or ``raw``."""
    quiet()
    if side == "raw":
        import psycopg  # noqa: PLC0415

        plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(plain, options=f"-csearch_path={schema}") as connection:
            raw = fire.RawFire(connection, placeholder="%s", begin=None, datetimes_as_text=False)
            _ready()
            for relationship, mentor in targets:
                raw.fire(relationship, mentor)
        return
    if side == "nofeed":
        feed.record_events = lambda *_args, **_kwargs: None  # type: ignore[assignment]
    mf = Mentorflow(create_engine(url, connect_args={"options": f"-csearch_path={schema}"}))
    mf.status(targets[0][0])  # loads the definitions and opens the connection before the clock starts
    _ready()
    for relationship, mentor in targets:
        mf.fire(relationship, fire.TRIGGER, actor=mentor)
    mf.engine.dispose()


def _ready() -> None:
    print("ready", flush=True)
    sys.stdin.readline()


def _eight(side: str, url: str, schema: str, targets: list[tuple[str, str]]) -> float:
    """Wall seconds for eight processes to fire ``targets`` between them, timed from when all are ready."""
    share = [targets[n::WRITERS] for n in range(WRITERS)]
    children = [
        subprocess.Popen(
            [sys.executable, __file__, "writer", side, url, schema, json.dumps(part)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for part in share
    ]
    for child in children:  # each says "ready" once imported and connected
        if child.stdout is None or child.stdout.readline().strip() != "ready":
            raise RuntimeError(f"a {side} writer did not start")
    started = time.perf_counter()
    for child in children:
        if child.stdin is None:
            raise RuntimeError(f"a {side} writer has no stdin")
        child.stdin.write("go\n")
        child.stdin.flush()
    for child in children:
        if child.wait() != 0:
            raise RuntimeError(f"a {side} writer failed")
    return time.perf_counter() - started


def fire_postgres_8(url: str, chosen: Scale, watch: Stopwatch) -> tuple[float, float, float]:
    """(feed on, raw peer, feed off) median µs per fire, eight processes at once, in a schema of its own."""
    schema = f"mentorflow_bench_feed_{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    fires = WRITERS * FIRES_PER_WRITER[chosen.name]
    try:
        mf = Mentorflow(engine)
        mf.upgrade()
        workload.seed(mf, realistic=0, fire_ready=chosen.template)
        targets = fire.Targets(engine, chosen.template)
        figures: dict[str, list[float]] = {"feed": [], "raw": [], "nofeed": []}
        for run in range(chosen.runs + 1):  # the first is a warm-up
            order = list(figures) if run % 2 else list(reversed(figures))
            for side in order:
                seconds = _eight(side, url, schema, targets.take(fires))
                if run:
                    figures[side].append(seconds / fires * 1e6)
        fire._check_fired(targets)  # noqa: SLF001
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    on, raw, off = (median(figures[side]) for side in ("feed", "raw", "nofeed"))
    watch.say(f"fire_postgres_8: {on:.0f} µs a fire with the feed, {off:.0f} without, raw peer {raw:.0f}")
    return on, raw, off


# -- the rows -----------------------------------------------------------------------------------------------------


def figures(work: Path, chosen: Scale, watch: Stopwatch) -> list[Result]:
    wanted = FEED_CHANGES[chosen.name]
    path = work / "feed.db"
    _fill(path, chosen, wanted, watch)
    # In a process that has done nothing else: the harness's heap would make the garbage collector, which both
    # sides wake (each change read is a few new objects), walk millions of objects that are not the feed's.
    command = [sys.executable, __file__, "read", str(path), str(wanted)]
    lines = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout.splitlines()
    print(*lines[:-1], sep="\n", flush=True)
    ours, plain = json.loads(lines[-1])
    rows = [result(f"feed_read_{wanted // 1000}k", ours, "s", plain, max_ratio=2.0, note="baseline: one SQL scan")]
    url = os.environ.get("MENTORFLOW_BENCH_POSTGRES")
    if not url:
        watch.say("fire_postgres_8 skipped: MENTORFLOW_BENCH_POSTGRES is not set")
        return rows
    on, raw, off = fire_postgres_8(url, chosen, watch)
    cut = 1 - off / on
    rows.append(
        result(
            "fire_postgres_8",
            on,
            "us",
            raw,
            max_ratio=1.5,
            note=f"feed off {off:.0f} us: the feed cuts throughput by {cut:.0%} (target <= 20%)",
        )
    )
    rows[-1].passed &= cut <= 0.2
    return rows


def main() -> None:
    chosen, watch = scale(), Stopwatch()
    quiet()
    work = WORK / f"{chosen.name}-feed"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        rows = figures(work, chosen, watch)
    finally:
        if os.environ.get("BENCH_KEEP") != "1":
            shutil.rmtree(work, ignore_errors=True)
    for row in rows:
        verdict = "PASS" if row.passed else "MISS"
        print(
            f"{row.name:<18} {row.value:>10.4g} {row.unit}  baseline {row.baseline:>10.4g}  ratio {row.ratio:.3f}  "
            f"{verdict}  {row.note}"
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["read"]:
        quiet()
        print(json.dumps(feed_read(Path(sys.argv[2]), scale(), int(sys.argv[3]), Stopwatch())))
    elif sys.argv[1:2] == ["writer"]:
        _writer(*sys.argv[2:5], json.loads(sys.argv[5]))
    else:
        main()
