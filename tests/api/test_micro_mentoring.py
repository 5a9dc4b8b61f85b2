"""Micro-mentoring: conversion into a linked long-term dyad, and the timed expiry fired by `tick`."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from mentorflow import Actor, ArtifactLimit, Blocked, Mentorflow
from mentorflow.store.tables import (
    EventRow,
    ParticipantRow,
    PhaseStayRow,
    RelationshipRow,
    RevisionRow,
    SignatureRow,
)
from tests.conftest import START, FakeClock
from tests.content import latest, valid

ADMIN = Actor.admin("carol")


@pytest.fixture
def micro(mf: Mentorflow) -> str:
    return mf.start("micro-mentoring", {"mentor": "ann", "mentee": "bob"}, program="spring", actor=ADMIN).id


def _meet(mf: Mentorflow, rel_id: str) -> None:
    mf.submit(rel_id, "idp", valid("idp"), actor="bob")
    mf.submit(rel_id, "brief", valid("micro_brief"), actor="bob")
    mf.fire(rel_id, "schedule", actor="ann")
    mf.submit(rel_id, "meeting", valid("meeting"), actor="ann")
    mf.fire(rel_id, "hold", actor="bob")


def _convert(mf: Mentorflow, rel_id: str) -> str:
    _meet(mf, rel_id)
    mf.sign(rel_id, "idp", actor="bob", revision=latest(mf, rel_id, "idp"))
    mf.submit(rel_id, "conversion", valid("consent"), actor="bob")
    mf.sign(rel_id, "conversion", actor="ann", revision=latest(mf, rel_id, "conversion"))
    mf.sign(rel_id, "conversion", actor="bob", revision=latest(mf, rel_id, "conversion"))
    mf.fire(rel_id, "convert", actor="ann")
    [linked] = [e for e in mf.history(rel_id) if e.kind == "started_linked"]
    return str(linked.payload["relationship"])


def test_schedule_needs_the_idp_and_the_brief(mf: Mentorflow, micro: str) -> None:
    """The mentor schedules only once the plan and the brief are complete."""
    with pytest.raises(Blocked) as caught:
        mf.fire(micro, "schedule", actor="ann")
    assert [b.requirement for b in caught.value.blockers] == [{"complete": "idp"}, {"complete": "brief"}]


def test_convert_needs_both_signatures_on_the_consent(mf: Mentorflow, micro: str) -> None:
    """Without both consents, nothing converts and no dyad starts."""
    _meet(mf, micro)
    mf.submit(micro, "conversion", valid("consent"), actor="bob")
    mf.sign(micro, "conversion", actor="bob", revision=latest(mf, micro, "conversion"))
    with pytest.raises(Blocked, match="conversion revision 1 is not signed by mentor ann"):
        mf.fire(micro, "convert", actor="bob")
    assert [s.id for s in mf.audit()] == [micro]


def test_convert_starts_a_linked_dyad(mf: Mentorflow, micro: str) -> None:
    """Converting starts a traditional dyad with the same people and program, linked both ways."""
    dyad = _convert(mf, micro)
    status = mf.status(dyad)
    started = mf.history(dyad)[0]
    assert (status.workflow, status.state, status.program) == ("traditional-dyad", "preparing", "spring")
    assert [(p.person, p.role) for p in status.participants] == [("ann", "mentor"), ("bob", "mentee")]
    assert started.payload["linked_from"] == {"relationship": micro, "trigger": "convert"}
    assert mf.status(micro).state == "converted"
    assert mf.verify().ok


def test_convert_records_the_transition_then_the_link(mf: Mentorflow, micro: str) -> None:
    """The converted relationship's log ends with the transition and the `started_linked` event."""
    dyad = _convert(mf, micro)
    last = mf.history(micro)[-2:]
    assert [(e.kind, e.payload.get("trigger")) for e in last] == [
        ("transitioned", "convert"),
        ("started_linked", "convert"),
    ]
    assert last[1].payload == {"relationship": dyad, "trigger": "convert", "workflow": "traditional-dyad"}


