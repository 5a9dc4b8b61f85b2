"""migrate_dryrun_10k: a dry run of ``migrate`` over 10,000 relationships, against evaluating their standings.

A dry run does what an audit does when its cache cannot answer (load each snapshot, evaluate it) plus planning each
move, so the baseline is the audit's own evaluation of the same relationships in the same run: snapshots loaded in
batches and ``build_standing`` on each. Every built-in workflow gets a next version that only bumps ``version:``
(in a directory of the run), so every running relationship would move and none is refused early. ``python
bench/migrations.py`` runs it alone (``BENCH_SCALE=small`` for the quick seed).
"""

from __future__ import annotations

import re
from pathlib import Path

import workload
from timing import AS_OF, WORK, Result, Scale, Stopwatch, median, quiet, result, scale, timed

from mentorflow import Mentorflow
from mentorflow.audit.standing import build_standing
from mentorflow.definitions.registry import builtin_dir
from mentorflow.store import moves, queries, read

STORED = 10_000
_VERSION = re.compile(r"^version: (\d+)$", re.MULTILINE)


def next_versions(directory: Path) -> dict[str, int]:
    """Write each built-in workflow at its version + 1 into ``directory``; returns the new version of each."""
    directory.mkdir(parents=True, exist_ok=True)
    versions = {}
    for path in sorted(builtin_dir().glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        found = _VERSION.search(text)
        if found is None or "\nworkflow: " not in text:
            continue
        version = int(found[1]) + 1
        (directory / path.name).write_text(_VERSION.sub(f"version: {version}", text, count=1), encoding="utf-8")
        versions[path.stem] = version
    return versions


def figures(work: Path, seed_db: Path, chosen: Scale, watch: Stopwatch) -> list[Result]:
    path = work / "migrate.db"
    workload.copy_database(seed_db, path)
    mf = Mentorflow(f"sqlite:///{path}", workflow_dirs=[work / "next-versions"], clock=lambda: AS_OF)
    workload.grow(mf.engine, STORED)
    targets = next_versions(work / "next-versions")
    with read(mf.engine, None) as reading:
        ids = [
            rel_id for workflow, to in targets.items() for rel_id in moves.candidates(reading, workflow, to, None, None)
        ]
    watch.say(f"migrate.db: {workload.count(mf.engine)} relationships, {len(ids)} running")

    def dry_run() -> None:
        moved = sum(len(mf.migrate(workflow, to_version=to, dry_run=True)) for workflow, to in targets.items())
        assert moved == len(ids), (moved, len(ids))  # noqa: S101 - the figure is only meaningful if all were planned

    def evaluate() -> None:
        with read(mf.engine, None) as reading:
            for start in range(0, len(ids), queries.BATCH):
                for snapshot in queries.load_snapshots(reading, mf.bundles, ids=ids[start : start + queries.BATCH]):
                    build_standing(snapshot, AS_OF, mf.guards)

    dry_run()
    evaluate()  # warm-up: definitions parsed, machines compiled, pages cached
    ours, raw = [], []
    for _ in range(chosen.runs):
        ours.append(timed(dry_run))
        raw.append(timed(evaluate))
    mf.engine.dispose()
    watch.say(f"migrate_dryrun_10k: {median(ours):.2f} s against {median(raw):.2f} s evaluating")
    return [
        result(
            "migrate_dryrun_10k",
            median(ours),
            "s",
            median(raw),
            max_ratio=2.0,
            note=f"{len(ids)} running of {STORED}; baseline: their standings evaluated (the audit's evaluation)",
        )
    ]


def main() -> None:
    chosen = scale()
    quiet()
    watch = Stopwatch()
    work = WORK / f"migrations-{chosen.name}"
    work.mkdir(parents=True, exist_ok=True)
    seed_db = work / "seed.db"
    seed_db.unlink(missing_ok=True)
    mf = Mentorflow(f"sqlite:///{seed_db}")
    mf.upgrade()
    workload.seed(mf, realistic=chosen.seeds, fire_ready=chosen.template)
    mf.engine.dispose()
    for row in figures(work, seed_db, chosen, watch):
        print(row.row())


if __name__ == "__main__":
    main()
