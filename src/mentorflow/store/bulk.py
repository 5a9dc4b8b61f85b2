"""Many rows into one table with the driver's ``executemany``, for an import's pages of checked rows.

An import writes a few hundred thousand rows whose values it has already checked. Through a Core ``insert`` each of
them is a parameter set that SQLAlchemy compiles into bind names and passes through each column's bind processor,
one row at a time, and at that volume this costs more than SQLite's own work. ``insert_many`` spells the
``INSERT`` once for the table and the connection's dialect and hands the driver plain tuples through
``Connection.exec_driver_sql``, SQLAlchemy's documented way to a driver's ``executemany``. Each value still goes
through its column type's bind processor (``TypeEngine.bind_processor``, documented too), so a time is stored in
exactly the form the rest of mentorflow writes and reads. Both are public APIs; ``tests/store/test_bulk.py`` runs
this module against the oldest and the newest SQLAlchemy that ``pyproject.toml`` admits.

A dialect whose parameter style is neither positional ``?`` nor ``%s`` gets the Core ``insert``: same rows, slower.

An import is also one long transaction that grows several indexes in no particular order (participants by person,
for one). SQLite's default page cache (2 MiB) then spills dirty pages to disk before the commit and reads them
back; ``larger_cache`` gives the connection ``BULK_CACHE_KIB`` for the duration and restores its setting after.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from sqlalchemy import Connection, Table, insert
from sqlalchemy.exc import DBAPIError

__all__ = ["BULK_CACHE_KIB", "insert_many", "larger_cache"]

BULK_CACHE_KIB = 32 * 1024
"""SQLite's page cache during an import: bounded, so memory stays flat whatever the archive's size."""

_MARKS = {"qmark": "?", "format": "%s", "pyformat": "%s"}
"""The positional placeholder of each DBAPI parameter style ``insert_many`` spells its statement with."""


def insert_many(connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert ``rows`` (each a tuple of ``columns``' values, in that order) into ``table``."""
    if not rows:
        return
    dialect = connection.dialect
    mark = _MARKS.get(dialect.paramstyle)
    if mark is None:
        connection.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    quote = dialect.identifier_preparer.quote
    names, marks = ", ".join(quote(name) for name in columns), ", ".join(mark for _ in columns)
    statement = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})"  # noqa: S608 (names from the metadata)
    processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns]
    convert = [(index, use) for index, use in enumerate(processors) if use is not None]
    connection.exec_driver_sql(statement, [_converted(row, convert) for row in rows] if convert else list(rows))


def _converted(row: Sequence[Any], convert: Sequence[tuple[int, Callable[[Any], Any]]]) -> tuple[Any, ...]:
    values = list(row)
    for index, use in convert:
        values[index] = use(values[index])
    return tuple(values)


@contextmanager
def larger_cache(connection: Connection) -> Iterator[None]:
    """On SQLite, a page cache of ``BULK_CACHE_KIB`` for the duration; other databases are left as they are."""
    if connection.dialect.name != "sqlite":
        yield
        return
    before = int(connection.exec_driver_sql("PRAGMA cache_size").scalar_one())
    connection.exec_driver_sql(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    try:
        yield
    finally:
        # A connection whose transaction failed is rolled back and pooled with the larger cache: only memory.
        with suppress(DBAPIError):
            connection.exec_driver_sql(f"PRAGMA cache_size = {before}")
