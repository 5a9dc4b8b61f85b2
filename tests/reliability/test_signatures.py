"""A signature binds the revision its signer read, for every built-in workflow (DESIGN §10).

`sign` names a revision; a revision that is no longer the latest is `signature.stale` and nothing is written.
Resubmitting identical content stores nothing, voids nothing and returns the latest revision `unchanged`, so that
one side cannot keep voiding the other's signatures. A hypothesis test interleaves submissions, reads and
signatures by two people at random: no signature ever lands on content its signer did not name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mentorflow import Actor, Mentorflow, MentorflowError
from mentorflow.errors import NotOwner, StaleSignature
from tests.content import valid
from tests.reliability.test_authorization import CASES

ADMIN = Actor.admin("carol")

SIGNED: dict[str, tuple[str, str, str, str]] = {
    "traditional-dyad": ("agreement", "agreement", "ann", "bob"),
    "informal-peer": ("agreement", "agreement", "pat", "quin"),
    "facilitated-peer": ("agreement", "agreement", "fay", "mo"),
    "group": ("agreement", "agreement", "ma", "ea"),
    "micro-mentoring": ("conversion", "consent", "ann", "bob"),
}
"""Per workflow: a signed slot, its kind, a signer who submits it, and a co-submitter who revises it."""


def _changed(kind: str, mark: str = "revised") -> dict[str, Any]:
    """Valid content of ``kind`` with one text changed: the clause a co-submitter rewrites."""
    content = valid(kind)
    key = {"agreement": "confidentiality", "consent": "statement"}[kind]
    content[key] = f"{content[key]} ({mark})"
    return content


@pytest.mark.parametrize("workflow", SIGNED)
def test_a_signature_on_a_revision_no_longer_latest_is_stale(mf: Mentorflow, workflow: str) -> None:
    """Revised between reading and signing: the signature is refused, its hint names the latest revision."""
    slot, kind, signer, reviser = SIGNED[workflow]
    rel_id = mf.start(workflow, CASES[workflow].people, actor=ADMIN).id
    read = mf.submit(rel_id, slot, valid(kind), actor=signer)
    mf.submit(rel_id, slot, _changed(kind), actor=reviser)
    before = mf.history(rel_id)
    with pytest.raises(StaleSignature, match=f"{slot} revision 1 is not its latest revision") as caught:
        mf.sign(rel_id, slot, actor=signer, revision=read.revision)
    assert (caught.value.code, caught.value.slot) == ("signature.stale", slot)
    assert caught.value.hint == "The latest is revision 2; read it, then sign revision 2."
    assert mf.history(rel_id) == before


@pytest.mark.parametrize("workflow", SIGNED)
def test_a_signature_binds_the_named_revision_and_its_content(mf: Mentorflow, workflow: str) -> None:
    """Signing the latest revision records that revision's number and content hash."""
    slot, kind, signer, reviser = SIGNED[workflow]
    rel_id = mf.start(workflow, CASES[workflow].people, actor=ADMIN).id
    mf.submit(rel_id, slot, valid(kind), actor=signer)
    latest = mf.submit(rel_id, slot, _changed(kind), actor=reviser)
    event = mf.sign(rel_id, slot, actor=signer, revision=latest.revision)
    assert (event.payload["revision"], event.payload["content_hash"]) == (2, latest.content_hash)


@pytest.mark.parametrize("revision", [0, 3, -1], ids=["zero", "not-yet", "negative"])
def test_a_revision_that_does_not_exist_is_stale_too(mf: Mentorflow, revision: int) -> None:
    """Any revision but the latest is refused, also one that was never submitted."""
    rel_id = mf.start("traditional-dyad", CASES["traditional-dyad"].people, actor=ADMIN).id
    mf.submit(rel_id, "agreement", valid("agreement"), actor="ann")
    with pytest.raises(StaleSignature, match=f"agreement revision {revision} is not its latest revision"):
        mf.sign(rel_id, "agreement", actor="bob", revision=revision)


@pytest.mark.parametrize(
    ("revision", "message"),
    [("1", "a revision number must be a whole number, got str"), (None, "a signature needs the revision its signer")],
    ids=["text", "none"],
)
def test_the_revision_is_a_whole_number(mf: Mentorflow, revision: object, message: str) -> None:
    """A missing revision, or one that is not an integer, is `input.invalid`, not a crash nor the latest."""
    rel_id = mf.start("traditional-dyad", CASES["traditional-dyad"].people, actor=ADMIN).id
    mf.submit(rel_id, "agreement", valid("agreement"), actor="ann")
    with pytest.raises(MentorflowError, match=message) as caught:
        mf.sign(rel_id, "agreement", actor="bob", revision=revision)  # type: ignore[arg-type]
    assert caught.value.code == "input.invalid"


# -- identical resubmission -------------------------------------------------------------------------------------


