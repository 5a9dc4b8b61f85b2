"""Webhooks: the change feed pushed to the platforms' endpoints, at least once, in order per relationship.

Why a package of its own: delivery is a worker beside the library, with an HTTP client the rest of mentorflow
never needs (httpx is imported here only, and only when a worker sends). ``Mentorflow.webhooks`` returns a
``Webhooks``; the CLI's ``endpoint`` and ``deliver`` commands call it. The outbox (``store.outbox``) keeps every
decision in the database, so that workers may be killed and may run side by side; ``sending`` signs and posts.
"""

from __future__ import annotations

import builtins
import datetime as dt
import random
import re
import secrets
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from mentorflow.errors import EndpointSecretInvalid, InvalidInput
from mentorflow.identifiers import check_identifier
from mentorflow.logs import Log
from mentorflow.store import feed, outbox

if TYPE_CHECKING:
    import httpx

    from mentorflow.store import Engine

__all__ = ["Endpoint", "Pass", "Webhooks"]

_log = Log()
_NAME_LIMIT = 63
_GONE = 410
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,199}")


class Endpoint(BaseModel):
    """A registered endpoint, as ``endpoint list`` shows it (DESIGN §17)."""

    model_config = ConfigDict(frozen=True)

    name: str
    url: str
    kinds: list[str]
    disabled: bool
    dead_letters: int


@dataclass
class Pass:
    """What a worker did: changes queued, acknowledged, failed (to be retried), dead-lettered; the endpoints that
    answered 410 (``gone``), and those whose secret this worker could not read (``unsigned``: the variable and why)."""

    queued: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    gone: list[str] = field(default_factory=list)
    unsigned: dict[str, str] = field(default_factory=dict)


