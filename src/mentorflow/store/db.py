"""Connections, transactions and migrations.

SQLite gets WAL, foreign keys and a busy timeout, and its write transactions start with ``BEGIN IMMEDIATE`` so that
two processes never deadlock upgrading a read lock: pysqlite's own BEGIN is turned off and the ``begin`` event
issues ours (SQLAlchemy's documented recipe), ``IMMEDIATE`` on the connections a write marks with an execution
option. Work inside a caller's session runs in a savepoint and never commits, so a platform can change its own
rows and mentorflow's in one transaction. Migrations take a lock first, so that many processes migrating one
database at once wait for one another instead of failing. Database errors become mentorflow errors in
``store.faults``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, SessionTransaction, scoped_session

from mentorflow.errors import BadDatabaseUrl, InvalidInput, StorageFailed
from mentorflow.store.faults import translated

__all__ = [
    "Executor",
    "Session",
    "SessionLike",
    "after_commit",
    "caller_session",
    "connect",
    "connection_of",
    "exclusive",
    "from_db",
    "read",
    "read_session",
    "to_db",
    "transaction",
    "translated",
    "upgrade",
    "write",
]

VERSION_TABLE = "mentorflow_alembic_version"
_WRITE = "mentorflow_write"
"""The execution option that marks a write's connection: SQLite begins it with ``BEGIN IMMEDIATE``."""
_PENDING = "mentorflow_after_commit"


def connect(target: str | Engine) -> Engine:
    """An engine for a URL (configured for mentorflow) or the platform's own engine, used as it is."""
    if isinstance(target, Engine):
        return target
    try:
        engine = create_engine(target)
    except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as exc:
        raise BadDatabaseUrl(
            f"cannot use database URL {_shown(target)}: {exc}",
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
    def _on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


Executor = Session | Connection
"""What the store's reads and writes run on: a caller's Session, or the Connection of a write."""


def connection_of(executor: Executor) -> Connection:
    """The Connection statements run on: the executor itself, or the one a Session works in."""
    return executor.connection() if isinstance(executor, Session) else executor


@contextmanager
def write(engine: Engine, session: Session | None) -> Iterator[Connection]:
    """One write on a plain Connection: a new committed transaction, or a savepoint inside the caller's session.

    mentorflow's writes are Core statements, so a write of its own needs no ORM Session: a Connection marked as a
    write's (``BEGIN IMMEDIATE`` on SQLite) that commits when the block ends. Inside a caller's session the write
    runs on that session's connection, in a savepoint the session knows of (``begin_nested``), so that the
    caller's pending rows are flushed first and its ``after_commit`` hooks see the write.
    """
    with translated():
        if session is None:
            with engine.connect() as connection:
                connection.execution_options(**{_WRITE: True})
                with connection.begin():
                    yield connection
        else:
            _begin_sqlite(session.connection())
            with session.begin_nested():
                yield session.connection()


@contextmanager
def transaction(engine: Engine, session: Session | None) -> Iterator[Session]:
    """One write: a new committed transaction, or a savepoint inside the caller's session.

    For work that wants a Session (the demo, the standing cache's refresh, a platform's own rows): a Session whose
    connection is marked as a write's before it begins (``BEGIN IMMEDIATE`` on SQLite). The session commits, so
    that ORM rows are flushed first and ``after_commit`` hooks run after the commit when the session is passed
    back to mentorflow as a caller's session. mentorflow's own writes use ``write``.
    """
    with translated():
        if session is None:
            with Session(engine, expire_on_commit=False) as own, own.begin():
                own.connection(execution_options={_WRITE: True})
                yield own
        else:
            _begin_sqlite(session.connection())
            with session.begin_nested():
                yield session


def exclusive(executor: Executor, name: str) -> None:
    """Hold the database-wide lock ``name`` until the transaction ends; writers of the same name wait.

    On PostgreSQL it is an advisory transaction lock. A write of mentorflow's own on SQLite already holds the one
    write lock SQLite has (``BEGIN IMMEDIATE``), so there is nothing more to take there.
    """
    _lock(connection_of(executor), name)


def _lock(connection: Connection, name: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(name)})


