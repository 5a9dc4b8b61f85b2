"""`fire --dry-run` (API `dry_run=True`): the event a fire would record, or every blocker, and nothing written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, inspect, text

from mentorflow import Actor, Blocked, Mentorflow, PlannedEvent
from mentorflow.cli import cli
from mentorflow.errors import NotAllowed, ReasonRequired
from tests.conftest import FakeClock
from tests.content import latest, valid


def dump(engine: Engine) -> dict[str, list[Any]]:
    """Every row of every mentorflow table, in a stable order."""
    with engine.connect() as connection:
        names = [name for name in inspect(connection).get_table_names() if name.startswith("mentorflow_")]
        return {
            name: sorted(map(repr, connection.execute(text(f"SELECT * FROM {name}")).all()))  # noqa: S608 - our names
            for name in names
        }


@pytest.fixture
def pair(mf: Mentorflow) -> str:
    return mf.start("traditional-dyad", {"mentor": ["ann"], "mentee": ["bob"]}, actor=Actor.admin("carol")).id


def test_a_dry_run_returns_the_event_a_fire_would_record(mf: Mentorflow, pair: str, clock: FakeClock) -> None:
    """The event has the trigger, from and to, the actor and the seq it would take; then the fire does the same."""
    mf.submit(pair, "idp", valid("idp"), actor="bob")
    before = dump(mf.engine)
    preview = mf.fire(pair, "negotiate", actor="bob", dry_run=True)
    assert dump(mf.engine) == before
    assert isinstance(preview, PlannedEvent)  # not an Event: it is no link of the chain, so it has no hash
    assert (preview.kind, preview.payload, preview.actor, preview.seq) == (
        "transitioned",
        {"trigger": "negotiate", "from": "preparing", "to": "negotiating"},
        "bob",
        3,
    )
    assert preview.at == clock.now
    fired = mf.fire(pair, "negotiate", actor="bob")
    assert (fired.kind, fired.payload, fired.seq) == (preview.kind, preview.payload, preview.seq)


def test_a_blocked_dry_run_raises_every_blocker_and_writes_nothing(mf: Mentorflow, pair: str) -> None:
    """Blocked as a real fire would be, with every blocker; the database is unchanged."""
    mf.submit(pair, "idp", valid("idp"), actor="bob")
    mf.fire(pair, "negotiate", actor="bob")
    before = dump(mf.engine)
    with pytest.raises(Blocked) as caught:
        mf.fire(pair, "launch", actor="ann", dry_run=True)
    assert sorted(b.code for b in caught.value.blockers) == [
        "artifact.missing",
        "artifact.unsigned",
        "artifact.unsigned",
    ]
    assert dump(mf.engine) == before


def test_a_dry_run_refuses_what_a_fire_refuses(mf: Mentorflow, pair: str) -> None:
    """Who may fire, reasons and forcing are checked as for a real fire."""
    with pytest.raises(ReasonRequired):
        mf.fire(pair, "withdraw", actor="bob", dry_run=True)
    with pytest.raises(NotAllowed):
        mf.fire(pair, "negotiate", actor="bob", force=True, reason="r", dry_run=True)
    forced = mf.fire(pair, "negotiate", actor=Actor.admin("carol"), force=True, reason="paper plan", dry_run=True)
    assert forced.kind == "overridden"
    assert [b["code"] for b in forced.payload["bypassed"]] == ["artifact.missing"]
    assert forced.actor == "admin:carol"
    assert mf.status(pair).state == "preparing"


def test_a_dry_run_of_a_conversion_starts_nothing(mf: Mentorflow) -> None:
    """A transition that would start a linked relationship starts none in a dry run."""
    rel = mf.start("micro-mentoring", {"mentor": ["ann"], "mentee": ["bob"]}, actor=Actor.admin("carol")).id
    mf.submit(rel, "idp", valid("idp"), actor="bob")
    mf.submit(rel, "brief", valid("micro_brief"), actor="bob")
    mf.fire(rel, "schedule", actor="ann")
    mf.submit(rel, "meeting", valid("meeting"), actor="ann")
    mf.fire(rel, "hold", actor="ann")
    mf.submit(rel, "conversion", valid("consent"), actor="bob")
    for person in ("bob", "ann"):
        mf.sign(rel, "conversion", actor=person, revision=latest(mf, rel, "conversion"))
    before = dump(mf.engine)
    preview = mf.fire(rel, "convert", actor="ann", dry_run=True)
    assert preview.payload["to"] == "converted"
    assert dump(mf.engine) == before
    assert len(list(mf.relationship_ids())) == 1


@pytest.fixture
def cli_pair(tmp_path: Path) -> tuple[str, str]:
    """A database with one traditional dyad, through the CLI: (URL, relationship id)."""
    url = f"sqlite:///{tmp_path / 'dry.db'}"
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", url, "init"]).exit_code == 0
    started = runner.invoke(
        cli, ["--db", url, "--admin", "start", "traditional-dyad", "--role", "mentor=ann", "--role", "mentee=bob"]
    )
    return url, started.stdout.strip()


def test_cli_dry_run_says_what_would_happen(cli_pair: tuple[str, str]) -> None:
    """`fire --dry-run` prints the event that would be recorded and says nothing was written."""
    url, rel = cli_pair
    args = ["--db", url, "--as", "bob", "fire", rel, "withdraw", "--reason", "moving", "--dry-run"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0
    assert result.stdout == (
        f"{rel} would record #2 transitioned: withdraw: preparing -> withdrawn (moving) (dry run: nothing written)\n"
    )
    document = json.loads(CliRunner().invoke(cli, [*args, "--format", "json"]).stdout)
    assert document["dry_run"] is True
    assert document["payload"] == {"trigger": "withdraw", "from": "preparing", "to": "withdrawn", "reason": "moving"}
    assert "hash" not in document
    status = json.loads(CliRunner().invoke(cli, ["--db", url, "status", rel, "--format", "json"]).stdout)
    assert status["state"] == "preparing"


def test_cli_blocked_dry_run_exits_1_listing_every_blocker(cli_pair: tuple[str, str]) -> None:
    """Blocked: exit 1 with each blocker, as a real fire."""
    url, rel = cli_pair
    result = CliRunner().invoke(cli, ["--db", url, "--as", "bob", "fire", rel, "negotiate", "--dry-run"])
    assert result.exit_code == 1
    assert "error[transition.blocked]" in result.stderr
    assert "  - artifact.missing: no idp has been submitted (to be submitted by mentee bob)" in result.stderr
    history = json.loads(CliRunner().invoke(cli, ["--db", url, "history", rel, "--format", "json"]).stdout)
    assert [event["kind"] for event in history] == ["started"]
