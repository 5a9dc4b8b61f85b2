"""As-of reads (DESIGN §13): a moment before the latest events answers as the database stood then."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mentorflow import Actor, Mentorflow, MentorflowError, NotFound, NotParticipant
from mentorflow.audit import asof
from mentorflow.engine.replay import apply_event
from mentorflow.store import read
from tests.conftest import START, FakeClock, MakeMentorflow
from tests.migration.support import ADMIN, PLAN, write_versions

NOTE = {"text": "hello"}
LEA = "lea"
DAY = dt.timedelta(days=1)


def at(days: float) -> dt.datetime:
    return START + days * DAY


def start(mf: Mentorflow, rel_id: str, **roles: Any) -> str:
    people = roles or {"lead": LEA, "member": ["max"]}
    return mf.start("gates", people, program="lab", actor=Actor.admin(), id=rel_id).id


@pytest.fixture
def story(gates: Mentorflow, clock: FakeClock) -> Mentorflow:
    """``early`` starts on day 0, gets a signed doc on days 1-2 and moves to review on day 10; ``late`` starts on
    day 20 with a new member. The clock is left on day 5."""
    start(gates, "early")
    clock.set(at(1))
    revision = gates.submit("early", "doc", NOTE, actor="max").revision
    clock.set(at(2))
    gates.sign("early", "doc", actor="max", revision=revision)
    clock.set(at(10))
    gates.fire("early", "to_review", actor=LEA)
    clock.set(at(20))
    start(gates, "late", lead=LEA, member=["nia"])
    clock.set(at(5))
    return gates


def test_a_relationship_started_later_is_absent(story: Mentorflow) -> None:
    """Before ``late`` started, audits, summaries, the report's rows and people's views do not know it."""
    assert [row.id for row in story.audit()] == ["early"]
    assert story.summary().total == 1
    summary, rows = story.overview()
    assert (summary.total, [row.id for row in rows]) == (1, ["early"])
    assert [r.id for r in story.person(LEA).relationships] == ["early"]
    assert story.person("nia").relationships == []


@pytest.mark.parametrize("read_one", ["status", "history"])
def test_status_of_a_later_relationship_is_not_found(story: Mentorflow, read_one: str) -> None:
    """Read before it started, a relationship is as unknown as an id that never existed."""
    with pytest.raises(NotFound, match="no relationship 'late'") as later:
        getattr(story, read_one)("late")
    with pytest.raises(NotFound) as unknown:
        getattr(story, read_one)("never")
    assert later.value.hint == unknown.value.hint


def test_a_moved_relationship_shows_its_old_state(story: Mentorflow, clock: FakeClock) -> None:
    """Moved on day 10, on day 5 it is still open, with days counted to day 5."""
    status = story.status("early")
    assert (status.state, status.days_in_state, status.last_activity_at) == ("open", 5, at(2))
    [row] = story.audit()
    assert (row.state, row.days_in_state, row.stalled_days) == ("open", 5, 3)
    clock.set(at(12))
    assert (story.status("early").state, story.status("early").days_in_state) == ("review", 2)


def test_documents_stand_as_they_were(story: Mentorflow, clock: FakeClock) -> None:
    """Between the submission and the signature, the doc is complete and not yet signed."""
    clock.set(at(1.5))
    [doc] = [a for a in story.status("early").artifacts if a.slot == "doc"]
    assert doc.signed_by == []
    clock.set(at(2.5))
    [doc] = [a for a in story.status("early").artifacts if a.slot == "doc"]
    assert doc.signed_by == ["max"]


def test_history_ends_at_the_moment(story: Mentorflow, clock: FakeClock) -> None:
    """The log read on day 1.5 holds the start and the submission, not what followed."""
    clock.set(at(1.5))
    assert [event.kind for event in story.history("early")] == ["started", "submitted"]
    clock.set(at(30))
    assert [event.kind for event in story.history("early")][-1] == "transitioned"


def test_a_person_reads_only_what_they_had_joined(story: Mentorflow, clock: FakeClock) -> None:
    """Someone who joined after the moment was not taking part then; who was reads as before."""
    clock.set(at(21))
    story.join("late", "member", "mia", actor=Actor.admin())
    clock.set(at(22))
    story.submit("late", "log", NOTE, actor="mia")
    clock.set(at(20.5))
    with pytest.raises(NotParticipant):
        story.status("late", actor="mia")
    assert story.status("late", actor="nia").state == "open"
    assert [r.id for r in story.person("mia").relationships] == []
    clock.set(at(21.5))
    assert story.status("late", actor="mia").id == "late"
    assert [r.id for r in story.person("mia").relationships] == ["late"]


def test_someone_who_left_later_was_still_there(story: Mentorflow, clock: FakeClock) -> None:
    """A person who left after the moment still takes part as of it, in ``person`` and in the audit's people."""
    clock.set(at(21))
    story.join("late", "member", "oli", actor=Actor.admin())
    clock.set(at(22))
    story.leave("late", "oli", actor=Actor.admin())
    clock.set(at(21.5))
    assert [(r.id, r.role) for r in story.person("oli").relationships] == [("late", "member")]
    assert [row.id for row in story.audit(person="oli")] == ["late"]
    late = {row.id: row for row in story.audit()}["late"]
    assert "oli" in [p.person for p in late.participants]
    assert [p.person for p in story.status("late").participants] == [LEA, "nia", "oli"]
    clock.set(at(23))
    start(story, "later", lead=LEA, member=["pia"])
    clock.set(at(22.5))
    assert story.person("oli").relationships == []
    assert story.audit(person="oli") == []
    assert [p.person for p in story.status("late").participants] == [LEA, "nia"]
    late = {row.id: row for row in story.audit()}["late"]
    assert [p.person for p in late.participants] == [LEA, "nia"]


