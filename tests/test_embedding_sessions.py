"""A platform's own engine and session flavours: mentorflow's writes share the platform's transaction."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from mentorflow import Actor, InvalidInput, Mentorflow

ROLES = {"mentor": "ann", "mentee": "bob"}


@pytest.fixture
def plain_sqlite(tmp_path: Path) -> Iterator[Mentorflow]:
    """Mentorflow on a platform's plain SQLite engine (pysqlite's default, deferred transactions)."""
    mf = Mentorflow(create_engine(f"sqlite:///{tmp_path / 'platform.db'}"))
    mf.upgrade()
    yield mf
    mf.engine.dispose()


def test_platform_rollback_undoes_mentorflow_writes_on_plain_sqlite(plain_sqlite: Mentorflow) -> None:
    """pysqlite defers BEGIN; mentorflow begins it, so the platform's rollback still undoes the start."""
    with Session(plain_sqlite.engine) as session:
        session.begin()
        plain_sqlite.start("traditional-dyad", ROLES, actor=Actor.admin(), id="r1", session=session)
        session.rollback()
    assert list(plain_sqlite.relationship_ids()) == []


def test_platform_commit_keeps_them(plain_sqlite: Mentorflow) -> None:
    """And the platform's commit keeps them."""
    with Session(plain_sqlite.engine) as session, session.begin():
        plain_sqlite.start("traditional-dyad", ROLES, actor=Actor.admin(), id="r1", session=session)
    assert list(plain_sqlite.relationship_ids()) == ["r1"]


def test_scoped_sessions_are_unwrapped(plain_sqlite: Mentorflow) -> None:
    """A scoped_session (as Flask-SQLAlchemy hands out) works like the session it proxies."""
    scoped = scoped_session(sessionmaker(plain_sqlite.engine))
    plain_sqlite.start("traditional-dyad", ROLES, actor=Actor.admin(), id="r1", session=scoped)
    assert plain_sqlite.status("r1", session=scoped).state == "preparing"
    scoped.rollback()
    scoped.remove()
    assert list(plain_sqlite.relationship_ids()) == []


def test_anything_else_is_refused(plain_sqlite: Mentorflow) -> None:
    """A session= that is not a session is an input error, not an AttributeError."""
    with pytest.raises(InvalidInput, match="session= must be an SQLAlchemy Session, got object"):
        plain_sqlite.status("r1", session=object())  # type: ignore[arg-type]
