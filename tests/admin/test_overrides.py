"""Who was forced past what: audit rows list each forced transition (``overrides``), ``forced`` keeps them, and the
standing cache holds them exactly as the log says, which ``verify`` checks."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from mentorflow import Actor, Mentorflow, Override
from mentorflow.audit.cache import FORMAT
from tests.admin.test_standings import uncached
from tests.conftest import FakeClock
from tests.content import valid

ADMIN = Actor.admin("coord")


def _logged_overrides(mf: Mentorflow, rel_id: str) -> list[Override]:
    return [
        Override(e.seq, e.payload["trigger"], e.actor, e.payload["reason"])
        for e in mf.history(rel_id)
        if e.kind == "overridden"
    ]


def test_forced_keeps_exactly_the_relationships_forced_in_the_demo(demo: Mentorflow) -> None:
    rows = demo.audit()
    forced = [row.id for row in rows if _logged_overrides(demo, row.id)]
    assert forced
    assert [row.id for row in demo.audit(forced=True)] == forced
    assert [row.id for row in demo.iter_audit(forced=True)] == forced
    for row in rows:
        assert list(row.overrides) == _logged_overrides(demo, row.id), row.id
    [paper] = [row for row in rows if row.id == "dyad-rossi"]
    assert [(o.trigger, o.by) for o in paper.overrides] == [("launch", "admin:m.reyes")]
    assert paper.overrides[0].reason.startswith("Agreement signed on paper")


def test_a_forced_transition_shows_with_its_seq_trigger_actor_and_reason(mf: Mentorflow, clock: FakeClock) -> None:
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    other = mf.start("traditional-dyad", {"mentor": "cy", "mentee": "dee"}, actor=ADMIN).id
    first = mf.fire(rel_id, "negotiate", actor=ADMIN, force=True, reason="paper IDP on file")
    assert [r.id for r in mf.audit(forced=True)] == [rel_id]
    assert mf.audit(forced=True)[0].overrides == (Override(first.seq, "negotiate", "admin:coord", "paper IDP on file"),)
    mf.refresh()  # now decoded from the cache
    assert mf.audit(forced=True)[0].overrides == (Override(first.seq, "negotiate", "admin:coord", "paper IDP on file"),)
    clock.advance(1)
    second = mf.fire(rel_id, "launch", actor=ADMIN, force=True, reason="signed on paper")
    expected = (
        Override(first.seq, "negotiate", "admin:coord", "paper IDP on file"),
        Override(second.seq, "launch", "admin:coord", "signed on paper"),
    )
    assert mf.audit(forced=True)[0].overrides == expected
    mf.refresh()
    [row] = mf.audit(forced=True)
    assert row.overrides == expected
    assert row.to_dict()["overrides"][1] == {
        "seq": second.seq,
        "trigger": "launch",
        "by": "admin:coord",
        "reason": "signed on paper",
    }
    assert next(r for r in mf.audit() if r.id == other).overrides == ()
    assert mf.audit() == uncached(mf)[0]
    assert mf.verify().ok


def test_an_unforced_transition_is_no_override(mf: Mentorflow) -> None:
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    mf.submit(rel_id, "idp", valid("idp"), actor="bob")
    mf.fire(rel_id, "negotiate", actor="bob")
    mf.fire(rel_id, "withdraw", actor="bob", reason="moved away")  # a reason, but not forced
    assert mf.audit(forced=True) == []
    mf.refresh()
    assert mf.audit(forced=True) == []


def _tamper_override(mf: Mentorflow, rel_id: str, reason: str) -> None:
    """Rewrite the reason of the first override in the cached standing, keeping its compact spelling."""
    with mf.engine.begin() as connection:
        body = connection.execute(
            text("SELECT standing FROM mentorflow_relationships WHERE id = :id"), {"id": rel_id}
        ).scalar_one()
        decoded = json.loads(body)
        assert len(decoded) == 5
        decoded[4][0][3] = reason
        connection.execute(
            text("UPDATE mentorflow_relationships SET standing = :body WHERE id = :id"),
            {"id": rel_id, "body": json.dumps(decoded, separators=(",", ":"), sort_keys=True)},
        )


@pytest.mark.parametrize("workflow", ["dyad", "gates"])
def test_verify_catches_an_override_edited_in_the_cache(mf: Mentorflow, gates: Mentorflow, workflow: str) -> None:
    """Also for a workflow that asks platform guards, whose cached triggers and blockers verify leaves aside."""
    if workflow == "dyad":
        used = mf
        rel_id = used.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
        used.fire(rel_id, "negotiate", actor=ADMIN, force=True, reason="paper IDP on file")
    else:
        used = gates
        rel_id = used.start("gates", {"lead": "lea", "member": ["max"]}, actor=ADMIN).id
        used.fire(rel_id, "to_review", actor="lea")
        used.fire(rel_id, "r_count_state", actor=ADMIN, force=True, reason="counted on paper")
    used.refresh()
    assert used.verify().ok
    with used.engine.connect() as connection:
        stored = connection.execute(
            text("SELECT standing_format FROM mentorflow_relationships WHERE id = :id"), {"id": rel_id}
        ).scalar_one()
    assert stored == FORMAT
    _tamper_override(used, rel_id, "nothing was bypassed")
    assert used.audit()[0].overrides[0].reason == "nothing was bypassed"  # the cache is trusted by reads...
    report = used.verify()  # ...and verify proves it against the log
    assert not report.ok
    [broken] = report.broken
    assert broken.relationship == rel_id
    assert any("standing cache" in problem for problem in broken.problems)
