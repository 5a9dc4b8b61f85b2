"""The webhook outbox in the database: endpoints, the deliveries owed to each, their leases and retries.

Why in the database: a worker may be killed at any moment and many workers (processes, servers) may share one
PostgreSQL, so every decision about a delivery (queued, leased, acknowledged, retried, dead) is a committed row,
never process memory. Three short transactions make a delivery:

- ``enqueue`` copies the feed's new positions into delivery rows for one endpoint and moves its ``cursor`` with a
  compare-and-set, so two workers queueing at once queue each change once (the loser's transaction rolls back).
- ``claim`` leases a batch of due rows: each the earliest pending change of its relationship for its endpoint, so a
  later change waits while an earlier one is pending. ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (the write lock on
  SQLite) and a lease that only an expired one can replace mean two workers never hold one row at once; a killed
  worker's rows are taken over once its lease expires.
- ``settle`` deletes the acknowledged rows and reschedules or dead-letters the failed ones.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Engine, Table, and_, delete, exists, func, insert, or_, select, update

from mentorflow.errors import EndpointExists, EndpointNotFound
from mentorflow.store import feed
from mentorflow.store.db import Executor, read, to_db, translated, write
from mentorflow.store.tables import DeliveryRow, EndpointRow

__all__ = [
    "Claimed",
    "Outcome",
    "StoredEndpoint",
    "add",
    "claim",
    "endpoints",
    "enqueue",
    "remove",
    "set_disabled",
    "settle",
]

_ENDPOINTS = cast("Table", EndpointRow.__table__)
_DELIVERIES = cast("Table", DeliveryRow.__table__)
PENDING, DEAD = "pending", "dead"
PAGE = 1000


@dataclass(frozen=True, slots=True)
class StoredEndpoint:
    name: str
    url: str
    kinds: list[str]
    secret_env: str
    disabled: bool
    dead_letters: int


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery this worker holds the lease of, with the change to send."""

    id: int
    endpoint: str
    attempts: int
    change: feed.Change


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one claimed delivery: acknowledged (``delivered``), or else retried at ``retry_at``,
    dead-lettered (``retry_at`` None), or given back with no attempt counted (``counted`` False): its endpoint
    answered 410 (``retry_at`` None), or this worker lacks the endpoint's secret (due again at ``retry_at``)."""

    id: int
    delivered: bool
    retry_at: dt.datetime | None = None
    error: str | None = None
    counted: bool = True

    @property
    def gone(self) -> bool:
        """Given back because the endpoint answered 410: it is to be disabled."""
        return not self.counted and self.retry_at is None


def add(engine: Engine, name: str, url: str, kinds: Sequence[str], secret_env: str, now: dt.datetime) -> None:
    """Register an endpoint that will receive the changes committed from now on."""
    feed.sequence(engine)
    with write(engine, None) as connection:
        if connection.execute(select(_ENDPOINTS.c.name).where(_ENDPOINTS.c.name == name)).first() is not None:
            raise EndpointExists(f"an endpoint named {name!r} exists already")
        connection.execute(
            insert(_ENDPOINTS).values(
                name=name,
                url=url,
                kinds=json.dumps(sorted(kinds)),
                secret_env=secret_env,
                cursor=feed.last_position(connection),
                disabled=False,
                added_at=to_db(now),
            )
        )


def remove(engine: Engine, name: str) -> None:
    """Forget an endpoint and every delivery still owed to it."""
    with write(engine, None) as connection:
        connection.execute(delete(_DELIVERIES).where(_DELIVERIES.c.endpoint == name))
        if connection.execute(delete(_ENDPOINTS).where(_ENDPOINTS.c.name == name)).rowcount == 0:
            raise EndpointNotFound(f"no endpoint named {name!r}")


def endpoints(engine: Engine) -> list[StoredEndpoint]:
    """Every endpoint, by name, with its count of dead letters."""
    dead = (
        select(func.count())
        .where(_DELIVERIES.c.endpoint == _ENDPOINTS.c.name, _DELIVERIES.c.state == DEAD)
        .scalar_subquery()
    )
    query = select(_ENDPOINTS, dead.label("dead")).order_by(_ENDPOINTS.c.name)
    with read(engine, None) as session:
        rows = session.execute(query).all()
    return [
        StoredEndpoint(row.name, row.url, json.loads(row.kinds), row.secret_env, bool(row.disabled), int(row.dead))
        for row in rows
    ]


def set_disabled(engine: Engine, name: str, *, disabled: bool) -> None:
    """Stop delivering to an endpoint (it answered ``410 Gone``), or start again; what it is owed stays queued and
    its cursor waits where it stopped, so that enabling it again loses no change."""
    with write(engine, None) as connection:
        changed = connection.execute(update(_ENDPOINTS).where(_ENDPOINTS.c.name == name).values(disabled=disabled))
        if changed.rowcount == 0:
            raise EndpointNotFound(f"no endpoint named {name!r}")


