"""`verify` across a `migrated` event: replayed on the old definition before it, on the new one after it."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mentorflow import Mentorflow
from mentorflow.audit.verify import check_relationship
from mentorflow.canonical import GENESIS, canonical_json, event_hash
from mentorflow.store.db import from_db
from mentorflow.store.records import RelationshipRecords
from mentorflow.store.tables import EventRow, RelationshipRow
from tests.conftest import FakeClock, MakeMentorflow, stored_records
from tests.migration.support import ADMIN, PLAN, write_versions

Edit = Callable[[list[dict[str, Any]]], None]


@pytest.fixture
def mf(make_mf: MakeMentorflow, tmp_path: Path) -> Mentorflow:
    return make_mf(workflow_dirs=[write_versions(tmp_path / "workflows", running="active", peer_max=2)])


@pytest.fixture
def moved(mf: Mentorflow, clock: FakeClock) -> str:
    """A circle that began on version 1, moved to version 2 (running -> active), then finished there."""
    rel = mf.start("circle", {"lead": "lee", "peer": ["pat"]}, actor=ADMIN, version=1, id="moved")
    revision = mf.submit(rel.id, "plan", PLAN, actor="lee").revision
    mf.sign(rel.id, "plan", actor="lee", revision=revision)
    mf.sign(rel.id, "plan", actor="pat", revision=revision)
    mf.fire(rel.id, "begin", actor="lee")
    clock.advance(days=3)
    mf.migrate("circle", to_version=2, states={"running": "active"}, actor=ADMIN)
    clock.advance(days=3)
    mf.fire(rel.id, "finish", actor="pat")
    return rel.id


def _fields(row: Any) -> dict[str, Any]:
    """A row's columns by name, whether verify reads Core rows or ORM objects."""
    if hasattr(row, "_asdict"):
        return dict(row._asdict())
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}


def _forge(records: RelationshipRecords, edit: Edit) -> RelationshipRecords:
    """The relationship with its events edited and its whole chain recomputed, so only the replay can tell."""
    events = [{"kind": e.kind, "actor": e.actor, "at": e.at, "payload": json.loads(e.payload)} for e in records.events]
    edit(events)
    rows: list[Any] = []
    previous = GENESIS
    for seq, event in enumerate(events, start=1):
        at = from_db(event["at"]).isoformat()
        digest = event_hash(previous, records.row.id, seq, event["kind"], event["actor"], at, event["payload"])
        original = _fields(records.events[min(seq, len(records.events)) - 1])
        fields = {"relationship_id": records.row.id, "seq": seq, "payload": canonical_json(event["payload"])}
        rows.append(SimpleNamespace(**{**original, **event, **fields, "hash": digest, "mac": None}))
        previous = digest
    head = records.row._replace(seq=len(rows), last_hash=previous)
    return dataclasses.replace(records, row=head, events=rows)


def _migrated(events: list[dict[str, Any]]) -> dict[str, Any]:
    [event] = [e for e in events if e["kind"] == "migrated"]
    payload: dict[str, Any] = event["payload"]
    return payload


def test_a_migrated_relationship_verifies(mf: Mentorflow, moved: str) -> None:
    """The fire after the move is checked against version 2's transition from `active`."""
    assert mf.verify().ok
    assert check_relationship(stored_records(mf, moved)) is None


def test_an_edited_migrated_event_breaks_the_chain(mf: Mentorflow, moved: str) -> None:
    """Changing the recorded mapping by hand makes the event no longer match its hash."""
    event = next(e for e in mf.history(moved) if e.kind == "migrated")
    payload = {**event.payload, "states": {}}
    with mf.engine.begin() as connection:
        connection.execute(
            update(EventRow)
            .where(EventRow.relationship_id == moved, EventRow.seq == event.seq)
            .values(payload=canonical_json(payload))
        )
    [broken] = mf.verify().broken
    assert broken.relationship == moved
    assert broken.problems == [f"event {event.seq} (migrated) does not match its hash: it was edited or moved"]


def land_elsewhere(events: list[dict[str, Any]]) -> None:
    _migrated(events)["to"] = "open"


def skip_the_mapping(events: list[dict[str, Any]]) -> None:
    _migrated(events)["states"] = {"running": "open"}


