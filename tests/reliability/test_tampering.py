"""Tamper evidence through the CLI: each kind of edit behind mentorflow's back is named by `verify`, and only it.

Three relationships live in the database; one of them is tampered with by hand in SQL. `mentorflow verify`
exits 1 and names exactly that relationship, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text

from mentorflow import Actor, Mentorflow
from mentorflow.cli import cli
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
