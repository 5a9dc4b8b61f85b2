"""Many processes initialising one fresh database at once: one migrates, the others wait, and every one succeeds.

Application servers migrate at boot, several at a time, and operators run ``mentorflow demo`` twice by mistake.
Each case starts its processes, lets them go together, and checks that all succeeded and that the database holds
one schema (and one demo), as if a single process had done the work.
"""

from __future__ import annotations

import multiprocessing
import re
import secrets
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import create_engine, inspect, text

from mentorflow import Actor, Mentorflow
from mentorflow.store.tables import Base
from tests.conftest import POSTGRES
from tests.reliability import workers

pytestmark = pytest.mark.slow

PROCESSES = 8
T = TypeVar("T")


@pytest.fixture(params=["sqlite", POSTGRES])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database without any table: a new SQLite file, or a new PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    run = request.getfixturevalue("postgres_run")
    schema = f"mf_test_fresh_{secrets.token_hex(4)}"
    with run.admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield run.url(schema)
    finally:
        with run.admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def _together(function: Callable[[str, str], T], url: str, count: int, barrier: Path) -> list[T]:
    """Run ``function(url, barrier)`` in ``count`` fresh processes released at the same moment."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(count, mp_context=context) as pool:
        futures = [pool.submit(function, url, str(barrier)) for _ in range(count)]
        barrier.touch()
        return [future.result(timeout=300) for future in futures]


def test_eight_processes_migrating_one_fresh_database_all_succeed(fresh_url: str, tmp_path: Path) -> None:
    """Eight `upgrade()` calls at once on an empty database: each returns, and the schema is whole and current."""
    outcomes = _together(workers.migrate, fresh_url, PROCESSES, tmp_path / "go")
    assert outcomes == ["ok"] * PROCESSES
    engine = create_engine(fresh_url)
    try:
        tables = set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM mentorflow_alembic_version")).scalars().all()
    finally:
        engine.dispose()
    assert set(Base.metadata.tables) <= tables
    assert len(versions) == 1
    mf = Mentorflow(fresh_url)
    try:
        rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=Actor.admin()).id
        assert mf.verify().ok
        assert mf.status(rel_id).state == "preparing"
    finally:
        mf.engine.dispose()


def _relationships(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM mentorflow_relationships")).scalar_one())
    finally:
        engine.dispose()


def test_two_demos_at_once_on_one_fresh_database_both_succeed(fresh_url: str, tmp_path: Path) -> None:
    """Two `mentorflow demo` runs started together: both exit 0; one fills the database, the other finds it full."""
    outcomes = _together(workers.demo, fresh_url, 2, tmp_path / "go")
    assert [run.code for run in outcomes] == [0, 0], [run.err for run in outcomes]
    created = [int(found[1]) for run in outcomes if (found := re.search(r"demo: (\d+) relationships created", run.err))]
    present = [run for run in outcomes if "demo already present" in run.err]
    assert (len(created), len(present)) == (1, 1), [run.err for run in outcomes]
    assert _relationships(fresh_url) == created[0]
