"""The change feed: every committed event and reminder, numbered in commit order for readers in any process.

A reader polls with the last position it saw and must never miss a change. Positions cannot be taken when a
change is written: a writer takes its number before it commits, so a transaction that commits late would land
behind a position a reader has already passed (the "highest id seen" trap). Here a writer only inserts its
change, unnumbered, inside its own transaction; writers wait for nobody. Numbering is a separate, short step
(``sequence``) that every reader runs before it reads: under one lock (an advisory lock on PostgreSQL, the write
lock on SQLite) it gives the next positions to the changes committed so far, in the order they were inserted, and
commits. A change still uncommitted is invisible to that step and is numbered by a later one, after every
position given so far. So positions only ever grow in the order numbering commits, a reader that saw position P
has seen every position below it, and a change inserted after another committed follows it. One relationship's
changes are written one transaction after another, so they keep their order.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

import orjson
from sqlalchemy import Connection, Engine, Table, func, insert, select, text

from mentorflow.engine.reminders import Reminder
from mentorflow.store.db import Executor, connection_of, exclusive, from_db, to_db, translated, write
from mentorflow.store.tables import ChangeRow

__all__ = [
    "CHANGE_KINDS",
    "Change",
    "ChangePage",
    "last_position",
    "read",
    "record_events",
    "record_reminders",
    "sequence",
]

CHANGE_KINDS = (
    "started",
    "started_linked",
    "joined",
    "left",
    "submitted",
    "signed",
    "transitioned",
    "overridden",
    "migrated",
    "erased",
    "reminder",
)
"""Every kind of change the feed carries: the kinds of the events, and ``reminder``."""

_TABLE = cast("Table", ChangeRow.__table__)
_INSERT = insert(_TABLE).inline()
_LOCK = "feed"
_NUMBER = text(
    "UPDATE mentorflow_changes SET position = numbered.position"
    " FROM (SELECT id, (SELECT COALESCE(MAX(position), 0) FROM mentorflow_changes)"
    " + ROW_NUMBER() OVER (ORDER BY id) AS position FROM mentorflow_changes WHERE position IS NULL) AS numbered"
    " WHERE mentorflow_changes.id = numbered.id"
)
_UNNUMBERED = select(_TABLE.c.id).where(_TABLE.c.position.is_(None)).limit(1)
# Plain columns, decoded here: a page is a thousand rows, and the typed columns' per-value processing would double
# the cost of reading one.
_READ = text(
    "SELECT position, change_id, kind, relationship_id, seq, at, people, payload FROM mentorflow_changes"
    " WHERE position > :after ORDER BY position LIMIT :limit"
)


class Change(NamedTuple):
    """One committed event or reminder in the feed (``DESIGN.md`` §14); ``seq`` is None for a reminder.

    A named tuple, the cheapest immutable value Python makes: a poller catching up reads a hundred thousand.
    """

    position: int
    id: str
    kind: str
    relationship: str
    seq: int | None
    at: dt.datetime
    people: list[str]
    payload: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The change as the JSON object ``changes`` prints and webhooks send, ``at`` in ISO form ending ``Z``."""
        return {
            "position": self.position,
            "id": self.id,
            "kind": self.kind,
            "relationship": self.relationship,
            "seq": self.seq,
            "at": _iso(self.at),
            "people": self.people,
            "payload": self.payload,
        }


@dataclass(frozen=True, slots=True)
class ChangePage:
    """A page of the feed; poll again with ``after=next`` (it is ``after`` itself when the page is empty)."""

    changes: list[Change]
    next: int


# -- writing ------------------------------------------------------------------------------------------------------


def record_events(connection: Connection, rows: Sequence[dict[str, Any]], people: Iterable[str]) -> None:
    """Add the events about to be inserted (``repo.Chain`` rows) to the feed, in the writer's transaction."""
    if not rows:
        return
    shown = json.dumps(sorted(set(people)))
    connection.execute(
        _INSERT,
        [
            {
                "change_id": f"evt_{row['hash'][:32]}",
                "kind": row["kind"],
                "relationship_id": row["relationship_id"],
                "seq": row["seq"],
                "at": row["at"],
                "people": shown,
                "payload": row["payload"],
            }
            for row in rows
        ],
    )


def record_reminders(connection: Connection, reminders: Sequence[Reminder], recorded_at: dt.datetime) -> None:
    """Add recorded reminders to the feed, in the transaction that recorded them."""
    if not reminders:
        return
    connection.execute(
        _INSERT,
        [
            {
                "change_id": f"rem_{_reminder_digest(reminder)}",
                "kind": "reminder",
                "relationship_id": reminder.relationship,
                "seq": None,
                "at": to_db(recorded_at),
                "people": json.dumps(reminder.people),
                "payload": json.dumps(_reminder_payload(reminder), sort_keys=True),
            }
            for reminder in reminders
        ],
    )


def _reminder_digest(reminder: Reminder) -> str:
    """32 hex digits naming a reminder by its identity, the same in every database it is exported to."""
    key = [
        reminder.relationship,
        reminder.state,
        reminder.obligation,
        reminder.due_at.isoformat(),
        reminder.offset_days,
    ]
    return hashlib.sha256(json.dumps(key).encode()).hexdigest()[:32]


def _iso(moment: dt.datetime) -> str:
    """A UTC moment as the feed's JSON writes every other one: ``2026-03-02T09:00:00Z``."""
    return from_db(to_db(moment)).isoformat().replace("+00:00", "Z")


def _reminder_payload(reminder: Reminder) -> dict[str, Any]:
    return {
        "state": reminder.state,
        "obligation": reminder.obligation,
        "requirement": reminder.requirement,
        "slot": reminder.slot,
        "role": reminder.role,
        "due_at": _iso(reminder.due_at),
        "offset_days": reminder.offset_days,
    }


# -- numbering and reading ----------------------------------------------------------------------------------------


def sequence(engine: Engine) -> None:
    """Number the committed changes that have no position yet, after every position given so far.

    Cheap when there is nothing to number (one lookup in a small partial index, no lock). Otherwise one statement
    under the feed's lock; the lock is taken before the statement begins, so the statement sees every earlier
    numbering committed.
    """
    with translated(), engine.connect() as connection:
        pending = connection.execute(_UNNUMBERED).first()
        connection.rollback()
    if pending is None:
        return
    with write(engine, None) as connection:
        exclusive(connection, _LOCK)
        connection.execute(_NUMBER)


def read(executor: Executor, after: int, limit: int) -> ChangePage:
    """The numbered changes after position ``after``, at most ``limit`` of them, in order."""
    rows = connection_of(executor).execute(_READ, {"after": after, "limit": limit}).all()
    changes = [
        Change(position, change_id, kind, relationship, seq, _moment(at), orjson.loads(people), orjson.loads(payload))
        for position, change_id, kind, relationship, seq, at, people, payload in rows
    ]
    return ChangePage(changes, changes[-1].position if changes else after)


def _moment(stored: dt.datetime | str) -> dt.datetime:
    """A stored naive UTC time, made aware: PostgreSQL's driver returns a datetime, SQLite's the ISO text."""
    if isinstance(stored, str):
        return dt.datetime.fromisoformat(f"{stored}+00:00")
    return stored.replace(tzinfo=dt.UTC)


def last_position(executor: Executor) -> int:
    """The highest position given so far (0 for an empty feed)."""
    return int(connection_of(executor).execute(select(func.coalesce(func.max(_TABLE.c.position), 0))).scalar_one())
