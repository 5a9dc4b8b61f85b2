"""The library prints nothing of its own: its events go to the standard library's ``mentorflow`` logger."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import structlog

from mentorflow import Actor, Mentorflow
from mentorflow.logs import Log

PROGRAM = textwrap.dedent(
    """
    from mentorflow import Actor, Mentorflow
    mf = Mentorflow("sqlite://")
    mf.upgrade()
    rel = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=Actor.admin("carol"))
    mf.fire(rel.id, "withdraw", actor="bob", reason="moved")
    mf.subscribe(lambda event: 1 / 0)  # a failing subscriber is logged at ERROR: still not printed
    mf.fire(mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor="ann").id, "withdraw",
            actor="ann", reason="moved")
    mf.audit(); mf.summary(); mf.verify()
    """
)


def test_embedding_writes_nothing_to_stdout_or_stderr(tmp_path: Path) -> None:
    """Importing and using the library, with nothing configured, prints nothing at all."""
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM], capture_output=True, text=True, check=True, cwd=tmp_path, timeout=120
    )
    assert (done.stdout, done.stderr) == ("", "")


def test_events_reach_the_standard_library_logger(caplog: pytest.LogCaptureFixture) -> None:
    """A platform that configures logging at INFO hears each write on the `mentorflow` logger."""
    mf = Mentorflow("sqlite://")
    mf.upgrade()
    structlog.reset_defaults()
    with caplog.at_level(logging.INFO, logger="mentorflow"):
        rel = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=Actor.admin("carol"))
    [record] = [record for record in caplog.records if record.name == "mentorflow"]
    assert "started" in record.getMessage()
    assert rel.id in record.getMessage()


def test_nothing_is_logged_below_the_configured_level(caplog: pytest.LogCaptureFixture) -> None:
    """At the default WARNING level a write logs nothing."""
    mf = Mentorflow("sqlite://")
    mf.upgrade()
    with caplog.at_level(logging.WARNING, logger="mentorflow"):
        mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=Actor.admin("carol"))
    assert [record for record in caplog.records if record.name == "mentorflow"] == []


@pytest.mark.parametrize("level", ["error", "exception"])
def test_errors_are_logged_at_error_and_dropped_above_it(level: str, caplog: pytest.LogCaptureFixture) -> None:
    """`Log.error` and `Log.exception` reach a logger at ERROR, and cost only a level check above it."""
    structlog.reset_defaults()
    log = getattr(Log(), level)
    with caplog.at_level(logging.CRITICAL, logger="mentorflow"):
        log("quiet_event", relationship="r1")
    with caplog.at_level(logging.ERROR, logger="mentorflow"):
        log("loud_event", relationship="r1")
    messages = [record.getMessage() for record in caplog.records if record.name == "mentorflow"]
    assert len(messages) == 1
    assert "loud_event" in messages[0]
