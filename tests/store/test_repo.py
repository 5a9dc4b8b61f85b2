"""The repository's reads: definitions by hash, events, counts and bulk snapshots."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from mentorflow import Actor, Mentorflow, NotFound
from mentorflow.store import queries, records, repo
from tests.content import valid

ADMIN = Actor.admin("carol")


@pytest.fixture
def two(mf: Mentorflow) -> list[str]:
    first = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    mf.submit(first, "idp", valid("idp"), actor="bob")
    second = mf.start("informal-peer", {"peer": ["pat", "quin"]}, actor=ADMIN).id
    return [first, second]


def test_a_definition_is_loaded_from_the_database_when_not_cached(
    mf: Mentorflow, two: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a cold cache, the stored definition is read, parsed and cached on the instance."""
    fresh = Mentorflow(mf.engine)
    assert len(fresh.bundles) == 0
    assert fresh.status(two[0]).workflow == "traditional-dyad"
    assert len(fresh.bundles) == 1


def test_an_unknown_definition_hash_is_not_found(mf: Mentorflow) -> None:
    """Asking for a definition nobody stored is `storage.missing_definition`."""
    with Session(mf.engine) as session, pytest.raises(NotFound, match="no stored definition 000000000000") as caught:
        mf.bundles.get(session, "0" * 64)
    assert caught.value.code == "storage.missing_definition"


def test_events_and_counts_cover_every_relationship(mf: Mentorflow, two: list[str]) -> None:
    """`events_of` without ids reads every log, ordered by relationship and seq; the count matches."""
    with Session(mf.engine) as session:
        events = [(row.relationship_id, row.seq) for row in repo.events_of(session)]
    assert len({relationship for relationship, _ in events}) == 2
    assert sorted(events) == events
    assert sorted(events) == sorted([(two[0], 1), (two[0], 2), (two[1], 1)])


def test_bulk_snapshots_can_be_limited_to_ids(mf: Mentorflow, two: list[str]) -> None:
    """`load_snapshots(ids=...)` loads just those relationships, with their artifacts."""
    with Session(mf.engine) as session:
        [snapshot] = list(queries.load_snapshots(session, mf.bundles, ids=[two[0]]))
    assert (snapshot.id, snapshot.state, list(snapshot.items)) == (two[0], "preparing", ["idp"])


def test_bulk_snapshots_come_in_batches(mf: Mentorflow, two: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Relationships are loaded a batch at a time; the result is the same."""
    monkeypatch.setattr(queries, "BATCH", 1)
    with Session(mf.engine) as session:
        assert sorted(s.id for s in queries.load_snapshots(session, mf.bundles)) == sorted(two)
        assert sorted(r.row.id for r in records.records(session)) == sorted(two)
