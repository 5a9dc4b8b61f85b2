"""Who may do what, for every built-in workflow: strangers, each role, administrators and the system clock, for
every kind of write (start, join, leave, submit, sign, fire, force), and who may revise an item. A refusal carries
its code and writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from mentorflow import Actor, Blocked, Mentorflow, MentorflowError, NotAllowed, ReasonRequired
from mentorflow.errors import NotOwner
from tests.content import valid

ADMIN = Actor.admin("carol")
SYSTEM = Actor.system()


@dataclass(frozen=True)
class Case:
    """One workflow's people and the one write of each operation that the table tries as every actor."""

    workflow: str
    people: dict[str, list[str]]
    actors: dict[str, Actor | str]
    join: tuple[str, str]
    leave: str
    slot: str
    trigger: str
    prepare_fire: Callable[[Mentorflow, str], None]
    submitter: str
    """Who submits ``slot`` before a signature is tried."""


def _dyad_fire(mf: Mentorflow, rel_id: str) -> None:
    mf.submit(rel_id, "idp", valid("idp"), actor="bob")


def _facilitated_fire(mf: Mentorflow, rel_id: str) -> None:
    mf.submit(rel_id, "curriculum", valid("curriculum"), actor="fay")


def _group_fire(mf: Mentorflow, rel_id: str) -> None:
    for mentee in ("ea", "eb", "ec"):
        mf.submit(rel_id, "idp", valid("idp"), actor=mentee)


def _micro_fire(mf: Mentorflow, rel_id: str) -> None:
    mf.submit(rel_id, "idp", valid("idp"), actor="bob")
    mf.submit(rel_id, "brief", valid("micro_brief"), actor="bob")


def _peer_fire(mf: Mentorflow, rel_id: str) -> None:
    mf.submit(rel_id, "agreement", valid("agreement"), actor="pat")
    for person in ("pat", "quin", "ray"):
        mf.sign(rel_id, "agreement", actor=person, revision=1)


CASES = {
    "traditional-dyad": Case(
        "traditional-dyad",
        {"mentor": ["ann"], "mentee": ["bob"]},
        {"stranger": "zed", "mentor": "ann", "mentee": "bob", "admin": ADMIN, "system": SYSTEM},
        join=("mentor", "dan"),
        leave="bob",
        slot="idp",
        trigger="negotiate",
        prepare_fire=_dyad_fire,
        submitter="bob",
    ),
    "informal-peer": Case(
        "informal-peer",
        {"peer": ["pat", "quin", "ray"]},
        {"stranger": "zed", "peer": "pat", "admin": ADMIN, "system": SYSTEM},
        join=("peer", "dan"),
        leave="pat",
        slot="agreement",
        trigger="convene",
        prepare_fire=_peer_fire,
        submitter="pat",
    ),
    "facilitated-peer": Case(
        "facilitated-peer",
        {"facilitator": ["fay"], "member": ["mo", "mu", "my"]},
        {"stranger": "zed", "facilitator": "fay", "member": "mo", "admin": ADMIN, "system": SYSTEM},
        join=("member", "dan"),
        leave="mo",
        slot="agreement",
        trigger="launch",
        prepare_fire=_facilitated_fire,
        submitter="fay",
    ),
    "group": Case(
        "group",
        {"mentor": ["ma", "mb"], "mentee": ["ea", "eb", "ec"]},
        {"stranger": "zed", "mentor": "ma", "mentee": "ea", "admin": ADMIN, "system": SYSTEM},
        join=("mentee", "dan"),
        leave="ea",
        slot="agreement",
        trigger="charter",
        prepare_fire=_group_fire,
        submitter="ma",
    ),
    "micro-mentoring": Case(
        "micro-mentoring",
        {"mentor": ["ann"], "mentee": ["bob"]},
        {"stranger": "zed", "mentor": "ann", "mentee": "bob", "admin": ADMIN, "system": SYSTEM},
        join=("mentor", "dan"),
        leave="bob",
        slot="idp",
        trigger="schedule",
        prepare_fire=_micro_fire,
        submitter="bob",
    ),
}