def enqueue(engine: Engine, now: dt.datetime) -> int:
    """Queue the changes numbered since each enabled endpoint's cursor; returns how many rows were queued."""
    feed.sequence(engine)
    queued = 0
    with translated(), engine.connect() as connection:
        cursors = connection.execute(select(_ENDPOINTS.c.name, _ENDPOINTS.c.cursor, _ENDPOINTS.c.kinds)).all()
        connection.rollback()
    for name, start, kinds in cursors:
        wanted, cursor = set(json.loads(kinds)), start
        while True:
            with write(engine, None) as connection:
                page = feed.read(connection, cursor, PAGE)
                if not page.changes:
                    break
                moved = connection.execute(
                    update(_ENDPOINTS)
                    .where(_ENDPOINTS.c.name == name, _ENDPOINTS.c.cursor == cursor, _ENDPOINTS.c.disabled.is_(False))
                    .values(cursor=page.next)
                ).rowcount
                if moved == 0:  # another worker queued this page first, or the endpoint was disabled or removed
                    break
                rows = [
                    {
                        "endpoint": name,
                        "position": change.position,
                        "relationship_id": change.relationship,
                        "state": PENDING,
                        "attempts": 0,
                        "due_at": to_db(now),
                    }
                    for change in page.changes
                    if not wanted or change.kind in wanted
                ]
                if rows:
                    connection.execute(insert(_DELIVERIES), rows)
                queued += len(rows)
                cursor = page.next
    return queued


def claim(engine: Engine, owner: str, now: dt.datetime, lease: dt.timedelta, limit: int) -> list[Claimed]:
    """Lease up to ``limit`` due deliveries, each the earliest pending change of its relationship for its endpoint."""
    at = to_db(now)
    earlier = _DELIVERIES.alias("earlier")
    due = (
        select(_DELIVERIES.c.id, _DELIVERIES.c.endpoint, _DELIVERIES.c.position, _DELIVERIES.c.attempts)
        .where(
            _DELIVERIES.c.state == PENDING,
            _DELIVERIES.c.due_at <= at,
            or_(_DELIVERIES.c.lease_until.is_(None), _DELIVERIES.c.lease_until <= at),
            _DELIVERIES.c.endpoint.in_(select(_ENDPOINTS.c.name).where(_ENDPOINTS.c.disabled.is_(False))),
            ~exists().where(
                earlier.c.endpoint == _DELIVERIES.c.endpoint,
                earlier.c.relationship_id == _DELIVERIES.c.relationship_id,
                earlier.c.state == PENDING,
                earlier.c.position < _DELIVERIES.c.position,
            ),
        )
        .order_by(_DELIVERIES.c.position)
        .limit(limit)
        .with_for_update(of=_DELIVERIES, skip_locked=True)
    )
    with write(engine, None) as connection:
        rows = connection.execute(due).all()
        if not rows:
            return []
        connection.execute(
            update(_DELIVERIES)
            .where(_DELIVERIES.c.id.in_([row.id for row in rows]))
            .values(lease_owner=owner, lease_until=to_db(now + lease))
        )
        changes = _changes(connection, sorted({row.position for row in rows}))
    return [Claimed(row.id, row.endpoint, row.attempts, changes[row.position]) for row in rows]


def _changes(connection: Executor, positions: list[int]) -> dict[int, feed.Change]:
    """The feed's changes at these positions (sorted), read a run of at most a page at a time."""
    found: dict[int, feed.Change] = {}
    start = 0
    while start < len(positions):
        end = start
        while end + 1 < len(positions) and positions[end + 1] - positions[start] < PAGE:
            end += 1
        first = positions[start]
        page = feed.read(connection, first - 1, positions[end] - first + 1)
        found.update((change.position, change) for change in page.changes)
        start = end + 1
    return found


def settle(engine: Engine, owner: str, outcomes: Iterable[Outcome]) -> None:
    """Record what became of claimed deliveries: delete the acknowledged, reschedule or dead-letter the others.

    A failure is recorded only while this worker still holds the lease: once another worker took an expired lease
    over, the delivery is that worker's to settle. An acknowledgement always counts: the change has arrived.
    """
    outcomes = list(outcomes)
    delivered = [outcome.id for outcome in outcomes if outcome.delivered]
    with write(engine, None) as connection:
        if delivered:
            connection.execute(delete(_DELIVERIES).where(_DELIVERIES.c.id.in_(delivered)))
        for outcome in outcomes:
            if outcome.delivered:
                continue
            mine = and_(_DELIVERIES.c.id == outcome.id, _DELIVERIES.c.lease_owner == owner)
            values: dict[str, object] = {"lease_owner": None, "lease_until": None}
            if outcome.counted:
                values |= {"attempts": _DELIVERIES.c.attempts + 1, "last_error": outcome.error}
                if outcome.retry_at is None:
                    values["state"] = DEAD
                else:
                    values["due_at"] = to_db(outcome.retry_at)
            elif outcome.retry_at is not None:
                values["due_at"] = to_db(outcome.retry_at)
            connection.execute(update(_DELIVERIES).where(mine).values(**values))
