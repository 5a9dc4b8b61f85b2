"""The delivery worker: signed posts, retries with back-off, 410 Gone, dead letters, order per relationship."""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import random
import threading
import time

import pytest
from standardwebhooks.webhooks import Webhook

from mentorflow import Actor, EndpointNotFound, Mentorflow
from mentorflow.webhooks import sending
from tests.conftest import FakeClock, MakeMentorflow
from tests.webhooks.receiver import Request, receiving

ADMIN = Actor.admin("carol")
VARIABLE = "HOOK_SECRET"
SECRET = "whsec_" + base64.b64encode(b"a secret of the platform's own").decode()


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)


def _start(mf: Mentorflow, mentee: str = "bob") -> str:
    return mf.start("micro-mentoring", {"mentor": "ann", "mentee": mentee}, actor=ADMIN).id


def test_a_change_is_posted_signed_as_standard_webhooks_verify(make_mf: MakeMentorflow) -> None:
    """The reference library accepts the headers and signature, and the body is the change's JSON."""
    mf = make_mf(clock=None)
    with receiving() as receiver:
        mf.webhooks.add("platform", receiver.url, secret_env=VARIABLE)
        rel = _start(mf)
        done = mf.webhooks.deliver()
    assert (done.queued, done.delivered) == (1, 1)
    (request,) = receiver.requests
    payload = Webhook(SECRET).verify(request.body, request.headers)
    (change,) = mf.changes().changes
    assert payload == change.to_dict()
    assert request.headers["webhook-id"] == change.id
    assert payload["relationship"] == rel
    assert request.headers["webhook-timestamp"].isdigit()


def test_only_changes_after_the_endpoint_was_added_are_sent(mf: Mentorflow) -> None:
    """An endpoint hears the changes committed after it was added, none before."""
    _start(mf, "early")
    with receiving() as receiver:
        mf.webhooks.add("platform", receiver.url, secret_env=VARIABLE)
        _start(mf, "late")
        mf.webhooks.deliver()
    assert [r.headers["webhook-id"] for r in receiver.requests] == [mf.changes().changes[-1].id]


def test_kinds_filter_what_an_endpoint_receives(mf: Mentorflow) -> None:
    """With kinds, only changes of those kinds are sent."""
    with receiving() as receiver:
        mf.webhooks.add("joins", receiver.url, secret_env=VARIABLE, kinds=["joined"])
        rel = mf.start("group", {"mentor": ["ann", "al"], "mentee": ["bob", "cy", "di"]}, actor=ADMIN).id
        mf.join(rel, "mentee", "ed", actor=ADMIN)
        mf.webhooks.deliver()
    assert [r.body.count(b'"kind":"joined"') for r in receiver.requests] == [1]


def test_a_failure_is_retried_within_five_seconds(mf: Mentorflow, clock: FakeClock) -> None:
    """A 500 is retried after at most 5 s, not before its time, and acknowledged then."""
    answers = iter([500, 200])
    with receiving(lambda _r: next(answers)) as receiver:
        mf.webhooks.add("platform", receiver.url, secret_env=VARIABLE)
        _start(mf)
        first = mf.webhooks.deliver()
        assert (first.delivered, first.failed) == (0, 1)
        assert mf.webhooks.deliver().delivered == 0  # not due yet
        clock.advance(seconds=5)
        assert mf.webhooks.deliver().delivered == 1
    assert len(set(receiver.ids())) == 1
    assert len(receiver.requests) == 2


def test_a_timeout_counts_as_a_failure(mf: Mentorflow, clock: FakeClock) -> None:
    """A receiver slower than the timeout is retried later."""
    slow = [True]

    def answer(_request: Request) -> int:
        if slow[0]:
            slow[0] = False
            time.sleep(0.5)
        return 200

    with receiving(answer):
        hooks = mf.webhooks
        hooks.timeout = 0.1
        hooks.add("platform", "http://127.0.0.1:1/unused", secret_env=VARIABLE)
    with receiving(answer) as receiver:
        hooks.remove("platform")
        hooks.add("platform", receiver.url, secret_env=VARIABLE)
        _start(mf)
        assert hooks.deliver().failed == 1
        clock.advance(seconds=5)
        assert hooks.deliver().delivered == 1


