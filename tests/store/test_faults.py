"""Broken constraints are told apart by the constraint: a lost race is retried, a taken id is final, anything else is
a fault reported as one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import event, false, insert, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mentorflow import Actor, Mentorflow, MentorflowError
from mentorflow.engine.snapshot import Snapshot
from mentorflow.errors import ConcurrencyConflict, IntegrityFault, RelationshipExists
from mentorflow.store import Bundles, repo, statements, transaction
from mentorflow.store.faults import integrity_error, translated, violated
from mentorflow.store.tables import (
    DEFINITION_HASH,
    DEFINITION_VERSION,
    EVENT_SEQ,
    RELATIONSHIP_ID,
    Definition,
    EventRow,
    RelationshipRow,
)
from tests.conftest import MakeMentorflow
from tests.content import valid

ADMIN = Actor.admin("carol")
AT = dt.datetime(2026, 3, 2, 9, 0)  # noqa: DTZ001 - stored times are naive UTC


@dataclass
class _Diag:
    constraint_name: str | None


class _PostgresError(Exception):
    """What psycopg raises: the constraint's name in ``diag``."""

    def __init__(self, message: str, constraint: str | None) -> None:
        super().__init__(message)
        self.diag = _Diag(constraint)


def _sqlite(message: str) -> IntegrityError:
    return IntegrityError("INSERT", {}, Exception(message))


def _postgres(constraint: str | None) -> IntegrityError:
    return IntegrityError("INSERT", {}, _PostgresError("duplicate key value violates unique constraint", constraint))


RACE, EXISTS, FAULT = "concurrency.conflict", "relationship.exists", "storage.integrity"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (_sqlite("UNIQUE constraint failed: mentorflow_events.relationship_id, mentorflow_events.seq"), RACE),
        (_sqlite("UNIQUE constraint failed: mentorflow_definitions.hash"), RACE),
        (_sqlite("UNIQUE constraint failed: mentorflow_definitions.workflow, mentorflow_definitions.version"), RACE),
        (_sqlite("UNIQUE constraint failed: mentorflow_relationships.id"), EXISTS),
        (
            _sqlite(
                "UNIQUE constraint failed: mentorflow_revisions.relationship_id, mentorflow_revisions.slot, "
                "mentorflow_revisions.item, mentorflow_revisions.number"
            ),
            FAULT,
        ),
        (_sqlite("UNIQUE constraint failed: mentorflow_signatures.revision_id, mentorflow_signatures.person"), FAULT),
        (_sqlite("UNIQUE constraint failed: mentorflow_events.seq"), FAULT),
        (_sqlite("UNIQUE constraint failed: platform_users.email"), FAULT),
        (_sqlite("NOT NULL constraint failed: mentorflow_events.hash"), FAULT),
        (_sqlite("FOREIGN KEY constraint failed"), FAULT),
        (_sqlite("UNIQUE constraint failed"), FAULT),
        (_postgres(EVENT_SEQ), RACE),
        (_postgres(DEFINITION_HASH), RACE),
        (_postgres(DEFINITION_VERSION), RACE),
        (_postgres(RELATIONSHIP_ID), EXISTS),
        (_postgres("uq_mentorflow_revisions_relationship_id"), FAULT),
        (_postgres("fk_mentorflow_events_relationship_id_mentorflow_relationships"), FAULT),
        (_postgres("pg_type_typname_nsp_index"), FAULT),
        (_postgres(None), FAULT),
    ],
    ids=lambda value: value if isinstance(value, str) else str(value.orig).split(": ")[-1][:60],
)
def test_each_broken_constraint_has_its_meaning(error: IntegrityError, code: str) -> None:
    """Recognised by name (PostgreSQL) or by columns (SQLite); unknown constraints are faults, not races."""
    with pytest.raises(MentorflowError) as caught, translated():
        raise error
    assert caught.value.code == code
    assert caught.value.__cause__ is error


def test_a_fault_names_the_constraint_and_what_the_database_said() -> None:
    """An integrity fault's message says which constraint the database reported, so a reader can look for it."""
    fault = integrity_error(_postgres("uq_mentorflow_revisions_relationship_id"))
    assert isinstance(fault, IntegrityFault)
    assert str(fault) == (
        "the database refused a write that breaks constraint uq_mentorflow_revisions_relationship_id: "
        "duplicate key value violates unique constraint"
    )
    assert "mentorflow verify" in fault.hint


def test_the_named_constraints_are_those_the_migrations_created(mf: Mentorflow) -> None:
    """Every constraint the translation knows by name exists under that name in a migrated database."""
    inspector = inspect(mf.engine)
    names = set()
    for table in ("mentorflow_definitions", "mentorflow_relationships", "mentorflow_events"):
        names |= {constraint["name"] for constraint in inspector.get_unique_constraints(table)}
        names.add(inspector.get_pk_constraint(table)["name"])
    assert {EVENT_SEQ, DEFINITION_HASH, DEFINITION_VERSION, RELATIONSHIP_ID} <= names


# -- on a real database, each backend -----------------------------------------------------------------------------


