"""Status of one relationship and the administrator's audit over many, computed "as of" the clock."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from mentorflow import Actor, InvalidInput, Mentorflow
from tests.conftest import START, FakeClock
from tests.content import latest, valid

ADMIN = Actor.admin("carol")
DAY = dt.timedelta(days=1)


@pytest.fixture
def cohort(mf: Mentorflow, clock: FakeClock) -> dict[str, str]:
    """Five relationships at varied stages, looked at on day 40."""
    ids = {"stalled": mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, program="fall", actor=ADMIN).id}
    ids["declined"] = mf.start("micro-mentoring", {"mentor": "ann", "mentee": "dee"}, program="spring", actor=ADMIN).id
    mf.fire(ids["declined"], "decline", actor="ann", reason="no time this term")
    clock.set(START + 20 * DAY)
    ids["circle"] = mf.start("informal-peer", {"peer": ["pat", "quin"]}, program="fall", actor=ADMIN).id
    clock.set(START + 30 * DAY)
    ids["negotiating"] = mf.start(
        "traditional-dyad", {"mentor": "amy", "mentee": "cy"}, program="spring", actor=ADMIN
    ).id
    mf.submit(ids["negotiating"], "idp", valid("idp"), actor="cy")
    mf.fire(ids["negotiating"], "negotiate", actor="cy")
    clock.set(START + 35 * DAY)
    ids["ready"] = mf.start("traditional-dyad", {"mentor": "al", "mentee": "eve"}, actor=ADMIN).id
    mf.submit(ids["ready"], "idp", valid("idp"), actor="eve")
    clock.set(START + 40 * DAY)
    return ids


def _names(ids: dict[str, str], found: list[str]) -> set[str]:
    by_id = {rel_id: name for name, rel_id in ids.items()}
    return {by_id[rel_id] for rel_id in found}


def test_status_has_the_documented_shape(mf: Mentorflow, clock: FakeClock) -> None:
    """`status` serialises to JSON with the keys the contract fixes."""
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, program="fall", actor=ADMIN).id
    mf.submit(rel_id, "idp", valid("idp"), actor="bob")
    mf.sign(rel_id, "idp", actor="bob", revision=latest(mf, rel_id, "idp"))
    clock.advance(10, hours=12)
    data = json.loads(mf.status(rel_id).model_dump_json())
    assert {
        "id",
        "workflow",
        "workflow_version",
        "state",
        "phase",
        "final",
        "entered_at",
        "days_in_state",
        "program",
        "participants",
        "artifacts",
        "triggers",
        "obligations",
    } <= set(data)
    assert (data["id"], data["state"], data["phase"], data["final"], data["days_in_state"], data["program"]) == (
        rel_id,
        "preparing",
        "prepare",
        False,
        10,
        "fall",
    )
    assert data["participants"] == [{"person": "ann", "role": "mentor"}, {"person": "bob", "role": "mentee"}]
    [artifact] = data["artifacts"]
    assert {
        key: artifact[key] for key in ("slot", "item", "revision", "complete", "missing", "signed_by", "unsigned")
    } == {
        "slot": "idp",
        "item": None,
        "revision": 1,
        "complete": True,
        "missing": [],
        "signed_by": ["bob"],
        "unsigned": ["ann"],
    }
    assert [(t["trigger"], t["to"], t["allowed"], t["blockers"]) for t in data["triggers"]] == [
        ("negotiate", "negotiating", True, []),
        ("withdraw", "withdrawn", True, []),
    ]
    assert data["obligations"] == [
        {
            "requirement": "idp complete within 30 days",
            "due_at": "2026-04-01T09:00:00Z",
            "met": True,
            "overdue": False,
            "slot": "idp",
            "role": "mentee",
            "people": [],
        }
    ]


def test_days_in_state_counts_whole_days(mf: Mentorflow, clock: FakeClock) -> None:
    """Days in state are whole days since entering it (read before it started, it is not found: DESIGN §13)."""
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    clock.advance(hours=23)
    early = mf.status(rel_id).days_in_state
    clock.advance(2, hours=0)
    assert (early, mf.status(rel_id).days_in_state) == (0, 2)


def test_audit_lists_every_relationship(mf: Mentorflow, cohort: dict[str, str]) -> None:
    """Without filters, the audit covers everything, final or not."""
    assert _names(cohort, [s.id for s in mf.audit()]) == set(cohort)


def test_an_audit_row_has_the_documented_shape(mf: Mentorflow, cohort: dict[str, str]) -> None:
    """Each row says state, phase, days, people, what can happen next, what blocks and what is late."""
    [row] = [s for s in mf.audit() if s.id == cohort["stalled"]]
    data = row.to_dict()
    assert {
        "id",
        "workflow",
        "program",
        "state",
        "phase",
        "days_in_state",
        "participants",
        "next",
        "blockers",
        "overdue",
        "last_activity_at",
    } <= set(data)
    assert (row.state, row.phase, row.days_in_state, row.next, row.stalled_days) == ("preparing", "prepare", 40, [], 40)
    assert [(b.trigger, b.code) for b in row.blockers] == [("negotiate", "artifact.missing")]
    assert [(o.requirement, o.due_at) for o in row.overdue] == [("idp complete within 30 days", START + 30 * DAY)]
    assert row.last_activity_at == START


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"workflow": "traditional-dyad"}, {"stalled", "negotiating", "ready"}),
        ({"workflow": "group"}, set()),
        ({"program": "fall"}, {"stalled", "circle"}),
        ({"state": "negotiating"}, {"negotiating"}),
        ({"phase": "prepare"}, {"stalled", "circle", "ready"}),
        ({"phase": "launch"}, {"negotiating"}),
        ({"stalled_days": 40}, {"stalled"}),
        ({"stalled_days": 41}, set()),
        ({"stalled_days": 5}, {"stalled", "circle", "negotiating", "ready"}),
        ({"stalled_days": 6}, {"stalled", "circle", "negotiating"}),
        ({"stalled_days": 0}, {"stalled", "circle", "negotiating", "ready"}),
        ({"overdue": True}, {"stalled"}),
        ({"blocked": True}, {"stalled", "circle", "negotiating"}),
        ({"workflow": "traditional-dyad", "program": "spring", "blocked": True}, {"negotiating"}),
        ({"program": "fall", "overdue": True, "stalled_days": 30}, {"stalled"}),
    ],
)
def test_audit_filters(mf: Mentorflow, cohort: dict[str, str], filters: dict[str, object], expected: set[str]) -> None:
    """Each filter keeps only the rows it names; stalled means at least that many days without an event."""
    assert _names(cohort, [s.id for s in mf.audit(**filters)]) == expected  # type: ignore[arg-type]


def test_ready_relationships_show_their_next_trigger(mf: Mentorflow, cohort: dict[str, str]) -> None:
    """A trigger that may fire now is listed as next; those that need a reason are not."""
    [row] = [s for s in mf.audit() if s.id == cohort["ready"]]
    assert (row.next, row.blockers) == (["negotiate"], [])


def test_final_relationships_have_nothing_next_or_late(mf: Mentorflow, cohort: dict[str, str]) -> None:
    """A declined request has no triggers, blockers or obligations."""
    [row] = [s for s in mf.audit() if s.id == cohort["declined"]]
    assert (row.final, row.next, row.blockers, row.overdue, row.phase) == (True, [], [], [], None)


def test_audit_is_as_of_the_clock(mf: Mentorflow, cohort: dict[str, str], clock: FakeClock) -> None:
    """Moving the clock back changes what is overdue and stalled."""
    clock.set(START + 30 * DAY)
    assert _names(cohort, [s.id for s in mf.audit(overdue=True)]) == set()
    clock.set(START + 30 * DAY + dt.timedelta(seconds=1))
    assert _names(cohort, [s.id for s in mf.audit(overdue=True)]) == {"stalled"}


def test_audit_refuses_negative_stalled_days(mf: Mentorflow) -> None:
    """`stalled_days` is a number of days, 0 or more."""
    with pytest.raises(InvalidInput, match="stalled days must be a whole number from 0 to 36600, got -1"):
        mf.audit(stalled_days=-1)


def test_relationship_ids_lists_every_id(mf: Mentorflow, cohort: dict[str, str]) -> None:
    """`relationship_ids` yields every relationship's id."""
    assert set(mf.relationship_ids()) == set(cohort.values())


@pytest.mark.parametrize("days", [36_601, 10**9, 10**30])
def test_audit_refuses_due_within_beyond_a_hundred_years(mf: Mentorflow, days: int) -> None:
    """A horizon past any date Python reckons with was an internal OverflowError; it is `input.invalid`."""
    with pytest.raises(InvalidInput, match=f"due within days must be a whole number from 0 to 36600, got {days}"):
        mf.audit(due_within=days)
