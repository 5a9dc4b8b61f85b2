"""The chain heads a checkpoint records, read from the event log itself rather than from the cached rows.

A checkpoint must state what the log holds, so an edited ``mentorflow_relationships`` row cannot lend it a head
the log does not have; and proving it later asks, for many relationships at once, which hash the log now holds at
each recorded position.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence

from sqlalchemy import func, select, tuple_

from mentorflow.store.db import Executor, connection_of, from_db
from mentorflow.store.tables import EventRow

__all__ = ["event_count", "hashes_at", "heads", "keyed"]

BATCH = 500
"""Positions asked for per query: small enough for any backend's limit on bound parameters."""


def heads(session: Executor) -> Iterator[tuple[str, int, str]]:
    """(relationship id, last seq, last hash) of every chain in the log, ordered by id."""
    events = EventRow.__table__
    last = (
        select(events.c.relationship_id, func.max(events.c.seq).label("seq"))
        .group_by(events.c.relationship_id)
        .subquery()
    )
    query = (
        select(events.c.relationship_id, events.c.seq, events.c.hash)
        .join(last, (events.c.relationship_id == last.c.relationship_id) & (events.c.seq == last.c.seq))
        .order_by(events.c.relationship_id)
    )
    for row in connection_of(session).execute(query):
        yield row.relationship_id, row.seq, row.hash


def event_count(session: Executor) -> int:
    """How many events the log holds."""
    return connection_of(session).execute(select(func.count()).select_from(EventRow.__table__)).scalar_one()


def keyed(session: Executor) -> tuple[int, dt.datetime | None, list[str]]:
    """How many events carry a MAC, when the first of them was written (None if none does), and the ids of the keys
    that made them, sorted: one pass over the keyed events."""
    events = EventRow.__table__
    query = (
        select(events.c.key_id, func.count(), func.min(events.c.at))
        .where(events.c.key_id.is_not(None))
        .group_by(events.c.key_id)
        .order_by(events.c.key_id)
    )
    by_key = connection_of(session).execute(query).all()
    first = min((at for _, _, at in by_key), default=None)
    return sum(count for _, count, _ in by_key), None if first is None else from_db(first), [k for k, _, _ in by_key]


def hashes_at(session: Executor, positions: Iterable[tuple[str, int]]) -> Iterator[tuple[str, int, str]]:
    """(relationship id, seq, hash) of each event the log still holds at one of ``positions``."""
    batch: list[tuple[str, int]] = []
    for position in positions:
        batch.append(position)
        if len(batch) == BATCH:
            yield from _hashes(session, batch)
            batch = []
    if batch:
        yield from _hashes(session, batch)


def _hashes(session: Executor, batch: Sequence[tuple[str, int]]) -> Iterator[tuple[str, int, str]]:
    events = EventRow.__table__
    key = tuple_(events.c.relationship_id, events.c.seq)
    query = select(events.c.relationship_id, events.c.seq, events.c.hash).where(key.in_(batch))
    for row in connection_of(session).execute(query):
        yield row.relationship_id, row.seq, row.hash
