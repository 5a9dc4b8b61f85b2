"""Migrations beside other writers: two migrations at once, and fires racing a migration, on both databases.

Each relationship moves in its own transaction with compare-and-set on its row, so a lost race re-reads it: a
relationship is moved exactly once, never half-written, and what a racing fire did is kept.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import pytest

from mentorflow import Mentorflow, MigrationResult
from tests.conftest import FakeClock, MakeMentorflow
from tests.migration.support import ADMIN, PLAN, write_versions

T = TypeVar("T")
COHORT = 24


@pytest.fixture
def versions(tmp_path: Path) -> Path:
    return write_versions(tmp_path / "workflows", running="active")


def _running(mf: Mentorflow, clock: FakeClock) -> list[str]:
    ids = []
    for number in range(COHORT):
        clock.advance(seconds=1)
        rel = mf.start("circle", {"lead": "lee", "peer": ["pat"]}, actor=ADMIN, version=1, id=f"c{number:02}")
        revision = mf.submit(rel.id, "plan", PLAN, actor="lee").revision
        mf.sign(rel.id, "plan", actor="lee", revision=revision)
        mf.sign(rel.id, "plan", actor="pat", revision=revision)
        mf.fire(rel.id, "begin", actor="lee")
        ids.append(rel.id)
    clock.advance(days=1)
    return ids


def _together(*calls: Callable[[], T]) -> list[T]:
    """Run the calls in threads released at the same moment."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def _kinds(mf: Mentorflow, rel_id: str) -> Counter[str]:
    return Counter(event.kind for event in mf.history(rel_id))


def test_two_migrations_at_once_move_each_relationship_once(
    make_mf: MakeMentorflow, versions: Path, clock: FakeClock
) -> None:
    """Two administrators migrating the same cohort at once: every relationship moves once, by one of them."""
    ids = _running(make_mf(workflow_dirs=[versions]), clock)
    first, second = (make_mf(workflow_dirs=[versions], retries=50) for _ in range(2))
    for mf in (first, second):
        mf.registry.workflows()

    def migrate(mf: Mentorflow) -> Callable[[], list[MigrationResult]]:
        return lambda: mf.migrate("circle", to_version=2, states={"running": "active"}, actor=ADMIN)

    reports = _together(migrate(first), migrate(second))
    moved = Counter(r.id for report in reports for r in report if r.result == "migrated")
    assert sorted(moved) == ids
    assert set(moved.values()) == {1}
    assert all(r.result == "migrated" for report in reports for r in report)
    for rel_id in ids:
        assert _kinds(first, rel_id)["migrated"] == 1
        assert first.status(rel_id).state == "active"
    assert first.verify().ok


def test_fires_racing_a_migration_are_kept_and_nothing_is_half_written(
    make_mf: MakeMentorflow, versions: Path, clock: FakeClock
) -> None:
    """Finishing every circle while they are being migrated: each one ends `done`, moved at most once, and the
    log replays whether the fire came before the move (on version 1) or after it (on version 2)."""
    ids = _running(make_mf(workflow_dirs=[versions]), clock)
    migrating, firing = (make_mf(workflow_dirs=[versions], retries=50) for _ in range(2))
    migrating.registry.workflows()  # loaded before the race, so that both start at once
    firing.status(ids[0])

    def migrate() -> list[str]:
        report = migrating.migrate("circle", to_version=2, states={"running": "active"}, actor=ADMIN)
        return [r.id for r in report if r.result == "migrated"]

    def finish() -> list[str]:
        return [firing.fire(rel_id, "finish", actor="lee").payload["from"] for rel_id in reversed(ids)]

    moved, fired_from = _together(migrate, finish)
    assert len(fired_from) == COHORT
    for rel_id in ids:
        status = migrating.status(rel_id)
        kinds = _kinds(migrating, rel_id)
        assert status.state == "done"
        assert kinds["migrated"] == (1 if rel_id in moved else 0)
        assert status.workflow_version == (2 if rel_id in moved else 1)
    assert (fired_from.count("active"), fired_from.count("running")) == (len(moved), COHORT - len(moved))
    assert migrating.verify().ok
