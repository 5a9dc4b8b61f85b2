"""What falls due: every unmet obligation on the audit row with its date, and ``due_within`` keeping the rows with
one coming, whether the row is decoded from the standing cache or evaluated."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from mentorflow import Actor, DueObligation, InvalidInput, Mentorflow, Standing
from mentorflow.audit.standing import due_soon, filter_standings, matches
from tests.admin.test_standings import uncached
from tests.conftest import START, FakeClock

DAY = dt.timedelta(days=1)
MOMENTS = [0, 6.5, 7, 29.99, 31, 200]


def _expected_due(mf: Mentorflow, row: Standing) -> list[DueObligation]:
    """What ``status`` says is unmet, read independently of the audit."""
    return [
        DueObligation(o.requirement, o.due_at, o.slot, o.people) for o in mf.status(row.id).obligations if not o.met
    ]


@pytest.mark.parametrize("days", MOMENTS)
def test_due_lists_every_unmet_obligation_with_its_date_slot_and_people(
    demo: Mentorflow, clock: FakeClock, days: float
) -> None:
    """Over every built-in workflow the demo runs, and as time passes (cached rows, then re-evaluated ones)."""
    clock.advance(days)
    rows = demo.audit()
    assert {row.workflow for row in rows} >= {"traditional-dyad", "group"}
    assert any(row.due for row in rows)
    for row in rows:
        assert list(row.due) == _expected_due(demo, row), row.id
        if row.final:
            assert row.due == ()
        late = {(o.requirement, o.due_at, o.slot, tuple(o.people)) for o in row.overdue}
        assert late <= {(d.requirement, d.due_at, d.slot, tuple(d.people)) for d in row.due}
        assert all(o.slot is not None and o.people for o in row.overdue), row.id


@pytest.mark.parametrize("days", MOMENTS)
def test_cached_and_evaluated_rows_agree_on_due_and_overrides(demo: Mentorflow, clock: FakeClock, days: float) -> None:
    clock.advance(days)
    rows, _, _ = uncached(demo)
    cached = demo.audit()
    assert [(r.id, r.due, r.overrides) for r in cached] == [(r.id, r.due, r.overrides) for r in rows]
    assert cached == rows
    now = clock()
    assert demo.audit(due_within=7) == [r for r in rows if due_soon(r, now, 7)]


@pytest.mark.parametrize("within", [0, 1, 7, 30, 365])
def test_due_within_keeps_exactly_the_rows_with_something_coming(
    demo: Mentorflow, clock: FakeClock, within: int
) -> None:
    """Kept: an unmet obligation not yet overdue, due within ``within`` days; the overdue ones do not count."""
    now = clock()
    expected = [
        row.id
        for row in demo.audit()
        if any(not o.met and not o.overdue and o.due_at - now <= within * DAY for o in demo.status(row.id).obligations)
    ]
    assert [row.id for row in demo.audit(due_within=within)] == expected
    assert [row.id for row in demo.iter_audit(due_within=within)] == expected


def test_due_within_combines_with_the_other_filters(demo: Mentorflow) -> None:
    soon = demo.audit(due_within=30)
    assert soon
    workflow = soon[0].workflow
    assert demo.audit(due_within=30, workflow=workflow) == [r for r in soon if r.workflow == workflow]
    assert demo.audit(due_within=30, overdue=True) == [r for r in soon if r.overdue]


def test_a_fresh_pair_is_due_on_the_day_its_window_closes(mf: Mentorflow, clock: FakeClock) -> None:
    """The dyad's plan is due 30 days after the start: within 29 days it is not yet kept, on day 30 it is, and a
    second past the window it is overdue, no longer due soon."""
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=Actor.admin()).id
    [due] = mf.audit()[0].due
    assert (due.due_at, due.slot, due.people) == (START + 30 * DAY, "idp", ["bob"])
    assert mf.audit(due_within=29) == []
    assert [r.id for r in mf.audit(due_within=30)] == [rel_id]
    clock.set(START + 30 * DAY)
    assert [r.id for r in mf.audit(due_within=0)] == [rel_id]  # due now is not yet overdue
    clock.advance(seconds=1)
    assert mf.audit(due_within=365) == []
    [row] = mf.audit(overdue=True)
    assert row.due == (due,)
    assert (row.overdue[0].slot, row.overdue[0].people) == ("idp", ["bob"])


def test_an_ended_relationship_has_nothing_due(mf: Mentorflow) -> None:
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=Actor.admin()).id
    mf.fire(rel_id, "withdraw", actor="bob", reason="moved away")
    [row] = mf.audit()
    assert row.final
    assert row.due == ()
    mf.refresh()
    assert mf.audit()[0].due == ()


@pytest.mark.parametrize("bad", [-1, 1.5, True, "7"])
def test_bad_due_within_is_refused_at_the_call(mf: Mentorflow, bad: object) -> None:
    with pytest.raises(InvalidInput, match="due within days must be a whole number from 0 to 36600"):
        mf.iter_audit(due_within=bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="due within days"):
        mf.audit(due_within=bad)  # type: ignore[arg-type]


def test_the_row_filters_match_as_the_audit_does(demo: Mentorflow, clock: FakeClock) -> None:
    now = clock()
    rows = demo.audit()
    assert filter_standings(rows, due_within=(now, 7)) == demo.audit(due_within=7)
    assert filter_standings(rows, forced=True) == demo.audit(forced=True)
    assert all(matches(r) for r in rows)


def test_due_entries_serialise_as_the_design_fixes(demo: Mentorflow) -> None:
    row = next(r for r in demo.audit() if r.due)
    data = row.to_dict()
    assert {tuple(entry) for entry in data["due"]} == {("requirement", "due_at", "slot", "people")}
    assert [field.name for field in dataclasses.fields(DueObligation)] == ["requirement", "due_at", "slot", "people"]
    assert data["due"][0]["due_at"] == row.due[0].due_at.isoformat().replace("+00:00", "Z")
