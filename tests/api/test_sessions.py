"""Working inside a platform's own transaction (`session=`), and subscribers that hear of commits only."""

from __future__ import annotations

import logging
from typing import cast

import pytest
import structlog
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from mentorflow import Actor, Blocked, Event, InvalidInput, Mentorflow
from tests.content import valid

ADMIN = Actor.admin("carol")
DYAD = {"mentor": ["ann"], "mentee": ["bob"]}


@pytest.fixture
def platform_table(mf: Mentorflow) -> str:
    """A table of the platform's own, beside mentorflow's."""
    with mf.engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS platform_notes (id INTEGER PRIMARY KEY, note TEXT)"))
        connection.execute(text("DELETE FROM platform_notes"))
    return "platform_notes"


def _notes(mf: Mentorflow) -> list[str]:
    with mf.engine.connect() as connection:
        return list(connection.execute(text("SELECT note FROM platform_notes ORDER BY id")).scalars())


def test_nothing_is_committed_until_the_caller_commits(mf: Mentorflow, platform_table: str) -> None:
    """Inside a caller's session, mentorflow's rows appear to others only when the caller commits."""
    with Session(mf.engine) as session:
        rel = mf.start("traditional-dyad", DYAD, actor=ADMIN, session=session)
        mf.submit(rel.id, "idp", valid("idp"), actor="bob", session=session)
        session.execute(text("INSERT INTO platform_notes (id, note) VALUES (1, 'dyad started')"))
        assert mf.status(rel.id, session=session).artifacts[0].complete
        assert mf.audit() == []
        session.commit()
    assert [s.id for s in mf.audit()] == [rel.id]
    assert _notes(mf) == ["dyad started"]


def test_a_caller_rollback_rolls_back_mentorflow_too(mf: Mentorflow, platform_table: str) -> None:
    """The platform's rows and mentorflow's rows go together."""
    with Session(mf.engine) as session:
        rel = mf.start("traditional-dyad", DYAD, actor=ADMIN, session=session)
        session.execute(text("INSERT INTO platform_notes (id, note) VALUES (1, 'dyad started')"))
        session.rollback()
    assert mf.audit() == []
    assert _notes(mf) == []
    assert mf.verify().checked == 0
    with pytest.raises(Exception, match=f"no relationship '{rel.id}'"):
        mf.status(rel.id)


def test_a_refused_write_leaves_the_callers_transaction_usable(mf: Mentorflow) -> None:
    """A blocked fire undoes only its own savepoint; the caller's earlier work commits."""
    with Session(mf.engine) as session:
        rel = mf.start("traditional-dyad", DYAD, actor=ADMIN, session=session)
        with pytest.raises(Blocked):
            mf.fire(rel.id, "negotiate", actor="bob", session=session)
        mf.submit(rel.id, "idp", valid("idp"), actor="bob", session=session)
        session.commit()
    assert [e.kind for e in mf.history(rel.id)] == ["started", "submitted"]


def test_subscribers_hear_only_after_the_caller_commits(mf: Mentorflow) -> None:
    """With `session=`, callbacks wait for the commit."""
    heard: list[Event] = []
    mf.subscribe(heard.append)
    with Session(mf.engine) as session:
        rel = mf.start("traditional-dyad", DYAD, actor=ADMIN, session=session)
        mf.submit(rel.id, "idp", valid("idp"), actor="bob", session=session)
        assert heard == []
        session.commit()
    assert [(e.relationship, e.seq, e.kind) for e in heard] == [(rel.id, 1, "started"), (rel.id, 2, "submitted")]


def test_subscribers_hear_nothing_on_rollback(mf: Mentorflow) -> None:
    """A rolled-back transaction notifies nobody, then or later."""
    heard: list[Event] = []
    mf.subscribe(heard.append)
    with Session(mf.engine) as session:
        mf.start("traditional-dyad", DYAD, actor=ADMIN, session=session)
        session.rollback()
        session.commit()
    assert heard == []


def test_a_refused_write_does_not_drop_the_earlier_notifications(mf: Mentorflow) -> None:
    """A savepoint rolled back for a blocked fire keeps the callbacks of the writes before it."""
    heard: list[Event] = []
    mf.subscribe(heard.append)
    with Session(mf.engine) as session:
        rel = mf.start("traditional-dyad", DYAD, actor=ADMIN, session=session)
        with pytest.raises(Blocked):
            mf.fire(rel.id, "negotiate", actor="bob", session=session)
        session.commit()
    assert [e.kind for e in heard] == ["started"]


def test_a_callers_savepoint_rollback_drops_its_notifications(mf: Mentorflow) -> None:
    """Writes undone by the caller's own savepoint are never announced; the rest are, on commit."""
    heard: list[Event] = []
    mf.subscribe(heard.append)
    with Session(mf.engine) as session:
        rel = mf.start("traditional-dyad", DYAD, actor=ADMIN, session=session)
        savepoint = session.begin_nested()
        mf.submit(rel.id, "idp", valid("idp"), actor="bob", session=session)
        savepoint.rollback()
        session.commit()
    assert [e.kind for e in heard] == ["started"]
    assert [e.kind for e in mf.history(rel.id)] == ["started"]


