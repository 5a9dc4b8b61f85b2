"""Tamper evidence through the CLI: each kind of edit behind mentorflow's back is named by `verify`, and only it.

Three relationships live in the database; one of them is tampered with by hand in SQL. `mentorflow verify`
exits 1 and names exactly that relationship, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, select, text, update

from mentorflow import Actor, Mentorflow
from mentorflow.canonical import GENESIS, event_hash
from mentorflow.cli import cli
from mentorflow.store.db import from_db
from mentorflow.store.tables import EventRow, RelationshipRow
from tests.conftest import Database
from tests.content import latest, valid

TARGET = "victim"

TAMPERING = {
    "edit an event": [
        (
            "UPDATE mentorflow_events SET payload = replace(payload, 'idp', 'IDP') "
            "WHERE relationship_id = :rel AND seq = 2"
        ),
    ],
    "delete an event": ["DELETE FROM mentorflow_events WHERE relationship_id = :rel AND seq = 3"],
    "reorder two events": [
        "UPDATE mentorflow_events SET seq = -1 WHERE relationship_id = :rel AND seq = 3",
        "UPDATE mentorflow_events SET seq = 3 WHERE relationship_id = :rel AND seq = 4",
        "UPDATE mentorflow_events SET seq = 4 WHERE relationship_id = :rel AND seq = -1",
    ],
    "insert an event": [
        "UPDATE mentorflow_events SET seq = seq + 1000 WHERE relationship_id = :rel AND seq >= 3",
        "UPDATE mentorflow_events SET seq = seq - 999 WHERE relationship_id = :rel AND seq >= 1000",
        (
            "INSERT INTO mentorflow_events (relationship_id, seq, kind, actor, at, payload, hash) "
            "SELECT relationship_id, 3, kind, actor, at, payload, hash FROM mentorflow_events "
            "WHERE relationship_id = :rel AND seq = 2"
        ),
    ],
    "change the cached state": ["UPDATE mentorflow_relationships SET state = 'early_meetings' WHERE id = :rel"],
    "alter a signed revision": [
        (
            "UPDATE mentorflow_revisions SET content = replace(content, 'statistics', 'astrology') "
            "WHERE relationship_id = :rel AND slot = 'idp'"
        ),
    ],
}


def _populate(url: str) -> None:
    mf = Mentorflow(url)
    try:
        admin = Actor.admin()
        for rel_id in ("bystander", TARGET):
            mf.start("traditional-dyad", {"mentor": f"m-{rel_id}", "mentee": f"e-{rel_id}"}, actor=admin, id=rel_id)
            mf.submit(rel_id, "idp", valid("idp"), actor=f"e-{rel_id}")
            mf.sign(rel_id, "idp", actor=f"e-{rel_id}", revision=latest(mf, rel_id, "idp"))
            mf.sign(rel_id, "idp", actor=f"m-{rel_id}", revision=latest(mf, rel_id, "idp"))
            mf.fire(rel_id, "negotiate", actor=f"e-{rel_id}")
        mf.start("informal-peer", {"peer": ["p1", "p2"]}, actor=admin, id="peers")
    finally:
        mf.engine.dispose()


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_verify_names_exactly_the_tampered_relationship(database: Database, case: str) -> None:
    """After one hand edit, `verify` exits 1 naming the victim alone; before it, it passes."""
    _populate(database.url)
    runner = CliRunner()
    clean = runner.invoke(cli, ["--db", database.url, "verify"])
    assert clean.exit_code == 0, clean.output
    engine = create_engine(database.url)
    try:
        with engine.begin() as connection:
            for statement in TAMPERING[case]:
                assert connection.execute(text(statement), {"rel": TARGET}).rowcount >= 1, statement
    finally:
        engine.dispose()
    result = runner.invoke(cli, ["--db", database.url, "verify"])
    assert result.exit_code == 1
    assert f"error[audit.broken_chain]: 1 of 3 relationships failed verification: {TARGET}" in result.stderr
    report = json.loads(runner.invoke(cli, ["--db", database.url, "verify", "--format", "json"]).stdout)
    assert [broken["relationship"] for broken in report["broken"]] == [TARGET]


def test_an_event_dated_before_its_predecessor_is_reported(tmp_path: Path) -> None:
    """A chain rewritten with a time earlier than the event before it still fails `verify`, which says so."""
    mf = Mentorflow(f"sqlite:///{tmp_path / 'back.db'}")
    mf.upgrade()
    rel = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=Actor.admin("carol")).id
    mf.submit(rel, "idp", valid("idp"), actor="bob")
    with mf.engine.begin() as connection:
        rows = connection.execute(
            select(EventRow.seq, EventRow.kind, EventRow.actor, EventRow.at, EventRow.payload)
            .where(EventRow.relationship_id == rel)
            .order_by(EventRow.seq)
        ).all()
        moved = rows[0].at - dt.timedelta(days=1)  # the second event, re-hashed a day before the first
        previous = GENESIS
        for seq, kind, actor, at, payload in rows:
            when = moved if seq == 2 else at
            previous = event_hash(previous, rel, seq, kind, actor, from_db(when).isoformat(), json.loads(payload))
            connection.execute(
                update(EventRow)
                .where(EventRow.relationship_id == rel, EventRow.seq == seq)
                .values(at=when, hash=previous)
            )
        connection.execute(update(RelationshipRow).where(RelationshipRow.id == rel).values(last_hash=previous))
    report = mf.verify()
    [broken] = report.broken
    assert "event 2 (submitted) is dated before event 1" in broken.problems
