"""The migrations build exactly the schema the models describe, and the newest one can be undone."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, event, inspect, text

from mentorflow import Mentorflow
from mentorflow.errors import StorageFailed
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


@pytest.mark.parametrize("stamp", ["9999", ""], ids=["newer", "empty"])
def test_a_schema_version_no_migration_made_is_refused(database: Database, stamp: str) -> None:
    """A database migrated by a newer mentorflow (or an edited version row) made `init` an internal error:
    Alembic's own `Can't locate revision`, or a bare assertion for an empty one. Nothing is changed."""
    engine = create_engine(database.url)
    table = text(f"SELECT version_num FROM {VERSION_TABLE}")  # noqa: S608
    try:
        with engine.begin() as connection:
            (current,) = connection.execute(table).scalars().all()
            connection.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = :stamp"), {"stamp": stamp})  # noqa: S608
        with pytest.raises(StorageFailed, match=f"schema version '{stamp}' is not one this mentorflow made") as caught:
            upgrade(engine)
        assert caught.value.hint.startswith("It was migrated by a newer mentorflow")
        with engine.begin() as connection:
            assert connection.execute(table).scalars().all() == [stamp]
            connection.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = :stamp"), {"stamp": current})  # noqa: S608
    finally:
        engine.dispose()


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
