"""Obligations: when each is due, whether it is met, and when it is overdue (strictly after due_at)."""

from __future__ import annotations

import datetime as dt

import pytest

from mentorflow import Actor, Mentorflow, ObligationState
from tests.conftest import START, FakeClock
from tests.content import valid

DAY = dt.timedelta(days=1)
SECOND = dt.timedelta(seconds=1)
NOTE = {"text": "hello"}


def obligation(mf: Mentorflow, rel_id: str, label: str) -> ObligationState:
    [found] = [o for o in mf.status(rel_id).obligations if o.requirement == label]
    return found


@pytest.fixture
def dyad(mf: Mentorflow) -> str:
    return mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=Actor.admin()).id


@pytest.fixture
def rel_id(gates: Mentorflow) -> str:
    return gates.start("gates", {"lead": "lea", "member": ["max", "mia"]}, actor=Actor.admin()).id


@pytest.mark.parametrize(
    ("after", "overdue"),
    [
        (dt.timedelta(0), False),
        (30 * DAY - SECOND, False),
        (30 * DAY, False),
        (30 * DAY + SECOND, True),
        (90 * DAY, True),
    ],
)
def test_within_days_is_overdue_strictly_after_due_at(
    mf: Mentorflow, dyad: str, clock: FakeClock, after: dt.timedelta, overdue: bool
) -> None:
    """`complete: idp, within_days: 30` is due 30 days after entering the state; exactly then is not late."""
    clock.set(START + after)
    state = obligation(mf, dyad, "idp complete within 30 days")
    assert (state.due_at, state.met, state.overdue) == (START + 30 * DAY, False, overdue)


def test_within_days_met_is_never_overdue(mf: Mentorflow, dyad: str, clock: FakeClock) -> None:
    """Once the IDP is complete the obligation is met, even when checked long after its due date."""
    clock.advance(40)
    mf.submit(dyad, "idp", valid("idp"), actor="bob")
    state = obligation(mf, dyad, "idp complete within 30 days")
    assert (state.met, state.overdue) == (True, False)


def test_obligations_restart_when_the_state_changes(mf: Mentorflow, dyad: str, clock: FakeClock) -> None:
    """A new state brings its own obligations, due from the moment it was entered."""
    clock.advance(3)
    mf.submit(dyad, "idp", valid("idp"), actor="bob")
    mf.fire(dyad, "negotiate", actor="bob")
    [state] = mf.status(dyad).obligations
    assert (state.requirement, state.due_at, state.met) == ("agreement signed within 30 days", START + 33 * DAY, False)


@pytest.mark.parametrize(
    ("after", "met", "overdue"),
    [
        (3 * DAY, True, False),
        (9 * DAY, True, False),
        (9 * DAY + SECOND, False, True),
    ],
)
def test_every_days_count_lapses_one_period_after_the_nth_newest_item(
    gates: Mentorflow, rel_id: str, clock: FakeClock, after: dt.timedelta, met: bool, overdue: bool
) -> None:
    """`count: log, min: 2, every_days: 7` holds until the second-newest log is more than 7 days old."""
    clock.advance(2)
    gates.submit(rel_id, "log", NOTE, actor="max")
    clock.advance(1)
    gates.submit(rel_id, "log", NOTE, actor="mia")
    clock.set(START + after)
    state = obligation(gates, rel_id, ">= 2 log every 7 days")
    assert (state.due_at, state.met, state.overdue) == (START + 9 * DAY, met, overdue)


@pytest.mark.parametrize(
    ("after", "overdue"),
    [
        (7 * DAY, False),
        (7 * DAY + SECOND, True),
    ],
)
def test_every_days_is_not_due_during_the_first_period(
    gates: Mentorflow, rel_id: str, clock: FakeClock, after: dt.timedelta, overdue: bool
) -> None:
    """Nothing recurring is due in the first period after entering the state; then it is, and unmet is late."""
    clock.set(START + after)
    state = obligation(gates, rel_id, ">= 2 log every 7 days")
    assert (state.due_at, state.met, state.overdue) == (START + 7 * DAY, False, overdue)


