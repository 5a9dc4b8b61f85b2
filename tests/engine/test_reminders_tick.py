"""`tick` records reminders on both backends: each once, to the people who must act, and only while relevant."""

from __future__ import annotations

import datetime as dt
import itertools
import threading

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mentorflow import Actor, IntegrityFault, InvalidInput, Mentorflow, NotFound, Reminder
from mentorflow.cli import cli
from mentorflow.cli.admin import _reminded
from mentorflow.store import reminders as stored
from mentorflow.store import write
from tests.conftest import START, FakeClock, MakeMentorflow, WriteDefinition
from tests.content import latest, valid

ADMIN = Actor.admin()
DAY = dt.timedelta(days=1)
# traditional-dyad's idp: due 30 days after the start, reminded 7 days before, on the day, then weekly
DYAD_MOMENTS = [23, 30, 37, 44, 51, 58]
_IDS = itertools.count()


def _dyad(mf: Mentorflow, rel_id: str = "d1") -> str:
    return mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN, id=rel_id).id


def _offsets(mf: Mentorflow, rel_id: str) -> list[int]:
    return [reminder.offset_days for reminder in mf.reminders(relationship=rel_id)]


def test_a_daily_tick_records_the_cadence_once_each(mf: Mentorflow, clock: FakeClock) -> None:
    """Run every day for two months: a week before, on the day, then weekly, each once, naming the mentee."""
    rel_id = _dyad(mf)
    returned: list[Reminder] = []
    for _ in range(60):
        clock.advance(1)
        returned += mf.run_tick().reminders
        mf.tick()  # a second tick the same day records nothing new
    recorded = mf.reminders(relationship=rel_id)
    assert [reminder.offset_days for reminder in recorded] == [-7, 0, 7, 14, 21, 28]
    assert [reminder.id for reminder in returned] == [reminder.id for reminder in recorded]
    first = recorded[0]
    assert (first.state, first.obligation, first.slot, first.people, first.role) == (
        "preparing",
        0,
        "idp",
        ["bob"],
        "mentee",
    )
    assert first.requirement == "idp complete within 30 days"
    assert first.due_at == START + 30 * DAY
    assert first.at == START + 23 * DAY
    assert first.recorded_at == START + 23 * DAY
    assert mf.reminders(after=recorded[2].id, limit=2) == recorded[3:5]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(days=st.lists(st.integers(0, 64 * 24), min_size=1, max_size=15, unique=True).map(sorted))
def test_ticks_at_any_moments_never_record_twice_and_miss_none_they_could_see(
    mf: Mentorflow, clock: FakeClock, days: list[int]
) -> None:
    """Ticks at arbitrary hours record a moment when one falls between it and the next moment, and only then."""
    start = START + next(_IDS) * 100 * DAY  # each example a new relationship, later than the ones before
    clock.set(start)
    rel_id = _dyad(mf, f"d{start:%Y%m%d}")
    for hours in days:
        clock.set(start + dt.timedelta(hours=hours))
        mf.tick()
    ticks = [hours / 24 for hours in days]
    bounds = [*DYAD_MOMENTS[1:], 65.0]
    expected = [
        moment - 30
        for moment, following in zip(DYAD_MOMENTS, bounds, strict=True)
        if any(moment <= tick < following for tick in ticks)
    ]
    assert _offsets(mf, rel_id) == expected


