"""``insert_many`` stores what a Core ``insert`` stores, on both backends and on every SQLAlchemy we admit.

The last test runs this file again in a fresh interpreter on the oldest SQLAlchemy ``pyproject.toml`` admits
(installed from the package index into a temporary directory); the rest of the run covers the newest, which is what
``make test`` installs.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import pytest
import sqlalchemy
from sqlalchemy import Table, create_engine, insert, select, text

from mentorflow import Actor, Mentorflow
from mentorflow.store.bulk import BULK_CACHE_KIB, insert_many, larger_cache
from mentorflow.store.tables import RelationshipRow

_REL = cast("Table", RelationshipRow.__table__)
COLUMNS = (
    *("id", "workflow", "workflow_version", "definition_hash", "state", "final", "program", "started_at"),
    *("entered_at", "last_event_at", "seq", "last_hash", "lock_version", "standing_at", "blocked"),
)
MOMENT = dt.datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=dt.UTC).replace(tzinfo=None)
"""A stored time: naive UTC, with microseconds."""
OLDEST = "2.0.30"
"""The lower bound of ``sqlalchemy`` in ``pyproject.toml``."""


def _rows(definition: str, prefix: str) -> list[tuple[Any, ...]]:
    at = MOMENT
    return [
        (f"{prefix}{n}", "w", 1, definition, "s", n % 2 == 0, None if n else "p", at, at, at, n, "h", 1, None, n == 1)
        for n in range(3)
    ]


def _stored(mf: Mentorflow, prefix: str) -> list[tuple[Any, ...]]:
    query = select(*(_REL.c[name] for name in COLUMNS)).where(_REL.c.id.like(f"{prefix}%")).order_by(_REL.c.id)
    with mf.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query)]


def test_insert_many_stores_what_core_stores(mf: Mentorflow) -> None:
    """The same rows through ``insert_many`` and through Core read back equal, times and flags included, and
    SQLite holds the same text for each."""
    mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=Actor.admin("carol"))
    with mf.engine.connect() as connection:
        definition = connection.execute(select(_REL.c.definition_hash)).scalar_one()
    with mf.engine.begin() as connection:
        insert_many(connection, _REL, COLUMNS, _rows(definition, "bulk-"))
        connection.execute(insert(_REL), [dict(zip(COLUMNS, row, strict=True)) for row in _rows(definition, "core-")])
        insert_many(connection, _REL, COLUMNS, [])
    bulk, core = _stored(mf, "bulk-"), _stored(mf, "core-")
    assert [row[1:] for row in bulk] == [row[1:] for row in core]
    assert bulk[0][7] == MOMENT
    if mf.engine.dialect.name == "sqlite":
        raw = "SELECT started_at, final FROM mentorflow_relationships WHERE id IN ('bulk-1', 'core-1') ORDER BY id"
        with mf.engine.connect() as connection:
            spelled = connection.execute(text(raw)).all()
        assert spelled[0] == spelled[1]


def test_another_parameter_style_takes_the_core_insert(tmp_path: Path) -> None:
    """A dialect configured for named parameters gets the same rows through Core."""
    engine = create_engine(f"sqlite:///{tmp_path / 'named.db'}", paramstyle="named")
    Mentorflow(engine).upgrade()
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO mentorflow_definitions (hash, workflow, version, title, body, created_at) "
                "VALUES ('d', 'w', 1, 't', '{}', '2026-03-02 09:00:00.000000')"
            )
        )
        insert_many(connection, _REL, COLUMNS, _rows("d", "named-"))
    with engine.connect() as connection:
        assert connection.execute(select(_REL.c.id).order_by(_REL.c.id)).scalars().all() == [
            "named-0",
            "named-1",
            "named-2",
        ]
    engine.dispose()


def test_larger_cache_lasts_the_block_and_restores_the_setting(mf: Mentorflow) -> None:
    """On SQLite the block sees ``BULK_CACHE_KIB`` and the connection its own setting after, even when the block
    fails; PostgreSQL is left alone."""
    with mf.engine.connect() as connection:
        if mf.engine.dialect.name != "sqlite":
            with larger_cache(connection):
                assert connection.execute(text("SELECT 1")).scalar_one() == 1
            return
        connection.exec_driver_sql("PRAGMA cache_size = -1024")
        with larger_cache(connection):
            assert connection.exec_driver_sql("PRAGMA cache_size").scalar_one() == -BULK_CACHE_KIB
        assert connection.exec_driver_sql("PRAGMA cache_size").scalar_one() == -1024
        with pytest.raises(ZeroDivisionError), larger_cache(connection):
            _ = 1 / 0
        assert connection.exec_driver_sql("PRAGMA cache_size").scalar_one() == -1024


@pytest.mark.slow
@pytest.mark.skipif(sqlalchemy.__version__ == OLDEST, reason="this run is the one on the oldest SQLAlchemy")
def test_the_oldest_sqlalchemy_admitted(tmp_path: Path) -> None:
    """This file, run again on SQLAlchemy 2.0.30, passes."""
    target = tmp_path / "oldest"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), f"sqlalchemy=={OLDEST}"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if installed.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"could not install SQLAlchemy {OLDEST}: {installed.stderr}")
        pytest.skip(f"SQLAlchemy {OLDEST} could not be installed from the package index: {installed.stderr[-200:]}")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), os.environ.get("PYTHONPATH", "")])}
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=Path(__file__).parents[2],
        check=False,
    )
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-2000:]
    assert "this run is the one on the oldest SQLAlchemy" in ran.stdout, ran.stdout[-2000:]