def test_an_unreachable_endpoint_is_retried(mf: Mentorflow) -> None:
    """A refused connection is a failed attempt, not a crash."""
    mf.webhooks.add("platform", "http://127.0.0.1:1/hooks", secret_env=VARIABLE)
    _start(mf)
    assert mf.webhooks.deliver().failed == 1


def test_gone_disables_the_endpoint(mf: Mentorflow, clock: FakeClock) -> None:
    """410 Gone disables the endpoint: nothing more is sent, and the list says so."""
    with receiving(lambda _r: 410) as receiver:
        mf.webhooks.add("platform", receiver.url, secret_env=VARIABLE)
        _start(mf)
        done = mf.webhooks.deliver()
        _start(mf, "cy")
        clock.advance(days=2)
        mf.webhooks.deliver()
    assert done.gone == ["platform"]
    assert len(receiver.requests) == 1
    (endpoint,) = mf.webhooks.list()
    assert (endpoint.disabled, endpoint.dead_letters) == (True, 0)


def test_an_endpoint_enabled_again_gets_every_change_it_missed_in_order(mf: Mentorflow, clock: FakeClock) -> None:
    """Disabled by 410, the endpoint's cursor waits: once enabled, the refused change and those committed while it
    was disabled are all delivered, each relationship's in order, and nothing twice."""
    answers = iter([410])
    with receiving(lambda _r: next(answers, 200)) as receiver:
        mf.webhooks.add("platform", receiver.url, secret_env=VARIABLE)
        first = _start(mf)
        mf.webhooks.deliver()
        second = _start(mf, "cy")
        mf.fire(first, "decline", actor="ann", reason="no time this month")
        assert mf.webhooks.deliver().delivered == 0
        assert mf.webhooks.enable("platform").disabled is False
        assert mf.webhooks.deliver().delivered == 3
    sent = [(json.loads(r.body)["relationship"], json.loads(r.body)["kind"]) for r in receiver.requests[1:]]
    assert sorted(sent) == sorted([(first, "started"), (second, "started"), (first, "transitioned")])
    assert sent.index((first, "started")) < sent.index((first, "transitioned"))
    with pytest.raises(EndpointNotFound):
        mf.webhooks.enable("nobody")


def test_a_redirect_is_not_followed(mf: Mentorflow) -> None:
    """A 3xx is a failed attempt: no request goes to an address the operator did not register."""
    with receiving(lambda _r: 307) as receiver:
        mf.webhooks.add("platform", receiver.url, secret_env=VARIABLE)
        _start(mf)
        assert mf.webhooks.deliver().failed == 1
    assert len(receiver.requests) == 1


def test_out_of_attempts_a_change_is_dead_lettered_and_stops_blocking(mf: Mentorflow, clock: FakeClock) -> None:
    """After eight failed attempts the change is a dead letter, counted, and the relationship's next one goes."""
    failing = [True]
    with receiving(lambda _r: 503 if failing[0] else 200) as receiver:
        mf.webhooks.add("platform", receiver.url, secret_env=VARIABLE)
        rel = mf.start("group", {"mentor": ["ann", "al"], "mentee": ["bob", "cy", "di"]}, actor=ADMIN).id
        mf.join(rel, "mentee", "ed", actor=ADMIN)
        for _ in range(sending.ATTEMPTS):
            mf.webhooks.deliver()
            clock.advance(days=2)
        first, second = (c.id for c in mf.changes().changes)
        # the eighth failure dead-letters the first change, and in the same pass the second is tried
        assert receiver.ids() == [first] * sending.ATTEMPTS + [second]
        assert mf.webhooks.list()[0].dead_letters == 1
        failing[0] = False
        clock.advance(seconds=5)
        assert mf.webhooks.deliver().delivered == 1
    assert receiver.ids()[-1] == second
    assert mf.webhooks.list()[0].dead_letters == 1


