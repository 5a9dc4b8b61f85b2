"""Prepared statements: the hot path's statements run on the DBAPI cursor, with SQLAlchemy's values and errors."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Connection, create_engine, event, text
from sqlalchemy.exc import DBAPIError

from mentorflow import Actor, Mentorflow, StorageError
from mentorflow.store import statements
from mentorflow.store.db import Prepared, translated
from tests.conftest import Database
from tests.content import valid

ADMIN = Actor.admin("carol")


@pytest.fixture
def signed(mf: Mentorflow) -> str:
    """A dyad with a complete IDP signed by its mentee: revisions with booleans, times and a signature."""
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    mf.submit(rel_id, "idp", valid("idp"), actor="bob")
    mf.sign(rel_id, "idp", actor="bob")
    return rel_id


def _both(connection: Connection, prepared: Prepared, values: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    direct = prepared.rows(connection, values)
    through = [tuple(row) for row in connection.execute(prepared.statement, values)]
    return direct, through


def test_prepared_reads_the_values_sqlalchemy_reads(mf: Mentorflow, signed: str) -> None:
    """Times, booleans and numbers read on the DBAPI cursor equal what Connection.execute returns."""
    with mf.engine.connect() as connection, connection.begin():
        for statement in (statements.SELECT_HEAD, statements.DETAILS_OF_ONE):
            direct, through = _both(connection, Prepared(statement), {"id": signed})
            assert direct == through
            assert direct


def test_prepared_writes_what_sqlalchemy_writes(mf: Mentorflow, signed: str) -> None:
    """A time written by a prepared update is stored in the very form SQLAlchemy stored it in."""
    raw = text("SELECT last_event_at FROM mentorflow_relationships WHERE id = :id")  # untyped: the stored form
    with mf.engine.connect() as connection, connection.begin():
        before = connection.execute(raw, {"id": signed}).scalar_one()
        head = Prepared(statements.SELECT_HEAD).rows(connection, {"id": signed})[0]
        moved = {"b_id": signed, "b_expected": head[9], "b_seq": head[7], "b_hash": head[8], "b_at": head[6]}
        assert Prepared(statements.UPDATE_HEAD).run(connection, {**moved, "b_next": head[9] + 1}) == 1
        after = connection.execute(raw, {"id": signed}).scalar_one()
        assert Prepared(statements.SELECT_HEAD).rows(connection, {"id": signed})[0] == (*head[:9], head[9] + 1)
        connection.rollback()
    assert after == before


def test_a_lost_compare_and_set_touches_no_row(mf: Mentorflow, signed: str) -> None:
    """The prepared update reports 0 rows when the lock version moved on, as Connection.execute would."""
    with mf.engine.connect() as connection, connection.begin():
        head = Prepared(statements.SELECT_HEAD).rows(connection, {"id": signed})[0]
        values = {"b_id": signed, "b_expected": head[-1] - 1, "b_seq": 0, "b_hash": "", "b_at": head[6], "b_next": 0}
        assert Prepared(statements.UPDATE_HEAD).run(connection, values) == 0
        connection.rollback()


def test_statement_listeners_see_every_statement_of_a_write(mf: Mentorflow, signed: str) -> None:
    """A platform tracing cursor executions sees a fire's reads and writes: those take SQLAlchemy's path."""
    seen: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(mf.engine, "before_cursor_execute", listen)
    try:
        mf.fire(signed, "negotiate", actor="bob")
    finally:
        event.remove(mf.engine, "before_cursor_execute", listen)
    reads = " ".join(statement for statement in seen if statement.startswith("SELECT"))
    for table in ("relationships", "participants", "revisions", "signatures"):
        assert f"FROM mentorflow_{table} " in reads
    assert any(statement.startswith("UPDATE mentorflow_relationships SET") for statement in seen)
    assert any(statement.startswith("INSERT INTO mentorflow_events") for statement in seen)


def test_a_fire_without_listeners_skips_sqlalchemys_execution(
    mf: Mentorflow, signed: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With nobody watching, the statements of a fire never go through Connection.execute."""
    calls: list[object] = []
    original = Connection.execute

    def counting(self: Connection, statement: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(statement)
        return original(self, statement, *args, **kwargs)

    monkeypatch.setattr(Connection, "execute", counting)
    assert mf.fire(signed, "negotiate", actor="bob").payload["to"] == "negotiating"
    assert calls == []


def test_database_errors_on_the_direct_path_are_translated(database: Database) -> None:
    """A failing prepared statement raises SQLAlchemy's DBAPIError, which becomes a mentorflow error."""
    engine = create_engine(database.empty_url)
    try:
        with pytest.raises(StorageError) as caught, translated(), engine.connect() as connection, connection.begin():
            Prepared(statements.SELECT_HEAD).rows(connection, {"id": "nobody"})
    finally:
        engine.dispose()
    assert caught.value.code == "storage.no_schema"
    assert isinstance(caught.value.__cause__, DBAPIError)
