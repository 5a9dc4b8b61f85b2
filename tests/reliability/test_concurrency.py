"""Many processes, one PostgreSQL: no lost update, no duplicate, no gap, and the log replays to the rows.

Eight worker processes, each with its own ``Mentorflow``, race on twenty shared relationships with conflicting
submissions, signatures, joins, leaves and fires. Afterwards every call a worker saw succeed is in the log exactly
once, no call it saw fail left a trace, every relationship's ``seq`` is gapless and its replay equals its rows.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from mentorflow import Actor, Mentorflow
from tests.conftest import POSTGRES, Database
from tests.content import valid
from tests.reliability import workers

pytestmark = pytest.mark.slow

WORKERS = 8
RACE_SECONDS = float(os.environ.get("MENTORFLOW_RACE_SECONDS", "20"))


# These tests are about many processes on one PostgreSQL; SQLite, which serialises writers, runs the crash tests.
ON_POSTGRES = pytest.mark.parametrize("database", [POSTGRES], indirect=True)


@pytest.fixture
def postgres(database: Database) -> Database:
    return database


def _prepare(mf: Mentorflow) -> list[dict[str, Any]]:
    """Ten informal peer groups and ten dyads, with artifacts to sign and triggers to race for."""
    targets = []
    admin = Actor.admin()
    for index in range(10):
        peers = [f"p{index}-{n}" for n in range(4)]
        rel = mf.start("informal-peer", {"peer": peers}, actor=admin, id=f"peer-{index}")
        mf.submit(rel.id, "agreement", valid("agreement"), actor=peers[0])
        targets.append({"id": rel.id, "workflow": "informal-peer", "people": peers, "triggers": ["convene", "close"]})
    for index in range(10):
        people = {"mentor": [f"m{index}"], "mentee": [f"e{index}"]}
        rel = mf.start("traditional-dyad", people, actor=admin, id=f"dyad-{index}")
        mf.submit(rel.id, "idp", valid("idp"), actor=f"e{index}")
        mf.fire(rel.id, "negotiate", actor=f"e{index}")
        targets.append(
            {"id": rel.id, "workflow": "traditional-dyad", "people": [f"m{index}", f"e{index}"], "triggers": ["launch"]}
        )
    return targets


@ON_POSTGRES
def test_racing_processes_lose_nothing(postgres: Database, capsys: pytest.CaptureFixture[str]) -> None:
    """8 processes x 20 relationships: successes logged once, failures leave no trace, replay equals rows."""
    mf = Mentorflow(postgres.url)
    try:
        targets = _prepare(mf)
    finally:
        mf.engine.dispose()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(WORKERS, mp_context=context) as pool:
        results = list(
            pool.map(
                workers.race, [postgres.url] * WORKERS, [targets] * WORKERS, [RACE_SECONDS] * WORKERS, range(WORKERS)
            )
        )
    outcomes = [outcome for result in results for outcome in result["outcomes"]]
    retries = sum(result["retries"] for result in results)

    engine = create_engine(postgres.url)
    try:
        with engine.connect() as connection:
            events = connection.execute(
                text("SELECT relationship_id, seq, kind, payload, hash FROM mentorflow_events")
            ).all()
            revisions = connection.execute(
                text("SELECT relationship_id, slot, number, content, content_hash FROM mentorflow_revisions")
            ).all()
    finally:
        engine.dispose()
    logged = Counter((row[0], row[1], row[4]) for row in events)
    submitted = Counter((row[0], json.loads(row[3]).get("content_hash")) for row in events if row[2] == "submitted")
    losses = duplicates = ghosts = 0
    for outcome in outcomes:
        nonce = outcome["nonce"]
        traces = sum(nonce in row[3] for row in events) + sum(nonce in row[3] for row in revisions)
        if not outcome["ok"]:
            ghosts += traces > 0
            continue
        if "event" in outcome:
            event = outcome["event"]
            found = logged[(event["relationship"], event["seq"], event["hash"])]
        else:
            found = submitted[(outcome["relationship"], outcome["content_hash"])]
        losses += found == 0
        duplicates += found > 1

    verify = Mentorflow(postgres.url)
    try:
        report = verify.verify()
    finally:
        verify.engine.dispose()
    codes = Counter(outcome.get("code", "ok") for outcome in outcomes)
    conflicts = codes.get("concurrency.conflict", 0)
    with capsys.disabled():
        print(
            f"\nconcurrency: {len(outcomes)} operations by {WORKERS} processes in {RACE_SECONDS:g}s on "
            f"{len(targets)} relationships; {codes['ok']} succeeded; {retries} retries after lost races; "
            f"{conflicts} gave up after retries; losses {losses}, duplicates {duplicates}, ghosts {ghosts}; "
            f"refusals by code: {dict(sorted((k, v) for k, v in codes.items() if k != 'ok'))}"
        )
    assert report.ok, report.broken
    assert report.checked == len(targets)
    assert (losses, duplicates, ghosts) == (0, 0, 0)
    assert codes["ok"] > 100
    assert retries > 0, "the workers never collided: the test proves nothing"


@ON_POSTGRES
def test_two_ticks_fire_each_due_transition_once(postgres: Database, tmp_path: Path) -> None:
    """Two ticks started together expire each due micro-mentoring exactly once between them."""
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    mf = Mentorflow(postgres.url, clock=lambda: start)
    try:
        for index in range(30):
            mf.start(
                "micro-mentoring",
                {"mentor": f"m{index}", "mentee": f"e{index}"},
                actor=Actor.admin(),
                id=f"micro-{index}",
            )
    finally:
        mf.engine.dispose()
    barrier = tmp_path / "go"
    now = (start + dt.timedelta(days=31)).isoformat()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=context) as pool:
        futures = [pool.submit(workers.tick_once, postgres.url, now, str(barrier)) for _ in range(2)]
        barrier.touch()
        fired = [event for future in futures for event in future.result()]
    expired = Counter(event["relationship"] for event in fired if event["kind"] == "transitioned")
    assert sorted(expired) == sorted(f"micro-{index}" for index in range(30))
    assert set(expired.values()) == {1}
    check = Mentorflow(postgres.url)
    try:
        assert check.verify().ok
        assert check.tick() == []
    finally:
        check.engine.dispose()