def test_two_ticks_at_once_record_each_reminder_once(make_mf: MakeMentorflow, clock: FakeClock) -> None:
    """Two processes' ticks racing on the same reminders: the unique constraint keeps one, the other skips it."""
    first = make_mf()
    for index in range(6):
        _dyad(first, f"d{index}")
    clock.advance(24)
    tickers = [make_mf(), make_mf()]
    barrier = threading.Barrier(2)
    results: list[list[Reminder]] = []

    def run(mf: Mentorflow) -> None:
        owed = mf.due_reminders()
        barrier.wait()  # both have decided what is owed before either records
        with write(mf.engine, None) as connection:
            results.append(stored.record_reminders(connection, owed, mf.now()))

    threads = [threading.Thread(target=run, args=(mf,)) for mf in tickers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(len(result) for result in results) == 6  # between them, each once
    assert len(first.reminders()) == 6
    assert len({(r.relationship, r.offset_days) for r in first.reminders()}) == 6


def test_a_dry_run_lists_and_writes_nothing(mf: Mentorflow, clock: FakeClock) -> None:
    """`due_reminders` is what a tick would record; nothing is recorded until the tick."""
    _dyad(mf)
    clock.advance(24)
    owed = mf.due_reminders()
    assert [(reminder.offset_days, reminder.id, reminder.recorded_at) for reminder in owed] == [(-7, None, None)]
    assert mf.reminders() == []
    assert [reminder.offset_days for reminder in mf.run_tick().reminders] == [-7]
    assert mf.due_reminders() == []


def test_reminders_stop_when_the_obligation_is_met_or_the_state_left(mf: Mentorflow, clock: FakeClock) -> None:
    """The idp submitted: no more idp reminders. The state left: the next state's obligations are reminded."""
    met, left = _dyad(mf, "met"), _dyad(mf, "left")
    clock.advance(31)
    mf.tick()
    mf.submit(met, "idp", valid("idp"), actor="bob")
    mf.submit(left, "idp", valid("idp"), actor="bob")
    mf.fire(left, "negotiate", actor="bob")
    clock.advance(30)
    mf.tick()
    assert _offsets(mf, met) == [0]
    assert [(r.state, r.offset_days) for r in mf.reminders(relationship=left)] == [("preparing", 0), ("negotiating", 0)]
    agreement = mf.reminders(relationship=left)[-1]
    assert agreement.people == ["ann", "bob"]  # nobody has signed the agreement yet
    mf.submit(left, "agreement", valid("agreement"), actor="ann")
    mf.sign(left, "agreement", actor="ann", revision=latest(mf, left, "agreement"))
    clock.advance(7)
    assert [reminder.people for reminder in mf.run_tick().reminders] == [["bob"]]  # only who still must sign


def test_a_tick_as_of_the_past_records_nothing(mf: Mentorflow, clock: FakeClock) -> None:
    """A tick at a moment before the relationship's latest event fires nothing, and reminds of nothing."""
    rel_id = _dyad(mf)
    clock.advance(40)
    mf.submit(rel_id, "idp", valid("idp") | {"long_term_goals": []}, actor="bob")  # a draft: still unmet
    clock.advance(-5)
    assert mf.due_reminders() == []
    clock.advance(10)
    assert [reminder.offset_days for reminder in mf.due_reminders()] == [14]


def test_a_reminder_of_no_relationship_is_a_fault(mf: Mentorflow) -> None:
    """A constraint other than the reminder's identity is a real fault, never skipped."""
    bogus = Reminder(
        relationship="nobody",
        state="s",
        obligation=0,
        requirement="r",
        slot=None,
        due_at=START,
        offset_days=0,
        at=START,
        people=[],
    )
    with pytest.raises(IntegrityFault), write(mf.engine, None) as connection:
        stored.record_reminders(connection, [bogus], START)
    assert mf.reminders() == []


def test_the_tick_command_lists_and_records_reminders(db_url: str, mf: Mentorflow) -> None:
    """`tick --dry-run` names who would be reminded; `tick` records it; `--format json` carries both lists."""
    _dyad(mf)
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli, ["--db", db_url, *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.stdout

    due = "2026-03-26T09:00:00+00:00"  # 24 days after the start
    assert run("--now", due, "tick", "--dry-run") == (
        "d1: would remind bob of `idp complete within 30 days`, due 2026-04-01 (7 days before)\n"
    )
    assert '"reminders": [' in run("--now", due, "tick", "--dry-run", "--format", "json")
    assert mf.reminders() == []
    assert (
        run("--now", due, "tick")
        == "d1: reminded bob of `idp complete within 30 days`, due 2026-04-01 (7 days before)\n"
    )
    assert run("--now", due, "tick") == "nothing is due\n"
    shown = run("--now", "2026-04-01T10:00:00+00:00", "tick", "--format", "json")
    assert '"events": []' in shown
    assert '"offset_days": 0' in shown
    assert run("--now", "2026-04-01T10:00:00+00:00", "tick", "--dry-run", "--format", "json").startswith(
        '{\n  "due": []'
    )


@pytest.mark.parametrize(
    ("offset", "people", "said"),
    [
        (-1, ["bob"], "bob of `x`, due 2026-03-02 (1 day before)"),
        (0, [], "(nobody named) of `x`, due 2026-03-02 (on the day)"),
        (1, ["a", "b"], "a, b of `x`, due 2026-03-02 (1 day after)"),
        (14, ["a"], "a of `x`, due 2026-03-02 (14 days after)"),
    ],
)
def test_a_reminder_is_said_in_a_line(offset: int, people: list[str], said: str) -> None:
    reminder = Reminder(
        relationship="r", state="s", obligation=0, requirement="x", slot=None, due_at=START, offset_days=offset,
        at=START, people=people,
    )  # fmt: skip
    assert _reminded(reminder) == said


PAIR = """\
mentorflow: 1
workflow: reminded-pair
version: 1
title: Reminded pair
roles: {mentee: {}}
artifacts:
  plan: {kind: idp, submitted_by: [mentee]}
  brief: {kind: micro_brief, submitted_by: [mentee]}
  meeting: {kind: meeting, submitted_by: [mentee], repeatable: true}
states:
  open:
    initial: true
    obligations:
      - {complete: plan, within_days: 30, remind: {before_days: [7]}}
      - {complete: brief, within_days: 60, remind: {before_days: [1]}}
      - {count: meeting, every_days: 14}
  done: {final: true}
transitions:
  - {trigger: close, from: open, to: done}
"""


def test_only_obligations_that_declare_reminders_are_reminded(
    make_mf: MakeMentorflow, workflow_dir: WriteDefinition, clock: FakeClock
) -> None:
    """Without `remind` (nor a workflow default) an obligation is never reminded; another's moment may not have come."""
    mf = make_mf(workflow_dirs=[workflow_dir(PAIR)])
    rel_id = mf.start("reminded-pair", {"mentee": "bob"}, actor=ADMIN).id
    clock.advance(24)
    assert [(r.slot, r.offset_days) for r in mf.run_tick().reminders] == [("plan", -7)]
    mf.fire(rel_id, "close", actor=ADMIN)
    clock.advance(40)
    assert mf.due_reminders() == []  # a final relationship is owed nothing


@pytest.mark.parametrize(
    "arguments", [{"after": -1}, {"limit": 0}, {"limit": True}, {"after": "3"}, {"after": 10**30}, {"limit": 10**30}]
)
def test_a_bad_position_or_limit_is_refused(mf: Mentorflow, arguments: dict[str, object]) -> None:
    """`reminders(after=, limit=)` take whole numbers; anything else is `input.invalid`, not a database error."""
    with pytest.raises(InvalidInput, match="must be a whole number") as info:
        mf.reminders(**arguments)  # type: ignore[arg-type]
    assert info.value.hint


def test_after_a_lost_race_the_rest_are_still_recorded(mf: Mentorflow, clock: FakeClock) -> None:
    """A batch holding one reminder another tick took is recorded one by one: the others are kept."""
    _dyad(mf, "a"), _dyad(mf, "b")
    clock.advance(24)
    first, second = mf.due_reminders()
    with write(mf.engine, None) as connection:
        assert [r.relationship for r in stored.record_reminders(connection, [first], mf.now())] == ["a"]
    with write(mf.engine, None) as connection:
        assert [r.relationship for r in stored.record_reminders(connection, [first, second], mf.now())] == ["b"]
        assert stored.record_reminders(connection, [], mf.now()) == []
    assert [r.relationship for r in mf.reminders()] == ["a", "b"]


def test_a_clock_set_back_sends_no_older_reminder_after_a_newer_one(mf: Mentorflow, clock: FakeClock) -> None:
    """After the reminder of day 37 (a week overdue), a tick as of day 31 owes nothing: "on the day" is past."""
    rel_id = _dyad(mf)
    clock.advance(38)
    mf.tick()
    clock.advance(-7)
    assert mf.due_reminders() == []
    assert _offsets(mf, rel_id) == [7]


def test_two_whole_ticks_in_threads_record_once(make_mf: MakeMentorflow, clock: FakeClock) -> None:
    """Two complete `tick`s started together, each on its own engine: between them, each reminder once."""
    first = make_mf()
    for index in range(8):
        _dyad(first, f"t{index}")
    clock.advance(31)
    tickers = [make_mf(), make_mf()]
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def run(mf: Mentorflow) -> None:
        barrier.wait()
        counts.append(len(mf.run_tick().reminders))

    threads = [threading.Thread(target=run, args=(mf,)) for mf in tickers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 8
    assert sorted(r.relationship for r in first.reminders()) == [f"t{index}" for index in range(8)]


def test_the_reminders_of_a_relationship_that_does_not_exist_are_not_none(mf: Mentorflow) -> None:
    """Every other read of an unknown id is `relationship.not_found`; this one returned an empty list."""
    with pytest.raises(NotFound, match="no relationship 'nope'"):
        mf.reminders(relationship="nope")
