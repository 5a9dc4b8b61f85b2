"""Connections, transactions and migrations: where database errors become mentorflow errors.

SQLite gets WAL, foreign keys and a busy timeout, and write transactions start with ``BEGIN IMMEDIATE`` so that
two processes never deadlock upgrading a read lock. Work inside a caller's session runs in a savepoint and never
commits, so a platform can change its own rows and mentorflow's in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session

from mentorflow.errors import ConcurrencyConflict, MentorflowError, StorageError

__all__ = ["Session", "after_commit", "connect", "read", "to_db", "from_db", "transaction", "upgrade"]

VERSION_TABLE = "mentorflow_alembic_version"
_WRITE = "mentorflow_write"
_PENDING = "mentorflow_after_commit"


def connect(target: str | Engine) -> Engine:
    """An engine for a URL (configured for mentorflow) or the platform's own engine, used as it is."""
    if isinstance(target, Engine):
        return target
    try:
        engine = create_engine(target)
    except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as exc:
        raise StorageError(f"cannot use database URL {target!r}: {exc}", code="storage.bad_url",
                           hint="Use an SQLAlchemy URL such as sqlite:///mentorflow.db or "
                           "postgresql+psycopg://user@host/db (pip install 'mentorflow[postgres]').") from exc
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    memory = engine.url.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if not memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        write = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


@contextmanager
def translated() -> Iterator[None]:
    """Turn database errors into mentorflow errors (concurrency or storage)."""
    try:
        yield
    except MentorflowError:
        raise
    except IntegrityError as exc:
        raise ConcurrencyConflict("another writer changed the same relationship at the same time") from exc
    except DBAPIError as exc:
        text = str(exc.orig).lower()
        if any(word in text for word in ("locked", "busy", "could not serialize", "deadlock")):
            raise ConcurrencyConflict("the database was busy with another writer") from exc
        if "no such table" in text or "does not exist" in text:
            raise StorageError("the database has no mentorflow schema", code="storage.no_schema",
                               hint="Run `mentorflow init` (or Mentorflow.upgrade()) first.") from exc
        raise StorageError(f"database error: {exc.orig}", code="storage.failed") from exc
    except SQLAlchemyError as exc:
        raise StorageError(f"database error: {exc}", code="storage.failed") from exc


@contextmanager
def transaction(engine: Engine, session: Session | None) -> Iterator[Session]:
    """One write: a new committed transaction, or a savepoint inside the caller's session."""
    with translated():
        if session is None:
            with Session(engine.execution_options(**{_WRITE: True}), expire_on_commit=False) as own, own.begin():
                yield own
        else:
            with session.begin_nested():
                yield session


@contextmanager
def read(engine: Engine, session: Session | None) -> Iterator[Session]:
    with translated():
        if session is not None:
            yield session
        else:
            with Session(engine) as own, own.begin():
                yield own


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the caller's session commits; drop it if the session rolls back."""
    pending: list[Callable[[], None]] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []

        @event.listens_for(session, "after_commit")
        def _commit(committed: Session) -> None:
            callbacks = list(committed.info.get(_PENDING, []))
            committed.info[_PENDING] = []
            for run in callbacks:
                run()

        @event.listens_for(session, "after_rollback")
        def _rollback(rolled_back: Session) -> None:
            rolled_back.info[_PENDING] = []

    pending.append(callback)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or migrate mentorflow's tables with the Alembic migrations shipped in the package."""
    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with translated(), engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def to_db(moment: dt.datetime) -> dt.datetime:
    """Aware time to the naive UTC that is stored."""
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def from_db(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC)