def test_subscribers_hear_right_after_a_write_mentorflow_commits(mf: Mentorflow) -> None:
    """Without `session=`, the callback runs before the call returns, on committed data."""
    seen: list[tuple[int, list[str]]] = []

    def callback(event: Event) -> None:
        seen.append((event.seq, [e.kind for e in mf.history(event.relationship)]))

    mf.subscribe(callback)
    rel = mf.start("traditional-dyad", DYAD, actor=ADMIN)
    assert seen == [(1, ["started"])]
    mf.submit(rel.id, "idp", valid("idp"), actor="bob")
    assert seen[-1] == (2, ["started", "submitted"])


def test_a_failing_subscriber_does_not_break_the_write(mf: Mentorflow, caplog: pytest.LogCaptureFixture) -> None:
    """A subscriber that raises is logged; the write stands and the other subscribers still hear."""
    caplog.set_level(logging.INFO, logger="mentorflow")
    heard: list[str] = []

    def broken(event: Event) -> None:
        raise RuntimeError("mail server down")

    mf.subscribe(broken)
    mf.subscribe(lambda event: heard.append(event.kind))
    with structlog.testing.capture_logs() as logs:
        rel = mf.start("traditional-dyad", DYAD, actor=ADMIN)
    assert heard == ["started"]
    assert mf.status(rel.id).state == "preparing"
    assert [
        (log["event"], log["relationship"], log["log_level"]) for log in logs if log["event"] == "subscriber_failed"
    ] == [("subscriber_failed", rel.id, "error")]


def test_unsubscribe_stops_the_callbacks(mf: Mentorflow) -> None:
    """The function `subscribe` returns removes the callback; calling it again is harmless."""
    heard: list[Event] = []
    unsubscribe = mf.subscribe(heard.append)
    mf.start("traditional-dyad", DYAD, actor=ADMIN)
    unsubscribe()
    unsubscribe()
    mf.start("traditional-dyad", DYAD, actor=ADMIN)
    assert len(heard) == 1


def test_each_write_is_logged_with_its_context(mf: Mentorflow, caplog: pytest.LogCaptureFixture) -> None:
    """The library logs each event with relationship, workflow, trigger and actor, once logging asks for INFO."""
    caplog.set_level(logging.INFO, logger="mentorflow")
    with structlog.testing.capture_logs() as logs:
        rel = mf.start("traditional-dyad", DYAD, actor=ADMIN)
        mf.fire(rel.id, "withdraw", actor="bob", reason="moved")
    assert [(log["event"], log["relationship"], log["workflow"], log["trigger"], log["actor"]) for log in logs] == [
        ("started", rel.id, "traditional-dyad", None, "admin:carol"),
        ("transitioned", rel.id, "traditional-dyad", "withdraw", "bob"),
    ]


def test_a_scoped_session_is_accepted(mf: Mentorflow) -> None:
    """A `scoped_session` proxy (as Flask-SQLAlchemy hands out) works like the session it wraps."""
    scoped = scoped_session(sessionmaker(mf.engine))
    proxy = cast("Session", scoped)
    try:
        rel = mf.start("traditional-dyad", DYAD, actor=ADMIN, session=proxy)
        assert mf.status(rel.id, session=proxy).state == "preparing"
        assert mf.audit() == []
        scoped.commit()
    finally:
        scoped.remove()
    assert [s.id for s in mf.audit()] == [rel.id]


@pytest.mark.parametrize("session", ["a session", 42, object()])
def test_session_must_be_a_session(mf: Mentorflow, session: object) -> None:
    """Anything else passed as `session=` is `input.invalid`."""
    with pytest.raises(InvalidInput, match="session= must be an SQLAlchemy Session, got "):
        mf.audit(session=session)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="session= must be an SQLAlchemy Session, got "):
        mf.start("traditional-dyad", DYAD, actor=ADMIN, session=session)  # type: ignore[arg-type]


def test_a_plain_platform_engine_keeps_mentorflow_inside_the_callers_transaction(db_url: str) -> None:
    """On the platform's own, unconfigured engine, a caller's rollback still undoes mentorflow's rows."""
    engine = create_engine(db_url)
    try:
        mf = Mentorflow(engine)
        with Session(engine) as session:
            rel = mf.start("traditional-dyad", DYAD, actor=ADMIN, session=session)
            mf.submit(rel.id, "idp", valid("idp"), actor="bob", session=session)
            session.rollback()
        assert mf.audit() == []
        with Session(engine) as session:
            kept = mf.start("traditional-dyad", DYAD, actor=ADMIN, session=session)
            session.commit()
        assert [e.kind for e in mf.history(kept.id)] == ["started"]
    finally:
        engine.dispose()


def test_reads_in_a_callers_session_see_its_uncommitted_writes(mf: Mentorflow) -> None:
    """Reads given the caller's session (the report's shared one included) see what it has not committed; reads
    of mentorflow's own, on a connection of their own, do not."""
    with Session(mf.engine) as session:
        rel = mf.start("traditional-dyad", DYAD, actor=ADMIN, session=session)
        summary, rows = mf.overview(session=session)
        assert [row.id for row in rows] == [rel.id]
        assert summary.total == 1
        assert [event.kind for event in mf.history(rel.id, session=session)] == ["started"]
        session.rollback()
    assert mf.overview()[1] == []
