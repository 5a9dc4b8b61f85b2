"""Audit rows are plain values: slotted and frozen, built without touching the interpreter, dumped as documented."""

from __future__ import annotations

import gc
import json

import pytest
from sqlalchemy import text

from mentorflow import Mentorflow, ObligationState, Participant, Standing, StandingBlocker
from mentorflow.audit.cache import FORMAT

ROW_KEYS = [
    "id",
    "workflow",
    "workflow_version",
    "program",
    "state",
    "phase",
    "final",
    "days_in_state",
    "participants",
    "next",
    "blockers",
    "overdue",
    "last_activity_at",
    "stalled_days",
    "due",
    "overrides",
]


def _late_and_blocked(rows: list[Standing]) -> Standing:
    return next(row for row in rows if row.overdue and row.blockers and row.participants)


def test_reads_leave_the_garbage_collector_alone(demo: Mentorflow, monkeypatch: pytest.MonkeyPatch) -> None:
    """The embedding process's collector is its own: no read of many rows switches or tunes it."""

    def refuse(*_args: object) -> None:
        pytest.fail("a read changed the garbage collector's state")

    for name in ("disable", "enable", "freeze", "unfreeze", "set_threshold"):
        monkeypatch.setattr(gc, name, refuse)
    assert demo.audit()
    assert list(demo.iter_audit(overdue=True))
    assert demo.summary().total
    assert demo.overview()[1]
    assert gc.isenabled()


def test_rows_and_what_they_hold_keep_no_instance_dict(demo: Mentorflow) -> None:
    """Slotted, so that a 100,000-row audit costs a few hundred bytes a row, whether cached or evaluated."""
    cached = _late_and_blocked(demo.audit())
    with demo.engine.begin() as connection:
        connection.execute(text("UPDATE mentorflow_relationships SET standing_seq = NULL"))
    evaluated = _late_and_blocked(demo.audit())
    for row in (cached, evaluated):
        for value in (row, row.participants[0], row.blockers[0], row.overdue[0]):
            assert not hasattr(value, "__dict__"), type(value).__name__


def test_a_row_dumps_to_the_documented_json(demo: Mentorflow) -> None:
    """`to_dict` gives the keys `audit --format json` has always printed, in order, with times in ISO 8601."""
    row = _late_and_blocked(demo.audit())
    data = row.to_dict()
    assert list(data) == ROW_KEYS
    assert list(data["participants"][0]) == ["person", "role"]
    assert list(data["blockers"][0]) == ["trigger", "code", "message", "requirement", "slot", "role", "people"]
    assert list(data["overdue"][0]) == ["requirement", "due_at", "met", "overdue", "slot", "role", "people"]
    assert data["overdue"][0]["due_at"] == row.overdue[0].due_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert data["last_activity_at"].endswith("Z")
    assert json.loads(json.dumps(data)) == data


def test_overdue_obligations_name_their_slot_cached_or_evaluated(demo: Mentorflow) -> None:
    """A row's overdue obligations carry the slot `status` gives them, read from the cache as from evaluation."""
    late = [row for row in demo.audit() if row.overdue]
    assert late
    for row in late:
        evaluated = {o.requirement: o.slot for o in demo.status(row.id).obligations}
        for obligation in row.overdue:
            assert obligation.slot is not None
            assert obligation.slot == evaluated[obligation.requirement]


def test_the_slot_is_in_the_json_shapes(demo: Mentorflow) -> None:
    """`status` and `audit` JSON gained who must act (DESIGN.md §12): the slot is no longer for Python callers only."""
    row = _late_and_blocked(demo.audit())
    assert row.overdue[0].slot is not None
    assert row.to_dict()["overdue"][0]["slot"] == row.overdue[0].slot
    status = demo.status(row.id)
    assert [o["slot"] for o in status.model_dump(mode="json")["obligations"]] == [o.slot for o in status.obligations]


def test_a_cache_written_before_obligations_had_slots_is_recomputed(demo: Mentorflow) -> None:
    """Rows cached in the first format (obligations as [requirement, due_at, met]) are evaluated, never misread."""
    expected = demo.audit()
    assert FORMAT > 1
    with demo.engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE mentorflow_relationships SET standing_format = 1, "
                'standing = \'[[],[],[],[["x","2000-01-01T00:00:00+00:00",false]]]\''
            )
        )
    assert demo.audit() == expected
    assert demo.refresh() == len(expected)


def test_the_parts_of_a_row_are_shared_with_status(demo: Mentorflow) -> None:
    """`Status` holds the same participant and obligation values as audit rows, validated inside the model."""
    row = _late_and_blocked(demo.audit())
    status = demo.status(row.id)
    assert status.participants == row.participants
    assert all(isinstance(p, Participant) for p in status.participants)
    assert [o for o in status.obligations if o.overdue] == row.overdue
    assert all(isinstance(o, ObligationState) for o in status.obligations)
    assert all(isinstance(b, StandingBlocker) for b in row.blockers)
