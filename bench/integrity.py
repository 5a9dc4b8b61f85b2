"""Integrity at scale: the keyed ``verify`` of every relationship, and a ``checkpoint`` of them all.

``verify_100k`` times ``mf.verify()`` over a keyed database of ``scale.stored`` relationships, in a fresh process
that also reports its peak RSS, against a baseline in the same run that reads the same rows with ``sqlite3`` and
computes the same SHA-256s in plain Python (each event's chain link and MAC, each revision's content hash).
``checkpoint_100k`` times ``mf.checkpoint()`` on the same database.

The database: the seed relationships played through the API with a key, then copied up to ``scale.stored`` with
their chains recomputed, each copy with its own ids, hashes and MACs, so that the whole database verifies (the
copies of ``workload.grow`` keep their sources' hashes, which is all the audits need). One timed run per side at
full scale (a verify of 100k takes minutes); ``scale.runs`` at the small scale. ``python bench/integrity.py`` runs
these figures alone.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import workload
from audits import _peak_rss_mb
from timing import AS_OF, BENCH, WORK, Result, Scale, Stopwatch, median, quiet, result, scale, timed

KEY = "bench-key-0123456789-abcdefghijklmnopqrstuvwxyz"
"""A fixed key: the benchmark's database is made and verified with it."""
_COPIED = ("mentorflow_participants", "mentorflow_phase_stays")


def _rows(connection: sqlite3.Connection, table: str) -> list[dict[str, Any]]:
    connection.row_factory = sqlite3.Row
    return [dict(row) for row in connection.execute(f"SELECT * FROM {table} ORDER BY id")]


def _moved(value: Any, suffix: str) -> Any:
    """A payload or origin with every relationship id it names moved to the copy's."""
    if isinstance(value, dict):
        return {
            k: (v + suffix if k == "relationship" and isinstance(v, str) else _moved(v, suffix))
            for k, v in value.items()
        }
    return value


def _at_text(stored: str) -> str:
    """The time as the chain hashes it: the stored naive UTC time, made aware, in ISO form."""
    return dt.datetime.fromisoformat(stored).replace(tzinfo=dt.UTC).isoformat()


def copy_with_chains(path: Path, target: int) -> None:
    """Copy the relationships of ``path`` until ``target`` are stored, recomputing each copy's chain."""
    from mentorflow.canonical import GENESIS, canonical_json, event_hash  # noqa: PLC0415
    from mentorflow.keys import Keyring  # noqa: PLC0415

    keys = Keyring([KEY])
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA synchronous=OFF")
    sources = _rows(connection, "mentorflow_relationships")
    events: dict[str, list[dict[str, Any]]] = {}
    for row in connection.execute("SELECT * FROM mentorflow_events ORDER BY relationship_id, seq"):
        events.setdefault(row["relationship_id"], []).append(dict(row))
    owned = {table: _rows(connection, table) for table in _COPIED}
    revisions = _rows(connection, "mentorflow_revisions")
    signatures = _rows(connection, "mentorflow_signatures")
    per_copy, copy = len(sources), 1
    stored = per_copy
    while stored < target:
        suffix = f"~{copy}"
        chosen = _whole_links(sources, events, target - stored)
        ids = {source["id"] for source in chosen}
        offset = connection.execute("SELECT max(id) FROM mentorflow_revisions").fetchone()[0]
        new_events, heads = [], {}
        for source in chosen:
            previous = GENESIS
            for event in events[source["id"]]:
                payload = _moved(json.loads(event["payload"]), suffix)
                previous = event_hash(
                    previous,
                    source["id"] + suffix,
                    event["seq"],
                    event["kind"],
                    event["actor"],
                    _at_text(event["at"]),
                    payload,
                )
                new_events.append(
                    {
                        **event,
                        "id": None,
                        "relationship_id": source["id"] + suffix,
                        "payload": canonical_json(payload),
                        "hash": previous,
                        "mac": keys.sign(previous),
                        "key_id": keys.signing_id,
                    }
                )
            heads[source["id"]] = previous
        _insert(
            connection,
            "mentorflow_relationships",
            [{**s, "id": s["id"] + suffix, "last_hash": heads[s["id"]]} for s in chosen],
        )
        _insert(connection, "mentorflow_events", [{k: v for k, v in e.items() if k != "id"} for e in new_events])
        for table, rows in owned.items():
            _insert(
                connection,
                table,
                [
                    {**{k: v for k, v in r.items() if k != "id"}, "relationship_id": r["relationship_id"] + suffix}
                    for r in rows
                    if r["relationship_id"] in ids
                ],
            )
        _insert(
            connection,
            "mentorflow_revisions",
            [
                {
                    **r,
                    "id": r["id"] + offset,
                    "relationship_id": r["relationship_id"] + suffix,
                    "origin": None if r["origin"] is None else canonical_json(_moved(json.loads(r["origin"]), suffix)),
                }
                for r in revisions
                if r["relationship_id"] in ids
            ],
        )
        _insert(
            connection,
            "mentorflow_signatures",
            [
                {
                    **{k: v for k, v in s.items() if k != "id"},
                    "revision_id": s["revision_id"] + offset,
                    "relationship_id": s["relationship_id"] + suffix,
                }
                for s in signatures
                if s["relationship_id"] in ids
            ],
        )
        connection.commit()
        stored += len(chosen)
        copy += 1
    connection.close()


