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
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, SessionTransaction, scoped_session

from mentorflow.errors import ConcurrencyConflict, InvalidInput, MentorflowError, StorageError

__all__ = ["Session", "after_commit", "caller_session", "connect", "from_db", "read", "to_db", "transaction", "upgrade"]

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
        raise StorageError(
            f"cannot use database URL {_shown(target)}: {exc}",
            code="storage.bad_url",
            hint="Use an SQLAlchemy URL such as sqlite:///mentorflow.db or "
            "postgresql+psycopg://user@host/db (pip install 'mentorflow[postgres]').",
        ) from exc
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def _shown(target: object) -> str:
    """A URL as it may appear in a message: with its password masked."""
    try:
        return repr(make_url(target).render_as_string(hide_password=True))  # type: ignore[arg-type]
    except (ArgumentError, TypeError, ValueError):
        return repr(target)


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
            raise StorageError(
                "the database has no mentorflow schema",
                code="storage.no_schema",
                hint="Run `mentorflow init` (or Mentorflow.upgrade()) first.",
            ) from exc
        raise StorageError(f"database error: {exc.orig}", code="storage.failed") from exc
    except SQLAlchemyError as exc:
        raise StorageError(f"database error: {exc}", code="storage.failed") from exc


@contextmanager
def transaction(engine: Engine, session: Session | None) -> Iterator[Session]:
    """One write: a new committed transaction, or a savepoint inside the caller's session."""
    with translated():
        if session is None:
            with Session(_writer(engine), expire_on_commit=False) as own, own.begin():
                yield own
        else:
            _begin_sqlite(session)
            with session.begin_nested():
                yield session


_writers: dict[int, tuple[Engine, Engine]] = {}


def _writer(engine: Engine) -> Engine:
    """The engine's write flavour (BEGIN IMMEDIATE on SQLite), made once per engine rather than per write."""
    cached = _writers.get(id(engine))
    if cached is None or cached[0] is not engine:
        cached = _writers[id(engine)] = (engine, engine.execution_options(**{_WRITE: True}))
    return cached[1]


SessionLike = Session | scoped_session[Session]
"""What ``session=`` accepts: a Session, or a scoped_session proxy such as Flask-SQLAlchemy's ``db.session``."""


def caller_session(session: object) -> Session | None:
    """The caller's session as a plain ``Session``; a ``scoped_session`` proxy (Flask-SQLAlchemy's) is unwrapped."""
    if session is None or isinstance(session, Session):
        return session
    if isinstance(session, scoped_session):
        unwrapped: Session = session()
        return unwrapped
    raise InvalidInput(
        f"session= must be an SQLAlchemy Session, got {type(session).__name__}",
        hint="Pass the Session your platform works in, or leave session= out.",
    )


def _begin_sqlite(session: Session) -> None:
    """Make sure the caller's SQLite connection is really inside a transaction before we take a savepoint.

    pysqlite defers BEGIN until the first write, so on a platform's plain SQLite engine our SAVEPOINT would run in
    autocommit mode and its RELEASE would commit our rows past the platform's transaction, out of its rollback.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    driver = connection.connection.driver_connection
    if driver is not None and not driver.in_transaction:
        connection.exec_driver_sql("BEGIN")


@contextmanager
def read(engine: Engine, session: SessionLike | None) -> Iterator[Session]:
    session = caller_session(session)
    with translated():
        if session is not None:
            yield session
        else:
            with Session(engine) as own, own.begin():
                yield own


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the caller's session commits for real; drop it if what it belongs to rolls back.

    SQLAlchemy reports savepoints through the same commit and rollback events as the outer transaction, so each
    callback is tied to the transaction that was innermost when it was registered: it runs when the outermost
    transaction has committed, and is dropped when that transaction or any enclosing one rolls back.
    """
    pending: list[tuple[SessionTransaction, Callable[[], None]]] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []

        @event.listens_for(session, "after_commit")
        def _commit(committed: Session) -> None:
            waiting: list[tuple[SessionTransaction, Callable[[], None]]] = committed.info[_PENDING]
            due = [run for owner, run in waiting if not _root(owner).is_active]
            waiting[:] = [(owner, run) for owner, run in waiting if _root(owner).is_active]
            for run in due:
                run()

        @event.listens_for(session, "after_soft_rollback")
        def _rollback(rolled_back: Session, previous: SessionTransaction) -> None:
            waiting: list[tuple[SessionTransaction, Callable[[], None]]] = rolled_back.info[_PENDING]
            waiting[:] = [(owner, run) for owner, run in waiting if previous not in _chain(owner)]

    owner = session.get_nested_transaction() or session.get_transaction()
    if owner is None:  # nothing left to wait for: the write was not inside a transaction
        callback()
        return
    pending.append((owner, callback))


def _chain(transaction: SessionTransaction) -> list[SessionTransaction]:
    chain = [transaction]
    while chain[-1].parent is not None:
        chain.append(chain[-1].parent)
    return chain


def _root(transaction: SessionTransaction) -> SessionTransaction:
    return _chain(transaction)[-1]


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
