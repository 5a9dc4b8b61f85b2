"""Crash safety: a writer killed with SIGKILL at random moments never leaves a half-done write behind.

A worker process submits and signs in a loop; the test kills it at random moments, starts a new one, and does so
at least twenty times on each backend. Every write is one transaction, so afterwards ``verify`` passes: no
revision without its event, no signature without its event, no event without its head-row change.
"""

from __future__ import annotations

import multiprocessing
import random
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from mentorflow import Actor, Mentorflow
from tests.conftest import Database
from tests.content import valid
from tests.reliability import workers

pytestmark = pytest.mark.slow

KILLS = 20


def test_sigkilled_writers_leave_no_half_writes(
    database: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """20 SIGKILLs in the middle of writes; the log and the rows still agree."""
    mf = Mentorflow(database.url)
    try:
        rel = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=Actor.admin(), id="crash")
        mf.submit(rel.id, "idp", valid("idp"), actor="bob")
        mf.fire(rel.id, "negotiate", actor="bob")
        agreement = mf.submit(rel.id, "agreement", valid("agreement"), actor="ann").revision
        mf.sign(rel.id, "agreement", actor="ann", revision=agreement)
        mf.sign(rel.id, "agreement", actor="bob", revision=agreement)
        idp = mf.submit(rel.id, "idp", valid("idp"), actor="bob").revision
        for person in ("ann", "bob"):
            mf.sign(rel.id, "idp", actor=person, revision=idp)
        mf.fire(rel.id, "launch", actor="ann")
    finally:
        mf.engine.dispose()
    # fork: the child builds its own engine, and starting 20 interpreters with spawn costs a minute per backend
    context = multiprocessing.get_context("fork")
    rng = random.Random(20261123)
    for attempt in range(KILLS):
        ready = tmp_path / f"ready-{attempt}"
        process = context.Process(target=workers.write_forever, args=(database.url, "crash", str(ready)))
        process.start()
        deadline = time.monotonic() + 60
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.005)
        time.sleep(rng.uniform(0.05, 0.4))
        assert process.pid is not None
        workers.kill(process.pid)
        process.join()
        assert process.exitcode == -9
    check = Mentorflow(database.url)
    try:
        report = check.verify()
        history = check.history("crash")
    finally:
        check.engine.dispose()
    assert report.ok, report.broken
    assert len(history) > 12, "the workers wrote nothing before being killed: the test proves nothing"
    engine = create_engine(database.url)
    try:
        with engine.connect() as connection:
            revisions = connection.execute(text("SELECT count(*) FROM mentorflow_revisions")).scalar_one()
            signatures = connection.execute(text("SELECT count(*) FROM mentorflow_signatures")).scalar_one()
    finally:
        engine.dispose()
    with capsys.disabled():
        print(
            f"\ncrash ({database.backend}): {KILLS} SIGKILLs during writes; {len(history)} events, {revisions} "
            f"revisions and {signatures} signatures survived; verify ok"
        )
    assert revisions == sum(1 for event in history if event.kind == "submitted")
    assert signatures == sum(1 for event in history if event.kind == "signed")
