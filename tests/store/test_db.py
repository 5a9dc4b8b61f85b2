"""Connections, transactions, migrations and the translation of database errors into mentorflow errors."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import create_engine, inspect, text, update
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError, SQLAlchemyError
from sqlalchemy.orm import Session

from mentorflow import Actor, ConcurrencyConflict, Mentorflow, MentorflowError, StorageError
from mentorflow.store import after_commit, exclusive, read, repo, transaction
from mentorflow.store.db import from_db, to_db
from mentorflow.store.faults import translated
from mentorflow.store.tables import Base, Definition, RelationshipRow
from tests.conftest import Database, MakeMentorflow
from tests.content import valid

ADMIN = Actor.admin("carol")


@pytest.mark.parametrize(
    ("error", "code", "message"),
    [
        (
            OperationalError("UPDATE", {}, Exception("database is locked")),
            "concurrency.conflict",
            "the database was busy with another writer",
        ),
        (OperationalError("BEGIN", {}, Exception("database is busy")), "concurrency.conflict", "busy"),
        (
            OperationalError("UPDATE", {}, Exception("could not serialize access due to concurrent update")),
            "concurrency.conflict",
            "busy",
        ),
        (OperationalError("UPDATE", {}, Exception("deadlock detected")), "concurrency.conflict", "busy"),
        (
            IntegrityError(
                "INSERT",
                {},
                Exception("UNIQUE constraint failed: mentorflow_events.relationship_id, mentorflow_events.seq"),
            ),
            "concurrency.conflict",
            "another writer changed the same relationship at the same time",
        ),
        (
            OperationalError("SELECT", {}, Exception("no such table: mentorflow_relationships")),
            "storage.no_schema",
            "the database has no mentorflow schema",
        ),
        (
            ProgrammingError("SELECT", {}, Exception('relation "mentorflow_events" does not exist')),
            "storage.no_schema",
            "no mentorflow schema",
        ),
        (
            OperationalError("SELECT", {}, Exception("disk I/O error")),
            "storage.failed",
            "database error: disk I/O error",
        ),
        (SQLAlchemyError("the pool is exhausted"), "storage.failed", "database error: the pool is exhausted"),
    ],
)
def test_database_errors_become_mentorflow_errors(error: Exception, code: str, message: str) -> None:
    """Each database failure is translated to a stable code, keeping the original as the cause."""
    with pytest.raises(MentorflowError, match=message) as caught, translated():
        raise error
    assert caught.value.code == code
    assert caught.value.__cause__ is error


def test_mentorflow_errors_pass_through_translation() -> None:
    """An error of ours raised inside a transaction is not rewrapped."""
    original = ConcurrencyConflict("lost")
    with pytest.raises(ConcurrencyConflict) as caught, translated():
        raise original
    assert caught.value is original


def test_upgrade_is_idempotent(mf: Mentorflow) -> None:
    """Running the migrations on a current schema changes nothing."""
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    mf.upgrade()
    assert mf.status(rel_id).state == "preparing"


def test_upgrade_creates_every_table(make_mf: MakeMentorflow, database: Database) -> None:
    """On an empty database, `upgrade` creates mentorflow's prefixed tables and its own version table."""
    mf = make_mf(db=database.empty_url)
    mf.upgrade()
    try:
        tables = set(inspect(mf.engine).get_table_names())
        assert {table.name for table in Base.metadata.sorted_tables} | {"mentorflow_alembic_version"} <= tables
        assert all(name.startswith("mentorflow_") for name in tables)
        assert mf.verify().ok
    finally:
        with mf.engine.begin() as connection:
            for table in [*reversed(Base.metadata.sorted_tables)]:
                connection.execute(text(f"DROP TABLE {table.name}"))
            connection.execute(text("DROP TABLE mentorflow_alembic_version"))


def test_a_platform_engine_is_used_as_it_is(db_url: str) -> None:
    """`Mentorflow(engine)` shares the platform's engine instead of making its own."""
    engine = create_engine(db_url)
    try:
        mf = Mentorflow(engine)
        assert mf.engine is engine
        assert mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).state == "preparing"
    finally:
        engine.dispose()


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_sqlite_runs_with_wal_and_foreign_keys(mf: Mentorflow, database: Database) -> None:
    """Mentorflow's SQLite connections use WAL and enforce foreign keys."""
    with mf.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_in_memory_sqlite_works() -> None:
    """`sqlite://` (in memory) needs no WAL and still runs mentorflow."""
    mf = Mentorflow("sqlite://")
    try:
        with mf.engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "memory"
    finally:
        mf.engine.dispose()


def test_times_are_stored_as_naive_utc() -> None:
    """Aware times of any zone are stored as naive UTC and read back as aware UTC."""
    moment = dt.datetime(2026, 3, 2, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert to_db(moment) == dt.datetime(2026, 3, 2, 8, 30)  # noqa: DTZ001 - naive on purpose
    assert from_db(to_db(moment)) == moment


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (dt.datetime(2026, 3, 2, 9, 0), dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)),  # noqa: DTZ001 - naive is UTC
        (
            dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
            dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC),
        ),
    ],
)
def test_the_clock_may_be_naive_or_in_any_zone(
    make_mf: MakeMentorflow, given: dt.datetime, expected: dt.datetime
) -> None:
    """A naive clock is read as UTC; an aware one is converted to UTC."""
    mf = make_mf(clock=lambda: given)
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    assert mf.now() == expected
    assert mf.history(rel_id)[0].at == expected