OK = None
NOT_PARTICIPANT = "actor.not_participant"
NOT_ALLOWED = "actor.not_allowed"
NOT_SIGNER = "signature.not_signer"
CARDINALITY = "participants.cardinality"

TABLE: dict[str, dict[str, dict[str, str | None]]] = {
    "traditional-dyad": {
        "start": {"stranger": NOT_ALLOWED, "mentor": OK, "mentee": OK, "admin": OK, "system": NOT_ALLOWED},
        "join": {
            "stranger": NOT_PARTICIPANT,
            "mentor": NOT_ALLOWED,
            "mentee": NOT_ALLOWED,
            "admin": CARDINALITY,
            "system": NOT_ALLOWED,
        },
        "leave": {
            "stranger": NOT_PARTICIPANT,
            "mentor": NOT_ALLOWED,
            "mentee": CARDINALITY,
            "admin": CARDINALITY,
            "system": NOT_ALLOWED,
        },
        "submit": {
            "stranger": NOT_PARTICIPANT,
            "mentor": NOT_ALLOWED,
            "mentee": OK,
            "admin": OK,
            "system": NOT_ALLOWED,
        },
        "sign": {"stranger": NOT_PARTICIPANT, "mentor": OK, "mentee": OK, "admin": NOT_SIGNER, "system": NOT_SIGNER},
        "fire": {"stranger": NOT_PARTICIPANT, "mentor": OK, "mentee": OK, "admin": OK, "system": NOT_ALLOWED},
        "force": {
            "stranger": NOT_PARTICIPANT,
            "mentor": NOT_ALLOWED,
            "mentee": NOT_ALLOWED,
            "admin": OK,
            "system": NOT_ALLOWED,
        },
    },
    "informal-peer": {
        "start": {"stranger": NOT_ALLOWED, "peer": OK, "admin": OK, "system": NOT_ALLOWED},
        "join": {"stranger": NOT_PARTICIPANT, "peer": OK, "admin": OK, "system": NOT_ALLOWED},
        "leave": {"stranger": NOT_PARTICIPANT, "peer": OK, "admin": OK, "system": NOT_ALLOWED},
        "submit": {"stranger": NOT_PARTICIPANT, "peer": OK, "admin": OK, "system": NOT_ALLOWED},
        "sign": {"stranger": NOT_PARTICIPANT, "peer": OK, "admin": NOT_SIGNER, "system": NOT_SIGNER},
        "fire": {"stranger": NOT_PARTICIPANT, "peer": OK, "admin": OK, "system": NOT_ALLOWED},
        "force": {"stranger": NOT_PARTICIPANT, "peer": NOT_ALLOWED, "admin": OK, "system": NOT_ALLOWED},
    },
    "facilitated-peer": {
        "start": {"stranger": NOT_ALLOWED, "facilitator": OK, "member": OK, "admin": OK, "system": NOT_ALLOWED},
        "join": {
            "stranger": NOT_PARTICIPANT,
            "facilitator": OK,
            "member": NOT_ALLOWED,
            "admin": OK,
            "system": NOT_ALLOWED,
        },
        "leave": {
            "stranger": NOT_PARTICIPANT,
            "facilitator": CARDINALITY,
            "member": CARDINALITY,
            "admin": CARDINALITY,
            "system": NOT_ALLOWED,
        },
        "submit": {"stranger": NOT_PARTICIPANT, "facilitator": OK, "member": OK, "admin": OK, "system": NOT_ALLOWED},
        "sign": {
            "stranger": NOT_PARTICIPANT,
            "facilitator": OK,
            "member": OK,
            "admin": NOT_SIGNER,
            "system": NOT_SIGNER,
        },
        "fire": {
            "stranger": NOT_PARTICIPANT,
            "facilitator": OK,
            "member": NOT_ALLOWED,
            "admin": OK,
            "system": NOT_ALLOWED,
        },
        "force": {
            "stranger": NOT_PARTICIPANT,
            "facilitator": NOT_ALLOWED,
            "member": NOT_ALLOWED,
            "admin": OK,
            "system": NOT_ALLOWED,
        },
    },
    "group": {
        "start": {"stranger": NOT_ALLOWED, "mentor": OK, "mentee": OK, "admin": OK, "system": NOT_ALLOWED},
        "join": {"stranger": NOT_PARTICIPANT, "mentor": OK, "mentee": NOT_ALLOWED, "admin": OK, "system": NOT_ALLOWED},
        "leave": {
            "stranger": NOT_PARTICIPANT,
            "mentor": CARDINALITY,
            "mentee": CARDINALITY,
            "admin": CARDINALITY,
            "system": NOT_ALLOWED,
        },
        "submit": {"stranger": NOT_PARTICIPANT, "mentor": OK, "mentee": OK, "admin": OK, "system": NOT_ALLOWED},
        "sign": {"stranger": NOT_PARTICIPANT, "mentor": OK, "mentee": OK, "admin": NOT_SIGNER, "system": NOT_SIGNER},
        "fire": {"stranger": NOT_PARTICIPANT, "mentor": OK, "mentee": NOT_ALLOWED, "admin": OK, "system": NOT_ALLOWED},
        "force": {
            "stranger": NOT_PARTICIPANT,
            "mentor": NOT_ALLOWED,
            "mentee": NOT_ALLOWED,
            "admin": OK,
            "system": NOT_ALLOWED,
        },
    },
    "micro-mentoring": {
        "start": {"stranger": NOT_ALLOWED, "mentor": OK, "mentee": OK, "admin": OK, "system": NOT_ALLOWED},
        "join": {
            "stranger": NOT_PARTICIPANT,
            "mentor": NOT_ALLOWED,
            "mentee": NOT_ALLOWED,
            "admin": CARDINALITY,
            "system": NOT_ALLOWED,
        },
        "leave": {
            "stranger": NOT_PARTICIPANT,
            "mentor": NOT_ALLOWED,
            "mentee": CARDINALITY,
            "admin": CARDINALITY,
            "system": NOT_ALLOWED,
        },
        "submit": {
            "stranger": NOT_PARTICIPANT,
            "mentor": NOT_ALLOWED,
            "mentee": OK,
            "admin": OK,
            "system": NOT_ALLOWED,
        },
        "sign": {"stranger": NOT_PARTICIPANT, "mentor": OK, "mentee": OK, "admin": NOT_SIGNER, "system": NOT_SIGNER},
        "fire": {"stranger": NOT_PARTICIPANT, "mentor": OK, "mentee": NOT_ALLOWED, "admin": OK, "system": NOT_ALLOWED},
        "force": {
            "stranger": NOT_PARTICIPANT,
            "mentor": NOT_ALLOWED,
            "mentee": NOT_ALLOWED,
            "admin": OK,
            "system": NOT_ALLOWED,
        },
    },
}

