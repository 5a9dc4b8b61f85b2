"""Reads take an actor: strangers are refused, hidden content is refused or left out (DESIGN §12)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mentorflow import Actor, Mentorflow
from mentorflow.errors import ArtifactHidden, InvalidActor, NotParticipant
from tests.content import valid

ADMIN = Actor.admin("carol")

Read = Callable[[Mentorflow, str, str | None], Any]
READS: dict[str, Callable[..., Any]] = {
    "status": lambda mf, rel, who: mf.status(rel, actor=who),
    "history": lambda mf, rel, who: mf.history(rel, actor=who),
    "show": lambda mf, rel, who: mf.document(rel, "idp", actor=who),
    "revisions": lambda mf, rel, who: mf.revisions(rel, "idp", actor=who),
    "diff": lambda mf, rel, who: mf.diff(rel, "idp", actor=who),
}


def _dyad(mf: Mentorflow) -> str:
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    mf.submit(rel_id, "idp", valid("idp"), actor="bob")
    return rel_id


def _evaluated(mf: Mentorflow) -> tuple[str, int, int]:
    """A dyad where each participant submitted an evaluation: (relationship, the mentee's item, the mentor's)."""
    rel_id = _dyad(mf)
    mine = mf.submit(rel_id, "evaluation", valid("evaluation"), actor="bob")
    theirs = mf.submit(rel_id, "evaluation", {**valid("evaluation"), "respondent_role": "mentor"}, actor="ann")
    assert mine.item is not None
    assert theirs.item is not None
    return rel_id, mine.item, theirs.item


@pytest.mark.parametrize("read", list(READS), ids=str)
def test_a_person_who_never_took_part_is_refused(mf: Mentorflow, read: str) -> None:
    """Every read of one relationship refuses a stranger, naming the roles that take part but not who holds them."""
    rel_id = _dyad(mf)
    with pytest.raises(NotParticipant, match="'eve' is not a participant") as caught:
        READS[read](mf, rel_id, "eve")
    assert "(mentor, mentee)" in caught.value.hint
    assert "ann" not in caught.value.hint


@pytest.mark.parametrize("read", list(READS), ids=str)
def test_a_reserved_id_is_refused_before_participation(mf: Mentorflow, read: str) -> None:
    """`system` is no person: `actor.invalid` comes first, as for writes (§17)."""
    rel_id = _dyad(mf)
    with pytest.raises(InvalidActor):
        READS[read](mf, rel_id, "system")


@pytest.mark.parametrize("read", list(READS), ids=str)
def test_participants_administrators_and_the_platform_read(mf: Mentorflow, read: str) -> None:
    """The idp is visible to every role; an administrator and a call without actor read it too."""
    rel_id = _dyad(mf)
    for who in ("ann", "bob", ADMIN, None):
        READS[read](mf, rel_id, who)


def test_a_mentor_may_not_read_the_mentees_evaluation(mf: Mentorflow) -> None:
    """The built-in evaluation is its author's and the administrators' only."""
    rel_id, mentee_item, mentor_item = _evaluated(mf)
    with pytest.raises(ArtifactHidden, match=f"'ann' may not read item {mentee_item} of 'evaluation'") as caught:
        mf.document(rel_id, "evaluation", item=mentee_item, actor="ann")
    assert caught.value.hint == "'evaluation' is read by the item's owner and administrators."
    assert (caught.value.relationship, caught.value.slot, caught.value.actor) == (rel_id, "evaluation", "ann")
    for read in (mf.revisions, mf.diff):
        with pytest.raises(ArtifactHidden):
            read(rel_id, "evaluation", mentee_item, actor="ann")
    assert mf.document(rel_id, "evaluation", item=mentor_item, actor="ann").submitted_by == "ann"
    for who in (ADMIN, None, "bob"):
        assert mf.document(rel_id, "evaluation", item=mentee_item, actor=who).submitted_by == "bob"


def test_without_an_item_a_reader_gets_the_newest_item_they_may_read(mf: Mentorflow) -> None:
    """The mentee's evaluation is the newest item, but the mentor is shown their own."""
    rel_id, mentee_item, mentor_item = _evaluated(mf)
    mf.submit(rel_id, "evaluation", valid("evaluation"), actor="bob")
    assert mf.document(rel_id, "evaluation", actor="ann").item == mentor_item
    assert mf.document(rel_id, "evaluation", actor="bob").item == mentee_item + 2


def test_only_hidden_items_is_a_refusal(mf: Mentorflow) -> None:
    """A reader who may read none of a slot's items is told so, not shown another's."""
    rel_id = _dyad(mf)
    item = mf.submit(rel_id, "evaluation", valid("evaluation"), actor="bob").item
    with pytest.raises(ArtifactHidden, match=f"item {item} of 'evaluation'"):
        mf.document(rel_id, "evaluation", actor="ann")


def test_listings_leave_out_what_the_reader_may_not_see(mf: Mentorflow) -> None:
    """status, history and revisions keep the mentor's own evaluation and drop the mentee's."""
    rel_id, mentee_item, mentor_item = _evaluated(mf)

    def evaluations(who: str | Actor | None) -> dict[str, list[int | None]]:
        return {
            "status": [a.item for a in mf.status(rel_id, actor=who).artifacts if a.slot == "evaluation"],
            "history": [
                e.payload["item"]
                for e in mf.history(rel_id, actor=who)
                if e.kind == "submitted" and e.payload["slot"] == "evaluation"
            ],
            "revisions": [r.item for r in mf.revisions(rel_id, "evaluation", actor=who)],
        }

    mine = [mentor_item]
    assert evaluations("ann") == {"status": mine, "history": mine, "revisions": mine}
    both = [mentee_item, mentor_item]
    assert evaluations(ADMIN) == evaluations(None) == {"status": both, "history": both, "revisions": both}


def test_someone_who_left_still_reads_what_they_took_part_in(mf: Mentorflow) -> None:
    """Leaving keeps a person's reads of the relationship; only people who never took part are refused."""
    people = {"mentor": ["ann", "amy"], "mentee": ["bob", "cat", "dan", "eve"]}
    rel_id = mf.start("group", people, actor=ADMIN).id
    mf.submit(rel_id, "agreement", valid("agreement"), actor="ann")
    mf.leave(rel_id, "eve", actor="eve")
    assert mf.document(rel_id, "agreement", actor="eve").submitted_by == "ann"
    assert "eve" not in [p.person for p in mf.status(rel_id, actor="eve").participants]


def test_a_group_mentees_plan_is_read_by_them_and_the_mentors_only(mf: Mentorflow) -> None:
    """`visible_to: [mentor]` on the group's idp: the other mentees read none of it."""
    people = {"mentor": ["ann", "amy"], "mentee": ["bob", "cat", "dan"]}
    rel_id = mf.start("group", people, actor=ADMIN).id
    item = mf.submit(rel_id, "idp", valid("idp"), actor="bob").item
    for who in ("bob", "ann", "amy"):
        assert mf.document(rel_id, "idp", item=item, actor=who).item == item
    with pytest.raises(ArtifactHidden, match=f"'cat' may not read item {item} of 'idp'") as caught:
        mf.document(rel_id, "idp", item=item, actor="cat")
    assert caught.value.hint == "'idp' is read by the item's owner, mentor and administrators."
    assert mf.revisions(rel_id, "idp", actor="cat") == []
