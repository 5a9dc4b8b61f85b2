"""Connections, transactions and migrations: where database errors become mentorflow errors.

SQLite gets WAL, foreign keys and a busy timeout, and write transactions start with ``BEGIN IMMEDIATE`` so that
two processes never deadlock upgrading a read lock. Work inside a caller's session runs in a savepoint and never
commits, so a platform can change its own rows and mentorflow's in one transaction.

The few statements every write runs are ``Prepared``: compiled once per dialect and run on the DBAPI cursor of the
transaction's connection, because SQLAlchemy's execution layer costs several times what SQLite takes to run them.
"""

from __future__ import annotations

import datetime as dt
import logging
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    CompoundSelect,
    Connection,
    Dialect,
    Engine,
    Insert,
    Select,
    Update,
    create_engine,
    event,
    make_url,
)
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, SessionTransaction, scoped_session
from sqlalchemy.sql.compiler import SQLCompiler

from mentorflow.errors import (
    BadDatabaseUrl,
    ConcurrencyConflict,
    InvalidInput,
    MentorflowError,
    NoSchema,
    StorageFailed,
)

__all__ = [
    "Prepared",
    "Session",
    "after_commit",
    "caller_session",
    "connect",
    "from_db",
    "read",
    "to_db",
    "transaction",
    "upgrade",
]

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
        _driver_sql(connection, "BEGIN IMMEDIATE" if write else "BEGIN")


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
            raise NoSchema("the database has no mentorflow schema") from exc
        raise StorageFailed(f"database error: {exc.orig}") from exc
    except SQLAlchemyError as exc:
        raise StorageFailed(f"database error: {exc}") from exc


@contextmanager
def transaction(engine: Engine, session: Session | None) -> Iterator[Session]:
    """One write: a new committed transaction, or a savepoint inside the caller's session."""
    with translated():
        if session is None:
            with _writer(engine).connect() as connection, connection.begin():
                own = _OwnSession(connection)
                try:
                    yield own
                    # Used as a Session (ORM rows, or passed back to mentorflow as a caller's session): the session
                    # commits, so that its rows are flushed first and its after_commit hooks run after the commit.
                    if own.get_transaction() is not None:
                        own.commit()
                finally:
                    if own.get_transaction() is not None:  # it failed half-way: the session rolls back
                        own.close()
        else:
            _begin_sqlite(session)
            with session.begin_nested():
                yield session


class _OwnSession(Session):
    """The session of a write mentorflow commits itself: a Session over one Connection already in a transaction.

    The hot path needs only the connection, which ``connection()`` hands over directly: asking a Session for it
    costs as much as running a statement. A write that never uses the session as one (a fire) leaves the commit
    to the connection; ORM work (starting a relationship) or use as a caller's session begins the session's own
    transaction, which takes over the connection's (``control_fully``), so that committing the session commits
    the connection and runs its ``after_commit`` hooks.
    """

    def __init__(self, connection: Connection) -> None:
        super().__init__(bind=connection, expire_on_commit=False, join_transaction_mode="control_fully")
        self._own_connection = connection

    def connection(self, bind_arguments: Any | None = None, execution_options: Any | None = None) -> Connection:
        if bind_arguments is None and execution_options is None:
            return self._own_connection
        return super().connection(bind_arguments, execution_options)


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
        _driver_sql(connection, "BEGIN")


def _direct(connection: Connection) -> bool:
    """Whether statements may skip SQLAlchemy's execution layer on this connection.

    Not when someone watches statements: cursor event listeners (tracing, query logging) and SQL echo must see
    every statement, so those connections take the ordinary path. Asking costs a few microseconds, so the answer
    is kept for the rest of the connection's transaction.
    """
    transaction = connection.get_transaction()
    known = _verdicts.get(connection)
    if known is not None and known[0] is transaction:
        return known[1]
    dispatch = connection.dispatch
    verdict = not (
        dispatch.before_cursor_execute
        or dispatch.after_cursor_execute
        or connection.engine.logger.isEnabledFor(logging.INFO)
    )
    if transaction is not None:
        _verdicts[connection] = (transaction, verdict)
    return verdict


_verdicts: weakref.WeakKeyDictionary[Connection, tuple[object, bool]] = weakref.WeakKeyDictionary()


def _driver_sql(connection: Connection, sql: str) -> None:
    """A plain statement without parameters (BEGIN), on the DBAPI connection when nobody watches statements."""
    if not _direct(connection):
        connection.exec_driver_sql(sql)
        return
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql)
    except connection.dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(sql, (), exc, connection.dialect.loaded_dbapi.Error) from exc
    finally:
        cursor.close()


Statement = Select[Any] | CompoundSelect[Any] | Update | Insert