def test_the_real_clock_is_the_default(make_mf: MakeMentorflow) -> None:
    """Without an injected clock, now is the current UTC time."""
    mf = make_mf(clock=None)
    before = dt.datetime.now(dt.UTC)
    assert before <= mf.now() <= dt.datetime.now(dt.UTC)


def test_after_commit_outside_a_transaction_runs_at_once(mf: Mentorflow) -> None:
    """With no transaction to wait for, a callback runs immediately."""
    ran: list[str] = []
    with Session(mf.engine) as session:
        after_commit(session, lambda: ran.append("now"))
    assert ran == ["now"]


def test_read_uses_the_callers_session(mf: Mentorflow) -> None:
    """Reads inside a caller's session see its uncommitted work."""
    with Session(mf.engine) as session:
        with read(mf.engine, session) as reading:
            assert reading is session
        session.rollback()


def test_a_corrupt_state_is_a_storage_error(mf: Mentorflow) -> None:
    """A cached state the workflow does not have is reported, not a KeyError."""
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    with mf.engine.begin() as connection:
        connection.execute(update(RelationshipRow).where(RelationshipRow.id == rel_id).values(state="limbo"))
    for call in (lambda: mf.status(rel_id), mf.audit, lambda: mf.fire(rel_id, "negotiate", actor="bob")):
        with pytest.raises(StorageError, match="is in state 'limbo', which its workflow does not have") as caught:
            call()
        assert caught.value.code == "storage.corrupt_row"
    assert not mf.verify().ok


def test_a_corrupt_definition_is_a_storage_error(mf: Mentorflow, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stored definition that no longer parses is `storage.corrupt_definition`."""
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    with mf.engine.begin() as connection:
        connection.execute(update(Definition).values(body='{"workflow": []}'))
    mf = Mentorflow(mf.engine)  # a fresh instance: nothing parsed yet
    with pytest.raises(StorageError, match="a stored workflow definition is unreadable") as caught:
        mf.status(rel_id)
    assert caught.value.code == "storage.corrupt_definition"
    report = mf.verify()
    assert [b.relationship for b in report.broken] == [rel_id]


def test_a_write_is_all_or_nothing(mf: Mentorflow, monkeypatch: pytest.MonkeyPatch) -> None:
    """When inserting a revision fails half-way, no event, revision or head change remains."""
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    original = repo.apply_write

    def failing(*args: object, **kwargs: object) -> object:
        original(*args, **kwargs)  # type: ignore[arg-type]
        raise OperationalError("INSERT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(repo, "apply_write", failing)
    with pytest.raises(StorageError, match="disk I/O error"):
        mf.submit(rel_id, "idp", valid("idp"), actor="bob")
    monkeypatch.undo()
    assert [e.kind for e in mf.history(rel_id)] == ["started"]
    assert mf.status(rel_id).artifacts == []
    assert mf.verify().ok


def test_a_write_session_passed_back_as_a_callers_session_notifies_after_its_commit(mf: Mentorflow) -> None:
    """The session of a write (as the demo uses it) commits its rows and then runs the subscribers, in that order."""
    heard: list[str] = []
    mf.subscribe(lambda event: heard.append(event.kind))
    with transaction(mf.engine, None) as session:
        rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN, session=session).id
        assert heard == []
    assert heard == ["started"]
    assert mf.status(rel_id).state == "preparing"


def test_a_failed_write_session_keeps_nothing_and_tells_nobody(mf: Mentorflow) -> None:
    """When the work in a write's session fails, its rows roll back and the subscribers hear nothing."""
    heard: list[str] = []
    mf.subscribe(lambda event: heard.append(event.kind))

    def platform_work() -> None:
        with transaction(mf.engine, None) as session:
            mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN, id="r-gone", session=session)
            raise RuntimeError("platform failed")

    with pytest.raises(RuntimeError, match="platform failed"):
        platform_work()
    assert heard == []
    assert list(mf.relationship_ids()) == []


def test_an_exclusive_write_waits_for_the_one_holding_the_lock(mf: Mentorflow) -> None:
    """Two writes taking the same named lock run one after the other: the second starts once the first committed
    (PostgreSQL's advisory lock; on SQLite the write lock every write of ours begins with)."""
    order: list[str] = []
    holding = threading.Event()

    def second() -> None:
        holding.wait()
        with transaction(mf.engine, None) as session:
            exclusive(session, "test")
            order.append("second has the lock")

    thread = threading.Thread(target=second)
    thread.start()
    with transaction(mf.engine, None) as session:
        exclusive(session, "test")
        holding.set()
        time.sleep(0.3)
        order.append("first commits")
    thread.join()
    assert order == ["first commits", "second has the lock"]