def test_one_relationships_changes_arrive_in_order(mf: Mentorflow, clock: FakeClock) -> None:
    """While a relationship's earlier change is being retried, its later ones wait; other relationships go on."""
    failures = {"count": 0}

    def answer(request: Request) -> int:
        if b'"kind":"started"' in request.body and b'"bob"' in request.body and failures["count"] < 2:
            failures["count"] += 1
            return 500
        return 200

    with receiving(answer) as receiver:
        mf.webhooks.add("platform", receiver.url, secret_env=VARIABLE)
        rel = mf.start("group", {"mentor": ["ann", "al"], "mentee": ["bob", "cy", "di"]}, actor=ADMIN).id
        mf.join(rel, "mentee", "ed", actor=ADMIN)
        other = _start(mf, "eve")
        for _ in range(4):
            mf.webhooks.deliver()
            clock.advance(seconds=200)
    order = [c.id for c in mf.changes().changes]
    delivered = [r.headers["webhook-id"] for r in receiver.requests]
    mine = [i for i in delivered if i in order[:2]]
    assert mine == [order[0], order[0], order[0], order[1]]
    assert delivered.index(order[2]) < delivered.index(order[1])  # the other relationship did not wait
    assert other


def test_the_back_off_grows_and_spans_a_day() -> None:
    """First retry within 5 s, each later wait longer, eight attempts spanning at least 24 hours at any jitter."""
    for seed in range(20):
        rng = random.Random(seed)
        waits = [sending.delay(n, rng) for n in range(1, sending.ATTEMPTS)]
        assert waits[0] <= dt.timedelta(seconds=5)
        assert all(a < b for a, b in itertools.pairwise(waits))
        assert sum(waits, dt.timedelta()) >= dt.timedelta(hours=24)
    low = random.Random()
    low.random = lambda: 1.0  # type: ignore[method-assign]
    assert sum((sending.delay(n, low) for n in range(1, sending.ATTEMPTS)), dt.timedelta()) >= dt.timedelta(hours=24)


def test_a_worker_without_the_secret_sends_nothing_and_counts_no_attempt(
    mf: Mentorflow, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The secret is read at delivery. A worker whose environment lacks it sends no request, names the endpoint, and
    leaves the change owed with no attempt spent, however long it runs: the next worker that has it delivers."""
    with receiving() as receiver:
        mf.webhooks.add("platform", receiver.url, secret_env=VARIABLE)
        _start(mf)
        monkeypatch.delenv("HOOK_SECRET")
        for _ in range(sending.ATTEMPTS + 2):
            done = mf.webhooks.deliver()
            assert (done.delivered, done.failed, done.dead) == (0, 0, 0)
            assert done.unsigned == {"platform": "environment variable HOOK_SECRET is not set"}
            clock.advance(days=2)
        assert receiver.requests == []
        assert mf.webhooks.list()[0].dead_letters == 0
        monkeypatch.setenv("HOOK_SECRET", SECRET)
        assert mf.webhooks.deliver().delivered == 1
    assert len(receiver.requests) == 1


def test_changes_wait_five_seconds_for_a_worker_that_has_the_secret(
    mf: Mentorflow, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Given back untried, the change is due again in five seconds, not at once: a looping worker does not spin."""
    with receiving() as receiver:
        mf.webhooks.add("platform", receiver.url, secret_env=VARIABLE)
        _start(mf)
        monkeypatch.delenv("HOOK_SECRET")
        assert mf.webhooks.deliver().unsigned
        monkeypatch.setenv("HOOK_SECRET", SECRET)
        assert mf.webhooks.deliver().delivered == 0
        clock.advance(seconds=5)
        assert mf.webhooks.deliver().delivered == 1


def test_without_once_the_worker_keeps_polling_until_stopped(mf: Mentorflow) -> None:
    """A looping worker delivers changes committed while it runs, and returns when told to stop."""
    stop = threading.Event()
    with receiving() as receiver:
        mf.webhooks.add("platform", receiver.url, secret_env=VARIABLE)
        worker = threading.Thread(target=lambda: mf.webhooks.deliver(once=False, stop=stop, poll=0.01))
        worker.start()
        _start(mf)
        deadline = time.monotonic() + 10
        while not receiver.requests and time.monotonic() < deadline:
            time.sleep(0.01)
        stop.set()
        worker.join(10)
    assert not worker.is_alive()
    assert len(receiver.requests) == 1
