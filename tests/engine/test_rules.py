"""The rules every write keeps (DESIGN §10, §17): reserved actor ids, a forward clock, bounded content, and the
order in which refusals are reported. Owners, `added_by` and signature revisions are tabled per built-in workflow
in tests/reliability; the content limits themselves in tests/definitions/test_artifacts.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from mentorflow import Actor, Mentorflow, MentorflowError
from mentorflow.errors import ArtifactTooLarge, ClockBackwards, InvalidActor
from tests.conftest import FakeClock
from tests.content import invalid, valid

ADMIN = Actor.admin("carol")
PAIR = {"mentor": ["ann"], "mentee": ["bob"]}


@pytest.fixture
def dyad(mf: Mentorflow) -> str:
    return mf.start("traditional-dyad", PAIR, actor=ADMIN).id


# -- reserved actor ids -----------------------------------------------------------------------------------------

RESERVED = ["system", "admin:carol", "admin:"]


@pytest.mark.parametrize("person", RESERVED)
def test_a_reserved_id_is_no_person(person: str) -> None:
    """`system` and `admin:...` name the clock and administrators in the log; no person may take them."""
    with pytest.raises(InvalidActor, match=f"person id {person!r} is reserved") as caught:
        Actor.of(person)
    assert (caught.value.code, caught.value.actor) == ("actor.invalid", person)


@pytest.mark.parametrize("person", RESERVED)
def test_a_reserved_id_is_refused_however_the_actor_is_built(person: str) -> None:
    """Building the model directly or validating it refuses the id as the constructors do."""
    with pytest.raises(InvalidActor):
        Actor(kind="person", id=person)
    with pytest.raises(InvalidActor):
        Actor.model_validate({"kind": "person", "id": person})


def test_the_clock_and_administrators_keep_their_ids() -> None:
    """The clock is `system`; an administrator may be called anything, the log prefixes `admin:`."""
    assert [Actor.system().label, Actor.admin("system").label] == ["system", "admin:system"]


@pytest.mark.parametrize("person", RESERVED)
def test_a_reserved_id_cannot_start_join_or_leave(mf: Mentorflow, dyad: str, person: str) -> None:
    """Start roles, the person joining and the person leaving are person ids, refused like an actor's."""
    writes: list[Callable[[], object]] = [
        lambda: mf.start("informal-peer", {"peer": ["pat", person]}, actor=ADMIN),
        lambda: mf.join(dyad, "mentor", person, actor=ADMIN),
        lambda: mf.leave(dyad, person, actor=ADMIN),
    ]
    before = mf.history(dyad)
    for write in writes:
        with pytest.raises(InvalidActor, match="is reserved"):
            write()
    assert mf.history(dyad) == before


def test_a_reserved_id_is_refused_before_anything_else(mf: Mentorflow, dyad: str) -> None:
    """A stranger with a reserved id on a write they could not do anyway hears `actor.invalid` first."""
    with pytest.raises(InvalidActor):
        mf.submit(dyad, "idp", invalid("idp"), actor="admin:zed")
    with pytest.raises(InvalidActor):
        mf.start("informal-peer", {"peer": ["pat", "system"], "ghost": ["x"]}, actor="zed")


# -- time runs forward ------------------------------------------------------------------------------------------


def _writes(mf: Mentorflow, rel_id: str) -> dict[str, Callable[[], object]]:
    return {
        "join": lambda: mf.join(rel_id, "peer", "dan", actor=ADMIN),
        "leave": lambda: mf.leave(rel_id, "ray", actor="ray"),
        "submit": lambda: mf.submit(rel_id, "agreement", valid("agreement"), actor="pat"),
        "sign": lambda: mf.sign(rel_id, "agreement", actor="quin", revision=1),
        "fire": lambda: mf.fire(rel_id, "dissolve", actor="pat", reason="moved away"),
    }


