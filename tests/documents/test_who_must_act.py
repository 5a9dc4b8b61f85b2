"""Blockers and obligations name the slot, the role and the people who must act (DESIGN.md §12, §17)."""

from __future__ import annotations

import datetime as dt
import json

from mentorflow import Actor, Mentorflow
from mentorflow.definitions.models import InStateDays
from mentorflow.engine import requirements
from tests.conftest import START, FakeClock
from tests.content import latest, valid

ADMIN = Actor.admin("carol")
DAY = dt.timedelta(days=1)


def _dyad(mf: Mentorflow) -> str:
    return mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id


def _blockers(mf: Mentorflow, rel_id: str, trigger: str) -> list[dict[str, object]]:
    data = json.loads(mf.status(rel_id).model_dump_json())
    found: list[dict[str, object]] = next(t for t in data["triggers"] if t["trigger"] == trigger)["blockers"]
    return found


def test_a_missing_document_names_its_submitters(mf: Mentorflow) -> None:
    """Nothing submitted yet: the blocker names the slot, the only role that submits it and its holder."""
    rel_id = _dyad(mf)
    [blocker] = [b for b in _blockers(mf, rel_id, "negotiate") if b["code"] == "artifact.missing"]
    assert (blocker["slot"], blocker["role"], blocker["people"]) == ("idp", "mentee", ["bob"])


def test_an_unsigned_document_names_only_those_who_have_not_signed(mf: Mentorflow) -> None:
    """Once the mentee signed, only the mentor is waited on (§17: `people` is who still must act)."""
    rel_id = _dyad(mf)
    mf.submit(rel_id, "idp", valid("idp"), actor="bob")
    mf.sign(rel_id, "idp", actor="bob", revision=latest(mf, rel_id, "idp"))
    mf.fire(rel_id, "negotiate", actor="bob")
    unsigned = [b for b in _blockers(mf, rel_id, "launch") if b["code"] == "artifact.unsigned"]
    assert [(b["slot"], b["role"], b["people"]) for b in unsigned] == [("idp", "mentor", ["ann"])]


def test_a_document_two_roles_submit_names_both_people_and_no_single_role(mf: Mentorflow, clock: FakeClock) -> None:
    """The agreement is submitted by mentor or mentee: both may act, and no one role is named."""
    rel_id = _dyad(mf)
    mf.submit(rel_id, "idp", valid("idp"), actor="bob")
    for person in ("bob", "ann"):
        mf.sign(rel_id, "idp", actor=person, revision=latest(mf, rel_id, "idp"))
    mf.fire(rel_id, "negotiate", actor="bob")
    clock.advance(31)
    [obligation] = json.loads(mf.status(rel_id).model_dump_json())["obligations"]
    assert (obligation["slot"], obligation["role"], obligation["overdue"]) == ("agreement", None, True)
    assert sorted(obligation["people"]) == ["ann", "bob"]


def test_an_obligation_met_keeps_its_role_and_waits_on_nobody(mf: Mentorflow) -> None:
    rel_id = _dyad(mf)
    [before] = mf.status(rel_id).obligations
    assert (before.slot, before.role, before.people, before.met) == ("idp", "mentee", ["bob"], False)
    mf.submit(rel_id, "idp", valid("idp"), actor="bob")
    [after] = mf.status(rel_id).obligations
    assert (after.slot, after.role, after.people, after.met) == ("idp", "mentee", [], True)


def test_an_audit_row_names_who_must_act_cached_or_evaluated(mf: Mentorflow, clock: FakeClock) -> None:
    """`audit` rows carry the same slot, role and people as `status`, whether decoded from the cache or not."""
    rel_id = _dyad(mf)
    clock.set(START + 40 * DAY)
    evaluated = [row for row in mf.audit() if row.id == rel_id]
    mf.tick()
    cached = [row for row in mf.audit() if row.id == rel_id]
    for [row] in (evaluated, cached):
        data = row.to_dict()
        [overdue] = data["overdue"]
        assert (overdue["slot"], overdue["role"], overdue["people"]) == ("idp", "mentee", ["bob"])
        missing = [b for b in data["blockers"] if b["code"] == "artifact.missing"]
        assert missing
        assert all((b["slot"], b["role"], b["people"]) == ("idp", "mentee", ["bob"]) for b in missing)
    assert evaluated == cached


def test_a_delay_names_no_slot_and_nobody() -> None:
    """Time alone lifts a delay: there is no one to tell."""
    blocker = requirements._blocker("state.too_early", "wait", InStateDays(in_state_days=3))
    assert (blocker.slot, blocker.role, blocker.people) == (None, None, [])


def test_an_incomplete_document_names_who_may_complete_it(mf: Mentorflow) -> None:
    rel_id = _dyad(mf)
    mf.submit(rel_id, "idp", {}, actor="bob")
    [blocker] = _blockers(mf, rel_id, "negotiate")
    assert (blocker["code"], blocker["slot"], blocker["role"], blocker["people"]) == (
        "artifact.incomplete",
        "idp",
        "mentee",
        ["bob"],
    )
