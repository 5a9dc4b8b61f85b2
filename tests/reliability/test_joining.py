"""Joining and leaving, for every built-in workflow (DESIGN §10): people are added by administrators and by the
roles a role's `added_by` names; anyone may leave, down to the role's minimum; removing someone else takes an
administrator or an `added_by` role. A refusal carries its code and writes nothing."""

from __future__ import annotations

import pytest

from mentorflow import Actor, Mentorflow, MentorflowError, NotAllowed
from tests.reliability.test_authorization import ADMIN, CARDINALITY, CASES, NOT_ALLOWED, OK

JOINS: list[tuple[str, str, str, str | None]] = [
    # workflow, role joined, who adds (a role of the workflow, or admin), outcome
    ("traditional-dyad", "mentor", "mentor", NOT_ALLOWED),
    ("traditional-dyad", "mentee", "mentor", NOT_ALLOWED),
    ("traditional-dyad", "mentee", "mentee", NOT_ALLOWED),
    ("traditional-dyad", "mentee", "admin", CARDINALITY),
    ("informal-peer", "peer", "peer", OK),
    ("informal-peer", "peer", "admin", OK),
    ("facilitated-peer", "facilitator", "facilitator", NOT_ALLOWED),
    ("facilitated-peer", "facilitator", "member", NOT_ALLOWED),
    ("facilitated-peer", "facilitator", "admin", OK),
    ("facilitated-peer", "member", "facilitator", OK),
    ("facilitated-peer", "member", "member", NOT_ALLOWED),
    ("facilitated-peer", "member", "admin", OK),
    ("group", "mentor", "mentor", NOT_ALLOWED),
    ("group", "mentor", "mentee", NOT_ALLOWED),
    ("group", "mentor", "admin", OK),
    ("group", "mentee", "mentor", OK),
    ("group", "mentee", "mentee", NOT_ALLOWED),
    ("group", "mentee", "admin", OK),
    ("micro-mentoring", "mentor", "mentee", NOT_ALLOWED),
    ("micro-mentoring", "mentee", "mentor", NOT_ALLOWED),
    ("micro-mentoring", "mentee", "admin", CARDINALITY),
]


@pytest.mark.parametrize(
    ("workflow", "role", "adder", "expected"), JOINS, ids=[f"{w}-{r}-by-{a}" for w, r, a, _ in JOINS]
)
def test_people_are_added_by_the_roles_in_added_by(
    mf: Mentorflow, workflow: str, role: str, adder: str, expected: str | None
) -> None:
    """Only administrators and holders of a role in the joined role's `added_by` add people."""
    case = CASES[workflow]
    rel_id = mf.start(workflow, case.people, actor=ADMIN).id
    actor = case.actors[adder]
    if expected is None:
        assert mf.join(rel_id, role, "dan", actor=actor).payload == {"person": "dan", "role": role}
        return
    before = mf.history(rel_id)
    with pytest.raises(MentorflowError) as caught:
        mf.join(rel_id, role, "dan", actor=actor)
    assert caught.value.code == expected
    assert mf.history(rel_id) == before


ROOMY: dict[str, dict[str, list[str]]] = {
    "traditional-dyad": {"mentor": ["ann"], "mentee": ["bob"]},
    "informal-peer": {"peer": ["pat", "quin", "ray"]},
    "facilitated-peer": {"facilitator": ["fay", "fee"], "member": ["mo", "mu", "my", "mi"]},
    "group": {"mentor": ["ma", "mb", "mc"], "mentee": ["ea", "eb", "ec", "ed"]},
    "micro-mentoring": {"mentor": ["ann"], "mentee": ["bob"]},
}
"""People with room above every minimum that can have it, so that a removal is refused only by the rules."""

