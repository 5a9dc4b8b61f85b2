"""Refused writes: each says what is wrong with a stable code, and leaves the database exactly as it was."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, select

from mentorflow import (
    Actor,
    AlreadySigned,
    ArtifactError,
    ArtifactInvalid,
    ArtifactLimit,
    CardinalityError,
    InvalidInput,
    Mentorflow,
    NotFound,
    UnknownSlot,
    UnknownTransition,
)
from mentorflow.store.tables import Base
from tests.content import invalid, valid

ADMIN = Actor.admin("carol")


def row_counts(mf: Mentorflow) -> dict[str, int]:
    with mf.engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in Base.metadata.sorted_tables
        }


@pytest.fixture
def dyad(mf: Mentorflow) -> str:
    return mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id


# -- participants -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("workflow", "people", "message"),
    [
        (
            "traditional-dyad",
            {"mentor": ["ann"]},
            r"breaks the role cardinalities of 'traditional-dyad': mentee: 0 \(allowed 1\.\.1\)",
        ),
        (
            "traditional-dyad",
            {"mentor": ["ann", "amy"], "mentee": []},
            r"mentor: 2 \(allowed 1\.\.1\); mentee: 0 \(allowed 1\.\.1\)",
        ),
        ("informal-peer", {"peer": [f"p{i}" for i in range(9)]}, r"peer: 9 \(allowed 2\.\.8\)"),
        ("group", {"mentor": ["m1", "m2"], "mentee": ["e1", "e2"]}, r"mentee: 2 \(allowed 3\.\.20\)"),
        (
            "traditional-dyad",
            {"mentor": ["ann"], "mentee": ["bob"], "coach": ["cy"]},
            "workflow 'traditional-dyad' has no role 'coach'",
        ),
        ("informal-peer", {"peer": ["pat", "pat"]}, "'pat' appear more than once; a person holds one role"),
    ],
)
def test_start_enforces_the_roles(mf: Mentorflow, workflow: str, people: dict[str, list[str]], message: str) -> None:
    """Starting with too few or too many people, an unknown role or a person twice is refused."""
    before = row_counts(mf)
    with pytest.raises(CardinalityError, match=message) as caught:
        mf.start(workflow, people, actor=ADMIN)
    assert caught.value.code == "participants.cardinality"
    assert row_counts(mf) == before


def test_join_refuses_a_full_role(mf: Mentorflow, dyad: str) -> None:
    """A dyad has room for one mentor."""
    with pytest.raises(CardinalityError, match=r"role 'mentor' is full \(1 of at most 1\)"):
        mf.join(dyad, "mentor", "amy", actor=ADMIN)


def test_join_refuses_someone_already_there(mf: Mentorflow) -> None:
    """A person holds one role in a relationship."""
    rel_id = mf.start("informal-peer", {"peer": ["pat", "quin"]}, actor=ADMIN).id
    with pytest.raises(CardinalityError, match="'quin' already takes part as peer"):
        mf.join(rel_id, "peer", "quin", actor=ADMIN)


def test_join_refuses_an_unknown_role(mf: Mentorflow, dyad: str) -> None:
    """Joining under a role the workflow lacks names the roles it has."""
    with pytest.raises(CardinalityError, match="workflow 'traditional-dyad' has no role 'coach'") as caught:
        mf.join(dyad, "coach", "cy", actor=ADMIN)
    assert caught.value.hint == "Roles: mentor, mentee."


def test_join_and_leave_change_the_participants(mf: Mentorflow) -> None:
    """A peer joins and another leaves, each recorded with the role."""
    rel_id = mf.start("informal-peer", {"peer": ["pat", "quin"]}, actor=ADMIN).id
    joined = mf.join(rel_id, "peer", "ray", actor="pat")
    left = mf.leave(rel_id, "quin", actor="quin", reason="new job")
    assert (joined.kind, joined.payload) == ("joined", {"person": "ray", "role": "peer"})
    assert (left.kind, left.payload) == ("left", {"person": "quin", "role": "peer", "reason": "new job"})
    assert [p.person for p in mf.status(rel_id).participants] == ["pat", "ray"]
    assert mf.verify().ok


def test_leave_refuses_to_go_below_the_minimum(mf: Mentorflow) -> None:
    """Two peers are the fewest an informal circle can have."""
    rel_id = mf.start("informal-peer", {"peer": ["pat", "quin"]}, actor=ADMIN).id
    with pytest.raises(CardinalityError, match="role 'peer' needs at least 2; 'quin' cannot leave"):
        mf.leave(rel_id, "quin", actor="quin")


def test_leave_refuses_a_stranger(mf: Mentorflow, dyad: str) -> None:
    """Removing someone who is not there is `actor.not_participant`."""
    with pytest.raises(Exception, match="'zed' is not a participant of relationship") as caught:
        mf.leave(dyad, "zed", actor=ADMIN)
    assert getattr(caught.value, "code", None) == "actor.not_participant"


def test_someone_who_left_can_no_longer_act(mf: Mentorflow) -> None:
    """After leaving, a peer is a stranger to the circle."""
    rel_id = mf.start("informal-peer", {"peer": ["pat", "quin", "ray"]}, actor=ADMIN).id
    mf.leave(rel_id, "ray", actor="ray")
    with pytest.raises(Exception, match="'ray' is not a participant") as caught:
        mf.submit(rel_id, "meeting", valid("meeting"), actor="ray")
    assert getattr(caught.value, "code", None) == "actor.not_participant"


# -- artifacts --------------------------------------------------------------------------------------------------


def test_a_repeatable_slot_with_a_cap_refuses_more_items(mf: Mentorflow) -> None:
    """Micro-mentoring keeps at most two meeting records; a third is `artifact.limit`, revising is fine."""
    rel_id = mf.start("micro-mentoring", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    mf.submit(rel_id, "meeting", valid("meeting"), actor="ann")
    mf.submit(rel_id, "meeting", valid("meeting"), actor="bob")
    with pytest.raises(ArtifactLimit, match="slot 'meeting' already holds 2 items, its maximum") as caught:
        mf.submit(rel_id, "meeting", valid("meeting"), actor="ann")
    revised = mf.submit(rel_id, "meeting", valid("meeting") | {"notes": "follow-up"}, actor="bob", item=2)
    assert caught.value.code == "artifact.limit"
    assert (revised.item, revised.revision) == (2, 2)


def test_an_unknown_slot_names_the_slots(mf: Mentorflow, dyad: str) -> None:
    """Submitting to a slot the workflow lacks is `artifact.unknown_slot`, listing the slots."""
    with pytest.raises(UnknownSlot, match="workflow 'traditional-dyad' has no artifact slot 'cv'") as caught:
        mf.submit(dyad, "cv", {"text": "x"}, actor="bob")
    assert caught.value.code == "artifact.unknown_slot"
    assert caught.value.hint == (
        "Slots: idp, agreement, meeting, reflection, progress_report, network_map, evaluation."
    )


def test_signing_an_unknown_slot_is_refused(mf: Mentorflow, dyad: str) -> None:
    """Signing a slot the workflow lacks is `artifact.unknown_slot` too."""
    with pytest.raises(UnknownSlot, match="has no artifact slot 'cv'"):
        mf.sign(dyad, "cv", actor="bob", revision=1)


@pytest.mark.parametrize(
    ("kind", "slot", "actor", "paths"),
    [
        ("idp", "idp", "bob", ["hobby", "long_term_goals", "objectives[0].category"]),
        ("agreement", "agreement", "ann", ["meeting_frequency", "start_date"]),
        ("meeting", "meeting", "ann", ["date", "duration_minutes"]),
        ("progress_report", "progress_report", "bob", ["period"]),
        ("reflection", "reflection", "bob", ["strengths[0]", "strengths[1]"]),
        ("network_map", "network_map", "bob", ["entries[0].category"]),
        ("evaluation", "evaluation", "ann", ["ratings.communication"]),
    ],
)
def test_invalid_content_is_refused_with_every_bad_path_and_nothing_stored(
    mf: Mentorflow, dyad: str, kind: str, slot: str, actor: str, paths: list[str]
) -> None:
    """Shape errors reject the submission, list each bad path, and store no row at all."""
    before = row_counts(mf)
    with pytest.raises(ArtifactInvalid, match=f"{kind} content has {len(paths)} invalid value") as caught:
        mf.submit(dyad, slot, invalid(kind), actor=actor)
    assert caught.value.code == "artifact.invalid"
    assert [error.path for error in caught.value.errors] == paths
    assert row_counts(mf) == before


@pytest.mark.parametrize("content", [None, "text", 42, ["a", "list"], 3.5])
def test_content_that_is_not_a_mapping_is_invalid(mf: Mentorflow, dyad: str, content: object) -> None:
    """Content must be a mapping of fields."""
    with pytest.raises(ArtifactInvalid, match="idp content must be a mapping of fields"):
        mf.submit(dyad, "idp", content, actor="bob")


def test_content_that_cannot_be_encoded_is_invalid(mf: Mentorflow, dyad: str) -> None:
    """Text with unpaired surrogates cannot be stored: it is refused with its path, not crashed on."""
    content = valid("reflection") | {"strengths": ["fine", "broken \udc80"]}
    before = row_counts(mf)
    with pytest.raises(ArtifactInvalid, match=r"strengths\[1\]: text contains unpaired surrogate characters"):
        mf.submit(dyad, "reflection", content, actor="bob")
    assert row_counts(mf) == before


def test_a_number_too_long_to_store_is_invalid(gates: Mentorflow) -> None:
    """An integer with more digits than Python will print is refused with its path, not crashed on."""
    rel_id = gates.start("gates", {"lead": "lea", "member": "max"}, actor=ADMIN).id
    before = row_counts(gates)
    with pytest.raises(ArtifactInvalid, match="count: the number has too many digits"):
        gates.submit(rel_id, "doc", {"text": "big", "count": 10**5000}, actor="lea")
    assert row_counts(gates) == before


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (1, "slot 'idp' holds one document; it has no items"),
    ],
)
def test_a_plain_slot_has_no_items(mf: Mentorflow, dyad: str, item: int, message: str) -> None:
    """Plain slots hold one document, revised over time."""
    with pytest.raises(InvalidInput, match=message):
        mf.submit(dyad, "idp", valid("idp"), actor="bob", item=item)


def test_revising_a_missing_item_is_refused(mf: Mentorflow, dyad: str) -> None:
    """Revising item 7 of a slot with one item names the items there are."""
    mf.submit(dyad, "meeting", valid("meeting"), actor="ann")
    with pytest.raises(InvalidInput, match="slot 'meeting' has no item 7") as caught:
        mf.submit(dyad, "meeting", valid("meeting"), actor="ann", item=7)
    assert caught.value.hint == "Items: 1."


# -- signatures -------------------------------------------------------------------------------------------------


def test_signing_twice_is_refused(mf: Mentorflow, dyad: str) -> None:
    """A person signs a revision once."""
    mf.submit(dyad, "agreement", valid("agreement"), actor="ann")
    mf.sign(dyad, "agreement", actor="ann", revision=1)
    with pytest.raises(AlreadySigned, match="'ann' already signed 'agreement' revision 1") as caught:
        mf.sign(dyad, "agreement", actor="ann", revision=1)
    assert caught.value.code == "signature.already_signed"


def test_signing_nothing_is_refused(mf: Mentorflow, dyad: str) -> None:
    """There is nothing to sign before a submission."""
    with pytest.raises(ArtifactError, match="there is no 'agreement' to sign yet") as caught:
        mf.sign(dyad, "agreement", actor="ann", revision=1)
    assert caught.value.code == "artifact.missing"


def test_signing_a_draft_is_refused(mf: Mentorflow, dyad: str) -> None:
    """An incomplete revision cannot be signed; the hint lists what is missing."""
    mf.submit(dyad, "agreement", {"goals": ["publish"]}, actor="ann")
    with pytest.raises(ArtifactError, match="'agreement' revision 1 is incomplete and cannot be signed") as caught:
        mf.sign(dyad, "agreement", actor="ann", revision=1)
    assert caught.value.code == "artifact.incomplete"
    assert caught.value.hint.startswith("Missing: meeting_frequency, meeting_mode, ")


# -- relationships and triggers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("operation", ["status", "history", "submit", "sign", "fire", "join", "leave"])
def test_an_unknown_relationship_is_not_found(mf: Mentorflow, operation: str) -> None:
    """Every operation on an id nobody started is `relationship.not_found`."""
    calls: dict[str, Callable[[], object]] = {
        "status": lambda: mf.status("nope"),
        "history": lambda: mf.history("nope"),
        "submit": lambda: mf.submit("nope", "idp", valid("idp"), actor="bob"),
        "sign": lambda: mf.sign("nope", "idp", actor="bob", revision=1),
        "fire": lambda: mf.fire("nope", "negotiate", actor="bob"),
        "join": lambda: mf.join("nope", "mentor", "ann", actor=ADMIN),
        "leave": lambda: mf.leave("nope", "ann", actor=ADMIN),
    }
    with pytest.raises(NotFound, match="no relationship 'nope'") as caught:
        calls[operation]()
    assert caught.value.code == "relationship.not_found"


@pytest.mark.parametrize(
    ("trigger", "message", "hint"),
    [
        (
            "fly",
            "workflow 'traditional-dyad' has no trigger 'fly'",
            "From 'preparing' these triggers fire: negotiate, withdraw.",
        ),
        (
            "launch",
            "trigger 'launch' does not fire from state 'preparing'",
            "From 'preparing' these triggers fire: negotiate, withdraw.",
        ),
    ],
)
def test_an_unknown_trigger_is_refused(mf: Mentorflow, dyad: str, trigger: str, message: str, hint: str) -> None:
    """A trigger the workflow lacks, or one that does not fire from here, is `transition.unknown`."""
    with pytest.raises(UnknownTransition, match=message) as caught:
        mf.fire(dyad, trigger, actor="bob")
    assert (caught.value.code, caught.value.hint) == ("transition.unknown", hint)


def test_nothing_fires_from_a_final_state(mf: Mentorflow, dyad: str) -> None:
    """A final state has no triggers; the hint says so."""
    mf.fire(dyad, "withdraw", actor="bob", reason="changed fields")
    with pytest.raises(UnknownTransition, match="trigger 'negotiate' does not fire from state 'withdrawn'") as caught:
        mf.fire(dyad, "negotiate", actor="bob")
    assert caught.value.hint == "State 'withdrawn' is final: nothing fires from it."


def test_an_existing_id_cannot_be_started_again(mf: Mentorflow) -> None:
    """`id=` must be new."""
    mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, id="pair-1", actor=ADMIN)
    with pytest.raises(Exception, match="a relationship with id 'pair-1' already exists") as caught:
        mf.start("informal-peer", {"peer": ["pat", "quin"]}, id="pair-1", actor=ADMIN)
    assert getattr(caught.value, "code", None) == "relationship.exists"


def test_an_unknown_workflow_is_not_found(mf: Mentorflow) -> None:
    """Starting an unknown workflow lists the known ones."""
    with pytest.raises(NotFound, match="unknown workflow 'speed-dating'") as caught:
        mf.start("speed-dating", {"mentor": "ann"}, actor=ADMIN)
    assert caught.value.code == "workflow.not_found"
    assert caught.value.hint.startswith("Known workflows: facilitated-peer, group, informal-peer, ")