@pytest.mark.parametrize("workflow", SIGNED)
def test_identical_content_stores_nothing_and_voids_nothing(mf: Mentorflow, workflow: str) -> None:
    """The same content again (keys in another order) returns the latest revision, unchanged, still signed."""
    slot, kind, signer, reviser = SIGNED[workflow]
    rel_id = mf.start(workflow, CASES[workflow].people, actor=ADMIN).id
    first = mf.submit(rel_id, slot, valid(kind), actor=signer)
    mf.sign(rel_id, slot, actor=signer, revision=first.revision)
    before = mf.history(rel_id)
    again = mf.submit(rel_id, slot, dict(reversed(list(valid(kind).items()))), actor=reviser)
    assert again.unchanged
    assert again.model_dump(exclude={"unchanged"}) == first.model_dump(exclude={"unchanged"})
    assert mf.history(rel_id) == before
    [artifact] = [a for a in mf.status(rel_id).artifacts if a.slot == slot]
    assert (artifact.revision, artifact.signed_by) == (1, [signer])


@pytest.mark.parametrize("workflow", SIGNED)
def test_changed_content_is_a_new_revision_that_voids_signatures(mf: Mentorflow, workflow: str) -> None:
    """Different content is a new revision, not unchanged, and the signatures on the old one no longer count."""
    slot, kind, signer, reviser = SIGNED[workflow]
    rel_id = mf.start(workflow, CASES[workflow].people, actor=ADMIN).id
    first = mf.submit(rel_id, slot, valid(kind), actor=signer)
    mf.sign(rel_id, slot, actor=signer, revision=first.revision)
    second = mf.submit(rel_id, slot, _changed(kind), actor=reviser)
    assert (second.revision, second.unchanged) == (2, False)
    [artifact] = [a for a in mf.status(rel_id).artifacts if a.slot == slot]
    assert (artifact.revision, artifact.signed_by) == (2, [])


def test_identical_content_to_an_older_revision_is_a_new_revision(mf: Mentorflow) -> None:
    """Only the latest revision counts: going back to earlier content is a change."""
    rel_id = mf.start("traditional-dyad", CASES["traditional-dyad"].people, actor=ADMIN).id
    mf.submit(rel_id, "agreement", valid("agreement"), actor="ann")
    mf.submit(rel_id, "agreement", _changed("agreement"), actor="bob")
    back = mf.submit(rel_id, "agreement", valid("agreement"), actor="ann")
    assert (back.revision, back.unchanged) == (3, False)


def test_identical_content_to_an_item_returns_that_item(mf: Mentorflow) -> None:
    """Revising an item with its own content again is unchanged; the owner rule still comes first."""
    rel_id = mf.start("traditional-dyad", CASES["traditional-dyad"].people, actor=ADMIN).id
    mf.submit(rel_id, "meeting", valid("meeting"), actor="ann")
    again = mf.submit(rel_id, "meeting", valid("meeting"), actor="ann", item=1)
    assert (again.item, again.revision, again.unchanged, again.submitted_by) == (1, 1, True, "ann")
    with pytest.raises(NotOwner, match="belongs to 'ann'"):
        mf.submit(rel_id, "meeting", valid("meeting"), actor="bob", item=1)


# -- random interleavings ---------------------------------------------------------------------------------------

PEOPLE = ("ann", "bob")
steps = st.lists(
    st.tuples(st.sampled_from(["submit", "read", "sign"]), st.sampled_from(PEOPLE), st.integers(0, 2)),
    min_size=1,
    max_size=12,
)


@pytest.fixture(scope="module")
def memory() -> Iterator[Mentorflow]:
    mf = Mentorflow("sqlite://")
    mf.upgrade()
    yield mf
    mf.engine.dispose()


@settings(max_examples=60, deadline=None)
@given(steps=steps)
def test_no_signature_lands_on_content_its_signer_did_not_name(memory: Mentorflow, steps: list[Any]) -> None:
    """Whatever the order of submissions, reads and signatures by two people, each signature is on the revision
    its signer named, with the content that revision had when they read it, and the latest revision's signers all
    named it."""
    mf = memory
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    read: dict[str, tuple[int, str]] = {}
    hashes: dict[int, str] = {}
    signed: dict[str, int] = {}
    for action, person, variant in steps:
        if action == "submit":
            revision = mf.submit(rel_id, "agreement", _changed("agreement", f"v{variant}"), actor=person)
            hashes[revision.revision] = revision.content_hash
        elif action == "read" and hashes:
            latest = max(hashes)
            read[person] = (latest, hashes[latest])
        elif action == "sign" and person in read and signed.get(person) != read[person][0]:
            number, content_hash = read[person]
            try:
                event = mf.sign(rel_id, "agreement", actor=person, revision=number)
            except StaleSignature:
                assert number != max(hashes)
                continue
            assert (event.payload["revision"], event.payload["content_hash"]) == (number, content_hash)
            signed[person] = number
    artifacts = [a for a in mf.status(rel_id).artifacts if a.slot == "agreement"]
    for artifact in artifacts:
        assert all(signed.get(person) == artifact.revision for person in artifact.signed_by)
    for event in mf.history(rel_id):
        if event.kind == "signed":
            assert event.payload["content_hash"] == hashes[event.payload["revision"]]
