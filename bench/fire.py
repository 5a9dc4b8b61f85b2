"""``fire`` against a hand-written peer: the same reads and writes per transaction, without the library.

``python bench/fire.py`` runs the fire figures alone (``fire_sqlite_full``, ``fire_sqlite_normal``,
``fire_postgres`` when ``MENTORFLOW_BENCH_POSTGRES`` is set, ``fire_scaling``), on databases prepared as
``bench/run.py`` prepares them, and writes them to ``bench/results-fire.json``; ``BENCH_SCALE=small`` is the quick
run.

Both sides fire ``launch`` on traditional dyads waiting in ``negotiating`` (the agreement and the IDP signed by
both), one fire per relationship, each on its own set of identical clones, against the same schema. Per fire and
in one transaction the peer reads the relationship row, its participants, the latest revision of each slot the
requirements look at and that revision's signatures, checks the requirements, hashes the event (sha256 of the
previous hash and the event's canonical JSON), moves the row with compare-and-set on ``lock_version``, inserts the
event and commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import workload
from sqlalchemy import Engine, bindparam, create_engine, make_url, text
from timing import WORK, Scale, Stopwatch, median, quiet, result, scale, timed

from mentorflow import Mentorflow
from mentorflow.definitions import Registry
from mentorflow.definitions.models import Signed

TRIGGER = "launch"
FIRE_RESULTS = WORK.parent / "results-fire.json"
"""Where ``python bench/fire.py`` writes its figures (``bench/run.py`` writes ``results.json``)."""
_SYNCHRONOUS = {"OFF": 0, "NORMAL": 1, "FULL": 2, "EXTRA": 3}
TEMPLATE = f"s.program = '{workload.FIRE_PROGRAM}' AND s.id NOT LIKE '%~%'"


class RawFire:
    """The hand-written peer: plain DBAPI statements, the requirements of ``launch`` checked by hand."""

    def __init__(self, connection: Any, *, placeholder: str, begin: str | None, datetimes_as_text: bool) -> None:
        self.connection = connection
        self.begin = begin
        self.as_text = datetimes_as_text
        workflow = Registry().bundle("traditional-dyad").workflow
        transition = next(t for t in workflow.transitions if t.trigger == TRIGGER)
        self.source, self.target, self.by = workflow.sources(transition)[0], transition.to, set(transition.by or ())
        self.final = workflow.states[self.target].final
        self.signed = [
            (req.signed, set(req.by or workflow.artifacts[req.signed].signed_by))
            for req in transition.requires
            if isinstance(req, Signed)
        ]
        p = placeholder
        self.select_row = f"SELECT state, seq, last_hash, lock_version FROM mentorflow_relationships WHERE id = {p}"
        self.select_people = (
            "SELECT person, role FROM mentorflow_participants "
            f"WHERE relationship_id = {p} AND left_at IS NULL ORDER BY id"
        )
        self.select_latest = (
            "SELECT id, number, complete FROM mentorflow_revisions "
            f"WHERE relationship_id = {p} AND slot = {p} ORDER BY item DESC, number DESC LIMIT 1"
        )
        self.select_signatures = f"SELECT person FROM mentorflow_signatures WHERE revision_id = {p}"
        self.update = (
            f"UPDATE mentorflow_relationships SET state = {p}, entered_at = {p}, final = {p}, seq = {p}, "
            f"last_hash = {p}, last_event_at = {p}, lock_version = {p} WHERE id = {p} AND lock_version = {p}"
        )
        self.insert = (
            "INSERT INTO mentorflow_events (relationship_id, seq, kind, actor, at, payload, hash) "
            f"VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p})"
        )

    def fire(self, relationship: str, actor: str) -> None:
        cursor = self.connection.cursor()
        if self.begin:
            cursor.execute(self.begin)
        try:
            self._fire(cursor, relationship, actor)
        except BaseException:
            if self.begin is None:
                self.connection.rollback()
            else:
                cursor.execute("ROLLBACK")
            raise
        if self.begin is None:
            self.connection.commit()
        else:
            cursor.execute("COMMIT")

    def _fire(self, cursor: Any, relationship: str, actor: str) -> None:
        cursor.execute(self.select_row, (relationship,))
        state, seq, last_hash, lock_version = cursor.fetchone()
        if state != self.source:
            raise RuntimeError(f"{relationship} is in {state}, not {self.source}")
        cursor.execute(self.select_people, (relationship,))
        people = cursor.fetchall()
        if not {role for person, role in people if person == actor} & self.by:
            raise RuntimeError(f"{actor} may not fire {TRIGGER}")
        blockers = []
        for slot, roles in self.signed:
            cursor.execute(self.select_latest, (relationship, slot))
            latest = cursor.fetchone()
            if latest is None or not latest[2]:
                blockers.append(f"{slot} missing or incomplete")
                continue
            cursor.execute(self.select_signatures, (latest[0],))
            signed = {person for (person,) in cursor.fetchall()}
            blockers += [
                f"{slot} unsigned by {person}" for person, role in people if role in roles and person not in signed
            ]
        if blockers:
            raise RuntimeError("; ".join(blockers))
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        at = now.strftime("%Y-%m-%d %H:%M:%S.%f") if self.as_text else now
        payload = {"trigger": TRIGGER, "from": state, "to": self.target}
        body = {
            "relationship": relationship,
            "seq": seq + 1,
            "kind": "transitioned",
            "actor": actor,
            "at": now.replace(tzinfo=dt.UTC).isoformat(),
            "payload": payload,
        }
        digest = hashlib.sha256((last_hash + _canonical(body)).encode()).hexdigest()
        cursor.execute(
            self.update,
            (self.target, at, self.final, seq + 1, digest, at, lock_version + 1, relationship, lock_version),
        )
        if cursor.rowcount != 1:
            raise RuntimeError(f"{relationship} changed while firing")
        cursor.execute(self.insert, (relationship, seq + 1, "transitioned", actor, at, _canonical(payload), digest))


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


class Targets:
    """Hands out fresh sets of fire-ready dyads: clones of the template, never fired before."""

    def __init__(self, engine: Engine, template: int) -> None:
        self.engine = engine
        self.template = template
        self.next_copy = 1 + _max_copy(engine)
        self.handed: list[str] = []

    def take(self, count: int) -> list[tuple[str, str]]:
        """``count`` (relationship, mentor) pairs; ``count`` is rounded up to whole copies of the template."""
        copies = -(-count // self.template)
        first, last = self.next_copy, self.next_copy + copies - 1
        self.next_copy = last + 1
        workload.clone(self.engine, TEMPLATE, first, last)
        with self.engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT r.id, p.person FROM mentorflow_relationships r JOIN mentorflow_participants p "
                    "ON p.relationship_id = r.id AND p.role = 'mentor' "
                    f"WHERE r.program = '{workload.FIRE_PROGRAM}' AND r.state = 'negotiating' AND r.id LIKE '%~%'"
                )
            ).all()
        wanted = {str(k) for k in range(first, last + 1)}
        found = sorted((rel, person) for rel, person in rows if rel.rsplit("~", 1)[1] in wanted)
        self.handed += [rel for rel, _ in found[:count]]
        return found[:count]


def _max_copy(engine: Engine) -> int:
    with engine.connect() as connection:
        ids = connection.execute(text("SELECT id FROM mentorflow_relationships WHERE id LIKE '%~%'")).scalars()
        return max((int(rel.rsplit("~", 1)[1]) for rel in ids), default=0)


def _run_mentorflow(mf: Mentorflow, targets: list[tuple[str, str]]) -> float:
    def fire_all() -> None:
        for relationship, mentor in targets:
            mf.fire(relationship, TRIGGER, actor=mentor)

    return timed(fire_all) / len(targets) * 1e6


def _run_raw(raw: RawFire, targets: list[tuple[str, str]]) -> float:
    def fire_all() -> None:
        for relationship, mentor in targets:
            raw.fire(relationship, mentor)

    return timed(fire_all) / len(targets) * 1e6


def compare(
    scale: Scale,
    first: Callable[[list[tuple[str, str]]], float],
    second: Callable[[list[tuple[str, str]]], float],
    take_first: Callable[[int], list[tuple[str, str]]],
    take_second: Callable[[int], list[tuple[str, str]]],
    settle: Callable[[], None] = lambda: None,
) -> tuple[float, float]:
    """Median µs per fire of two sides over ``scale.runs`` runs after a warm-up, alternating which goes first.

    Dirty pages are flushed first, so that the fsyncs being timed do not wait behind the write-back of data
    generated earlier; ``settle`` runs (untimed) before every timed run of either side.
    """
    os.sync()
    first(take_first(scale.warmup_fires))
    second(take_second(scale.warmup_fires))
    ones, twos = [], []

    def timed_run(side: Callable[[list[tuple[str, str]]], float], targets: list[tuple[str, str]]) -> float:
        settle()
        return side(targets)

    for run in range(scale.runs):
        a, b = take_first(scale.fires), take_second(scale.fires)
        if run % 2:
            twos.append(timed_run(second, b))
            ones.append(timed_run(first, a))
        else:
            ones.append(timed_run(first, a))
            twos.append(timed_run(second, b))
    return median(ones), median(twos)


# -- SQLite -----------------------------------------------------------------------------------------------------


@contextmanager
def sqlite_pair(path: Path, sync: str) -> Iterator[tuple[Mentorflow, RawFire]]:
    """A Mentorflow and a raw peer on the same SQLite file, both in WAL with ``synchronous=sync``."""
    mf = Mentorflow(f"sqlite:///{path}")
    workload.synchronous(mf.engine, lambda: sync)
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for pragma in ("foreign_keys=ON", "busy_timeout=30000", "journal_mode=WAL", f"synchronous={sync}"):
        connection.execute(f"PRAGMA {pragma}")
    try:
        with mf.engine.connect() as check:
            theirs = connection.execute("PRAGMA synchronous").fetchone()[0]
            ours = check.exec_driver_sql("PRAGMA synchronous").scalar_one()
            journal = check.exec_driver_sql("PRAGMA journal_mode").scalar_one()
        if ours != theirs or ours != _SYNCHRONOUS[sync] or journal != "wal":
            raise RuntimeError(f"synchronous is {ours} for mentorflow, {theirs} for the peer; wanted {sync} in WAL")
        yield mf, RawFire(connection, placeholder="?", begin="BEGIN IMMEDIATE", datetimes_as_text=True)
    finally:
        connection.close()
        mf.engine.dispose()


def sqlite_fire(path: Path, scale: Scale, template: int, sync: str, watch: Stopwatch) -> tuple[float, float]:
    """(mentorflow, raw) median µs per fire on the SQLite file at ``path``."""
    with sqlite_pair(path, sync) as (mf, raw):
        targets = Targets(mf.engine, template)

        def settle() -> None:
            # Each side starts from an empty WAL, so that neither pays, in its timed run, for checkpointing pages
            # that the cloning of targets (or the other side) wrote. A fire appends about five pages to the WAL,
            # so each run of 200 fires crosses SQLite's 1000-page auto-checkpoint once, on either side alike.
            raw.connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            os.sync()

        result = compare(
            scale, lambda t: _run_mentorflow(mf, t), lambda t: _run_raw(raw, t), targets.take, targets.take, settle
        )
        _check_fired(targets)
    watch.say(f"fire sqlite synchronous={sync}: mentorflow {result[0]:.0f} µs, raw {result[1]:.0f} µs")
    return result


def scaling(big: Path, small: Path, scale: Scale, template: int, watch: Stopwatch) -> tuple[float, float]:
    """(with many stored, with few stored) median µs per mentorflow fire, synchronous=NORMAL on both."""
    with sqlite_pair(big, "NORMAL") as (mf_big, _), sqlite_pair(small, "NORMAL") as (mf_small, _):
        big_targets, small_targets = Targets(mf_big.engine, template), Targets(mf_small.engine, template)
        result = compare(
            scale,
            lambda t: _run_mentorflow(mf_big, t),
            lambda t: _run_mentorflow(mf_small, t),
            big_targets.take,
            small_targets.take,
        )
        _check_fired(big_targets)
        _check_fired(small_targets)
    watch.say(
        f"fire scaling: {result[0]:.0f} µs with {scale.stored} stored, {result[1]:.0f} µs with {scale.stored_small}"
    )
    return result


def _check_fired(targets: Targets) -> None:
    """Every dyad handed out was launched, by one side or the other, with its event: both did the same work."""
    launched = 0
    with targets.engine.connect() as connection:
        for start in range(0, len(targets.handed), 500):
            chunk = targets.handed[start : start + 500]
            launched += connection.execute(
                text(
                    "SELECT count(*) FROM mentorflow_relationships r JOIN mentorflow_events e "
                    "ON e.relationship_id = r.id AND e.seq = r.seq AND e.kind = 'transitioned' "
                    "WHERE r.state = 'early_meetings' AND r.id IN :ids"
                ).bindparams(bindparam("ids", expanding=True)),
                {"ids": chunk},
            ).scalar_one()
    if launched != len(targets.handed):
        raise RuntimeError(f"only {launched} of {len(targets.handed)} fire targets were launched")


# -- PostgreSQL -------------------------------------------------------------------------------------------------


def postgres_fire(url: str, scale: Scale, template: int, watch: Stopwatch) -> tuple[float, float]:
    """(mentorflow, raw psycopg) median µs per fire, in a schema of its own that is dropped afterwards."""
    import psycopg  # noqa: PLC0415 - only needed when PostgreSQL is benchmarked

    schema = f"mentorflow_bench_{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        mf = Mentorflow(engine)
        mf.upgrade()
        workload.seed(mf, realistic=0, fire_ready=template)
        watch.say(f"postgres: schema {schema} seeded with {template} fire-ready dyads")
        with psycopg.connect(plain, options=f"-csearch_path={schema}") as connection:
            raw = RawFire(connection, placeholder="%s", begin=None, datetimes_as_text=False)
            targets = Targets(engine, template)
            result = compare(
                scale, lambda t: _run_mentorflow(mf, t), lambda t: _run_raw(raw, t), targets.take, targets.take
            )
            _check_fired(targets)
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    watch.say(f"fire postgres: mentorflow {result[0]:.0f} µs, raw {result[1]:.0f} µs")
    return result


# -- each comparison in a process of its own ----------------------------------------------------------------------


def isolated(kind: str, *args: str) -> tuple[float, float]:
    """(first, second) median µs of one comparison (``sqlite PATH SYNC``, ``postgres URL``, ``scaling BIG SMALL``),
    run in a fresh process.

    The harness has just built and refreshed 100k relationships; a process that did that carries a large heap,
    which Python's full garbage collections walk again and again while the fires are timed. Neither side should
    pay for the harness, so both run in a process that has done nothing else.
    """
    command = [sys.executable, str(Path(__file__).resolve()), kind, *args]
    lines = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout.splitlines()
    for line in lines[:-1]:
        print(line, flush=True)
    first, second = json.loads(lines[-1])
    return float(first), float(second)


def _child(kind: str, args: list[str]) -> tuple[float, float]:
    quiet()
    chosen, watch = scale(), Stopwatch()
    if kind == "sqlite":
        return sqlite_fire(Path(args[0]), chosen, chosen.template, args[1], watch)
    if kind == "postgres":
        return postgres_fire(args[0], chosen, chosen.template, watch)
    if kind == "scaling":
        return scaling(Path(args[0]), Path(args[1]), chosen, chosen.template, watch)
    raise SystemExit(f"unknown comparison {kind!r}")


def fire_only() -> None:
    """The fire rows of ``bench/run.py``'s table, without the audit and start-up figures."""
    import run  # noqa: PLC0415 - run imports this module; only this entry point needs it back

    chosen, watch = scale(), Stopwatch()
    quiet()
    work = WORK / f"{chosen.name}-fire"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    watch.say(f"scale {chosen.name}: fire figures only, {chosen.fires} fires x {chosen.runs} runs")
    run._prepare(work, watch, chosen.seeds, chosen.template, chosen.stored, chosen.stored_small)  # noqa: SLF001
    rows = []
    try:
        for sync, name, ratio in (("FULL", "fire_sqlite_full", 2.0), ("NORMAL", "fire_sqlite_normal", 5.0)):
            ours, raw = isolated("sqlite", str(work / "fire.db"), sync)
            rows.append(result(name, ours, "us", raw, max_ratio=ratio))
        postgres = os.environ.get("MENTORFLOW_BENCH_POSTGRES")
        if postgres:
            ours, raw = isolated("postgres", postgres)
            rows.append(result("fire_postgres", ours, "us", raw, max_ratio=2.0))
        ours, raw = isolated("scaling", str(work / "big.db"), str(work / "little.db"))
        rows.append(result("fire_scaling", ours, "us", raw, max_ratio=1.3))
    finally:
        if os.environ.get("BENCH_KEEP") != "1":
            shutil.rmtree(work, ignore_errors=True)
    FIRE_RESULTS.write_text(json.dumps([row.row() for row in rows], indent=2) + "\n", encoding="utf-8")
    print(f"\nfire figures, scale {chosen.name}, {time.perf_counter() - watch.started:.0f} s (in {FIRE_RESULTS})")
    for row in rows:
        verdict = "PASS" if row.passed else "MISS"
        print(f"{row.name:<20} {row.value:>8.0f} us  peer {row.baseline:>8.0f} us  ratio {row.ratio:.3f}  {verdict}")


if __name__ == "__main__":
    if len(sys.argv) == 1:
        fire_only()
    else:
        print(json.dumps(_child(sys.argv[1], sys.argv[2:])))
