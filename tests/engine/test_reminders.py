"""The planning of reminders, with no database: which moment of a cadence is owed at a time, and from when."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mentorflow.definitions.models import Remind, Workflow
from mentorflow.engine.reminders import earliest_reminder_days, latest_offset

DUE = dt.datetime(2026, 4, 1, 9, tzinfo=dt.UTC)
SINCE = DUE - dt.timedelta(days=30)
CADENCE = Remind(before_days=[7, 0], overdue_every_days=7)


def _at(days: float) -> dt.datetime:
    return DUE + dt.timedelta(days=days)


@pytest.mark.parametrize(
    ("days", "offset"),
    [
        (-31, None),  # before the stay in the state began
        (-8, None),  # no moment has come yet
        (-7, -7),
        (-0.5, -7),
        (0, 0),
        (6.9, 0),
        (7, 7),
        (20, 14),  # a late tick: only the latest moment
    ],
)
def test_the_latest_moment_that_has_come_is_owed(days: float, offset: int | None) -> None:
    """A week before, on the day, then weekly: the offset owed at each time is the latest one passed."""
    assert latest_offset(CADENCE, DUE, SINCE, _at(days)) == offset


def test_moments_before_the_state_was_entered_are_skipped() -> None:
    """A reminder "7 days before" an obligation due 3 days after entering the state never comes; "on the day" does."""
    since = DUE - dt.timedelta(days=3)
    assert latest_offset(CADENCE, DUE, since, _at(-1)) is None
    assert latest_offset(CADENCE, DUE, since, _at(0)) == 0
    late = DUE + dt.timedelta(days=10)  # entered after the due date: repeats from then on, never earlier ones
    assert latest_offset(CADENCE, DUE, late, _at(12)) is None
    assert latest_offset(CADENCE, DUE, late, _at(14)) == 14


def test_without_repeats_nothing_is_owed_after_the_last_moment_but_that_moment() -> None:
    """With no `overdue_every_days`, the last moment before the due date stays the latest one owed."""
    assert latest_offset(Remind(before_days=[1]), DUE, SINCE, _at(40)) == -1
    assert latest_offset(Remind(), DUE, SINCE, _at(40)) is None


def _moments(remind: Remind, until: float) -> list[float]:
    """Every moment of the cadence in days from the due date, up to ``until``."""
    found = sorted(-days for days in remind.before_days)
    every = remind.overdue_every_days
    if every is not None:
        found += [every * k for k in range(1, int(until // every) + 2)]
    return [moment for moment in found if moment >= -30]


@settings(max_examples=200, deadline=None)
@given(
    ticks=st.lists(
        st.integers(-30 * 24 * 60, 60 * 24 * 60).map(lambda minutes: minutes / 1440), min_size=1, max_size=40
    ),
    before=st.sets(st.integers(0, 40), max_size=4),
    every=st.one_of(st.none(), st.integers(1, 10)),
)
def test_ticks_record_each_moment_at_most_once_and_the_latest_of_each_gap(
    ticks: list[float], before: set[int], every: int | None
) -> None:
    """Over any run of ticks, a moment is recorded exactly when some tick falls between it and the next moment:
    never twice, none missed that a tick could see, only the latest of those a pause skipped."""
    remind = Remind(before_days=sorted(before), overdue_every_days=every)
    recorded: list[int] = []
    for tick in sorted(ticks):
        offset = latest_offset(remind, DUE, SINCE, _at(tick))
        if offset is not None and offset not in recorded:
            recorded.append(offset)
    moments = _moments(remind, max(ticks))
    expected = [
        moment
        for index, moment in enumerate(moments)
        if any(moment <= tick < (moments[index + 1] if index + 1 < len(moments) else 1e9) for tick in ticks)
    ]
    assert recorded == expected
    assert recorded == sorted(set(recorded))


WORKFLOW = {
    "mentorflow": 1,
    "workflow": "pair",
    "version": 1,
    "title": "Pair",
    "roles": {"mentee": {}},
    "artifacts": {"plan": {"kind": "idp"}, "meeting": {"kind": "meeting", "repeatable": True}},
    "states": {
        "open": {
            "initial": True,
            "obligations": [
                {"complete": "plan", "within_days": 30, "remind": {"before_days": [7, 40]}},
                {"count": "meeting", "every_days": 14, "remind": {"overdue_every_days": 7}},
                {"complete": "plan", "within_days": 5, "remind": {}},
            ],
        },
        "quiet": {"obligations": [{"complete": "plan", "within_days": 3}]},
        "done": {"final": True},
    },
    "transitions": [
        {"trigger": "hush", "from": "open", "to": "quiet"},
        {"trigger": "close", "from": "quiet", "to": "done"},
    ],
}


def test_a_tick_reads_a_state_only_once_its_first_reminder_can_have_come() -> None:
    """The earliest day of a state's reminders: the soonest due date less its longest notice (never below 0)."""
    workflow = Workflow.model_validate(WORKFLOW)
    assert earliest_reminder_days(workflow, "open") == 0  # 40 days' notice of a 30-day deadline
    assert earliest_reminder_days(workflow, "quiet") is None  # no remind, and no workflow default
    with_default = Workflow.model_validate({**WORKFLOW, "remind": {"overdue_every_days": 2}})
    assert earliest_reminder_days(with_default, "quiet") == 3
    meetings = {**WORKFLOW["states"]["open"], "obligations": WORKFLOW["states"]["open"]["obligations"][1:]}  # type: ignore[index]
    only_meetings = Workflow.model_validate({**WORKFLOW, "states": {**WORKFLOW["states"], "open": meetings}})  # type: ignore[dict-item]
    assert earliest_reminder_days(only_meetings, "open") == 14
