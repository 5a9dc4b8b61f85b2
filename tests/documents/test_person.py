"""A person's view across relationships: relationships, to-do, network and gaps (DESIGN §12, §17)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from mentorflow import Actor, Mentorflow
from mentorflow.definitions import Registry
from mentorflow.demo import build_demo
from mentorflow.errors import InvalidActor, NotAllowed
from mentorflow.types import PersonView, Status
from tests.conftest import START, FakeClock
from tests.content import latest, valid

ADMIN = Actor.admin("carol")
DAY = dt.timedelta(days=1)


def _dyad(mf: Mentorflow, mentor: str = "ann", mentee: str = "bob") -> str:
    return mf.start("traditional-dyad", {"mentor": mentor, "mentee": mentee}, actor=ADMIN).id


def _todo(view: PersonView) -> list[tuple[str, str, str | None]]:
    return [(t.relationship, t.action, t.slot or t.trigger) for t in view.todo]


def test_the_view_has_the_keys_of_the_contract(mf: Mentorflow) -> None:
    """`person --format json`: person, relationships, todo, network, gaps, each entry with its §12 keys."""
    rel_id = _dyad(mf)
    data = json.loads(mf.person("bob").model_dump_json())
    assert set(data) == {"person", "relationships", "todo", "network", "gaps"}
    assert data["relationships"] == [
        {
            "id": rel_id,
            "workflow": "traditional-dyad",
            "role": "mentee",
            "state": "preparing",
            "phase": "prepare",
            "program": None,
            "final": False,
        }
    ]
    [todo] = data["todo"]
    assert set(todo) == {"relationship", "action", "slot", "item", "trigger", "due_at", "overdue"}
    assert data["network"] == [{"person": "ann", "relation": "mentor", "source": rel_id}]


def test_the_todo_spans_relationships_dated_by_obligations(mf: Mentorflow, clock: FakeClock) -> None:
    """An obligation not yet due is listed with its date; an overdue one says so; a plain blocker has no date."""
    first = _dyad(mf)
    clock.advance(40)
    second = _dyad(mf, mentor="amy")
    view = mf.person("bob")
    assert _todo(view) == [(first, "submit", "idp"), (second, "submit", "idp")]
    assert [(t.due_at, t.overdue) for t in view.todo] == [(START + 30 * DAY, True), (clock() + 30 * DAY, False)]
    assert mf.person("ann").todo == []  # nothing is the mentor's before the plan exists


def test_signing_and_firing_are_the_persons_own(mf: Mentorflow) -> None:
    """Once the plan is complete: the mentee may fire `negotiate`; after it, each signs what they have not signed."""
    rel_id = _dyad(mf)
    mf.submit(rel_id, "idp", valid("idp"), actor="bob")
    assert _todo(mf.person("bob")) == [(rel_id, "fire", "negotiate")]
    mf.fire(rel_id, "negotiate", actor="bob")
    mf.sign(rel_id, "idp", actor="bob", revision=latest(mf, rel_id, "idp"))
    ann = mf.person("ann")
    assert (rel_id, "sign", "idp") in _todo(ann)
    assert (rel_id, "submit", "agreement") in _todo(ann)
    assert [t.due_at for t in ann.todo if t.slot == "agreement"] == [START + 30 * DAY]
    assert (rel_id, "sign", "idp") not in _todo(mf.person("bob"))
    assert all(t.trigger != "withdraw" for t in ann.todo)  # a way out that needs a reason is nobody's task


def test_a_repeatable_item_to_finish_is_named(mf: Mentorflow) -> None:
    """A draft evaluation of one's own is the item to revise."""
    rel_id = _dyad(mf)
    item = mf.submit(rel_id, "evaluation", {"respondent_role": "mentee"}, actor="bob").item
    mf.fire(rel_id, "negotiate", actor=ADMIN, force=True, reason="test")
    for trigger in ("launch", "deepen", "conclude"):
        mf.fire(rel_id, trigger, actor=ADMIN, force=True, reason="test")
    entries = [(t.action, t.slot, t.item) for t in mf.person("bob").todo if t.slot == "evaluation"]
    assert entries == [("submit", "evaluation", item)]
    assert [(t.action, t.slot, t.item) for t in mf.person("ann").todo if t.slot == "evaluation"] == [
        ("submit", "evaluation", None)
    ]