REMOVALS: list[tuple[str, str, str, str | None]] = [
    # workflow, who is removed, who removes them (a person, or admin), outcome
    ("traditional-dyad", "bob", "ann", NOT_ALLOWED),
    ("traditional-dyad", "ann", "bob", NOT_ALLOWED),
    ("traditional-dyad", "bob", "admin", CARDINALITY),
    ("informal-peer", "quin", "pat", OK),
    ("informal-peer", "quin", "admin", OK),
    ("facilitated-peer", "mo", "fay", OK),
    ("facilitated-peer", "mo", "mu", NOT_ALLOWED),
    ("facilitated-peer", "fee", "fay", NOT_ALLOWED),
    ("facilitated-peer", "fee", "mo", NOT_ALLOWED),
    ("facilitated-peer", "fee", "admin", OK),
    ("group", "ea", "ma", OK),
    ("group", "ea", "eb", NOT_ALLOWED),
    ("group", "mb", "ma", NOT_ALLOWED),
    ("group", "mb", "ea", NOT_ALLOWED),
    ("group", "mb", "admin", OK),
    ("micro-mentoring", "bob", "ann", NOT_ALLOWED),
    ("micro-mentoring", "ann", "bob", NOT_ALLOWED),
    ("micro-mentoring", "ann", "admin", CARDINALITY),
]


@pytest.mark.parametrize(
    ("workflow", "person", "remover", "expected"), REMOVALS, ids=[f"{w}-{p}-by-{r}" for w, p, r, _ in REMOVALS]
)
def test_removing_someone_else_takes_an_admin_or_an_added_by_role(
    mf: Mentorflow, workflow: str, person: str, remover: str, expected: str | None
) -> None:
    """A participant removes another only when their role is in the `added_by` of that person's role."""
    rel_id = mf.start(workflow, ROOMY[workflow], actor=ADMIN).id
    actor: Actor | str = ADMIN if remover == "admin" else remover
    if expected is None:
        assert mf.leave(rel_id, person, actor=actor, reason="moved on").payload["person"] == person
        return
    before = mf.history(rel_id)
    with pytest.raises(MentorflowError) as caught:
        mf.leave(rel_id, person, actor=actor, reason="moved on")
    assert caught.value.code == expected
    assert mf.history(rel_id) == before


LEAVING: list[tuple[str, str, str | None]] = [
    ("traditional-dyad", "bob", CARDINALITY),
    ("informal-peer", "pat", OK),
    ("facilitated-peer", "fee", OK),
    ("facilitated-peer", "mo", OK),
    ("group", "mb", OK),
    ("group", "ea", OK),
    ("micro-mentoring", "ann", CARDINALITY),
]


@pytest.mark.parametrize(("workflow", "person", "expected"), LEAVING, ids=[f"{w}-{p}" for w, p, _ in LEAVING])
def test_a_person_may_always_leave_down_to_the_minimum(
    mf: Mentorflow, workflow: str, person: str, expected: str | None
) -> None:
    """Leaving oneself needs no `added_by`; only the role's minimum can hold a person back."""
    rel_id = mf.start(workflow, ROOMY[workflow], actor=ADMIN).id
    if expected is None:
        assert mf.leave(rel_id, person, actor=person).payload["person"] == person
        return
    with pytest.raises(MentorflowError) as caught:
        mf.leave(rel_id, person, actor=person)
    assert caught.value.code == expected


def test_a_refusal_to_add_names_who_may(mf: Mentorflow) -> None:
    """The hint of a refused join names the roles that add people to the role, or says only administrators do."""
    rel_id = mf.start("group", CASES["group"].people, actor=ADMIN).id
    with pytest.raises(NotAllowed, match=r"'ea' \(mentee\) may not add people to role 'mentee'") as caught:
        mf.join(rel_id, "mentee", "dan", actor="ea")
    assert caught.value.hint == "People are added to 'mentee' by: mentor, or an administrator."
    with pytest.raises(NotAllowed, match=r"'ma' \(mentor\) may not add people to role 'mentor'") as caught:
        mf.join(rel_id, "mentor", "dan", actor="ma")
    assert caught.value.hint == "Only administrators add people to 'mentor'."
