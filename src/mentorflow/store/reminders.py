"""The reminders ``tick`` records, each once: candidates, recording under the unique constraint, and listing.

Each recorded reminder also enters the change feed (``store.feed``) in the same transaction.

The identity of a reminder (relationship, state, obligation, due date, offset) is the table's unique constraint,
so two ticks running at once, in one process or on two servers, record it once: the one that loses the race
breaks the constraint, recognised by its name (``faults.violated``), and skips it. Inserts run in a savepoint so
that a lost one leaves the rest of the transaction usable (PostgreSQL aborts a transaction on any error).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import Connection, Table, insert, select
from sqlalchemy.exc import IntegrityError

from mentorflow.engine.reminders import Reminder, earliest_reminder_days
from mentorflow.store import feed
from mentorflow.store.db import Executor, connection_of, from_db, to_db
from mentorflow.store.definitions import Bundles
from mentorflow.store.faults import integrity_error, violated
from mentorflow.store.repo import unknown_relationship
from mentorflow.store.statements import RELATIONSHIP_EXISTS
from mentorflow.store.tables import REMINDER_ONCE, Definition, RelationshipRow, ReminderRow

__all__ = ["list_reminders", "record_reminders", "reminder_candidates", "unrecorded"]

_TABLE = cast("Table", ReminderRow.__table__)
_INSERT = insert(_TABLE).returning(_TABLE.c.id, sort_by_parameter_order=True)


def reminder_candidates(session: Executor, bundles: Bundles, now: dt.datetime) -> list[str]:
    """Ids of relationships in a state whose reminders may have begun: long enough in a state that declares some."""
    connection = connection_of(session)
    ids: list[str] = []
    for definition_hash in connection.execute(select(Definition.hash)).scalars():
        workflow = bundles.get(session, definition_hash).workflow
        for state in workflow.states:
            days = earliest_reminder_days(workflow, state)
            if days is None or workflow.states[state].final:
                continue
            ids += connection.execute(
                select(RelationshipRow.id)
                .where(
                    RelationshipRow.definition_hash == definition_hash,
                    RelationshipRow.state == state,
                    RelationshipRow.entered_at <= to_db(now - dt.timedelta(days=days)),
                )
                .order_by(RelationshipRow.id)
            ).scalars()
    return sorted(dict.fromkeys(ids))


def _key(reminder: Reminder) -> tuple[str, str, int, dt.datetime]:
    return reminder.relationship, reminder.state, reminder.obligation, to_db(reminder.due_at)


def unrecorded(session: Executor, reminders: list[Reminder]) -> list[Reminder]:
    """Those of ``reminders`` a tick still owes: not recorded yet, and later than any recorded for the same due
    date (a tick whose clock is set back does not send an older reminder after a newer one)."""
    if not reminders:
        return []
    columns = (_TABLE.c.relationship_id, _TABLE.c.state, _TABLE.c.obligation, _TABLE.c.due_at, _TABLE.c.offset_days)
    ids = sorted({reminder.relationship for reminder in reminders})
    latest: dict[tuple[str, str, int, dt.datetime], int] = {}
    for row in connection_of(session).execute(select(*columns).where(_TABLE.c.relationship_id.in_(ids))):
        key = (row[0], row[1], row[2], row[3])
        latest[key] = max(row[4], latest.get(key, row[4]))
    return [reminder for reminder in reminders if reminder.offset_days > latest.get(_key(reminder), -(10**9))]


def _row(reminder: Reminder, now: dt.datetime) -> dict[str, Any]:
    return {
        "relationship_id": reminder.relationship,
        "state": reminder.state,
        "obligation": reminder.obligation,
        "due_at": to_db(reminder.due_at),
        "offset_days": reminder.offset_days,
        "requirement": reminder.requirement,
        "slot": reminder.slot,
        "role": reminder.role,
        "people": json.dumps(reminder.people),
        "recorded_at": to_db(now),
    }


def _insert(connection: Connection, rows: list[dict[str, Any]]) -> list[int] | None:
    """Insert ``rows`` in one savepoint and return their ids; None when another tick recorded one of them first."""
    try:
        with connection.begin_nested():
            return list(connection.execute(_INSERT, rows).scalars())
    except IntegrityError as exc:
        if violated(exc) == REMINDER_ONCE:
            return None
        raise integrity_error(exc) from exc


def record_reminders(session: Executor, reminders: Iterable[Reminder], now: dt.datetime) -> list[Reminder]:
    """Record each reminder not recorded yet; the recorded ones come back with their id and ``recorded_at``.

    All in one statement while no other tick interferes; after a lost race, one by one, skipping those taken.
    """
    connection = connection_of(session)
    owed = list(reminders)
    if not owed:
        return []
    at = from_db(to_db(now))
    ids = _insert(connection, [_row(reminder, now) for reminder in owed])
    if ids is not None:
        recorded = [
            reminder.model_copy(update={"id": new_id, "recorded_at": at})
            for reminder, new_id in zip(owed, ids, strict=True)
        ]
    else:
        recorded = []
        for reminder in owed:
            one = _insert(connection, [_row(reminder, now)])
            if one is not None:
                recorded.append(reminder.model_copy(update={"id": one[0], "recorded_at": at}))
    feed.record_reminders(connection, recorded, at)
    return recorded


def list_reminders(
    session: Executor, *, relationship: str | None = None, after: int | None = None, limit: int | None = None
) -> list[Reminder]:
    """The recorded reminders in the order they were recorded (by id), of one relationship or all; a relationship
    that does not exist is ``relationship.not_found``, as everywhere else, not an empty list."""
    query = select(_TABLE).order_by(_TABLE.c.id)
    if relationship is not None:
        if connection_of(session).execute(RELATIONSHIP_EXISTS, {"id": relationship}).first() is None:
            raise unknown_relationship(relationship)
        query = query.where(_TABLE.c.relationship_id == relationship)
    if after is not None:
        query = query.where(_TABLE.c.id > after)
    if limit is not None:
        query = query.limit(limit)
    return [
        Reminder(
            relationship=row.relationship_id,
            state=row.state,
            obligation=row.obligation,
            requirement=row.requirement,
            slot=row.slot,
            due_at=from_db(row.due_at),
            offset_days=row.offset_days,
            at=from_db(row.due_at) + dt.timedelta(days=row.offset_days),
            people=json.loads(row.people),
            role=row.role,
            id=row.id,
            recorded_at=from_db(row.recorded_at),
        )
        for row in connection_of(session).execute(query)
    ]