def test_the_same_answers_with_and_without_the_standing_cache(story: Mentorflow, clock: FakeClock) -> None:
    """The cache describes now: refreshed at the latest moment, it changes nothing about day 5."""
    before = ([row.to_dict() for row in story.audit()], story.summary(), story.status("early"))
    clock.set(at(25))
    story.refresh()
    clock.set(at(5))
    after = ([row.to_dict() for row in story.audit()], story.summary(), story.status("early"))
    assert after == before


def test_the_summary_counts_the_past(story: Mentorflow, clock: FakeClock) -> None:
    """On day 15 both filters and the tallies read where each one stood: early in review, late not started."""
    clock.set(at(15))
    summary = story.summary()
    assert [(s.state, s.count) for s in summary.states] == [("review", 1)]
    assert story.summary(state="open").total == 0
    assert story.summary(workflow="gates", program="lab").total == 1
    assert [row.id for row in story.audit(state="review")] == ["early"]
    assert story.audit(state="open") == []


def test_the_summary_phases_and_outcomes_as_of(make_mf: MakeMentorflow, clock: FakeClock, tmp_path: Path) -> None:
    """The funnel, days per phase and outcomes count the stays and endings made by the moment only."""
    mf = make_mf(workflow_dirs=[write_versions(tmp_path / "workflows", running="active", peer_max=2)])
    rel = mf.start("circle", {"lead": "lee", "peer": ["pat"]}, actor=ADMIN, version=1, id="c1").id
    revision = mf.submit(rel, "plan", PLAN, actor="lee").revision
    mf.sign(rel, "plan", actor="lee", revision=revision)
    mf.sign(rel, "plan", actor="pat", revision=revision)
    clock.advance(days=4)
    mf.fire(rel, "begin", actor="lee")
    clock.advance(days=6)
    mf.fire(rel, "finish", actor="pat")
    clock.set(START + 5 * DAY)
    summary = mf.summary()
    assert [(f.phase, f.reached, f.current) for f in summary.funnel] == [("start", 1, 0), ("run", 1, 1)]
    assert [(d.phase, d.samples, d.median_days) for d in summary.phase_days] == [("start", 1, 4.0)]
    assert summary.active == 1
    assert mf.summary(phase="start").total == 0
    assert mf.summary(phase="run").total == 1


def test_overrides_as_of(story: Mentorflow, clock: FakeClock) -> None:
    """A forced transition shows from the moment it was forced, not before."""
    clock.set(at(21))
    story.fire("late", "stop", actor=Actor.admin(), force=True, reason="left the program")
    clock.set(at(22))
    start(story, "later", lead=LEA, member=["pia"])
    clock.set(at(20.5))
    assert {row.id: row.overrides for row in story.audit()}["late"] == ()
    clock.set(at(21.5))
    [forced] = {row.id: row.overrides for row in story.audit()}["late"]
    assert (forced.trigger, forced.reason) == ("stop", "left the program")


