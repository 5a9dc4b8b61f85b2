"""A traditional dyad from the first plan to the closing evaluations, through the public API."""

from __future__ import annotations

import pytest

from mentorflow import Actor, Blocked, Mentorflow, ReasonRequired
from tests.conftest import FakeClock
from tests.content import incomplete, latest, valid

ADMIN = Actor.admin("carol")


@pytest.fixture
def rel_id(mf: Mentorflow) -> str:
    return mf.start("traditional-dyad", {"mentor": ["ann"], "mentee": ["bob"]}, program="fall-2026", actor=ADMIN).id


def _launch(mf: Mentorflow, rel_id: str, clock: FakeClock) -> None:
    mf.submit(rel_id, "idp", valid("idp"), actor="bob")
    mf.fire(rel_id, "negotiate", actor="bob")
    mf.submit(rel_id, "agreement", valid("agreement"), actor="ann")
    for person in ("ann", "bob"):
        mf.sign(rel_id, "agreement", actor=person, revision=latest(mf, rel_id, "agreement"))
        mf.sign(rel_id, "idp", actor=person, revision=latest(mf, rel_id, "idp"))
    clock.advance(1)
    mf.fire(rel_id, "launch", actor="ann")


def test_start_places_the_dyad_in_its_initial_state(mf: Mentorflow) -> None:
    """A started dyad is in `preparing`, with its people, program and pinned version."""
    rel = mf.start("traditional-dyad", {"mentor": "ann", "mentee": ["bob"]}, program="fall-2026", actor=ADMIN)
    status = mf.status(rel.id)
    assert (rel.state, rel.workflow, rel.workflow_version, rel.program) == (
        "preparing",
        "traditional-dyad",
        3,
        "fall-2026",
    )
    assert [(p.person, p.role) for p in status.participants] == [("ann", "mentor"), ("bob", "mentee")]
    assert [e.kind for e in mf.history(rel.id)] == ["started"]


def test_start_takes_an_explicit_id(mf: Mentorflow) -> None:
    """`id=` names the relationship."""
    rel = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, id="dyad-1", actor="bob")
    assert rel.id == "dyad-1"
    assert mf.status("dyad-1").state == "preparing"


def test_negotiate_is_blocked_without_an_idp(mf: Mentorflow, rel_id: str) -> None:
    """Negotiating needs the IDP: none submitted is `artifact.missing`, naming who submits it."""
    with pytest.raises(Blocked, match=r"no idp has been submitted \(to be submitted by mentee bob\)") as caught:
        mf.fire(rel_id, "negotiate", actor="bob")
    assert caught.value.code == "transition.blocked"
    assert [(b.code, b.requirement) for b in caught.value.blockers] == [("artifact.missing", {"complete": "idp"})]


def test_an_incomplete_idp_is_stored_as_a_draft_listing_missing_paths(mf: Mentorflow, rel_id: str) -> None:
    """An IDP without required fields is stored as incomplete, with each missing path."""
    revision = mf.submit(rel_id, "idp", incomplete("idp"), actor="bob")
    assert (revision.revision, revision.complete, revision.item) == (1, False, None)
    assert revision.missing == ["self_assessment", "objectives[0].target_date"]


def test_negotiate_with_an_incomplete_idp_is_blocked_with_its_missing_paths(mf: Mentorflow, rel_id: str) -> None:
    """The `artifact.incomplete` blocker lists the missing paths."""
    mf.submit(rel_id, "idp", incomplete("idp"), actor="bob")
    with pytest.raises(
        Blocked,
        match=r"idp revision 1 is incomplete: missing self_assessment, "
        r"objectives\[0\]\.target_date",
    ) as caught:
        mf.fire(rel_id, "negotiate", actor="ann")
    assert [b.code for b in caught.value.blockers] == ["artifact.incomplete"]


def test_a_complete_idp_lets_the_pair_negotiate(mf: Mentorflow, rel_id: str) -> None:
    """Once the IDP is complete, `negotiate` moves the dyad to `negotiating`."""
    mf.submit(rel_id, "idp", incomplete("idp"), actor="bob")
    revision = mf.submit(rel_id, "idp", valid("idp"), actor="bob")
    event = mf.fire(rel_id, "negotiate", actor="bob")
    assert (revision.revision, revision.complete, revision.missing) == (2, True, [])
    assert (event.kind, event.payload) == (
        "transitioned",
        {"trigger": "negotiate", "from": "preparing", "to": "negotiating"},
    )
    assert mf.status(rel_id).state == "negotiating"