class _Compiled:
    """A statement compiled for one dialect: its SQL, how to lay out its parameters, how to convert its values."""

    def __init__(self, statement: Statement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        if not isinstance(compiled, SQLCompiler) or any(bind.expanding for bind in compiled.binds.values()):
            raise TypeError("only plain statements with scalar parameters can be prepared")  # pragma: no cover
        self.sql = compiled.string
        self.names = tuple(compiled.positiontup or ()) if dialect.positional else None
        self.binds = [
            (name, processor)
            for name, bind in compiled.binds.items()
            if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        ]
        columns = getattr(statement, "selected_columns", ())
        self.results = [
            (index, processor)
            for index, column in enumerate(columns)
            if (processor := column.type.dialect_impl(dialect).result_processor(dialect, None)) is not None
        ]

    def parameters(self, values: Mapping[str, Any]) -> Sequence[Any] | Mapping[str, Any]:
        if self.binds:
            values = dict(values)
            for name, processor in self.binds:
                if name in values:
                    values[name] = processor(values[name])
        if self.names is None:
            return values
        return [values[name] for name in self.names]

    def rows(self, rows: list[Sequence[Any]]) -> list[tuple[Any, ...]]:
        if not self.results:
            return [tuple(row) for row in rows]
        converted = []
        for row in rows:
            values = list(row)
            for index, processor in self.results:
                values[index] = processor(values[index])
            converted.append(tuple(values))
        return converted


class Prepared:
    """A fixed statement of the hot path, compiled once per dialect and run on the DBAPI cursor.

    SQLAlchemy's execution layer costs about 50 µs a statement, ten times what SQLite takes to read a row by its
    key, and a fire runs six statements. SQLAlchemy still compiles each statement (once), and parameters and
    results go through the processors of the columns' types, so what is stored and read is exactly what
    ``Connection.execute`` would store and read. Where that cannot be taken for granted (someone listens to cursor
    events or echoes SQL, or the connection is outside a transaction) it is ``Connection.execute`` that runs.
    """

    def __init__(self, statement: Statement) -> None:
        self.statement = statement
        self._compiled: dict[Dialect, _Compiled] = {}

    def _for(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect)
        if found is None:
            found = self._compiled[dialect] = _Compiled(self.statement, dialect)
        return found

    @staticmethod
    def _direct(connection: Connection) -> bool:
        # Outside a transaction SQLAlchemy begins one (BEGIN IMMEDIATE for a write on SQLite) before a statement.
        return connection.in_transaction() and _direct(connection)

    def rows(self, connection: Connection, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """The result rows, as plain tuples with the columns' Python values."""
        if not self._direct(connection):
            return [tuple(row) for row in connection.execute(self.statement, values)]
        compiled = self._for(connection.dialect)
        return compiled.rows(self._run(connection, compiled, compiled.parameters(values), fetch=True))

    def run(self, connection: Connection, values: Mapping[str, Any]) -> int:
        """Run a write once; the number of rows it touched."""
        if not self._direct(connection):
            touched: int = connection.execute(self.statement, values).rowcount
            return touched
        compiled = self._for(connection.dialect)
        return int(self._run(connection, compiled, compiled.parameters(values), fetch=False))

    def run_many(self, connection: Connection, values: Sequence[Mapping[str, Any]]) -> None:
        """Run a write once per set of parameters (``executemany``)."""
        if not self._direct(connection):
            connection.execute(self.statement, list(values))
            return
        compiled = self._for(connection.dialect)
        self._run(connection, compiled, [compiled.parameters(one) for one in values], fetch=False, many=True)

    @staticmethod
    def _run(connection: Connection, compiled: _Compiled, parameters: Any, *, fetch: bool, many: bool = False) -> Any:
        error = connection.dialect.loaded_dbapi.Error
        cursor = connection.connection.cursor()
        try:
            if many:
                cursor.executemany(compiled.sql, parameters)
                return None
            cursor.execute(compiled.sql, parameters)
            return cursor.fetchall() if fetch else cursor.rowcount
        except error as exc:
            # The same exception Connection.execute raises, so translated() and callers see no difference.
            raise DBAPIError.instance(compiled.sql, parameters, exc, error) from exc
        finally:
            cursor.close()


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


# ``datetime.replace`` parses its keywords on every call (1 µs on CPython 3.11, a dozen times a fire); ``combine``
# makes the same value in a quarter of the time.


def to_db(moment: dt.datetime) -> dt.datetime:
    """Aware time to the naive UTC that is stored."""
    moment = moment.astimezone(dt.UTC)
    return dt.datetime.combine(moment.date(), moment.time())


def from_db(moment: dt.datetime) -> dt.datetime:
    """Stored naive UTC to an aware time."""
    return dt.datetime.combine(moment.date(), moment.time(), dt.UTC)
