"""Alembic environment for mentorflow's own migrations; run through ``mentorflow.store.db.upgrade``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from mentorflow.store.db import VERSION_TABLE
from mentorflow.store.tables import Base

config = context.config


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # pragma: no cover - the `alembic` command line, used to write new migrations
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")
        with engine.begin() as own:
            context.configure(
                connection=own, target_metadata=Base.metadata, version_table=VERSION_TABLE, render_as_batch=True
            )
            context.run_migrations()
        return
    context.configure(
        connection=connection, target_metadata=Base.metadata, version_table=VERSION_TABLE, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()


run()
