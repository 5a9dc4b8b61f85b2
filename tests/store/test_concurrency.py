"""Lost races: compare-and-set on the relationship row, bounded retries that re-read and re-evaluate."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from mentorflow import Actor, Blocked, ConcurrencyConflict, Mentorflow, MentorflowError
from mentorflow.engine.snapshot import Snapshot
from mentorflow.store import Bundles, repo
from mentorflow.store.tables import RelationshipRow
from tests.conftest import POSTGRES, Database, MakeMentorflow
from tests.content import valid

ADMIN = Actor.admin("carol")
LoadSnapshot = Callable[[Session, Bundles, str], Snapshot]


def _racing(times: int, calls: list[str]) -> LoadSnapshot:
    """A `load_snapshot` after which another writer moves the row on, the first ``times`` times."""
    original = repo.load_snapshot

    def load(session: Session, bundles: Bundles, relationship_id: str) -> Snapshot:
        snapshot = original(session, bundles, relationship_id)
        calls.append(relationship_id)
        if len(calls) <= times:
            session.execute(
                update(RelationshipRow)
                .where(RelationshipRow.id == relationship_id)
                .values(lock_version=RelationshipRow.lock_version + 1)
            )
        return snapshot

    return load


def test_a_lost_race_is_retried(mf: Mentorflow, monkeypatch: pytest.MonkeyPatch) -> None:
    """When the row moved between read and write, the write is re-read and retried, and lands once."""
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    calls: list[str] = []
    monkeypatch.setattr(repo, "load_snapshot", _racing(2, calls))
    revision = mf.submit(rel_id, "idp", valid("idp"), actor="bob")
    assert (len(calls), revision.revision) == (3, 1)
    assert [e.seq for e in mf.history(rel_id)] == [1, 2]
    assert mf.verify().ok


def test_retries_are_bounded(make_mf: MakeMentorflow, monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer that always loses gives up after `retries` attempts with `concurrency.conflict`."""
    mf = make_mf(retries=3)
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    calls: list[str] = []
    monkeypatch.setattr(repo, "load_snapshot", _racing(100, calls))
    with pytest.raises(
        ConcurrencyConflict, match=f"relationship '{rel_id}' changed while this write was prepared"
    ) as caught:
        mf.submit(rel_id, "idp", valid("idp"), actor="bob")
    assert (caught.value.code, len(calls)) == ("concurrency.conflict", 3)
    assert caught.value.hint == "Another writer changed the relationship at the same time; try again."
    assert [e.kind for e in mf.history(rel_id)] == ["started"]


# SQLite serialises writers (BEGIN IMMEDIATE): no write can land between another's read and write there.
@pytest.mark.parametrize("database", [POSTGRES], indirect=True)
def test_a_retry_re_evaluates_the_requirements(
    make_mf: MakeMentorflow, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The winner's write is seen by the retry: a second `negotiate` that lost the race is then unknown."""
    first, second = make_mf(), make_mf()
    rel_id = first.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    first.submit(rel_id, "idp", valid("idp"), actor="bob")
    original = repo.load_snapshot
    calls: list[str] = []

    def load(session: Session, bundles: Bundles, relationship_id: str) -> Snapshot:
        snapshot = original(session, bundles, relationship_id)
        calls.append(relationship_id)
        if len(calls) == 1:
            with monkeypatch.context() as inner:
                inner.setattr(repo, "load_snapshot", original)
                second.fire(rel_id, "negotiate", actor="ann")
        return snapshot

    monkeypatch.setattr(repo, "load_snapshot", load)
    with pytest.raises(MentorflowError, match="trigger 'negotiate' does not fire from state 'negotiating'"):
        first.fire(rel_id, "negotiate", actor="bob")
    assert len(calls) == 2
    assert [e.actor for e in first.history(rel_id) if e.kind == "transitioned"] == ["ann"]


def test_concurrent_writers_all_land_on_a_gapless_chain(make_mf: MakeMentorflow) -> None:
    """Threads with their own `Mentorflow` writing to one relationship all succeed; seq has no gaps."""
    writers = [make_mf(retries=40) for _ in range(6)]
    rel_id = writers[0].start("informal-peer", {"peer": ["pat", "quin"]}, actor=ADMIN).id
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(writers))

    def work(mf: Mentorflow) -> None:
        try:
            barrier.wait()
            for _ in range(3):
                mf.submit(rel_id, "meeting", valid("meeting"), actor="pat")
        except BaseException as exc:  # noqa: BLE001 - reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(mf,)) for mf in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    history = writers[0].history(rel_id)
    assert [e.seq for e in history] == list(range(1, 20))
    assert sorted(e.payload["item"] for e in history[1:]) == list(range(1, 19))
    assert writers[0].verify().ok


def test_two_starts_with_one_id_leave_one_relationship(make_mf: MakeMentorflow) -> None:
    """Racing to start the same id, one wins and the other is told it exists."""
    writers = [make_mf(), make_mf()]
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def work(mf: Mentorflow) -> None:
        barrier.wait()
        try:
            mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, id="shared", actor=ADMIN)
            outcomes.append("started")
        except MentorflowError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=work, args=(mf,)) for mf in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["relationship.exists", "started"]
    assert [e.kind for e in writers[0].history("shared")] == ["started"]


def test_a_blocked_write_is_not_retried(mf: Mentorflow, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only lost races are retried; a refusal is final at once."""
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    calls: list[str] = []
    monkeypatch.setattr(repo, "load_snapshot", _racing(0, calls))
    with pytest.raises(Blocked):
        mf.fire(rel_id, "negotiate", actor="bob")
    assert len(calls) == 1
