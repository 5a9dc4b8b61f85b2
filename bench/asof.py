"""An as-of audit at scale: ``mf.audit()`` at a moment in the past, against the naive as-of peer in the same run.

A read of the past cannot use the rows or the standing cache (they describe now), so it evaluates from the log.
The moment is the median event time of ``big.db``: half the events are later, and ignored. mentorflow reads the
events a chunk of relationships at a time and replays them into snapshots (``audit/asof.py``). The naive peer does
what a first implementation would: for each relationship, one query for all its events, replayed in plain Python,
then the naive audit's evaluation on the result (``naive.py``: a ``transitions.Machine`` per relationship). It is
timed on every 10th relationship and scaled, as ``audits.py`` does at the small scale; ``parity`` checks on
``little.db`` that the two agree. ``python bench/asof.py`` runs these figures alone (``BENCH_SCALE=small`` for
the quick run), on databases made as ``bench/run.py`` makes them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import naive
from timing import Result, Scale, Stopwatch, median, result, scale, timed

from mentorflow import Mentorflow

EVERY = 10
"""The naive peer is timed on every 10th relationship and its time multiplied by 10."""


def moment(path: Path) -> dt.datetime:
    """The median time of the events of the database at ``path``: the as-of moment."""
    connection = sqlite3.connect(path)
    try:
        (total,) = connection.execute("SELECT count(*) FROM mentorflow_events").fetchone()
        (at,) = connection.execute(
            "SELECT at FROM mentorflow_events ORDER BY at LIMIT 1 OFFSET ?", (total // 2,)
        ).fetchone()
    finally:
        connection.close()
    return dt.datetime.fromisoformat(at).replace(tzinfo=dt.UTC)


class NaiveAsOf(naive.NaiveAudit):
    """The naive as-of peer: per relationship, one query for all its events, replayed in plain Python into the
    naive audit's model, whose reads (people, items, signatures) then answer from the replay."""

    def __init__(self, engine: Any, now: dt.datetime) -> None:
        super().__init__(engine, now)
        self.revision_ids = itertools.count(1)
        self.current: dict[str, Any] = {}

    RELATIONSHIPS = "SELECT id FROM mentorflow_relationships ORDER BY started_at, id"

    def rows(self, selected: list[Any]) -> list[dict[str, Any]]:
        """Per relationship, one query for its events, replayed; those not started by ``now`` have no row."""
        rows = []
        for (rel_id,) in selected:
            events = self.cursor.execute(
                "SELECT kind, actor, at, payload FROM mentorflow_events WHERE relationship_id = ? ORDER BY seq",
                (rel_id,),
            ).fetchall()
            replayed = self.replay(events)
            if replayed is not None:
                self.current = replayed
                rows.append(
                    self.standing(
                        rel_id,
                        replayed["digest"],
                        replayed["program"],
                        replayed["state"],
                        replayed["entered"],
                        replayed["last"],
                    )
                )
        return rows

    def replay(self, events: list[tuple[str, str, str, str]]) -> dict[str, Any] | None:
        """The relationship as it stood at ``now``, from its events; None if it had not started by then."""
        found: dict[str, Any] | None = None
        for kind, actor, at_text, payload_text in events:
            at = naive._time(at_text)  # noqa: SLF001 - the peer's own time parsing
            if at > self.now:
                break
            payload = json.loads(payload_text)
            if found is None:
                found = {
                    "digest": payload["definition"],
                    "program": payload["program"],
                    "state": payload["state"],
                    "entered": at,
                    "people": [(p["person"], p["role"]) for p in payload["participants"]],
                    "items": {},
                    "signatures": {},
                    "by": {},
                }
            elif kind == "joined":
                found["people"].append((payload["person"], payload["role"]))
            elif kind == "left":
                found["people"] = [(person, role) for person, role in found["people"] if person != payload["person"]]
            elif kind == "submitted":
                self._submitted(found, actor, at, payload)
            elif kind == "signed":
                revisions = found["items"][payload["slot"]][payload["item"] or 0]
                found["signatures"][revisions[-1].revision_id][payload["person"]] = at
            elif kind in ("transitioned", "overridden"):
                found["state"], found["entered"] = payload["to"], at
            elif kind == "migrated":
                found["digest"], found["state"] = payload["to_definition"], payload["to"]
            found["last"] = at
        return found

    def _submitted(self, found: dict[str, Any], actor: str, at: dt.datetime, payload: dict[str, Any]) -> None:
        item = payload["item"] or 0
        revisions = found["items"].setdefault(payload["slot"], {}).setdefault(item, [])
        by = payload.get("submitted_by", actor)
        owner = revisions[0].owner if revisions else by
        revision_id = next(self.revision_ids)
        revisions.append(
            naive.Item(item, owner, revision_id, payload["revision"], payload["complete"], payload["missing"], at)
        )
        found["signatures"][revision_id] = {}
        found["by"][revision_id] = by

    # -- the naive audit's reads, answered from the replay ------------------------------------------------------

    def people(self, rel_id: str) -> list[tuple[str, str]]:  # noqa: ARG002 - the peer reads the replay, not the id
        return list(self.current["people"])

    def items(self, rel: naive.Relationship, slot: str) -> list[naive.Item]:  # noqa: ARG002 - same
        return [revisions[-1] for _, revisions in sorted(self.current["items"].get(slot, {}).items())]

    def latest(self, rel: naive.Relationship, slot: str) -> naive.Item | None:  # noqa: ARG002 - same
        items = self.current["items"].get(slot)
        if not items:
            return None
        newest = items[max(items)][-1]
        return naive.Item(
            newest.item,
            self.current["by"][newest.revision_id],
            newest.revision_id,
            newest.number,
            newest.complete,
            newest.missing,
            newest.submitted_at,
        )

    def signatures(self, revision_id: int) -> dict[str, dt.datetime]:
        return dict(self.current["signatures"][revision_id])


