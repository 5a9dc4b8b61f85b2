"""Workers in processes of their own: killed at random moments, or two at once, no change is lost or sent twice at once.

Each worker is the real `mentorflow deliver` in a subprocess, on a real clock with a short lease, so that a killed
worker's claims are taken over quickly.
"""

from __future__ import annotations

import base64
import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict

import pytest
from standardwebhooks.webhooks import Webhook

from mentorflow import Actor, Mentorflow
from tests.conftest import POSTGRES, MakeMentorflow
from tests.webhooks.receiver import Receiver, Request, receiving

VARIABLE = "HOOK_SECRET"
SECRET = "whsec_" + base64.b64encode(b"the workers' secret, 24b").decode()
WORKER = [sys.executable, "-c", "from mentorflow.cli import main; main()"]


def _env(db_url: str) -> dict[str, str]:
    return {**os.environ, "HOOK_SECRET": SECRET, "MENTORFLOW_DB": db_url}


def _write(mf: Mentorflow, count: int, tag: str) -> None:
    for number in range(count):
        mf.start("micro-mentoring", {"mentor": "ann", "mentee": f"{tag}{number}"}, actor=Actor.admin())


def _check_every_change_arrived(mf: Mentorflow, receiver: Receiver) -> tuple[int, int]:
    """Every change was received, each copy the same signed body under its id; returns (changes, duplicates)."""
    bodies: dict[str, set[bytes]] = defaultdict(set)
    for request in receiver.requests:
        Webhook(SECRET).verify(request.body, request.headers)
        bodies[request.headers["webhook-id"]].add(request.body)
    expected = {change.id for change in mf.changes(limit=1000).changes}
    assert set(bodies) == expected  # nothing lost, nothing foreign
    assert all(len(copies) == 1 for copies in bodies.values())  # a duplicate is the same change, same id
    assert mf.webhooks.list()[0].dead_letters == 0
    return len(expected), len(receiver.requests) - len(expected)


def _spawn(env: dict[str, str]) -> subprocess.Popen[str]:
    """A looping worker with a short lease; it logs `webhook_worker_started` on stderr once it is at work."""
    return subprocess.Popen(
        [*WORKER, "--log-format", "json", "deliver", "--poll", "0.02", "--lease", "0.4", "--timeout", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
@pytest.mark.parametrize("database", [POSTGRES], indirect=True)  # many servers share PostgreSQL; 40 s a backend
def test_a_worker_killed_at_random_moments_loses_nothing(make_mf: MakeMentorflow) -> None:
    """SIGKILLed 20 times while at work, the workers after them deliver every change at least once.

    A backlog of changes and a slow receiver keep each worker busy: every kill lands a random 50 to 300 ms after
    the worker began work, with requests in flight and a batch leased; the next worker takes the leases over.
    """
    mf = make_mf(clock=None)
    rng = random.Random(17)

    arrivals: list[float] = []

    def slowly(_request: Request) -> int:
        arrivals.append(time.monotonic())
        time.sleep(0.04)
        return 200

    with receiving(slowly) as receiver:
        os.environ[VARIABLE] = SECRET
        try:
            mf.webhooks.add("platform", receiver.url, secret_env=VARIABLE)
        finally:
            del os.environ[VARIABLE]
        _write(mf, 160, "backlog-")
        env = _env(mf.engine.url.render_as_string(hide_password=False))
        killed = mid_work = 0
        for _ in range(20):
            worker = _spawn(env)
            assert worker.stderr is not None
            assert "webhook_worker_started" in worker.stderr.readline()
            before = len(arrivals)
            time.sleep(rng.uniform(0.05, 0.3))
            worker.send_signal(signal.SIGKILL)
            worker.wait(10)
            worker.stderr.close()
            killed += worker.returncode == -signal.SIGKILL
            mid_work += len(arrivals) > before
        time.sleep(0.45)  # the last worker's leases expire
        final = subprocess.run(
            [*WORKER, "deliver", "--once", "--lease", "5"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert final.returncode == 0, final.stderr
    assert killed == 20
    assert mid_work >= 5  # kills hit workers at work, not only starting up
    changes, duplicates = _check_every_change_arrived(mf, receiver)
    assert changes == 160
    print(f"kill test: {killed} kills ({mid_work} mid-work), {changes} changes, {duplicates} duplicates, 0 lost")


def test_two_workers_never_send_one_change_at_once(make_mf: MakeMentorflow) -> None:
    """Two workers running together share the work: no change is in flight twice, none is sent twice."""
    mf = make_mf(clock=None)
    in_flight: dict[str, int] = defaultdict(int)
    overlaps: list[str] = []

    def answer(request: Request) -> int:
        message = request.headers["webhook-id"]
        in_flight[message] += 1
        if in_flight[message] > 1:
            overlaps.append(message)
        time.sleep(0.01)
        in_flight[message] -= 1
        return 200

    with receiving(answer) as receiver:
        os.environ["HOOK_SECRET"] = SECRET
        try:
            mf.webhooks.add("platform", receiver.url, secret_env=VARIABLE)
        finally:
            del os.environ["HOOK_SECRET"]
        _write(mf, 60, "pair-")
        env = _env(mf.engine.url.render_as_string(hide_password=False))
        workers = [
            subprocess.Popen([*WORKER, "deliver", "--once", "--lease", "30"], env=env, stdout=subprocess.DEVNULL)
            for _ in range(2)
        ]
        for worker in workers:
            assert worker.wait(60) == 0
    assert overlaps == []
    changes, duplicates = _check_every_change_arrived(mf, receiver)
    assert (changes, duplicates) == (60, 0)


@pytest.mark.parametrize("signal_number", [signal.SIGTERM])
def test_a_looping_worker_stops_on_a_signal(db_url: str, signal_number: int) -> None:
    """Without --once the worker polls until SIGTERM or SIGINT, then exits 0 with its tally."""
    worker = subprocess.Popen(
        [*WORKER, "--log-format", "json", "deliver", "--poll", "0.05"],
        env=_env(db_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert worker.stderr is not None
    assert "webhook_worker_started" in worker.stderr.readline()  # its signal handlers are in place
    worker.send_signal(signal_number)
    out, _ = worker.communicate(timeout=20)
    assert worker.returncode == 0
    assert out.startswith("delivered 0")