def test_convert_carries_the_idp_with_provenance_and_signatures(mf: Mentorflow, micro: str) -> None:
    """The IDP is copied with its content hash, an `origin`, and the signatures it had."""
    idp_hash = mf.submit(micro, "idp", valid("idp"), actor="bob").content_hash
    dyad = _convert(mf, micro)  # submits the same IDP again: unchanged, so revision 1 is what is carried
    events = mf.history(dyad)
    origin = {"relationship": micro, "slot": "idp", "item": 0, "revision": 1}
    assert [(e.kind, e.payload.get("origin")) for e in events] == [
        ("started", None),
        ("submitted", origin),
        ("signed", origin),
    ]
    assert events[1].payload["content_hash"] == idp_hash
    assert events[2].payload["person"] == "bob"
    [idp] = mf.status(dyad).artifacts
    assert (idp.slot, idp.revision, idp.complete, idp.signed_by, idp.unsigned) == ("idp", 1, True, ["bob"], ["ann"])
    with mf.engine.connect() as connection:
        stored = connection.execute(select(RevisionRow.origin).where(RevisionRow.relationship_id == dyad)).scalar()
    assert stored is not None
    assert '"relationship":"' + micro + '"' in stored


def test_the_carried_idp_lets_the_dyad_negotiate_at_once(mf: Mentorflow, micro: str) -> None:
    """The new dyad does not ask for the IDP again."""
    dyad = _convert(mf, micro)
    assert mf.fire(dyad, "negotiate", actor="bob").payload["to"] == "negotiating"


def test_the_converted_dyad_is_a_separate_relationship(mf: Mentorflow, micro: str) -> None:
    """Both show up in the audit, each in its own state."""
    dyad = _convert(mf, micro)
    assert sorted((s.id, s.state) for s in mf.audit()) == sorted([(micro, "converted"), (dyad, "preparing")])


def test_the_meeting_cap_holds_in_micro_mentoring(mf: Mentorflow, micro: str) -> None:
    """One or two meetings, never three."""
    _meet(mf, micro)
    mf.submit(micro, "meeting", valid("meeting"), actor="bob")
    with pytest.raises(ArtifactLimit):
        mf.submit(micro, "meeting", valid("meeting"), actor="bob")


# -- timed expiry -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("days", "state"), [(29, "requested"), (30, "expired"), (45, "expired")])
def test_tick_expires_a_request_after_30_days(
    mf: Mentorflow, micro: str, clock: FakeClock, days: int, state: str
) -> None:
    """`expire` fires from `tick` once the request has waited 30 days, and not before."""
    clock.advance(days)
    fired = mf.tick()
    assert mf.status(micro).state == state
    assert [(e.kind, e.actor, e.payload["trigger"]) for e in fired] == (
        [("transitioned", "system", "expire")] if state == "expired" else []
    )


def test_tick_counts_from_entering_the_state(mf: Mentorflow, micro: str, clock: FakeClock) -> None:
    """A request scheduled on day 20 expires on day 50, not day 30."""
    mf.submit(micro, "idp", valid("idp"), actor="bob")
    mf.submit(micro, "brief", valid("micro_brief"), actor="bob")
    clock.advance(20)
    mf.fire(micro, "schedule", actor="ann")
    clock.advance(29)
    assert mf.tick() == []
    clock.advance(1)
    assert [e.payload["from"] for e in mf.tick()] == ["scheduled"]


def test_tick_is_idempotent(mf: Mentorflow, micro: str, clock: FakeClock) -> None:
    """A second tick at the same moment fires nothing."""
    clock.advance(31)
    assert len(mf.tick()) == 1
    assert mf.tick() == []
    assert [e.kind for e in mf.history(micro)] == ["started", "transitioned"]