ROWS = [
    (workflow, operation, actor, expected)
    for workflow, operations in TABLE.items()
    for operation, outcomes in operations.items()
    for actor, expected in outcomes.items()
]


def _attempt(mf: Mentorflow, case: Case, operation: str, rel_id: str, actor: Actor | str) -> object:
    operations: dict[str, Callable[[], object]] = {
        "start": lambda: mf.start(case.workflow, case.people, actor=actor),
        "join": lambda: mf.join(rel_id, *case.join, actor=actor),
        "leave": lambda: mf.leave(rel_id, case.leave, actor=actor, reason="moving on"),
        "submit": lambda: mf.submit(rel_id, case.slot, valid(case.slot), actor=actor),
        "sign": lambda: mf.sign(rel_id, case.slot, actor=actor, revision=1),
        "fire": lambda: mf.fire(rel_id, case.trigger, actor=actor),
        "force": lambda: mf.fire(rel_id, case.trigger, actor=actor, force=True, reason="paper copy on file"),
    }
    return operations[operation]()


def _prepare(mf: Mentorflow, case: Case, operation: str, rel_id: str) -> None:
    if operation == "sign":
        mf.submit(rel_id, case.slot, valid(case.slot), actor=case.submitter)
    elif operation == "fire":
        case.prepare_fire(mf, rel_id)


