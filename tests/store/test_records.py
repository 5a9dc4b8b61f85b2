"""The records `verify` reads hold every column of their tables: a column added later must be added to its record,
and with it the decision of what `verify` checks of it."""

from __future__ import annotations

import pytest
from sqlalchemy import Table

from mentorflow.store.records import RECORDS


@pytest.mark.parametrize(("fields", "table"), RECORDS, ids=lambda value: getattr(value, "name", ""))
def test_each_record_has_exactly_its_tables_columns(fields: tuple[str, ...], table: Table) -> None:
    assert sorted(fields) == sorted(column.key for column in table.c)
