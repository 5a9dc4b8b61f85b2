"""The migrations build exactly the schema the models describe, and the newest one can be undone."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, event, inspect

from mentorflow import Mentorflow
from mentorflow.store.db import VERSION_TABLE, upgrade
from mentorflow.store.tables import Base
from tests.conftest import Database


def test_migrated_schema_matches_the_models(database: Database) -> None:
    engine = create_engine(database.url)
    try:
        with engine.connect() as connection:
            # Only mentorflow's tables: a platform's own may share the database (or this test schema).
            ours = {"include_name": lambda name, kind, _: kind != "table" or name in Base.metadata.tables}
            context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE, **ours})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_a_database_at_the_first_schema_upgrades_to_the_standing_cache(tmp_path: Path) -> None:
    """A database made before the standing cache gets its columns and table; its audits work at once."""
    engine = create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        upgrade(engine, "0001")
        assert "standing" not in {c["name"] for c in inspect(engine).get_columns("mentorflow_relationships")}
        upgrade(engine)
        columns = {c["name"] for c in inspect(engine).get_columns("mentorflow_relationships")}
        assert {"standing", "standing_seq", "standing_format", "standing_at", "recheck_at"} <= columns
        assert "mentorflow_phase_stays" in inspect(engine).get_table_names()
        assert Mentorflow(engine).audit() == []
    finally:
        engine.dispose()


@pytest.mark.parametrize("plain", [False, True], ids=["mentorflow's engine", "a platform's engine"])
def test_sqlite_migrates_under_the_write_lock(tmp_path: Path, plain: bool) -> None:
    """The migration's first statement takes SQLite's write lock, before Alembic reads the schema version: a second
    process migrating at the same time waits for it instead of failing with `database is locked`."""
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    engine = create_engine(url) if plain else Mentorflow(url).engine
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda _c, _cur, statement, *_: seen.append(statement))
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    assert seen[0] == "BEGIN IMMEDIATE"
    assert seen.count("BEGIN IMMEDIATE") == 1
