"""Planning a migration (``engine.migration``): which relationships move, which are refused, and every reason why."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from mentorflow import MigrationRefused
from mentorflow.definitions import Bundle, Registry
from mentorflow.engine.migration import Move, Refusal, check_mapping, moved, plan_migration
from mentorflow.engine.snapshot import PLAIN_ITEM, RevisionView, Snapshot
from tests.migration.support import write_versions

AT = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
LATER = AT + dt.timedelta(days=5)


def _bundles(tmp_path: Path, **changes: object) -> tuple[Bundle, Bundle]:
    registry = Registry([write_versions(tmp_path / "workflows", **changes)])
    return registry.bundle("circle", 1), registry.bundle("circle", 2)


def _snapshot(bundle: Bundle, state: str = "open", peers: int = 1, *, documents: bool = True) -> Snapshot:
    snapshot = Snapshot("r1", bundle, state, AT, AT, "spring", AT)
    snapshot.add_participant("lee", "lead")
    for number in range(peers):
        snapshot.add_participant(f"p{number}", "peer")
    if documents:
        snapshot.add_revision(
            "plan",
            RevisionView(1, complete=True, missing=[], content_hash="h1", submitted_by="lee", submitted_at=AT),
            PLAIN_ITEM,
        )
        snapshot.add_revision(
            "notes",
            RevisionView(1, complete=True, missing=[], content_hash="h2", submitted_by="p0", submitted_at=AT),
            1,
        )
    return snapshot


def test_a_relationship_that_fits_moves_with_its_state_documents_and_time_in_state(tmp_path: Path) -> None:
    """An unchanged state keeps its name, documents and participants carry, the time in the state runs on."""
    old, new = _bundles(tmp_path, every=14)
    plan = plan_migration(_snapshot(old, "running"), new, {}, LATER)
    assert isinstance(plan, Move)
    assert (plan.new_state, plan.snapshot.bundle, plan.snapshot.entered_at) == ("running", new, AT)
    assert plan.snapshot.items["plan"][PLAIN_ITEM].latest.content_hash == "h1"
    assert plan.payload == {
        "workflow": "circle",
        "from_version": 1,
        "to_version": 2,
        "from_definition": old.hash,
        "to_definition": new.hash,
        "from": "running",
        "to": "running",
        "states": {},
    }


def test_a_mapped_state_moves_to_its_new_name(tmp_path: Path) -> None:
    """``running=active`` moves a running relationship to ``active`` and records the mapping."""
    old, new = _bundles(tmp_path, running="active")
    plan = plan_migration(_snapshot(old, "running"), new, {"running": "active"}, LATER)
    assert isinstance(plan, Move)
    assert (plan.new_state, plan.payload["states"]) == ("active", {"running": "active"})


REFUSALS = [
    ({"running": "active"}, "running", {}, None, "state 'running' has no mapping: version 2 has no state 'running'"),
    ({"plan_kind": "agreement"}, "open", {}, "open", "slot 'plan' changed kind (consent -> agreement)"),
    (
        {"notes_repeatable": "false", "obligation": "{complete: notes, within_days: 9}"},
        "open",
        {},
        "open",
        "slot 'notes' changed from repeatable -> plain",
    ),
    ({"peer": "member"}, "open", {}, "open", "role 'peer' (p0) does not exist in version 2"),
    ({"peer_max": 1}, "open", {"peers": 2}, "open", "role 'peer' has 2 participant(s), version 2 allows 1..1"),
]


@pytest.mark.parametrize(("changes", "state", "options", "new_state", "reason"), REFUSALS)
def test_a_relationship_that_does_not_fit_is_refused_with_its_reason(
    tmp_path: Path, changes: dict[str, object], state: str, options: dict[str, int], new_state: str | None, reason: str
) -> None:
    """Each rule of DESIGN §15 refuses the move and says which one."""
    old, new = _bundles(tmp_path, **changes)
    plan = plan_migration(_snapshot(old, state, options.get("peers", 1)), new, {}, LATER)
    assert isinstance(plan, Refusal)
    assert plan.new_state == new_state
    assert reason in plan.reason


def test_a_slot_that_disappeared_refuses_only_relationships_that_used_it(tmp_path: Path) -> None:
    """Version 2 without `notes`: a relationship with notes is refused, one without moves."""
    directory = write_versions(tmp_path / "workflows")
    text = (directory / "circle-2.yaml").read_text(encoding="utf-8")
    text = text.replace("  notes: {kind: meeting, submitted_by: [lead, peer], repeatable: true}\n", "")
    text = text.replace("{count: notes, min: 1, every_days: 30}", "{signed: plan, within_days: 10}")
    (directory / "circle-2.yaml").write_text(text, encoding="utf-8")
    registry = Registry([directory])
    old, new = registry.bundle("circle", 1), registry.bundle("circle", 2)
    refused = plan_migration(_snapshot(old, "running"), new, {}, LATER)
    assert isinstance(refused, Refusal)
    assert "slot 'notes' holds documents but version 2 has no such slot" in refused.reason
    assert isinstance(plan_migration(_snapshot(old, "running", documents=False), new, {}, LATER), Move)


def test_every_reason_is_given_at_once(tmp_path: Path) -> None:
    """A relationship that breaks several rules hears of all of them."""
    old, new = _bundles(tmp_path, plan_kind="agreement", peer="member")
    plan = plan_migration(_snapshot(old), new, {}, LATER)
    assert isinstance(plan, Refusal)
    assert plan.reason.count(";") >= 2  # the kind, the missing role and the new role's minimum


def test_a_migration_dated_before_the_latest_event_is_refused(tmp_path: Path) -> None:
    """Time runs forward for a migration as for every write."""
    old, new = _bundles(tmp_path)
    plan = plan_migration(_snapshot(old), new, {}, AT - dt.timedelta(days=1))
    assert isinstance(plan, Refusal)
    assert "dated before its latest event" in plan.reason


def test_the_mapping_must_name_real_states(tmp_path: Path) -> None:
    """An old name unknown to the source or a new one unknown to the target refuses the whole migration."""
    old, new = _bundles(tmp_path, running="active")
    assert check_mapping([old], new, {"running": "active"}) == {"running": "active"}
    with pytest.raises(MigrationRefused, match=r"'runing' is not a state of the version\(s\) moved from \(1\)"):
        check_mapping([old], new, {"runing": "active"})
    with pytest.raises(MigrationRefused, match="'actve' is not a state of version 2") as caught:
        check_mapping([old], new, {"running": "actve"})
    assert "States of version 2: open, active, done." in caught.value.hint
    with pytest.raises(MigrationRefused, match="'a', 'b' are not a state"):
        check_mapping([old], new, {"a": "open", "b": "open"})


def test_a_moved_snapshot_does_not_share_its_participants(tmp_path: Path) -> None:
    """Replaying later joins on the moved snapshot leaves the original as it was."""
    old, new = _bundles(tmp_path)
    original = _snapshot(old)
    copy = moved(original, new, "open")
    copy.add_participant("p9", "peer")
    assert original.participants["peer"] == ["p0"]
