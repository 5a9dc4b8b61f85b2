"""The change feed: every committed event and reminder once, numbered in commit order, and nothing uncommitted."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from mentorflow import Actor, Blocked, InvalidInput, Mentorflow
from mentorflow.store.feed import Change, ChangePage
from tests.conftest import POSTGRES, FakeClock
from tests.content import valid

ADMIN = Actor.admin("carol")


def _all(mf: Mentorflow, after: int = 0, limit: int = 3) -> list[Change]:
    """Every change after ``after``, read in small pages as a poller would."""
    seen: list[Change] = []
    while True:
        page = mf.changes(after=after, limit=limit)
        if not page.changes:
            assert page.next == after
            return seen
        seen += page.changes
        after = page.next


def test_every_write_enters_the_feed_once_in_order(mf: Mentorflow) -> None:
    rel = mf.start("micro-mentoring", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    mf.submit(rel, "idp", valid("idp"), actor="bob")
    mf.submit(rel, "brief", valid("micro_brief"), actor="bob")
    mf.fire(rel, "schedule", actor="ann")
    changes = _all(mf)
    history = mf.history(rel)
    assert [c.position for c in changes] == list(range(1, len(history) + 1))
    assert [(c.relationship, c.seq, c.kind) for c in changes] == [(rel, e.seq, e.kind) for e in history]
    assert [c.at for c in changes] == [e.at for e in history]
    assert [c.payload for c in changes] == [e.payload for e in history]
    assert all(c.id == f"evt_{e.hash[:32]}" for c, e in zip(changes, history, strict=True))
    assert all(c.people == ["ann", "bob"] for c in changes)


def test_people_follow_who_joins_and_leaves(mf: Mentorflow) -> None:
    rel = mf.start("group", {"mentor": ["ann", "al"], "mentee": ["bob", "cy", "di"]}, actor=ADMIN).id
    mf.join(rel, "mentee", "ed", actor=ADMIN)
    mf.leave(rel, "bob", actor=ADMIN)
    started, joined, left = _all(mf)
    assert started.people == ["al", "ann", "bob", "cy", "di"]
    assert (joined.kind, joined.people) == ("joined", ["al", "ann", "bob", "cy", "di", "ed"])
    assert (left.kind, left.people) == ("left", ["al", "ann", "cy", "di", "ed"])


def test_a_refused_write_leaves_no_change(mf: Mentorflow) -> None:
    rel = mf.start("micro-mentoring", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    with pytest.raises(Blocked):
        mf.fire(rel, "schedule", actor="ann")
    assert [c.kind for c in _all(mf)] == ["started"]


def test_reminders_are_changes_without_a_seq(mf: Mentorflow, clock: FakeClock) -> None:
    rel = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    after = mf.changes().next
    clock.advance(days=30)  # the idp falls due: a week's notice and the day itself
    recorded = mf.run_tick().reminders
    assert recorded
    changes = mf.changes(after=after).changes
    reminders = [c for c in changes if c.kind == "reminder"]
    assert len(reminders) == len(recorded)
    first, shown = recorded[0], reminders[0]
    assert (shown.relationship, shown.seq, shown.people) == (rel, None, first.people)
    assert shown.at == first.recorded_at
    assert shown.payload["state"] == first.state
    assert shown.payload["due_at"].endswith("Z")
    assert shown.id.startswith("rem_")
    assert len(shown.id) == 36
    clock.advance(hours=1)
    mf.run_tick()  # nothing new is owed: a tick records each reminder once, and the feed carries it once
    assert [c.id for c in mf.changes(after=after).changes].count(shown.id) == 1


def test_a_page_ends_where_the_next_begins(mf: Mentorflow) -> None:
    for person in ("bob", "cy", "dee"):
        mf.start("micro-mentoring", {"mentor": "ann", "mentee": person}, actor=ADMIN)
    first = mf.changes(limit=2)
    assert [c.position for c in first.changes] == [1, 2]
    assert first.next == 2
    rest = mf.changes(after=first.next)
    assert [c.position for c in rest.changes] == [3]
    assert mf.changes(after=rest.next) == ChangePage([], 3)
    assert mf.changes(after=99).next == 99


def test_an_uncommitted_write_is_numbered_after_it_commits(mf: Mentorflow) -> None:
    """The trap: the late transaction inserted its change first, yet a reader that already passed the other's
    position still receives it, after."""
    rel = mf.start("micro-mentoring", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    seen = mf.changes().next
    with Session(mf.engine) as session, session.begin():
        mf.submit(rel, "idp", valid("idp"), actor="bob", session=session)
        page = mf.changes(after=seen)  # the platform has not committed yet
        assert page.changes == []
        late = mf.history(rel, session=session)[-1]
    page = mf.changes(after=seen)
    assert [(c.seq, c.id) for c in page.changes] == [(late.seq, f"evt_{late.hash[:32]}")]


def test_a_rolled_back_platform_transaction_leaves_no_change(mf: Mentorflow) -> None:
    rel = mf.start("micro-mentoring", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    with Session(mf.engine) as session:
        session.begin()
        mf.submit(rel, "idp", valid("idp"), actor="bob", session=session)
        session.rollback()
    assert [c.kind for c in _all(mf)] == ["started"]


@pytest.mark.parametrize(
    ("after", "limit"),
    [(-1, 10), (0, 0), (0, 1001), (True, 10), ("3", 10), (0, 2.5), (0, None), (2**31, 10), (10**30, 10)],
    ids=str,
)
def test_bad_pages_are_refused(mf: Mentorflow, after: object, limit: object) -> None:
    with pytest.raises(InvalidInput, match="must be a whole number"):
        mf.changes(after=after, limit=limit)  # type: ignore[arg-type]


@pytest.mark.parametrize("database", [POSTGRES], indirect=True)  # SQLite has one writer at a time
def test_a_late_commit_lands_after_positions_already_read(mf: Mentorflow) -> None:
    """Two writers at once: the one that inserted its change first but commits last is numbered after the other,
    so a reader that has passed the other's position still receives it."""
    first = mf.start("micro-mentoring", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    second = mf.start("micro-mentoring", {"mentor": "ann", "mentee": "cy"}, actor=ADMIN).id
    seen = mf.changes().next
    with Session(mf.engine) as session, session.begin():
        mf.submit(first, "idp", valid("idp"), actor="bob", session=session)  # its change takes the lower id
        mf.submit(second, "idp", valid("idp"), actor="cy")  # committed meanwhile
        early = mf.changes(after=seen)
        assert [c.relationship for c in early.changes] == [second]
    late = mf.changes(after=early.next)
    assert [(c.relationship, c.position) for c in late.changes] == [(first, early.next + 1)]
