"""Documents read back: `document`, `revisions` and `diff`, with the shapes of DESIGN §12."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from mentorflow import Actor, Mentorflow
from mentorflow.errors import ArtifactMissing, InvalidInput, NotFound, UnknownSlot
from tests.conftest import FakeClock
from tests.content import incomplete, valid

ADMIN = Actor.admin("carol")


def _dyad(mf: Mentorflow) -> str:
    return mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id


def test_a_document_comes_back_with_its_content_and_signatures(mf: Mentorflow, clock: FakeClock) -> None:
    """`show --format json` keys, in the kind's field order; content equal to what was submitted."""
    rel_id = _dyad(mf)
    submitted = mf.submit(rel_id, "idp", valid("idp"), actor="bob")
    clock.advance(1)
    mf.sign(rel_id, "idp", actor="ann", revision=1)
    document = json.loads(mf.document(rel_id, "idp").model_dump_json())
    assert {key: document[key] for key in ("relationship", "slot", "item", "revision", "complete", "missing")} == {
        "relationship": rel_id,
        "slot": "idp",
        "item": None,
        "revision": 1,
        "complete": True,
        "missing": [],
    }
    assert document["content"] == valid("idp")
    assert list(document["content"]) == ["self_assessment", "career_stage", "long_term_goals", "objectives"]
    assert (document["content_hash"], document["submitted_by"]) == (submitted.content_hash, "bob")
    assert document["signatures"] == [
        {"person": "ann", "role": "mentor", "at": clock().isoformat().replace("+00:00", "Z")}
    ]
    assert (document["kind"], document["title"]) == ("idp", "Individual Development Plan")


def test_an_older_revision_keeps_its_own_content_and_signatures(mf: Mentorflow) -> None:
    """Revision 1 stays readable after revision 2, with the signature it had; the draft has its `missing`."""
    rel_id = _dyad(mf)
    mf.submit(rel_id, "idp", valid("idp"), actor="bob")
    mf.sign(rel_id, "idp", actor="bob", revision=1)
    mf.submit(rel_id, "idp", incomplete("idp"), actor="bob")
    first, latest = mf.document(rel_id, "idp", revision=1), mf.document(rel_id, "idp")
    assert (first.revision, first.complete, [s.person for s in first.signatures]) == (1, True, ["bob"])
    assert (latest.revision, latest.complete, latest.signatures) == (2, False, [])
    assert latest.missing
    assert latest.content == incomplete("idp")


def test_items_of_a_repeatable_slot(mf: Mentorflow) -> None:
    """Without an item, the newest; with one, that item; revisions list every item's, oldest first."""
    rel_id = _dyad(mf)
    mf.submit(rel_id, "meeting", valid("meeting"), actor="ann")
    mf.submit(rel_id, "meeting", {**valid("meeting"), "date": "2026-03-24"}, actor="bob")
    mf.submit(rel_id, "meeting", {**valid("meeting"), "topics": ["grant"]}, actor="ann", item=1)
    assert mf.document(rel_id, "meeting").item == 2
    assert mf.document(rel_id, "meeting", item=1).content["topics"] == ["grant"]
    listing = [(r.item, r.revision, r.submitted_by) for r in mf.revisions(rel_id, "meeting")]
    assert listing == [(1, 1, "ann"), (1, 2, "ann"), (2, 1, "bob")]
    assert [r.revision for r in mf.revisions(rel_id, "meeting", item=1)] == [1, 2]


def test_revisions_list_who_signed_each(mf: Mentorflow) -> None:
    """`revisions` keys (§12), with `signed_by` per revision."""
    rel_id = _dyad(mf)
    first = mf.submit(rel_id, "idp", valid("idp"), actor="bob")
    mf.sign(rel_id, "idp", actor="bob", revision=1)
    [row] = [json.loads(r.model_dump_json()) for r in mf.revisions(rel_id, "idp")]
    assert set(row) == {"item", "revision", "complete", "content_hash", "submitted_by", "submitted_at", "signed_by"}
    assert (row["item"], row["revision"], row["content_hash"], row["signed_by"]) == (
        None,
        1,
        first.content_hash,
        ["bob"],
    )
    assert mf.revisions(rel_id, "agreement") == []


