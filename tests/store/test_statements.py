"""The statements of the hot path: what a write runs, what a snapshot reads, and how write transactions begin."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from mentorflow import Actor, Mentorflow, StorageError
from mentorflow.store import queries, repo, statements, transaction
from mentorflow.store.faults import translated
from tests.conftest import Database
from tests.content import valid

ADMIN = Actor.admin("carol")


@pytest.fixture
def ready(mf: Mentorflow) -> str:
    """A dyad in `negotiating` whose IDP and agreement both people signed: `launch` fires."""
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    mf.submit(rel_id, "idp", valid("idp"), actor="bob")
    mf.fire(rel_id, "negotiate", actor="bob")
    mf.submit(rel_id, "agreement", valid("agreement"), actor="ann")
    for slot in ("idp", "agreement"):
        for person in ("ann", "bob"):
            revision = next(a.revision for a in mf.status(rel_id).artifacts if a.slot == slot)
            mf.sign(rel_id, slot, actor=person, revision=revision)
    return rel_id


@pytest.fixture
def statements_seen(mf: Mentorflow) -> Iterator[list[str]]:
    """Every statement sent to the database while the test runs, first words only (as a tracing tool sees them)."""
    seen: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(mf.engine, "before_cursor_execute", listen)
    yield seen
    event.remove(mf.engine, "before_cursor_execute", listen)


def _verb_and_table(statement: str) -> tuple[str, str]:
    words = statement.split()
    after = {"SELECT": "FROM", "UPDATE": "UPDATE", "INSERT": "INTO"}[words[0]]
    return words[0], words[words.index(after) + 1]


def test_a_fire_is_two_reads_and_three_writes(mf: Mentorflow, ready: str, statements_seen: list[str]) -> None:
    """A fire reads the head with its people and the revisions with their signatures, then moves the head,
    appends its event and adds it to the change feed: five statements, each seen by a platform's listeners."""
    mf.fire(ready, "launch", actor="ann")
    work = [statement for statement in statements_seen if not statement.startswith("BEGIN")]
    assert [_verb_and_table(statement) for statement in work] == [
        ("SELECT", "mentorflow_relationships"),
        ("SELECT", "mentorflow_revisions"),
        ("UPDATE", "mentorflow_relationships"),
        ("INSERT", "mentorflow_events"),
        ("INSERT", "mentorflow_changes"),
    ]
    assert "LEFT OUTER JOIN mentorflow_participants" in work[0]
    assert "LEFT OUTER JOIN mentorflow_signatures" in work[1]


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_sqlite_writes_begin_immediate_and_reads_do_not(
    mf: Mentorflow, ready: str, statements_seen: list[str], database: Database
) -> None:
    """A write takes SQLite's write lock when it begins (no deadlock upgrading a read lock); a read does not."""
    mf.status(ready)
    reads = list(statements_seen)
    statements_seen.clear()
    mf.fire(ready, "launch", actor="ann")
    assert reads[0] == "BEGIN"
    assert statements_seen[0] == "BEGIN IMMEDIATE"
    assert statements_seen.count("BEGIN IMMEDIATE") == 1


def test_a_lost_compare_and_set_touches_no_row(mf: Mentorflow, ready: str) -> None:
    """The head moves only from the lock version it was read at: from any other, no row changes."""
    with mf.engine.connect() as connection, connection.begin():
        head = connection.execute(statements.HEAD_AND_PEOPLE, {"id": ready}).first()
        assert head is not None
        moved = {"b_id": ready, "b_seq": head.seq, "b_hash": head.last_hash, "b_at": head.last_event_at}
        stale = {**moved, "b_expected": head.lock_version - 1, "b_next": head.lock_version}
        assert connection.execute(statements.UPDATE_HEAD, stale).rowcount == 0
        current = {**moved, "b_expected": head.lock_version, "b_next": head.lock_version + 1}
        assert connection.execute(statements.UPDATE_HEAD, current).rowcount == 1
        connection.rollback()


def test_a_snapshot_holds_only_the_latest_revisions_signatures(mf: Mentorflow) -> None:
    """Signatures of a revision that a later one replaced are void: the snapshot's latest has none of them."""
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    first = mf.submit(rel_id, "idp", valid("idp"), actor="bob")
    mf.sign(rel_id, "idp", actor="bob", revision=first.revision)
    mf.sign(rel_id, "idp", actor="ann", revision=first.revision)
    second = mf.submit(rel_id, "idp", valid("idp") | {"career_stage": "early_career"}, actor="bob")
    mf.sign(rel_id, "idp", actor="ann", revision=second.revision)
    with Session(mf.engine) as session:
        snapshot = repo.load_snapshot(session, mf.bundles, rel_id)
    [idp] = snapshot.items["idp"].values()
    assert (idp.revisions, idp.latest.number, sorted(idp.latest.signatures)) == (2, second.revision, ["ann"])
    assert snapshot.participants == {"mentor": ["ann"], "mentee": ["bob"]}


def test_one_snapshot_and_many_read_the_same(mf: Mentorflow, ready: str) -> None:
    """A snapshot read alone (the write path) equals the same relationship read in bulk (the audit path)."""
    other = mf.start("informal-peer", {"peer": ["pat", "quin", "ray"]}, actor=ADMIN).id
    mf.leave(other, "ray", actor=ADMIN, reason="moved away")
    for person in ("pat", "quin"):
        mf.submit(other, "meeting", valid("meeting"), actor=person)
    with Session(mf.engine) as session:
        alone = [repo.load_snapshot(session, mf.bundles, rel_id) for rel_id in (ready, other)]
        together = list(queries.load_snapshots(session, mf.bundles, ids=[ready, other]))
    assert sorted(together, key=lambda snapshot: snapshot.id) == sorted(alone, key=lambda snapshot: snapshot.id)
    assert alone[1].participants == {"peer": ["pat", "quin"]}


def test_a_missing_schema_is_reported_as_such(database: Database) -> None:
    """A statement on a database without mentorflow's tables is `storage.no_schema`, caused by SQLAlchemy's error."""
    engine = create_engine(database.empty_url)
    try:
        with pytest.raises(StorageError) as caught, translated(), engine.connect() as connection:
            connection.execute(statements.HEAD_AND_PEOPLE, {"id": "nobody"})
    finally:
        engine.dispose()
    assert caught.value.code == "storage.no_schema"
    assert isinstance(caught.value.__cause__, DBAPIError)


def test_writing_keeps_no_engine_alive(database: Database) -> None:
    """Nothing in mentorflow holds on to an engine it wrote with: once the platform drops it, it is freed."""

    def write_once() -> weakref.ref[Engine]:
        mf = Mentorflow(database.url)
        mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN)
        with transaction(mf.engine, None) as session:
            session.execute(text("SELECT 1"))
        mf.engine.dispose()
        return weakref.ref(mf.engine)

    engine = write_once()
    gc.collect()
    assert engine() is None