def _whole_links(sources: list[dict[str, Any]], events: dict[str, list[dict[str, Any]]], room: int) -> list[Any]:
    """Up to ``room`` of ``sources``, never one end of a link without the other (verify checks both ends)."""
    if room >= len(sources):
        return sources
    origin: dict[str, str] = {}
    for source in sources:
        linked_from = json.loads(events[source["id"]][0]["payload"]).get("linked_from")
        if linked_from is not None:
            origin[source["id"]] = linked_from["relationship"]
    groups: dict[str, list[dict[str, Any]]] = {}
    for source in sources:
        root = source["id"]
        while root in origin:
            root = origin[root]
        groups.setdefault(root, []).append(source)
    chosen: list[dict[str, Any]] = []
    for group in groups.values():
        if len(chosen) + len(group) <= room:
            chosen += group
    return chosen


def _insert(connection: sqlite3.Connection, table: str, rows: list[dict[str, Any]]) -> None:
    if rows:
        columns = list(rows[0])
        marks = ", ".join(f":{column}" for column in columns)
        connection.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def build(work: Path, chosen: Scale, watch: Stopwatch) -> Path:
    """The keyed database of ``chosen.stored`` relationships that verifies."""
    from mentorflow import Mentorflow  # noqa: PLC0415

    path = work / "keyed.db"
    mf = Mentorflow(f"sqlite:///{path}", key=KEY)
    mf.upgrade()
    workload.synchronous(mf.engine, lambda: "OFF")
    workload.seed(mf, realistic=chosen.seeds, fire_ready=0)
    mf.clock = lambda: AS_OF
    mf.refresh()
    mf.engine.dispose()
    copy_with_chains(path, chosen.stored)
    watch.say(f"keyed.db: {workload.count(mf.engine)} relationships, every chain recomputed and keyed")
    mf.engine.dispose()
    return path


def child(url: str) -> None:
    """Run in a subprocess: a keyed verify of everything, then a checkpoint, printed as JSON."""
    from mentorflow import Mentorflow  # noqa: PLC0415

    quiet()
    mf = Mentorflow(url, clock=lambda: AS_OF, key=KEY)
    report: list[Any] = []
    seconds = timed(lambda: report.append(mf.verify()))
    peak = _peak_rss_mb()
    checkpoint: list[Any] = []
    checkpoint_seconds = timed(lambda: checkpoint.append(mf.checkpoint()))
    verified = report[0]
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_rss_mb": peak,
                "ok": verified.ok,
                "checked": verified.checked,
                "events": verified.events,
                "keyed": verified.keyed,
                "checkpoint_seconds": checkpoint_seconds,
                "heads": len(checkpoint[0].heads),
            }
        )
    )


def baseline(path: Path) -> int:
    """Read what verify reads and compute the same SHA-256s in plain Python; returns the events hashed."""
    from mentorflow.canonical import GENESIS, event_hash, sha256_hex  # noqa: PLC0415
    from mentorflow.keys import Keyring  # noqa: PLC0415

    keys = Keyring([KEY])
    connection = sqlite3.connect(path)
    hashed, previous, current = 0, GENESIS, None
    query = "SELECT relationship_id, seq, kind, actor, at, payload, hash, key_id, mac FROM mentorflow_events"
    for rel_id, seq, kind, actor, at, payload, _, key_id, mac in connection.execute(
        query + " ORDER BY relationship_id, seq"
    ):
        if rel_id != current:
            previous, current = GENESIS, rel_id
        previous = event_hash(previous, rel_id, seq, kind, actor, _at_text(at), json.loads(payload))
        keys.verifies(key_id, previous, mac)
        hashed += 1
    for (content,) in connection.execute("SELECT content FROM mentorflow_revisions"):
        sha256_hex(content)
    for table in (
        "mentorflow_relationships",
        "mentorflow_participants",
        "mentorflow_signatures",
        "mentorflow_phase_stays",
        "mentorflow_definitions",
    ):
        for _row in connection.execute(f"SELECT * FROM {table}"):
            pass
    connection.close()
    return hashed


def _runs(chosen: Scale) -> int:
    return 1 if chosen.name == "full" else chosen.runs


def figures(work: Path, chosen: Scale, watch: Stopwatch) -> list[Result]:
    path = build(work, chosen, watch)
    ours, theirs = [], []
    for run in range(_runs(chosen)):
        output = subprocess.run(
            [sys.executable, str(BENCH / "integrity.py"), f"sqlite:///{path}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        ours.append(json.loads(output.strip().splitlines()[-1]))
        theirs.append(timed(lambda: baseline(path)))
        last = ours[-1]
        if not last["ok"]:
            raise SystemExit(f"verify failed on the benchmark's database: {last}")
        watch.say(
            f"verify run {run + 1}: {last['seconds']:.1f} s for {last['checked']} relationships "
            f"({last['events']} events, {last['keyed']} keyed), peak {last['peak_rss_mb']:.0f} MB; "
            f"plain Python {theirs[-1]:.1f} s; checkpoint {last['checkpoint_seconds']:.1f} s"
        )
    seconds = median([run["seconds"] for run in ours])
    note = f"{ours[0]['checked']} relationships, {ours[0]['events']} events, keyed; baseline: read + SHA-256 + HMAC"
    return [
        result("verify_100k", seconds, "s", median(theirs), max_ratio=3.0, note=note),
        result("verify_peak_rss_mb", median([run["peak_rss_mb"] for run in ours]), "MB", 1.0, max_value=300),
        result("checkpoint_100k", median([run["checkpoint_seconds"] for run in ours]), "s", 1.0, max_value=10),
    ]


def _alone() -> None:
    chosen = scale()
    quiet()
    watch = Stopwatch()
    work = WORK / f"{chosen.name}-integrity"
    import shutil  # noqa: PLC0415

    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for row in figures(work, chosen, watch):
        print(row.row())
    if os.environ.get("BENCH_KEEP") != "1":
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        child(sys.argv[1])
    else:
        _alone()