def test_diff_defaults_to_the_previous_revision_and_the_latest(mf: Mentorflow) -> None:
    """Paths as in `missing`; `before` null for added, `after` null for removed."""
    rel_id = _dyad(mf)
    plan = valid("idp")
    mf.submit(rel_id, "idp", plan, actor="bob")
    changed = valid("idp")
    changed["objectives"][1]["target_date"] = "2027-01-15"
    changed["long_term_goals"].append("mentor others")
    del changed["objectives"][0]["measure"]
    mf.submit(rel_id, "idp", changed, actor="bob")
    found = [json.loads(c.model_dump_json()) for c in mf.diff(rel_id, "idp")]
    assert found == [
        {"path": "long_term_goals[1]", "change": "added", "before": None, "after": "mentor others"},
        {"path": "objectives[0].measure", "change": "removed", "before": "paper under review", "after": None},
        {"path": "objectives[1].target_date", "change": "changed", "before": "2026-12-01", "after": "2027-01-15"},
    ]
    assert mf.diff(rel_id, "idp", old=2, new=1)[0].change == "removed"
    assert mf.diff(rel_id, "idp", old=1, new=1) == []


def test_the_first_revision_is_compared_with_nothing(mf: Mentorflow) -> None:
    """One revision only: every field is added."""
    rel_id = _dyad(mf)
    mf.submit(rel_id, "idp", valid("idp"), actor="bob")
    assert [(c.path, c.change) for c in mf.diff(rel_id, "idp")] == [(key, "added") for key in valid("idp")]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda mf, rel: mf.document(rel, "idp"), ArtifactMissing, "nothing has been submitted to 'idp'"),
        (lambda mf, rel: mf.document(rel, "plan"), UnknownSlot, "has no artifact slot 'plan'"),
        (lambda mf, _rel: mf.document("nope", "idp"), NotFound, "no relationship 'nope'"),
        (lambda mf, rel: mf.document(rel, "meeting", item=3), ArtifactMissing, "has no item 3"),
        (lambda mf, rel: mf.document(rel, "reflection", item=1), InvalidInput, "holds one document"),
        (lambda mf, rel: mf.document(rel, "meeting", revision=0), InvalidInput, "at least 1"),
        (lambda mf, rel: mf.document(rel, "meeting", revision=True), InvalidInput, "whole number"),
        (lambda mf, rel: mf.document(rel, "meeting", revision=5), ArtifactMissing, "has no revision 5"),
        (lambda mf, rel: mf.diff(rel, "meeting", old=9), ArtifactMissing, "has no revision 9"),
        (lambda mf, rel: mf.revisions(rel, "meeting", item=4), ArtifactMissing, "has no item 4"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_a_bad_read_is_a_clear_error(
    mf: Mentorflow, call: Callable[[Mentorflow, str], object], error: type[Exception], message: str
) -> None:
    """Each refusal has its code and names what is wrong."""
    rel_id = _dyad(mf)
    mf.submit(rel_id, "meeting", valid("meeting"), actor="ann")
    with pytest.raises(error, match=message):
        call(mf, rel_id)


def test_the_reads_take_their_arguments_as_the_contract_writes_them(mf: Mentorflow) -> None:
    """`document(rel, slot, item, revision, actor)`, `diff(rel, slot, item, old, new, actor)`, `person(id, actor)`."""
    rel_id = _dyad(mf)
    mf.submit(rel_id, "idp", valid("idp"), actor="bob")
    assert mf.document(rel_id, "idp", None, 1, "ann").revision == 1
    assert mf.revisions(rel_id, "idp", None, "ann")[0].revision == 1
    assert len(mf.diff(rel_id, "idp", None, None, 1, "ann")) == len(valid("idp"))
    assert mf.person("bob", "bob").person == "bob"
