"""``person_100k``: one person's view (``mf.person()``) in the 100k database, against one SQL query.

The view reads only that person's relationships, through the index of participants by person, so its time must
not grow with the database. The peer reads the same person's participant rows (relationship and role) with one
SQL query in the same run, as a platform's request would: a connection from the same engine's pool, the query, its
rows (``Connection.exec_driver_sql``). Both are timed over the same sample of people spread across the database,
after a warm-up; the same query on a bare ``sqlite3`` connection is shown in the note. ``python bench/people.py``
runs this figure alone (``BENCH_SCALE=small`` for the quick run), on databases made as ``bench/run.py`` makes them.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from timing import AS_OF, Result, Scale, Stopwatch, median, result, scale

from mentorflow import Mentorflow

SAMPLE = 200
"""People timed per run, spread evenly over the database's participants."""
PEER_QUERY = (
    "SELECT relationship_id, role FROM mentorflow_participants WHERE person = ? AND left_at IS NULL "
    "ORDER BY relationship_id, role"
)


def _sample(path: Path) -> tuple[list[str], str, int]:
    """Every n-th person holding a role now, and the busiest one with their number of roles."""
    with sqlite3.connect(path) as connection:
        people = [
            row[0]
            for row in connection.execute(
                "SELECT DISTINCT person FROM mentorflow_participants WHERE left_at IS NULL ORDER BY person"
            )
        ]
        busiest, roles = connection.execute(
            "SELECT person, count(*) FROM mentorflow_participants WHERE left_at IS NULL "
            "GROUP BY person ORDER BY count(*) DESC, person LIMIT 1"
        ).fetchone()
    step = max(1, len(people) // SAMPLE)
    return people[::step][:SAMPLE], busiest, roles


def _per_person(function: Callable[[str], object], people: list[str]) -> float:
    """Seconds per person of one pass over ``people``."""
    started = time.perf_counter()
    for person in people:
        function(person)
    return (time.perf_counter() - started) / len(people)


def figures(work: Path, chosen: Scale, watch: Stopwatch) -> list[Result]:
    """The ``person_100k`` row of ``bench/run.py``'s table, from ``big.db`` in ``work``."""
    path = work / "big.db"
    people, busiest, busiest_roles = _sample(path)
    mf = Mentorflow(f"sqlite:///{path}", clock=lambda: AS_OF)
    bare = sqlite3.connect(path)

    def peer(person: str) -> None:
        with mf.engine.connect() as connection:
            connection.exec_driver_sql(PEER_QUERY, (person,)).fetchall()

    def bare_peer(person: str) -> None:
        bare.execute(PEER_QUERY, (person,)).fetchall()

    try:
        ours, raw, bare_runs = [], [], []
        for function in (mf.person, peer, bare_peer):  # warm-up: definitions read, statements compiled
            _per_person(function, people[:20])
        for _ in range(chosen.runs):
            ours.append(_per_person(mf.person, people))
            raw.append(_per_person(peer, people))
            bare_runs.append(_per_person(bare_peer, people))
        busy = median([_per_person(mf.person, [busiest]) for _ in range(chosen.runs)])
        todo = sum(len(mf.person(person).todo) for person in people)
    finally:
        bare.close()
        mf.engine.dispose()
    value, baseline = median(ours) * 1000, median(raw) * 1000
    watch.say(f"person_100k: {value:.2f} ms per person view, peer {baseline:.3f} ms ({len(people)} people)")
    return [
        result(
            "person_100k",
            value,
            "ms",
            baseline,
            max_value=20.0,
            max_ratio=10.0,
            note=(
                f"{len(people)} people of {chosen.stored} relationships, {todo} to-do entries in all; the busiest "
                f"({busiest_roles} roles) in {busy * 1000:.2f} ms; peer: their participant rows, one SQL query on a "
                f"pooled connection; on a bare sqlite3 connection {median(bare_runs) * 1e6:.0f} us"
            ),
        )
    ]


def people_only() -> None:
    """The ``person_100k`` row of ``bench/run.py``'s table alone."""
    import run  # noqa: PLC0415 - run imports this module; only this entry point needs it back

    run.alone("people", "person figure", lambda work, watch, _: figures(work, scale(), watch))


if __name__ == "__main__":
    people_only()
