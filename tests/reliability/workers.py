"""Worker processes for the reliability tests: each builds its own ``Mentorflow`` and races the others.

They run in processes started with ``spawn`` (never ``fork``: a forked SQLAlchemy pool shares sockets), so the
functions here must be importable and take only plain, picklable arguments.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import MutableMapping
from typing import Any, NamedTuple

import structlog

from mentorflow import Actor, Mentorflow, MentorflowError
from tests.content import valid

Outcome = dict[str, Any]


def _count_retries(counter: list[int]) -> None:
    def processor(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        if event.get("event") == "retrying":
            counter[0] += 1
        raise structlog.DropEvent

    structlog.configure(
        processors=[processor], wrapper_class=structlog.make_filtering_bound_logger(0), cache_logger_on_first_use=False
    )
    logging.getLogger("mentorflow").setLevel(logging.DEBUG)  # the library logs retries at debug level


def _quiet() -> None:
    structlog.configure(
        processors=[lambda *_: (_ for _ in ()).throw(structlog.DropEvent)], cache_logger_on_first_use=False
    )


def _wait(barrier_path: str) -> None:
    while not os.path.exists(barrier_path):  # noqa: PTH110 - a busy wait keeps the processes close together
        time.sleep(0.001)


def race(url: str, relationships: list[dict[str, Any]], seconds: float, seed: int) -> dict[str, Any]:
    """Fire random conflicting operations at shared relationships for ``seconds``; report every call's outcome."""
    retries = [0]
    _count_retries(retries)
    rng = random.Random(seed)
    mf = Mentorflow(url, retries=4)
    outcomes: list[Outcome] = []
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            target = rng.choice(relationships)
            outcomes.append(_one(mf, rng, target))
    finally:
        mf.engine.dispose()
    return {"outcomes": outcomes, "retries": retries[0]}


def _one(mf: Mentorflow, rng: random.Random, target: dict[str, Any]) -> Outcome:
    rel, people, workflow = target["id"], target["people"], target["workflow"]
    nonce = secrets.token_hex(6)
    person = rng.choice(people)
    operation = rng.choice(["submit", "submit", "sign", "sign", "join", "leave", "fire"])
    outcome: Outcome = {"relationship": rel, "operation": operation, "nonce": nonce}
    try:
        if operation == "submit":
            slot, kind = ("meeting", "meeting") if rng.random() < 0.5 else ("agreement", "agreement")
            content = valid(kind)
            if kind == "meeting":
                content["topics"] = [f"nonce {nonce}"]
            else:
                content["goals"] = [f"nonce {nonce}"]
            revision = mf.submit(rel, slot, content, actor=person)
            outcome.update(content_hash=revision.content_hash, slot=slot, revision=revision.revision)
        elif operation == "sign":
            # The revision this person read; another worker may submit a newer one before the signature lands.
            read = next((artifact.revision for artifact in mf.status(rel).artifacts if artifact.slot == "agreement"), 1)
            outcome["event"] = mf.sign(rel, "agreement", actor=person, revision=read).model_dump(mode="json")
        elif operation == "join" and workflow == "informal-peer":
            outcome["person"] = f"peer-{nonce}"
            outcome["event"] = mf.join(rel, "peer", f"peer-{nonce}", actor=Actor.admin()).model_dump(mode="json")
        elif operation == "leave" and workflow == "informal-peer":
            outcome["event"] = mf.leave(
                rel, rng.choice(people), actor=Actor.admin(), reason=f"nonce {nonce}"
            ).model_dump(mode="json")
        else:
            trigger = rng.choice(target["triggers"])
            outcome["event"] = mf.fire(rel, trigger, actor=Actor.admin(), reason=f"nonce {nonce}").model_dump(
                mode="json"
            )
        outcome["ok"] = True
    except MentorflowError as error:
        outcome.update(ok=False, code=error.code)
    return outcome


def tick_once(url: str, now: str, barrier_path: str) -> list[dict[str, Any]]:
    """Wait until ``barrier_path`` exists, then tick once at ``now``; return the events it fired."""
    _quiet()
    moment = dt.datetime.fromisoformat(now)
    mf = Mentorflow(url, clock=lambda: moment)
    try:
        _wait(barrier_path)
        return [event.model_dump(mode="json") for event in mf.tick()]
    finally:
        mf.engine.dispose()


def write_forever(url: str, relationship: str, ready_path: str) -> None:
    """Submit and sign in a loop until killed; the parent SIGKILLs this process at random moments."""
    _quiet()
    mf = Mentorflow(url)
    open(ready_path, "w").close()  # noqa: PTH123 - a marker file
    rng = random.Random(os.getpid())
    people = ["ann", "bob"]
    while True:
        try:
            if rng.random() < 0.6:
                mf.submit(relationship, "meeting", valid("meeting"), actor=rng.choice(people))
            else:
                content = valid("agreement")
                content["goals"] = [f"goal {rng.random()}"]  # new content: identical content would store nothing
                revision = mf.submit(relationship, "agreement", content, actor=rng.choice(people)).revision
                mf.sign(relationship, "agreement", actor=rng.choice(people), revision=revision)
        except MentorflowError:
            pass


def migrate(url: str, barrier_path: str) -> str:
    """Wait until ``barrier_path`` exists, then migrate; ``"ok"`` or the code of the error it raised."""
    _quiet()
    mf = Mentorflow(url)
    try:
        _wait(barrier_path)
        mf.upgrade()
    except MentorflowError as error:
        return error.code
    finally:
        mf.engine.dispose()
    return "ok"


class DemoRun(NamedTuple):
    code: int
    out: str
    err: str


def demo(url: str, barrier_path: str) -> DemoRun:
    """Wait until ``barrier_path`` exists, then run ``mentorflow demo`` in a fresh interpreter, as a user would."""
    _wait(barrier_path)
    command = [sys.executable, "-c", "from mentorflow.cli import main; main()", "--db", url, "demo"]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=300)
    return DemoRun(done.returncode, done.stdout, done.stderr)


def kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