def ours(mf: Mentorflow) -> float:
    """Seconds of one as-of audit of the whole database, streamed as ``mentorflow audit`` streams it."""
    return timed(lambda: sum(1 for _ in mf.iter_audit()))


def a_program(path: Path, when: dt.datetime) -> str:
    """A program with relationships started by ``when``: the warm-up audits it alone (one program's events)."""
    connection = sqlite3.connect(path)
    try:
        (program,) = connection.execute(
            "SELECT program FROM mentorflow_relationships WHERE program IS NOT NULL AND started_at <= ? LIMIT 1",
            (when.replace(tzinfo=None).isoformat(" "),),
        ).fetchone()
    finally:
        connection.close()
    return str(program)


def parity(path: Path, when: dt.datetime) -> tuple[int, int]:
    """(relationships compared, relationships on which the as-of audit and the naive as-of peer disagree)."""
    mf = Mentorflow(f"sqlite:///{path}", clock=lambda: when)
    rows = mf.audit()
    theirs = NaiveAsOf(mf.engine, when).run()
    mf.engine.dispose()
    return len(rows), naive.parity(rows, theirs)


def figures(work: Path, chosen: Scale, watch: Stopwatch) -> list[Result]:
    """The ``audit_asof_100k`` row of ``bench/run.py``'s table, from ``big.db`` and ``little.db`` in ``work``."""
    big = work / "big.db"
    when = moment(big)
    compared, differ = parity(work / "little.db", when)
    watch.say(f"as-of parity at {when:%Y-%m-%d %H:%M}: {differ} of {compared} relationships differ")
    mf = Mentorflow(f"sqlite:///{big}", clock=lambda: when)
    mf.audit(program=a_program(big, when))  # warm-up: definitions parsed, statements compiled
    peer = NaiveAsOf(mf.engine, when)
    peer.run(limit=200)  # warm-up
    mine, theirs = [], []
    for run in range(chosen.runs):
        mine.append(ours(mf))
        started = time.perf_counter()
        peer.run(every=EVERY)
        theirs.append((time.perf_counter() - started) * EVERY)
        watch.say(f"as-of audit run {run + 1}: {mine[-1]:.2f} s, naive peer {theirs[-1]:.2f} s (x {EVERY})")
    mf.engine.dispose()
    return [
        result(
            "audit_asof_100k",
            median(mine),
            "s",
            median(theirs),
            max_ratio=0.2,
            note=(
                f"{chosen.stored} stored, as of {when:%Y-%m-%d} (the median event time); {differ} of {compared} "
                f"differ from the naive peer; naive peer timed on every {EVERY}th relationship, x {EVERY}"
            ),
        )
    ]


def asof_only() -> None:
    """The as-of figure of ``bench/run.py``'s table alone."""
    import run  # noqa: PLC0415 - run imports this module; only this entry point needs it back

    run.alone("asof", "as-of audit", lambda work, watch, _: figures(work, scale(), watch))


if __name__ == "__main__":
    asof_only()