def test_appending_a_taken_seq_is_a_lost_race(mf: Mentorflow) -> None:
    """A second event at a seq already in the chain is `concurrency.conflict`, the error the service retries."""
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    row = {"relationship_id": rel_id, "seq": 1, "kind": "x", "actor": "ann", "at": AT, "payload": "{}", "hash": "0"}
    conflict = pytest.raises(ConcurrencyConflict, match="another writer changed the same relationship")
    with conflict, transaction(mf.engine, None) as session:
        session.execute(insert(EventRow), row)
    assert [event.seq for event in mf.history(rel_id)] == [1]


def test_a_definition_registered_meanwhile_is_a_lost_race(mf: Mentorflow) -> None:
    """Storing a definition another writer has just stored (both looked, neither found it) is
    `concurrency.conflict`: the retry finds it stored and goes on."""
    mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN)
    with mf.engine.connect() as connection:
        row = connection.execute(select(Definition.__table__)).one()
    same = r"another writer registered the same workflow (definition|version) at the same time"
    with pytest.raises(ConcurrencyConflict, match=same), transaction(mf.engine, None) as session:
        session.execute(insert(Definition), dict(row._mapping))


def test_inserting_a_taken_relationship_id_says_it_exists(mf: Mentorflow) -> None:
    """The primary key of relationships, broken, is `relationship.exists`, whatever statement broke it."""
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    with mf.engine.connect() as connection:
        row = connection.execute(select(RelationshipRow.__table__).where(RelationshipRow.id == rel_id)).one()
    exists = pytest.raises(RelationshipExists, match="a relationship with this id already exists")
    with exists, transaction(mf.engine, None) as session:
        session.execute(statements.INSERT_RELATIONSHIP, dict(row._mapping))


def test_a_start_that_loses_the_race_for_its_id_is_told_it_exists_at_once(
    mf: Mentorflow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When another start took the id after this one looked (the look is patched blind here), the insert's broken
    primary key is `relationship.exists` naming the id, and the start is not retried."""
    mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN, id="shared")
    looks: list[object] = []
    blind = statements.RELATIONSHIP_EXISTS.where(false())
    monkeypatch.setattr(repo, "RELATIONSHIP_EXISTS", blind)

    def listen(connection: object) -> None:
        looks.append(connection)

    event.listen(mf.engine, "begin", listen)
    try:
        with pytest.raises(RelationshipExists, match="a relationship with id 'shared' already exists") as caught:
            mf.start("traditional-dyad", {"mentor": "cy", "mentee": "dee"}, actor=ADMIN, id="shared")
    finally:
        event.remove(mf.engine, "begin", listen)
    assert caught.value.relationship == "shared"
    assert len(looks) == 1
    assert [person.person for person in mf.status("shared").participants] == ["ann", "bob"]


@pytest.fixture
def refusing_revisions(mf: Mentorflow) -> Iterator[str]:
    """A rule a platform's administrator added to the database: it refuses every new revision."""
    name = "ck_platform_no_revisions"
    with mf.engine.begin() as connection:
        if mf.engine.dialect.name == "sqlite":
            connection.exec_driver_sql(
                f"CREATE TRIGGER {name} BEFORE INSERT ON mentorflow_revisions "
                f"BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: {name}'); END"
            )
        else:
            connection.exec_driver_sql(
                f"ALTER TABLE mentorflow_revisions ADD CONSTRAINT {name} CHECK (false) NOT VALID"
            )
    yield name
    with mf.engine.begin() as connection:
        if mf.engine.dialect.name == "sqlite":
            connection.exec_driver_sql(f"DROP TRIGGER {name}")
        else:
            connection.exec_driver_sql(f"ALTER TABLE mentorflow_revisions DROP CONSTRAINT {name}")


def test_a_broken_constraint_that_is_no_race_is_a_fault_and_not_retried(
    make_mf: MakeMentorflow, refusing_revisions: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A constraint that says nothing of a race is `storage.integrity` at once, naming the constraint: not eight
    retries ending in `concurrency.conflict`."""
    mf = make_mf(retries=8)
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    attempts: list[str] = []
    original = repo.load_snapshot

    def load(session: Session, bundles: Bundles, relationship_id: str) -> Snapshot:
        attempts.append(relationship_id)
        return original(session, bundles, relationship_id)

    monkeypatch.setattr(repo, "load_snapshot", load)
    with pytest.raises(IntegrityFault, match=f"the database refused a write that breaks .*{refusing_revisions}"):
        mf.submit(rel_id, "idp", valid("idp"), actor="bob")
    assert attempts == [rel_id]
    assert [event.kind for event in mf.history(rel_id)] == ["started"]


def test_violated_names_only_our_constraints() -> None:
    """Columns that no constraint of ours covers name nothing: the caller then reports a plain fault."""
    assert violated(_sqlite("UNIQUE constraint failed: mentorflow_events.relationship_id, mentorflow_events.seq")) == (
        EVENT_SEQ
    )
    assert violated(_sqlite("UNIQUE constraint failed: a.x, b.y")) is None