def test_every_days_signed_lapses_with_the_oldest_signature(gates: Mentorflow, rel_id: str, clock: FakeClock) -> None:
    """`signed: doc, every_days: 20` is next due 20 days after the first of the signatures."""
    gates.submit(rel_id, "doc", NOTE, actor="max")
    for person, day in (("lea", 1), ("max", 2), ("mia", 5)):
        clock.set(START + day * DAY)
        gates.sign(rel_id, "doc", actor=person, revision=1)
    clock.set(START + 21 * DAY)
    assert obligation(gates, rel_id, "doc signed every 20 days") == ObligationState(
        requirement="doc signed every 20 days", due_at=START + 21 * DAY, met=True, overdue=False, slot="doc"
    )
    clock.advance(seconds=1)
    state = obligation(gates, rel_id, "doc signed every 20 days")
    assert (state.met, state.overdue) == (False, True)


def test_every_days_complete_by_waits_for_each_person(gates: Mentorflow, rel_id: str, clock: FakeClock) -> None:
    """`complete: log, by: [member], every_days: 30` lapses 30 days after the member who submitted longest ago."""
    clock.set(START + 1 * DAY)
    gates.submit(rel_id, "log", NOTE, actor="max")
    not_yet = obligation(gates, rel_id, "log complete by each member every 30 days")
    clock.set(START + 4 * DAY)
    gates.submit(rel_id, "log", NOTE, actor="mia")
    both = obligation(gates, rel_id, "log complete by each member every 30 days")
    assert (not_yet.due_at, not_yet.met) == (START + 30 * DAY, False)
    assert (both.due_at, both.met) == (START + 31 * DAY, True)


def test_every_days_current_lapses_when_the_item_gets_too_old(gates: Mentorflow, rel_id: str, clock: FakeClock) -> None:
    """`current: log, max_age_days: 5, every_days: 10` is due when the newest log turns 5 days old."""
    clock.set(START + 12 * DAY)
    gates.submit(rel_id, "log", NOTE, actor="max")
    gates.submit(rel_id, "log", {"tags": ["draft"]}, actor="max")
    fresh = obligation(gates, rel_id, "log within 5 days every 10 days")
    clock.set(START + 18 * DAY)
    stale = obligation(gates, rel_id, "log within 5 days every 10 days")
    assert (fresh.due_at, fresh.met, fresh.overdue) == (START + 17 * DAY, True, False)
    assert (stale.due_at, stale.met, stale.overdue) == (START + 17 * DAY, False, True)


def test_the_meeting_rhythm_of_a_dyad(mf: Mentorflow, dyad: str, clock: FakeClock) -> None:
    """In early meetings, one meeting every 30 days is due 30 days after the last one."""
    mf.submit(dyad, "idp", valid("idp"), actor="bob")
    mf.fire(dyad, "negotiate", actor="bob")
    mf.fire(dyad, "launch", actor=Actor.admin(), force=True, reason="paper agreement on file")
    launched = clock.now
    clock.advance(20)
    mf.submit(dyad, "meeting", valid("meeting"), actor="ann")
    clock.advance(25)
    state = obligation(mf, dyad, ">= 1 meeting every 30 days")
    assert (state.due_at, state.met, state.overdue) == (launched + 50 * DAY, True, False)
    clock.advance(6)
    assert obligation(mf, dyad, ">= 1 meeting every 30 days").overdue


@pytest.mark.parametrize(
    ("label", "slot"),
    [
        ("doc signed every 20 days", "doc"),
        (">= 2 log every 7 days", "log"),
        ("log complete by each member every 30 days", "log"),
        ("log within 5 days every 10 days", "log"),
    ],
)
def test_an_obligation_names_its_slot(gates: Mentorflow, rel_id: str, label: str, slot: str) -> None:
    """Each obligation carries the slot it is about, so that nobody parses the phrase to find it."""
    assert obligation(gates, rel_id, label).slot == slot
