"""A person's view reads through the index of participants by person (migration 0003), never a table scan."""

from __future__ import annotations

from sqlalchemy import inspect

from mentorflow import Actor, Mentorflow
from mentorflow.store import queries

ADMIN = Actor.admin("carol")


def test_the_index_covers_a_persons_roles(mf: Mentorflow) -> None:
    """The index holds every column the query reads, in the order the query filters on."""
    indexes = {ix["name"]: ix["column_names"] for ix in inspect(mf.engine).get_indexes("mentorflow_participants")}
    assert indexes["ix_mentorflow_participants_person"] == ["person", "left_at", "relationship_id", "role"]


def test_sqlite_answers_from_the_index(mf: Mentorflow) -> None:
    """SQLite's plan for a person's relationships searches the index (a covering one for their roles)."""
    if mf.engine.dialect.name != "sqlite":
        return
    mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN)
    with mf.engine.connect() as connection:
        for statement, covering in ((queries.PARTICIPATIONS, True), (queries.PERSON_HEADS, False)):
            compiled = statement.compile(dialect=mf.engine.dialect)
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", ("bob",))
            plan = " ".join(str(row[-1]) for row in rows)
            assert "ix_mentorflow_participants_person" in plan, plan
            assert ("COVERING INDEX" in plan) or not covering, plan