def test_a_migrated_relationship_replays_onto_its_new_definition(
    make_mf: MakeMentorflow, clock: FakeClock, tmp_path: Path
) -> None:
    """Before its migration it stands on version 1; after it on version 2, in the state it was moved to."""
    mf = make_mf(workflow_dirs=[write_versions(tmp_path / "workflows", running="active", peer_max=2)])
    rel = mf.start("circle", {"lead": "lee", "peer": ["pat"]}, actor=ADMIN, version=1, id="moved").id
    revision = mf.submit(rel, "plan", PLAN, actor="lee").revision
    mf.sign(rel, "plan", actor="lee", revision=revision)
    mf.sign(rel, "plan", actor="pat", revision=revision)
    mf.fire(rel, "begin", actor="lee")
    clock.advance(days=3)
    mf.migrate("circle", to_version=2, states={"running": "active"}, actor=ADMIN)
    clock.advance(days=3)
    mf.fire(rel, "finish", actor="pat")
    clock.set(START + 1 * DAY)
    assert (mf.status(rel).workflow_version, mf.status(rel).state) == (1, "running")
    clock.set(START + 4 * DAY)
    status = mf.status(rel)
    assert (status.workflow_version, status.state, status.days_in_state) == (2, "active", 4)


def test_today_reads_do_not_replay(story: Mentorflow, clock: FakeClock) -> None:
    """At or after the latest event a read is not of the past, so the current rows answer."""
    clock.set(at(20))
    with read(story.engine, None) as reading:
        assert not asof.in_the_past(reading, at(20))
        assert asof.in_the_past(reading, at(19))
        assert asof.person_snapshots(reading, story.bundles, LEA, at(20)) is None
        assert asof.person_snapshots(reading, story.bundles, "nobody", at(1)) is None


def test_an_event_the_replay_does_not_know_changes_nothing(story: Mentorflow) -> None:
    """Events that change no state (a kind added later, such as a recorded reminder) replay as no change."""
    with read(story.engine, None) as reading:
        found = asof.relationship_at(reading, story.bundles, "early", at(5))
    snapshot = found.snapshot
    same = apply_event(snapshot, "reminded", "system", at(6), {}, lambda _: snapshot.bundle)
    assert same is snapshot
    assert (same.state, same.seq) == ("open", 3)


# -- the property: an as-of read equals the read of a database that saw only the events up to then --------------

Step = tuple[str, float]
STEPS = st.lists(
    st.tuples(st.sampled_from(["submit_doc", "sign_doc", "log", "join", "leave", "review", "stop"]), st.floats(0, 4)),
    max_size=8,
)
_ids = itertools.count()


def _play(mf: Mentorflow, rel_id: str, kind: str) -> None:
    """One step of a random history; a step the engine refuses leaves nothing behind and is skipped."""
    try:
        if kind == "submit_doc":
            mf.submit(rel_id, "doc", {"text": f"v{next(_ids)}"}, actor="max")
        elif kind == "sign_doc":
            for doc in [a for a in mf.status(rel_id).artifacts if a.slot == "doc"]:
                mf.sign(rel_id, "doc", actor=LEA, revision=doc.revision)
        elif kind == "log":
            mf.submit(rel_id, "log", NOTE, actor="max")
        elif kind == "join":
            mf.join(rel_id, "member", "mia", actor=Actor.admin())
        elif kind == "leave":
            mf.leave(rel_id, "mia", actor=Actor.admin())
        elif kind == "review":
            mf.fire(rel_id, "to_review", actor=LEA)
        else:
            mf.fire(rel_id, "stop", actor=Actor.admin(), force=True, reason="ended")
    except MentorflowError:
        pass


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS, moment=st.floats(0, 1))
def test_as_of_equals_the_database_that_saw_only_the_past(
    gates: Mentorflow, clock: FakeClock, steps: list[Step], moment: float
) -> None:
    """For a random history and a random moment, the as-of status and audit row are the ones read at that moment
    by a database that had received only the events up to it."""
    rel_id = f"prop-{next(_ids)}"
    base = clock.advance(days=30)  # later than every earlier example, so a read at ``when`` is not of the past
    start(gates, rel_id)
    span = sum(gap for _, gap in steps) + 1
    when = base + span * moment * DAY
    seen: tuple[Any, ...] | None = None
    for kind, gap in steps:
        if seen is None and clock() + gap * DAY > when:
            seen = _read(gates, clock, rel_id, when)
        clock.advance(days=gap)
        _play(gates, rel_id, kind)
    seen = seen or _read(gates, clock, rel_id, when)
    clock.set(base + (span + 1) * DAY)
    assert _read(gates, clock, rel_id, when) == seen


def _read(mf: Mentorflow, clock: FakeClock, rel_id: str, when: dt.datetime) -> tuple[Any, ...]:
    """The status, audit row and history of ``rel_id`` at ``when``; the clock is put back after."""
    now = clock()
    clock.set(when)
    try:
        [row] = [row.to_dict() for row in mf.audit() if row.id == rel_id]
        return mf.status(rel_id), row, [event.seq for event in mf.history(rel_id)]
    finally:
        clock.set(now)