@pytest.mark.parametrize("write", ["join", "leave", "submit", "sign", "fire"])
def test_a_write_dated_before_the_latest_event_is_refused(mf: Mentorflow, clock: FakeClock, write: str) -> None:
    """With the clock set back, every kind of write is `clock.backwards` and nothing is written."""
    rel_id = mf.start("informal-peer", {"peer": ["pat", "quin", "ray"]}, actor=ADMIN).id
    clock.advance(2)
    mf.submit(rel_id, "agreement", valid("agreement"), actor="pat")
    clock.advance(-1)
    before = mf.history(rel_id)
    with pytest.raises(ClockBackwards, match=f"before the latest event of relationship {rel_id!r}") as caught:
        _writes(mf, rel_id)[write]()
    assert (caught.value.code, caught.value.relationship) == ("clock.backwards", rel_id)
    assert mf.history(rel_id) == before


def test_a_write_at_the_same_moment_as_the_latest_event_is_fine(mf: Mentorflow, clock: FakeClock) -> None:
    """Equal times are in order: only an earlier time is backwards."""
    rel_id = mf.start("informal-peer", {"peer": ["pat", "quin", "ray"]}, actor=ADMIN).id
    mf.submit(rel_id, "agreement", valid("agreement"), actor="pat")
    assert mf.sign(rel_id, "agreement", actor="quin", revision=1).at == clock.now


# -- content limits ---------------------------------------------------------------------------------------------


def _nested(depth: int) -> dict[str, Any]:
    """A mapping ``depth`` levels deep, the outer mapping being the first."""
    content: dict[str, Any] = {}
    inner = content
    for _ in range(depth - 1):
        inner["x"] = {}
        inner = inner["x"]
    return content


def test_an_oversized_submission_writes_nothing(mf: Mentorflow, dyad: str) -> None:
    """Through the API, too large content is refused with its relationship and slot, and nothing is stored."""
    before = mf.history(dyad)
    with pytest.raises(ArtifactTooLarge) as caught:
        mf.submit(dyad, "idp", _nested(10_000), actor="bob")
    assert (caught.value.relationship, caught.value.slot) == (dyad, "idp")
    assert mf.history(dyad) == before


# -- the order of refusals --------------------------------------------------------------------------------------

ORDER: list[tuple[str, Callable[[Mentorflow, str], object], str]] = [
    (
        "a stranger submitting invalid content to a slot they may not",
        lambda mf, rel: mf.submit(rel, "idp", invalid("idp"), actor="zed"),
        "actor.not_participant",
    ),
    (
        "a role that may not submit, with invalid content",
        lambda mf, rel: mf.submit(rel, "idp", invalid("idp"), actor="ann"),
        "actor.not_allowed",
    ),
    (
        "a non-owner revising an item with oversized content",
        lambda mf, rel: mf.submit(rel, "meeting", _nested(100), actor="bob", item=1),
        "actor.not_owner",
    ),
    (
        "a mentee adding someone to a full role",
        lambda mf, rel: mf.join(rel, "mentor", "dan", actor="bob"),
        "actor.not_allowed",
    ),
    (
        "a stranger removing someone to below the minimum",
        lambda mf, rel: mf.leave(rel, "bob", actor="zed"),
        "actor.not_participant",
    ),
    (
        "a mentor removing the mentee, below the minimum",
        lambda mf, rel: mf.leave(rel, "bob", actor="ann"),
        "actor.not_allowed",
    ),
    (
        "a stranger starting with too many mentors",
        lambda mf, _rel: mf.start("traditional-dyad", {"mentor": ["a", "b"], "mentee": ["c"]}, actor="zed"),
        "actor.not_allowed",
    ),
]


@pytest.mark.parametrize(("what", "write", "code"), ORDER, ids=[what for what, _, _ in ORDER])
def test_refusals_come_in_order(
    mf: Mentorflow, dyad: str, what: str, write: Callable[[Mentorflow, str], object], code: str
) -> None:
    """Participation before role rules, role rules before cardinality and content (DESIGN §17)."""
    mf.submit(dyad, "meeting", valid("meeting"), actor="ann")
    with pytest.raises(MentorflowError) as caught:
        write(mf, dyad)
    assert caught.value.code == code


def test_clock_backwards_is_reported_whoever_writes(mf: Mentorflow, dyad: str, clock: FakeClock) -> None:
    """A backwards clock is refused for administrators too: it is the write's date that is wrong."""
    clock.set(clock.now - dt.timedelta(seconds=1))
    with pytest.raises(ClockBackwards):
        mf.fire(dyad, "withdraw", actor=ADMIN, reason="test")