@dataclass
class Webhooks:
    """Endpoints and delivery for one database; ``Mentorflow.webhooks`` makes one.

    ``lease`` is how long a claimed delivery is a worker's alone (a killed worker's claims wait this long), and
    ``timeout`` the seconds one request may take; ``rng`` draws the retries' jitter.
    """

    engine: Engine
    clock: Callable[[], dt.datetime]
    lease: dt.timedelta = dt.timedelta(seconds=60)
    timeout: float = 10.0
    batch: int = 500
    concurrency: int = 4
    settle_every: int = 50
    """Sending threads: more only contend for the interpreter (measured: 4 beat 8 and 16 at 500 a batch)."""
    rng: random.Random = field(default_factory=random.Random)

    def add(self, name: str, url: str, *, secret_env: str, kinds: Sequence[str] = ()) -> Endpoint:
        """Register an endpoint for the changes committed from now on (of ``kinds`` only, if given)."""
        from mentorflow.webhooks.sending import check_url, load_secret  # noqa: PLC0415 - httpx only when needed

        check_identifier(name, "endpoint name")
        if len(name) > _NAME_LIMIT:
            raise InvalidInput(
                f"endpoint name is {len(name)} characters long; the limit is {_NAME_LIMIT}", hint="Shorten it."
            )
        bad = [kind for kind in kinds if kind not in feed.CHANGE_KINDS]
        if bad:
            # A misspelt kind matches no change: the endpoint would wait for ever, and nobody would know why.
            raise InvalidInput(
                f"not change kinds: {', '.join(map(repr, bad))}", hint=f"Kinds: {', '.join(feed.CHANGE_KINDS)}."
            )
        if not _VARIABLE.fullmatch(secret_env):
            raise InvalidInput(f"{secret_env!r} cannot name an environment variable", hint="Use e.g. PLATFORM_SECRET.")
        check_url(url)
        load_secret(secret_env)
        outbox.add(self.engine, name, url, sorted(set(kinds)), secret_env, self.clock())
        return self._endpoint(name)

    def _endpoint(self, name: str) -> Endpoint:
        return next(endpoint for endpoint in self.list() if endpoint.name == name)

    def list(self) -> builtins.list[Endpoint]:
        """Every endpoint, by name, with whether it is disabled (it answered 410) and its dead letters."""
        return [
            Endpoint(name=e.name, url=e.url, kinds=e.kinds, disabled=e.disabled, dead_letters=e.dead_letters)
            for e in outbox.endpoints(self.engine)
        ]

    def remove(self, name: str) -> None:
        """Forget an endpoint and what it is still owed."""
        outbox.remove(self.engine, name)

    def enable(self, name: str) -> Endpoint:
        """Deliver again to an endpoint disabled by ``410 Gone``: every change it missed meanwhile is sent, in order."""
        outbox.set_disabled(self.engine, name, disabled=False)
        return self._endpoint(name)

    def deliver(self, *, once: bool = True, stop: threading.Event | None = None, poll: float = 1.0) -> Pass:
        """Deliver what is due: one pass (``once``), or until ``stop`` is set, waiting ``poll`` s when idle."""
        from mentorflow.webhooks.sending import client  # noqa: PLC0415 - httpx only when needed

        stop = stop or threading.Event()
        done = Pass()
        owner = secrets.token_hex(8)
        _log.info("webhook_worker_started", worker=owner, once=once)
        with client(self.timeout, self.concurrency) as http, ThreadPoolExecutor(self.concurrency) as pool:
            while not stop.is_set():
                done.queued += outbox.enqueue(self.engine, self.clock())
                while not stop.is_set() and self._batch(http, pool, owner, done):
                    pass
                if once:
                    break
                stop.wait(poll)
        return done

    def _settle(
        self, owner: str, claimed: builtins.list[outbox.Claimed], results: Iterable[outbox.Outcome], done: Pass
    ) -> None:
        outcomes = list(results)
        gone = sorted({c.endpoint for c, o in zip(claimed, outcomes, strict=True) if o.gone})
        for name in gone:
            outbox.set_disabled(self.engine, name, disabled=True)
            _log.info("webhook_endpoint_gone", endpoint=name)
        outbox.settle(self.engine, owner, outcomes)
        done.delivered += sum(o.delivered for o in outcomes)
        done.dead += sum(o.counted and not o.delivered and o.retry_at is None for o in outcomes)
        done.failed += sum(o.counted and not o.delivered and o.retry_at is not None for o in outcomes)
        done.gone += gone

    def _batch(self, http: httpx.Client, pool: ThreadPoolExecutor, owner: str, done: Pass) -> bool:
        """Claim, send and settle one batch; False when nothing was due."""
        from mentorflow.webhooks.sending import ATTEMPTS, FIRST_RETRY, delay, load_secret, send  # noqa: PLC0415

        now = self.clock()
        claimed = outbox.claim(self.engine, owner, now, self.lease, self.batch)
        if not claimed:
            return False
        targets = {endpoint.name: endpoint for endpoint in outbox.endpoints(self.engine)}
        keys: dict[str, bytes | str] = {}
        for name in {c.endpoint for c in claimed}:
            try:
                keys[name] = load_secret(targets[name].secret_env) if name in targets else "endpoint removed"
            except EndpointSecretInvalid as error:
                # This worker's environment is wrong, not the endpoint: nothing is sent and no attempt counted, so
                # a worker that has the secret delivers these meanwhile, and none is dead-lettered for it.
                done.unsigned[name] = error.message
                _log.error("webhook_secret_unusable", endpoint=name, error=error.message)
        later = now + dt.timedelta(seconds=FIRST_RETRY)

        def attempt(item: outbox.Claimed) -> outbox.Outcome:
            key = keys.get(item.endpoint)
            if key is None:
                return outbox.Outcome(item.id, delivered=False, retry_at=later, counted=False)
            answer = (
                key if isinstance(key, str) else send(http, targets[item.endpoint].url, key, item.change.to_dict(), now)
            )
            if isinstance(answer, int) and answer // 100 == 2:  # noqa: PLR2004 - HTTP's success class
                return outbox.Outcome(item.id, delivered=True)
            if answer == _GONE:
                return outbox.Outcome(item.id, delivered=False, counted=False)
            error = f"HTTP {answer}" if isinstance(answer, int) else answer
            attempts = item.attempts + 1
            retry = None if attempts >= ATTEMPTS else now + delay(attempts, self.rng)
            _log.info("webhook_failed", endpoint=item.endpoint, change=item.change.id, error=error, attempts=attempts)
            return outbox.Outcome(item.id, delivered=False, retry_at=retry, error=error)

        # Settled a slice at a time, so that a worker killed mid-batch leaves few sent-but-unsettled duplicates.
        for start in range(0, len(claimed), self.settle_every):
            self._settle(
                owner,
                claimed[start : start + self.settle_every],
                pool.map(attempt, claimed[start : start + self.settle_every]),
                done,
            )
        return True