def test_the_network_and_its_gaps(mf: Mentorflow) -> None:
    """Co-participants of active relationships, and the entries and gaps of the latest complete map."""
    rel_id = _dyad(mf)
    ended = _dyad(mf, mentor="zoe")
    mf.fire(ended, "withdraw", actor="bob", reason="moved away")
    mf.submit(rel_id, "network_map", valid("network_map"), actor="bob")
    mf.submit(rel_id, "network_map", {"entries": []}, actor="bob")  # a later draft does not replace the map
    view = mf.person("bob")
    assert [(n.person, n.relation, n.source) for n in view.network] == [
        ("ann", "mentor", rel_id),
        ("ann", "mentor", "network_map"),
        ("a writing group", "peer", "network_map"),
    ]
    assert view.gaps == valid("network_map")["gaps"]
    assert {r.id: r.final for r in view.relationships} == {rel_id: False, ended: True}
    assert mf.person("ann").gaps == []


def test_who_may_read_a_persons_view(mf: Mentorflow) -> None:
    """The person, an administrator and the platform; another person is refused; reserved ids are invalid."""
    _dyad(mf)
    for who in ("bob", ADMIN, None):
        assert mf.person("bob", actor=who).person == "bob"
    with pytest.raises(NotAllowed, match="'ann' may not read the view of 'bob'"):
        mf.person("bob", actor="ann")
    with pytest.raises(InvalidActor):
        mf.person("system")
    assert mf.person("nobody") == PersonView(person="nobody", relationships=[], todo=[], network=[], gaps=[])


def test_someone_who_left_is_no_longer_listed(mf: Mentorflow) -> None:
    """Relationships are those a person holds a role in now."""
    rel_id = mf.start("group", {"mentor": ["ann", "amy"], "mentee": ["bob", "cat", "dan", "eve"]}, actor=ADMIN).id
    mf.leave(rel_id, "eve", actor="eve")
    assert mf.person("eve").relationships == []
    assert [p.id for p in mf.audit(person="bob")] == [rel_id]
    assert mf.audit(person="eve") == []


# -- the demo: every participant's to-do agrees with `status` ---------------------------------------------------


def _expected(status: Status, person: str) -> dict[tuple[str, str], dt.datetime | None]:
    """What `status` says ``person`` must do: (action, slot or trigger) -> the earliest due date."""
    roles = {p.role for p in status.participants if p.person == person}
    found: dict[tuple[str, str], dt.datetime | None] = {}
    for trigger in status.triggers:
        if trigger.reason_required:
            continue
        if trigger.allowed and (trigger.by is None or roles & set(trigger.by)):
            found[("fire", trigger.trigger)] = None
        for blocker in trigger.blockers:
            if blocker.slot and person in blocker.people:
                found.setdefault(("sign" if blocker.code == "artifact.unsigned" else "submit", blocker.slot), None)
    for obligation in status.obligations:
        if obligation.met or obligation.slot is None or person not in obligation.people:
            continue
        complete = any(a.complete for a in status.artifacts if a.slot == obligation.slot)
        signing = obligation.requirement.startswith(f"{obligation.slot} signed") and complete
        key = ("sign" if signing else "submit", obligation.slot)
        known = found.get(key)
        found[key] = obligation.due_at if known is None else min(known, obligation.due_at)
    return found


def test_every_demo_participants_todo_matches_status(tmp_path: Path, builtin_registry: Registry) -> None:
    """For every participant of every demo relationship, `person` lists exactly what `status` says is theirs."""
    now = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
    mf = Mentorflow(f"sqlite:///{tmp_path / 'demo.db'}", clock=lambda: now)
    mf.registry = builtin_registry
    mf.upgrade()
    build_demo(mf, now)
    checked = 0
    try:
        for rel_id in mf.relationship_ids():
            status = mf.status(rel_id)
            for person in sorted({p.person for p in status.participants}):
                view = mf.person(person)
                mine = {(t.action, t.slot or t.trigger or ""): t.due_at for t in view.todo if t.relationship == rel_id}
                assert mine == ({} if status.final else _expected(status, person)), f"{person} in {rel_id}"
                checked += 1
    finally:
        mf.engine.dispose()
    assert checked > 100