def test_launch_needs_both_signatures_on_agreement_and_idp(mf: Mentorflow, rel_id: str) -> None:
    """`launch` reports every missing signature on both documents at once."""
    mf.submit(rel_id, "idp", valid("idp"), actor="bob")
    mf.fire(rel_id, "negotiate", actor="bob")
    mf.submit(rel_id, "agreement", valid("agreement"), actor="ann")
    mf.sign(rel_id, "idp", actor="bob", revision=latest(mf, rel_id, "idp"))
    with pytest.raises(Blocked, match=r"blocked from state 'negotiating' \(3 blockers\)") as caught:
        mf.fire(rel_id, "launch", actor="ann")
    assert [(b.code, b.message) for b in caught.value.blockers] == [
        ("artifact.unsigned", "agreement revision 1 is not signed by mentor ann"),
        ("artifact.unsigned", "agreement revision 1 is not signed by mentee bob"),
        ("artifact.unsigned", "idp revision 1 is not signed by mentor ann"),
    ]


def test_a_new_revision_voids_the_signatures(mf: Mentorflow, rel_id: str) -> None:
    """Revising a signed agreement leaves the new revision unsigned."""
    mf.submit(rel_id, "agreement", valid("agreement"), actor="ann")
    mf.sign(rel_id, "agreement", actor="ann", revision=latest(mf, rel_id, "agreement"))
    mf.sign(rel_id, "agreement", actor="bob", revision=latest(mf, rel_id, "agreement"))
    changed = valid("agreement") | {"meeting_frequency": "monthly"}
    revision = mf.submit(rel_id, "agreement", changed, actor="bob")
    [agreement] = [a for a in mf.status(rel_id).artifacts if a.slot == "agreement"]
    assert (revision.revision, agreement.revision, agreement.signed_by) == (2, 2, [])
    assert agreement.unsigned == ["ann", "bob"]


def test_signing_binds_the_revision_content_hash(mf: Mentorflow, rel_id: str) -> None:
    """The `signed` event records the signed revision and its content hash."""
    revision = mf.submit(rel_id, "agreement", valid("agreement"), actor="ann")
    event = mf.sign(rel_id, "agreement", actor="bob", revision=latest(mf, rel_id, "agreement"))
    assert event.kind == "signed"
    assert event.payload == {
        "slot": "agreement",
        "item": None,
        "revision": 1,
        "person": "bob",
        "role": "mentee",
        "content_hash": revision.content_hash,
    }


def test_launch_moves_to_early_meetings(mf: Mentorflow, rel_id: str, clock: FakeClock) -> None:
    """With both documents signed by both, `launch` starts the early meetings."""
    _launch(mf, rel_id, clock)
    status = mf.status(rel_id)
    assert (status.state, status.phase, status.entered_at) == ("early_meetings", "early", clock.now)


def test_deepen_counts_only_meetings_since_entering_early_meetings(
    mf: Mentorflow, rel_id: str, clock: FakeClock
) -> None:
    """Meetings recorded before launch do not count towards the three `deepen` needs."""
    mf.submit(rel_id, "meeting", valid("meeting"), actor="ann")
    mf.submit(rel_id, "meeting", valid("meeting"), actor="bob")
    clock.advance(1)
    _launch(mf, rel_id, clock)
    mf.submit(rel_id, "reflection", valid("reflection"), actor="bob")
    clock.advance(7)
    mf.submit(rel_id, "meeting", valid("meeting"), actor="ann")
    mf.submit(rel_id, "meeting", valid("meeting"), actor="bob")
    with pytest.raises(Blocked, match="2 of 3 complete meeting items since entering 'early_meetings'"):
        mf.fire(rel_id, "deepen", actor="bob")
    meeting = mf.submit(rel_id, "meeting", valid("meeting"), actor="bob")
    assert meeting.item == 5
    assert mf.fire(rel_id, "deepen", actor="bob").payload["to"] == "later_meetings"


def test_incomplete_meetings_do_not_count(mf: Mentorflow, rel_id: str, clock: FakeClock) -> None:
    """A draft meeting record is not a meeting yet."""
    _launch(mf, rel_id, clock)
    mf.submit(rel_id, "reflection", valid("reflection"), actor="bob")
    for _ in range(2):
        mf.submit(rel_id, "meeting", valid("meeting"), actor="ann")
    mf.submit(rel_id, "meeting", incomplete("meeting"), actor="ann")
    with pytest.raises(Blocked, match="2 of 3 complete meeting items"):
        mf.fire(rel_id, "deepen", actor="ann")
    mf.submit(rel_id, "meeting", valid("meeting"), actor="ann", item=3)
    assert mf.fire(rel_id, "deepen", actor="ann").payload["to"] == "later_meetings"