def move_from_elsewhere(events: list[dict[str, Any]]) -> None:
    _migrated(events)["from_definition"] = "0" * 64


def fire_the_old_way_after_the_move(events: list[dict[str, Any]]) -> None:
    events[-1]["payload"]["from"] = "running"


def move_too_many_people(events: list[dict[str, Any]]) -> None:
    events[0]["payload"]["participants"].append({"person": "quin", "role": "peer"})
    events[0]["payload"]["participants"].append({"person": "rae", "role": "peer"})


FORGERIES: list[tuple[Edit, str]] = [
    (land_elsewhere, "records a migration that its definitions do not give"),
    (skip_the_mapping, "records a migration that its definitions do not give (from 'running'"),
    (move_from_elsewhere, "records a migration that its definitions do not give"),
    (fire_the_old_way_after_the_move, "moves 'running' -> 'done'; the definition says 'active' -> 'done'"),
    (move_too_many_people, "migrated what a migration refuses: role 'peer' has 3 participant(s)"),
]


@pytest.mark.parametrize(("edit", "problem"), FORGERIES, ids=[edit.__name__ for edit, _ in FORGERIES])
def test_a_forged_migration_fails_the_replay(mf: Mentorflow, moved: str, edit: Edit, problem: str) -> None:
    """A well-chained `migrated` event that the engine would not have written is caught."""
    broken = check_relationship(_forge(stored_records(mf, moved), edit))
    assert broken is not None
    assert any(problem in text for text in broken.problems), broken.problems


def test_the_row_must_end_on_the_definition_the_log_ends_on(mf: Mentorflow, moved: str) -> None:
    """Pointing the row back at version 1 by hand is reported."""
    records = stored_records(mf, moved)
    start = json.loads(records.events[0].payload)["definition"]
    with mf.engine.begin() as connection:
        connection.execute(
            update(RelationshipRow).where(RelationshipRow.id == moved).values(definition_hash=start, workflow_version=1)
        )
    problems = mf.verify().broken[0].problems
    assert any(text.startswith("the cached definition (version 1") for text in problems), problems


def test_the_definitions_before_the_move_must_be_there(mf: Mentorflow, moved: str) -> None:
    """Without the body it started on (or the one it moved to), the relationship is reported, not crashed on."""
    records = stored_records(mf, moved)
    start = json.loads(records.events[0].payload)["definition"]
    without_start = dataclasses.replace(records, bodies={k: v for k, v in records.bodies.items() if k != start})
    assert check_relationship(without_start) is not None
    assert "before it was migrated, is missing or was edited" in check_relationship(without_start).problems[0]  # type: ignore[union-attr]


def test_a_definition_moved_through_must_be_there(mf: Mentorflow) -> None:
    """Moved to version 2 and back: without version 2's body the middle of the log cannot be replayed."""
    rel = mf.start("circle", {"lead": "lee", "peer": ["pat"]}, actor=ADMIN, version=1)
    mf.migrate("circle", to_version=2)
    mf.migrate("circle", to_version=1)
    records = stored_records(mf, rel.id)
    assert check_relationship(records) is None
    middle = json.loads(records.events[1].payload)["to_definition"]
    broken = check_relationship(
        dataclasses.replace(records, bodies={k: v for k, v in records.bodies.items() if k != middle})
    )
    assert broken is not None
    assert broken.problems == ["event 2 migrates to a definition that is missing or was edited"]


def test_in_a_keyed_log_the_migrated_event_is_signed(make_mf: MakeMentorflow, tmp_path: Path) -> None:
    """With a key, the `migrated` event carries its MAC like every event, and verify with the key passes."""
    keyed = make_mf(workflow_dirs=[write_versions(tmp_path / "keyed")], key="k" * 40)
    rel = keyed.start("circle", {"lead": "lee", "peer": ["pat"]}, actor=ADMIN, version=1)
    keyed.migrate("circle", to_version=2, actor=ADMIN)
    with Session(keyed.engine) as session:
        mac = session.scalar(select(EventRow.mac).where(EventRow.relationship_id == rel.id, EventRow.seq == 2))
    assert mac
    assert keyed.verify().ok