def test_tick_dry_run_fires_nothing(mf: Mentorflow, micro: str, clock: FakeClock) -> None:
    """`due()` (what `tick --dry-run` lists) reports what would fire and writes nothing."""
    clock.advance(31)
    planned = mf.due()
    assert [(d.relationship, d.trigger, d.from_state, d.to_state) for d in planned] == [
        (micro, "expire", "requested", "expired")
    ]
    assert mf.status(micro).state == "requested"
    assert len(mf.history(micro)) == 1


def test_tick_leaves_other_workflows_and_states_alone(mf: Mentorflow, micro: str, clock: FakeClock) -> None:
    """A dyad and a micro-mentoring engagement that has met are not expired."""
    dyad = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    other = mf.start("micro-mentoring", {"mentor": "ann", "mentee": "cy"}, actor=ADMIN).id
    mf.submit(other, "idp", valid("idp"), actor="cy")
    mf.submit(other, "brief", valid("micro_brief"), actor="cy")
    mf.fire(other, "schedule", actor="ann")
    mf.submit(other, "meeting", valid("meeting"), actor="ann")
    mf.fire(other, "hold", actor="ann")
    clock.advance(60)
    assert [e.relationship for e in mf.tick()] == [micro]
    assert (mf.status(dyad).state, mf.status(other).state) == ("preparing", "met")


def test_tick_events_are_dated_by_the_clock(mf: Mentorflow, micro: str, clock: FakeClock) -> None:
    """The expiry is recorded at the tick's time, and the relationship entered `expired` then."""
    clock.advance(30, hours=5)
    [event] = mf.tick()
    assert event.at == clock.now == mf.status(micro).entered_at
    assert event.at > START


def test_tick_skips_a_timed_transition_whose_requirements_fail(gates: Mentorflow, clock: FakeClock) -> None:
    """A due timed trigger that is blocked is neither fired nor reported by a dry run."""
    rel_id = gates.start("gates", {"lead": "lea", "member": "max"}, actor=ADMIN).id
    gates.submit(rel_id, "memo", {"text": "keep it open"}, actor="lea")
    gates.fire(rel_id, "to_review", actor="lea")
    clock.advance(6)
    assert (gates.due(), gates.tick()) == ([], [])
    assert gates.status(rel_id).state == "review"


def test_tick_fires_a_timed_transition_whose_requirements_hold(gates: Mentorflow, clock: FakeClock) -> None:
    """The same timed trigger fires once its requirements hold."""
    rel_id = gates.start("gates", {"lead": "lea", "member": "max"}, actor=ADMIN).id
    gates.fire(rel_id, "to_review", actor="lea")
    clock.advance(5)
    assert [e.payload["trigger"] for e in gates.tick()] == ["lapse"]
    assert gates.status(rel_id).state == "stopped"


def test_a_tick_in_the_past_skips_what_has_been_written_since(mf: Mentorflow, micro: str, clock: FakeClock) -> None:
    """A tick dated before a relationship's latest event leaves it alone instead of failing the whole run."""
    clock.advance(40)
    mf.submit(micro, "idp", valid("idp"), actor="bob")
    clock.advance(-5)
    assert mf.tick() == []
    assert mf.status(micro).state == "requested"


def _delete_whole(mf: Mentorflow, rel_id: str) -> None:
    with mf.engine.begin() as connection:
        for row in (PhaseStayRow, SignatureRow, RevisionRow, ParticipantRow, EventRow):
            connection.execute(delete(row).where(row.relationship_id == rel_id))
        connection.execute(delete(RelationshipRow).where(RelationshipRow.id == rel_id))


@pytest.mark.parametrize("deleted", ["started", "source"])
def test_a_link_whose_other_end_is_gone_is_named(mf: Mentorflow, micro: str, deleted: str) -> None:
    """Deleting either end of a conversion leaves the other pointing at nothing, and `verify` names it."""
    dyad = _convert(mf, micro)
    gone, left = (dyad, micro) if deleted == "started" else (micro, dyad)
    _delete_whole(mf, gone)
    [broken] = mf.verify().broken
    assert broken.relationship == left
    assert any(repr(gone) in problem for problem in broken.problems), broken.problems