def _to_concluding(mf: Mentorflow, rel_id: str, clock: FakeClock) -> None:
    _launch(mf, rel_id, clock)
    for _ in range(3):
        clock.advance(14)
        mf.submit(rel_id, "meeting", valid("meeting"), actor="ann")
    mf.submit(rel_id, "reflection", valid("reflection"), actor="bob")
    mf.fire(rel_id, "deepen", actor="ann")
    mf.submit(rel_id, "network_map", valid("network_map"), actor="bob")
    mf.submit(rel_id, "progress_report", valid("progress_report"), actor="bob")
    mf.sign(rel_id, "progress_report", actor="ann", revision=latest(mf, rel_id, "progress_report"))
    mf.sign(rel_id, "progress_report", actor="bob", revision=latest(mf, rel_id, "progress_report"))
    mf.fire(rel_id, "conclude", actor="bob")


def test_conclude_needs_the_network_map_and_a_signed_progress_report(
    mf: Mentorflow, rel_id: str, clock: FakeClock
) -> None:
    """From the later meetings, `conclude` reports both missing documents."""
    _launch(mf, rel_id, clock)
    for _ in range(3):
        mf.submit(rel_id, "meeting", valid("meeting"), actor="ann")
    mf.submit(rel_id, "reflection", valid("reflection"), actor="bob")
    mf.fire(rel_id, "deepen", actor="ann")
    with pytest.raises(Blocked) as caught:
        mf.fire(rel_id, "conclude", actor="ann")
    assert [(b.code, b.requirement) for b in caught.value.blockers] == [
        ("artifact.missing", {"complete": "network_map"}),
        ("artifact.missing", {"signed": "progress_report"}),
    ]


def test_complete_needs_an_evaluation_from_each(mf: Mentorflow, rel_id: str, clock: FakeClock) -> None:
    """Two evaluations from the mentee do not stand in for the mentor's."""
    _to_concluding(mf, rel_id, clock)
    mf.submit(rel_id, "evaluation", valid("evaluation"), actor="bob")
    mf.submit(rel_id, "evaluation", valid("evaluation"), actor="bob")
    with pytest.raises(Blocked, match="mentor ann has not submitted a complete evaluation") as caught:
        mf.fire(rel_id, "complete", actor="bob")
    assert [b.code for b in caught.value.blockers] == ["artifact.missing"]


def test_the_full_course_of_a_dyad(mf: Mentorflow, rel_id: str, clock: FakeClock) -> None:
    """Prepare, negotiate, launch, meet, deepen, conclude and complete; the log verifies."""
    _to_concluding(mf, rel_id, clock)
    mf.submit(rel_id, "evaluation", valid("evaluation"), actor="bob")
    mf.submit(rel_id, "evaluation", valid("evaluation") | {"respondent_role": "mentor"}, actor="ann")
    mf.fire(rel_id, "complete", actor="ann")
    status = mf.status(rel_id)
    assert (status.state, status.final, status.outcome, status.triggers, status.obligations) == (
        "completed",
        True,
        "success",
        [],
        [],
    )
    assert [e.payload["trigger"] for e in mf.history(rel_id) if e.kind == "transitioned"] == [
        "negotiate",
        "launch",
        "deepen",
        "conclude",
        "complete",
    ]
    assert mf.verify().ok


def test_withdraw_needs_a_reason(mf: Mentorflow, rel_id: str) -> None:
    """`withdraw` without a reason is `transition.reason_required`, and a blank reason is no reason."""
    for reason in (None, "", "   "):
        with pytest.raises(ReasonRequired, match="trigger 'withdraw' needs a reason") as caught:
            mf.fire(rel_id, "withdraw", actor="bob", reason=reason)
        assert caught.value.code == "transition.reason_required"
    assert mf.status(rel_id).state == "preparing"


def test_withdraw_keeps_the_reason_on_the_event(mf: Mentorflow, rel_id: str) -> None:
    """A withdrawal records who withdrew and why."""
    event = mf.fire(rel_id, "withdraw", actor="ann", reason="moved to another institution")
    assert (event.actor, event.payload["reason"], event.payload["to"]) == (
        "ann",
        "moved to another institution",
        "withdrawn",
    )
    assert mf.status(rel_id).final


def test_nothing_changes_a_final_relationship(mf: Mentorflow, rel_id: str) -> None:
    """After withdrawal, submissions are refused with `relationship.final`."""
    mf.fire(rel_id, "withdraw", actor="ann", reason="done")
    with pytest.raises(Exception, match="has ended \\(state 'withdrawn'\\); cannot submit") as caught:
        mf.submit(rel_id, "idp", valid("idp"), actor="bob")
    assert getattr(caught.value, "code", None) == "relationship.final"