def _lock_key(name: str) -> int:
    """A stable 64-bit key for an advisory lock (``hash()`` differs between processes)."""
    digest = hashlib.sha256(f"mentorflow:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


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


def _begin_sqlite(connection: Connection, mode: str = "") -> None:
    """Make sure an SQLite connection is really inside a transaction (``BEGIN`` or ``BEGIN IMMEDIATE``).

    pysqlite defers BEGIN until the first write, so on a platform's plain SQLite engine our SAVEPOINT would run in
    autocommit mode and its RELEASE would commit our rows past the platform's transaction, out of its rollback; and
    a migration would read the schema version before taking the write lock.
    """
    if connection.dialect.name != "sqlite":
        return
    driver = connection.connection.driver_connection
    if driver is not None and not driver.in_transaction:
        connection.exec_driver_sql(f"BEGIN {mode}".strip())


@contextmanager
def read(engine: Engine, session: SessionLike | None) -> Iterator[Executor]:
    """One read: in the caller's session, or in a transaction of its own on a plain Connection.

    The store's reads are Core statements, as its writes are, so a read of mentorflow's own makes no ORM Session
    (which cost a person's view about a sixth of its time); its transaction gives every query of the read the
    same snapshot of the database.
    """
    session = caller_session(session)
    with translated():
        if session is not None:
            yield session
        else:
            with engine.connect() as own, own.begin():
                yield own


@contextmanager
def read_session(engine: Engine, session: SessionLike | None) -> Iterator[Session]:
    """A ``read`` as a Session, for a read that hands itself on as ``session=`` to public methods (the HTML
    report's): the caller's session, or one joined to the Connection of a read of its own."""
    with read(engine, session) as reading:
        if isinstance(reading, Session):
            yield reading
        else:
            with Session(bind=reading) as joined:
                yield joined


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
    """Create or migrate mentorflow's tables with the Alembic migrations shipped in the package.

    Many processes may run it at once (application servers migrating at boot): the first takes the lock and
    migrates, the others wait for it and then find the schema current. The lock is PostgreSQL's advisory lock
    or SQLite's write lock, taken before Alembic reads the schema version, and held until the migration commits.
    """
    # Alembic is imported here, not at the top: every other command (status, audit...) would pay for it.
    from alembic import command  # noqa: PLC0415
    from alembic.config import Config  # noqa: PLC0415
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
    with translated(), engine.connect() as connection:
        connection.execution_options(**{_WRITE: True})
        with connection.begin():
            _begin_sqlite(connection, "IMMEDIATE")  # a platform's own engine, which lacks our begin event
            _lock(connection, "migrations")
            _check_stamps(connection, known)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)


def _check_stamps(connection: Connection, known: set[str]) -> None:
    """Refuse a schema version that none of the shipped migrations made: a newer mentorflow's, or an edited one
    (Alembic would stop on it with an error of its own, or an assertion for an empty one)."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return
    stamps = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()  # noqa: S608
    unknown = sorted(str(stamp) for stamp in stamps if stamp not in known)
    if unknown:
        raise StorageFailed(
            f"the database's schema version {', '.join(map(repr, unknown))} is not one this mentorflow made",
            hint="It was migrated by a newer mentorflow: upgrade the package. (Or the version row was edited.)",
        )


# ``datetime.replace`` parses its keywords on every call (1 µs on CPython 3.11, a dozen times a fire); ``combine``
# makes the same value in a quarter of the time.


def to_db(moment: dt.datetime) -> dt.datetime:
    """Aware time to the naive UTC that is stored."""
    moment = moment.astimezone(dt.UTC)
    return dt.datetime.combine(moment.date(), moment.time())


def from_db(moment: dt.datetime) -> dt.datetime:
    """Stored naive UTC to an aware time."""
    return dt.datetime.combine(moment.date(), moment.time(), dt.UTC)