@pytest.mark.parametrize(
    ("workflow", "operation", "actor", "expected"), ROWS, ids=[f"{w}-{o}-{a}" for w, o, a, _ in ROWS]
)
def test_who_may_do_what(mf: Mentorflow, workflow: str, operation: str, actor: str, expected: str | None) -> None:
    """Each actor either does the operation, or is refused with the stable code and nothing is written."""
    case = CASES[workflow]
    rel_id = mf.start(case.workflow, case.people, actor=ADMIN).id
    _prepare(mf, case, operation, rel_id)
    before = mf.history(rel_id)
    if expected is None:
        _attempt(mf, case, operation, rel_id, case.actors[actor])
        return
    with pytest.raises(MentorflowError) as caught:
        _attempt(mf, case, operation, rel_id, case.actors[actor])
    assert caught.value.code == expected
    assert mf.history(rel_id) == before


def test_a_stranger_is_told_the_roles_but_not_the_people(mf: Mentorflow) -> None:
    """Refusing a stranger names the roles that take part, never who holds them, for writes and reads alike."""
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    for attempt in (
        lambda: mf.submit(rel_id, "idp", valid("idp"), actor="zed"),
        lambda: mf.status(rel_id, actor="zed"),
    ):
        with pytest.raises(MentorflowError, match="'zed' is not a participant of relationship") as caught:
            attempt()
        assert caught.value.hint == (
            "Only its participants (mentor, mentee) and administrators act here; an administrator can add you."
        )


