"""Archives that are not well formed: each refused with import.refused, naming the line, and nothing written."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from mentorflow import Mentorflow
from mentorflow.errors import ImportRefused
from mentorflow.lifecycle import loading
from tests.conftest import FakeClock, MakeMentorflow
from tests.lifecycle.support import archive_of, fresh_sqlite, play


def _records(archive: str) -> list[dict[str, dict[str, object]]]:
    return [json.loads(line) for line in archive.splitlines()]


def _joined(records: list[dict[str, dict[str, object]]]) -> str:
    return "".join(json.dumps(record) + "\n" for record in records)


def _change(kind: str, field: str, value: object) -> Callable[[str], str]:
    def change(archive: str) -> str:
        records = _records(archive)
        next(record for record in records if kind in record)[kind][field] = value
        return _joined(records)

    return change


def _twice(archive: str) -> str:
    lines = archive.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith('{"relationship"'))
    header = json.loads(lines[0])
    header["relationships"] *= 2
    header["events"] *= 2
    return json.dumps(header) + "\n" + "".join(lines[1:]) + "".join(lines[start:])


def _header_only(archive: str) -> str:
    return archive.splitlines(keepends=True)[1]


def _before_relationship(archive: str) -> str:
    lines = archive.splitlines(keepends=True)
    return lines[0] + '{"participant": {}}\n' + "".join(lines[1:])


CASES: dict[str, tuple[Callable[[str], str], str]] = {
    "blank lines are skipped": (lambda a: a.replace("\n", "\n\n", 1), ""),
    "not a record": (lambda a: a + "[1, 2]\n", "not an archive record"),
    "nested beyond reading": (
        lambda a: a + '{"x": ' + "[" * 100_000 + "]" * 100_000 + "}\n",
        "is not JSON: recursion limit",
    ),
    "a record that is not an object": (lambda a: a + '{"event": 3}\n', "must be an object"),
    "text expected": (_change("participant", "person", 7), "'person' must be text"),
    "a number expected": (_change("event", "seq", "one"), "'seq' must be a whole number"),
    "a flag expected": (_change("relationship", "final", "no"), "'final' must be true or false"),
    "not a time": (_change("event", "at", "yesterday"), "'at' is not an ISO 8601 time"),
    "a time without offset": (_change("event", "at", "2026-03-02T09:00:00"), "has no UTC offset"),
    "a missing payload": (lambda a: _change("event", "payload", None)(a).replace(',"payload": null', ""), "hash"),
    "a definition that is not JSON": (_change("definition", "body", "{"), "does not match its hash"),
    "a relationship twice": (_twice, "appears twice in the archive"),
    "no header": (_header_only, "not a mentorflow archive's header"),
    "a record before any relationship": (_before_relationship, "before any relationship"),
}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_malformed_archives(
    case: str, mf: Mentorflow, clock: FakeClock, make_mf: MakeMentorflow, sqlite_template: Path, tmp_path: Path
) -> None:
    """Each is refused naming what is wrong (or, for blank lines, loaded)."""
    source = fresh_sqlite(make_mf, sqlite_template, tmp_path / "source.db")
    play(source, clock)
    damage, message = CASES[case]
    text = damage(archive_of(source))
    if not message:
        mf.import_archive(io.StringIO(text))
        assert mf.verify().ok
        return
    with pytest.raises(ImportRefused, match=message):
        mf.import_archive(io.StringIO(text))
    assert mf.verify().checked == 0


def test_a_definition_stored_with_other_content_is_refused(mf: Mentorflow, clock: FakeClock) -> None:
    """A workflow version already stored here under another hash cannot join it."""
    play(mf, clock)
    records = _records(archive_of(mf))
    definition = records[1]["definition"]
    body = json.loads(str(definition["body"]))
    body["workflow"]["description"] = "changed"
    definition["body"] = json.dumps(body)
    definition["hash"] = (
        __import__("hashlib")
        .sha256(json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode())
        .hexdigest()
    )
    with pytest.raises(ImportRefused, match="is stored here with other content"):
        mf.import_archive(io.StringIO(_joined(records[:2])))


def test_long_lines_and_many_problems_stop_reading(
    mf: Mentorflow, monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    """A line past the limit is refused; after MOST_PROBLEMS problems, reading stops and says so."""
    monkeypatch.setattr(loading, "MAX_LINE", 50)
    with pytest.raises(ImportRefused, match="longer than 50 characters"):
        mf.import_archive(io.StringIO('{"mentorflow_export": 1, "relationships": 0, "events": 0, "at": "x"}\n' * 2))
    monkeypatch.undo()
    play(mf, clock)
    monkeypatch.setattr(loading, "MOST_PROBLEMS", 1)
    with pytest.raises(ImportRefused, match="stopped reading after 1 problems"):
        mf.import_archive(io.StringIO(archive_of(mf)))
