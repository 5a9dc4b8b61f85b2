"""Database errors become mentorflow errors here, and only here: each by what it means, never by its class.

A broken constraint is recognised by name: PostgreSQL reports the constraint's name (``diag.constraint_name``,
psycopg and psycopg2 alike); SQLite names only the columns (``UNIQUE constraint failed: table.a, table.b``), which
are looked up among the constraints ``store.tables`` declares. Then:

- a lost race (two writers appending the same ``seq``, one definition registered by two writers at once) is
  ``ConcurrencyConflict``, which the service retries;
- an id that another relationship already has is ``RelationshipExists``, final at once;
- any other broken constraint is ``IntegrityFault``: a real fault, reported as such and never retried.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import PrimaryKeyConstraint, UniqueConstraint
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError

from mentorflow.errors import (
    ConcurrencyConflict,
    IntegrityFault,
    MentorflowError,
    NoSchema,
    RelationshipExists,
    StorageFailed,
)
from mentorflow.store.tables import DEFINITION_HASH, DEFINITION_VERSION, EVENT_SEQ, RELATIONSHIP_ID, Base

__all__ = ["integrity_error", "translated", "violated"]

_RACES = {
    EVENT_SEQ: "another writer changed the same relationship at the same time",
    DEFINITION_HASH: "another writer registered the same workflow definition at the same time",
    DEFINITION_VERSION: "another writer registered the same workflow version at the same time",
}
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?P<columns>[\w.]+(?:, [\w.]+)*)")
_BUSY = ("locked", "busy", "could not serialize", "deadlock")


def _by_columns() -> dict[tuple[str, frozenset[str]], str]:
    """(table, columns) -> name of every unique and primary key constraint of mentorflow's tables."""
    found = {}
    for table in Base.metadata.tables.values():
        for constraint in table.constraints:
            if isinstance(constraint, UniqueConstraint | PrimaryKeyConstraint) and isinstance(constraint.name, str):
                found[table.name, frozenset(column.name for column in constraint.columns)] = constraint.name
    return found


_BY_COLUMNS = _by_columns()


def violated(error: IntegrityError) -> str | None:
    """The name of the constraint ``error`` broke: as PostgreSQL reports it, or ours that covers the columns SQLite
    reports; None when the database does not say."""
    name = getattr(getattr(error.orig, "diag", None), "constraint_name", None)
    if isinstance(name, str):
        return name
    match = _SQLITE_UNIQUE.search(str(error.orig))
    if match is None:
        return None
    tables, columns = set(), set()
    for qualified in match["columns"].split(", "):
        table, _, column = qualified.rpartition(".")
        tables.add(table)
        columns.add(column)
    if len(tables) != 1:
        return None
    return _BY_COLUMNS.get((tables.pop(), frozenset(columns)))


def integrity_error(error: IntegrityError) -> MentorflowError:
    """What a broken constraint means: a lost race, a relationship id already taken, or a fault."""
    name = violated(error)
    if name in _RACES:
        return ConcurrencyConflict(_RACES[name])
    if name == RELATIONSHIP_ID:
        return RelationshipExists("a relationship with this id already exists")
    # The first line only: PostgreSQL's DETAIL line repeats the values of the refused row.
    detail = str(error.orig).splitlines()[0] if str(error.orig) else type(error.orig).__name__
    return IntegrityFault(
        f"the database refused a write that breaks {f'constraint {name}' if name else 'a constraint'}: {detail}"
    )


@contextmanager
def translated() -> Iterator[None]:
    """Turn database errors into mentorflow errors (a race, a taken id, a fault, a missing schema, a failure)."""
    try:
        yield
    except MentorflowError:
        raise
    except IntegrityError as exc:
        raise integrity_error(exc) from exc
    except DBAPIError as exc:
        text = str(exc.orig).lower()
        if any(word in text for word in _BUSY):
            raise ConcurrencyConflict("the database was busy with another writer") from exc
        if "no such table" in text or "does not exist" in text:
            missing = str(exc.orig).strip().splitlines()[0]  # PostgreSQL goes on with the statement's text
            raise NoSchema(f"the database has no mentorflow schema, or an older one ({missing})") from exc
        raise StorageFailed(f"database error: {exc.orig}") from exc
    except SQLAlchemyError as exc:
        raise StorageFailed(f"database error: {exc}") from exc