def test_a_stranger_is_refused_before_any_name_or_state_is_checked(mf: Mentorflow) -> None:
    """A trigger or slot name that does not exist, or a relationship that has ended, is not what a stranger hears:
    those refusals would tell them the state and the workflow (DESIGN §17: participation comes first)."""
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    ended = mf.start("micro-mentoring", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    mf.fire(ended, "decline", actor="ann", reason="no time this term")
    for attempt in (
        lambda: mf.fire(rel_id, "launch", actor="zed"),
        lambda: mf.fire(rel_id, "no-such-trigger", actor="zed", dry_run=True),
        lambda: mf.submit(rel_id, "no-such-slot", {}, actor="zed"),
        lambda: mf.sign(rel_id, "no-such-slot", actor="zed", revision=1),
        lambda: mf.join(ended, "mentee", "cy", actor="zed"),
        lambda: mf.leave(ended, "bob", actor="zed"),
    ):
        with pytest.raises(MentorflowError) as caught:
            attempt()
        assert caught.value.code == "actor.not_participant"
        assert "state" not in caught.value.message
        assert "traditional-dyad" not in caught.value.message


def test_a_role_may_submit_only_to_its_slots(mf: Mentorflow) -> None:
    """The mentor may not submit the mentee's IDP; the hint names who submits it."""
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    with pytest.raises(NotAllowed, match=r"'ann' \(mentor\) may not submit 'idp'") as caught:
        mf.submit(rel_id, "idp", valid("idp"), actor="ann")
    assert caught.value.hint == "Slot 'idp' is submitted by: mentee."


def test_a_role_may_fire_only_its_triggers(mf: Mentorflow) -> None:
    """Only facilitators launch a facilitated peer group; a member is refused."""
    people = {"facilitator": ["fay"], "member": ["mo", "mu", "my"]}
    rel_id = mf.start("facilitated-peer", people, actor=ADMIN).id
    mf.submit(rel_id, "curriculum", valid("curriculum"), actor="fay")
    with pytest.raises(NotAllowed, match=r"'mo' \(member\) may not fire 'launch'"):
        mf.fire(rel_id, "launch", actor="mo")
    assert mf.fire(rel_id, "launch", actor="fay").payload["to"] == "launched"


def test_nobody_signs_for_someone_else(mf: Mentorflow) -> None:
    """A participant whose role does not sign a slot is `signature.not_signer`."""
    people = {"facilitator": ["fay"], "member": ["mo", "mu", "my"]}
    rel_id = mf.start("facilitated-peer", people, actor=ADMIN).id
    mf.submit(rel_id, "curriculum", valid("curriculum"), actor="fay")
    with pytest.raises(MentorflowError, match=r"'fay' \(facilitator\) does not sign 'curriculum'") as caught:
        mf.sign(rel_id, "curriculum", actor="fay", revision=1)
    assert caught.value.code == "signature.not_signer"


def test_admins_sign_nothing(mf: Mentorflow) -> None:
    """Administrators do not sign on anyone's behalf."""
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    mf.submit(rel_id, "agreement", valid("agreement"), actor="bob")
    with pytest.raises(MentorflowError, match="only participants sign, each for themselves"):
        mf.sign(rel_id, "agreement", actor=ADMIN, revision=1)


# -- forcing ----------------------------------------------------------------------------------------------------


def test_an_admin_force_is_an_override_listing_the_bypassed_blockers(mf: Mentorflow) -> None:
    """A forced fire is recorded as `overridden`, with the reason and every blocker it bypassed."""
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    event = mf.fire(rel_id, "negotiate", actor=ADMIN, force=True, reason="paper IDP on file")
    assert (event.kind, event.actor) == ("overridden", "admin:carol")
    assert event.payload == {
        "trigger": "negotiate",
        "from": "preparing",
        "to": "negotiating",
        "reason": "paper IDP on file",
        "bypassed": [
            {
                "code": "artifact.missing",
                "message": "no idp has been submitted (to be submitted by mentee bob)",
                "requirement": {"complete": "idp"},
            }
        ],
    }
    assert mf.status(rel_id).state == "negotiating"
    assert mf.verify().ok


def test_force_needs_a_reason(mf: Mentorflow) -> None:
    """An administrator forcing without a reason is `transition.reason_required`."""
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    with pytest.raises(ReasonRequired, match="forcing a transition needs a reason") as caught:
        mf.fire(rel_id, "negotiate", actor=ADMIN, force=True)
    assert caught.value.code == "transition.reason_required"


def test_only_admins_force(mf: Mentorflow) -> None:
    """A participant who may fire a trigger still may not force it."""
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    with pytest.raises(NotAllowed, match="only administrators may force a transition") as caught:
        mf.fire(rel_id, "negotiate", actor="bob", force=True, reason="please")
    assert caught.value.code == "actor.not_allowed"


def test_an_admin_without_force_is_blocked_like_anyone(mf: Mentorflow) -> None:
    """Administrators may fire any trigger, but requirements still hold them unless they force."""
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    with pytest.raises(Blocked, match="no idp has been submitted"):
        mf.fire(rel_id, "negotiate", actor=ADMIN)


def test_the_system_fires_only_timed_triggers(mf: Mentorflow) -> None:
    """The clock may not fire a trigger that is not timed."""
    rel_id = mf.start("micro-mentoring", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    with pytest.raises(NotAllowed, match="the system clock fires only timed triggers; 'schedule' is not timed"):
        mf.fire(rel_id, "schedule", actor=SYSTEM)


def test_the_system_clock_adds_and_removes_nobody(mf: Mentorflow) -> None:
    """The clock may not remove a participant, nor add one."""
    rel_id = mf.start("informal-peer", {"peer": ["pat", "quin", "ray"]}, actor=ADMIN).id
    with pytest.raises(NotAllowed, match="'system' may not remove 'pat'"):
        mf.leave(rel_id, "pat", actor=SYSTEM)
    with pytest.raises(NotAllowed, match="the system clock does not add participants"):
        mf.join(rel_id, "peer", "dan", actor=SYSTEM)


# -- items have owners (DESIGN §10) -----------------------------------------------------------------------------

OWNERS: dict[str, tuple[str, str, str]] = {
    "traditional-dyad": ("meeting", "ann", "bob"),
    "informal-peer": ("meeting", "pat", "quin"),
    "facilitated-peer": ("meeting", "fay", "mo"),
    "group": ("meeting", "ma", "ea"),
    "micro-mentoring": ("meeting", "ann", "bob"),
}
"""Per workflow: a repeatable slot, the owner of its first item, and another participant who submits to it."""


@pytest.mark.parametrize("workflow", OWNERS)
def test_only_its_owner_revises_an_item(mf: Mentorflow, workflow: str) -> None:
    """Another participant who may submit to the slot still may not revise someone's item: `actor.not_owner`."""
    slot, owner, other = OWNERS[workflow]
    rel_id = mf.start(workflow, CASES[workflow].people, actor=ADMIN).id
    mf.submit(rel_id, slot, valid(slot), actor=owner)
    before = mf.history(rel_id)
    with pytest.raises(
        NotOwner, match=rf"item 1 of '{slot}' belongs to '{owner}'; '{other}' may not revise it"
    ) as caught:
        mf.submit(rel_id, slot, valid(slot) | {"notes": "rewritten"}, actor=other, item=1)
    assert (caught.value.code, caught.value.slot, caught.value.actor) == ("actor.not_owner", slot, other)
    assert mf.history(rel_id) == before
    assert mf.submit(rel_id, slot, valid(slot) | {"notes": "follow-up"}, actor=owner, item=1).revision == 2


@pytest.mark.parametrize("workflow", OWNERS)
def test_an_admin_revises_any_item_and_the_event_names_its_owner(mf: Mentorflow, workflow: str) -> None:
    """An administrator's revision is recorded as theirs, with the owner named; the item stays the owner's."""
    slot, owner, _ = OWNERS[workflow]
    rel_id = mf.start(workflow, CASES[workflow].people, actor=ADMIN).id
    mf.submit(rel_id, slot, valid(slot), actor=owner)
    revised = mf.submit(rel_id, slot, valid(slot) | {"notes": "corrected"}, actor=ADMIN, item=1)
    event = mf.history(rel_id)[-1]
    assert (revised.submitted_by, event.actor, event.payload["owner"]) == ("admin:carol", "admin:carol", owner)
    assert mf.submit(rel_id, slot, valid(slot) | {"notes": "mine again"}, actor=owner, item=1).revision == 3
    assert mf.verify().ok


@pytest.mark.parametrize("workflow", OWNERS)
def test_an_owner_revising_their_item_names_no_owner(mf: Mentorflow, workflow: str) -> None:
    """The `owner` key appears only when someone else revised the item."""
    slot, owner, _ = OWNERS[workflow]
    rel_id = mf.start(workflow, CASES[workflow].people, actor=ADMIN).id
    mf.submit(rel_id, slot, valid(slot), actor=owner)
    mf.submit(rel_id, slot, valid(slot) | {"notes": "follow-up"}, actor=owner, item=1)
    assert "owner" not in mf.history(rel_id)[-1].payload


@pytest.mark.parametrize("workflow", OWNERS)
def test_a_submission_without_an_item_is_a_new_item(mf: Mentorflow, workflow: str) -> None:
    """Submitting to a repeatable slot without naming an item creates one, even with identical content."""
    slot, owner, other = OWNERS[workflow]
    rel_id = mf.start(workflow, CASES[workflow].people, actor=ADMIN).id
    first = mf.submit(rel_id, slot, valid(slot), actor=owner)
    second = mf.submit(rel_id, slot, valid(slot), actor=other)
    assert [(first.item, first.unchanged), (second.item, second.unchanged)] == [(1, False), (2, False)]
