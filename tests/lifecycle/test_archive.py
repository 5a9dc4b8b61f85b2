"""`export` and `import` (DESIGN §16): every fact carried, checked before anything is written, all or nothing."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from mentorflow import Mentorflow
from mentorflow.errors import ImportRefused, NotFound
from mentorflow.lifecycle import loading
from mentorflow.store.tables import EventRow, RelationshipRow
from tests.conftest import FakeClock, MakeMentorflow
from tests.content import valid
from tests.lifecycle.support import ADMIN, archive_of, body, fresh_sqlite, load, play


def _rows(mf: Mentorflow) -> tuple[int, int]:
    with mf.engine.connect() as connection:
        return (
            connection.execute(select(func.count()).select_from(RelationshipRow)).scalar_one(),
            connection.execute(select(func.count()).select_from(EventRow)).scalar_one(),
        )


def test_header_then_definitions_then_each_relationship(mf: Mentorflow, clock: FakeClock) -> None:
    """The header counts what follows; definitions come first, then each relationship's row and its lines."""
    play(mf, clock)
    lines = [json.loads(line) for line in archive_of(mf).splitlines()]
    header = lines[0]
    assert header["mentorflow_export"] == 1
    assert (header["relationships"], header["events"]) == (1, len(mf.history("dyad")))
    kinds = [next(iter(line)) for line in lines[1:]]
    assert kinds[0] == "definition"
    assert kinds.index("relationship") == kinds.count("definition")
    assert kinds[kinds.index("relationship") :] == sorted(
        kinds[kinds.index("relationship") :],
        key=["relationship", "participant", "event", "revision", "signature"].index,
    )
    event = next(line["event"] for line in lines if "event" in line)
    assert set(event) >= {"seq", "kind", "hash", "mac", "payload"}
    revision = next(line["revision"] for line in lines if "revision" in line)
    assert revision["content"]
    assert revision["content_hash"]


def test_round_trip_through_this_backend_and_back_to_sqlite_gives_the_same_bytes(
    mf: Mentorflow, clock: FakeClock, make_mf: MakeMentorflow, sqlite_template: Path, tmp_path: Path
) -> None:
    """SQLite -> this backend (PostgreSQL too) -> SQLite: the same archive each time, apart from the header."""
    source = fresh_sqlite(make_mf, sqlite_template, tmp_path / "source.db")
    play(source, clock, "dyad-1")
    play(source, clock, "dyad-2", mentee="cy")
    source.erase("cy", reason="request 7")
    first = archive_of(source)
    load(mf, first)
    second = archive_of(mf)
    back = fresh_sqlite(make_mf, sqlite_template, tmp_path / "back.db")
    load(back, second)
    assert body(first) == body(second) == body(archive_of(back))
    assert mf.verify().ok
    assert back.verify().ok
    assert mf.status("dyad-1") == source.status("dyad-1")
    assert mf.verify().erased == source.verify().erased > 0


def test_writes_after_an_import_find_their_sequences_right(
    mf: Mentorflow, clock: FakeClock, make_mf: MakeMentorflow, sqlite_template: Path, tmp_path: Path
) -> None:
    """After an import, new rows get ids past the imported ones: a submit is no false concurrency conflict."""
    source = fresh_sqlite(make_mf, sqlite_template, tmp_path / "source.db")
    play(source, clock)
    play(mf, clock, "here")  # rows, and sequences, already in the target
    load(mf, archive_of(source))
    clock.advance(hours=1)
    revision = mf.submit("dyad", "meeting", valid("meeting"), actor="bob")
    assert revision.item == 2
    mf.start("traditional-dyad", {"mentor": "x", "mentee": "y"}, actor="x", id="after")
    assert mf.verify().ok


def test_export_of_chosen_relationships(mf: Mentorflow, clock: FakeClock) -> None:
    """`relationships=` exports those and the definitions they use; an unknown id is relationship.not_found."""
    play(mf, clock, "one")
    play(mf, clock, "two")
    lines = [json.loads(line) for line in archive_of(mf, relationships=["two"]).splitlines()]
    assert [line["relationship"]["id"] for line in lines if "relationship" in line] == ["two"]
    assert lines[0]["relationships"] == 1
    assert sum("definition" in line for line in lines) == 1
    with pytest.raises(NotFound, match="no relationship 'three'"):
        archive_of(mf, relationships=["two", "three"])


def _edited(text_: str, kind: str, change: object) -> str:
    """The archive with the first line of ``kind`` changed by ``change`` (a function of its record)."""
    lines = text_.splitlines()
    for index, line in enumerate(lines):
        record = json.loads(line)
        if kind in record:
            change(record[kind])  # type: ignore[operator]
            lines[index] = json.dumps(record)
            break
    return "\n".join(lines) + "\n"


def _payload(event: dict[str, object]) -> None:
    if event["kind"] == "started":
        event["payload"]["program"] = "spring"  # type: ignore[index]


REFUSALS: dict[str, tuple[Callable[[str], str], str]] = {
    "a changed payload": (lambda a: _edited(a, "event", _payload), "does not match its hash"),
    "a broken chain": (lambda a: _edited(a, "event", lambda e: e.update(hash="0" * 64)), "does not match its hash"),
    "changed content": (
        lambda a: _edited(a, "revision", lambda r: r["content"].update(career_stage="x")),
        "content does not match",
    ),
    "a cut archive": (lambda a: a[: a.rindex('{"relationship"')], "cut short or edited"),
    "not an archive": (lambda _: "hello\n", "line 1 is not JSON"),
    "an empty file": (lambda _: "", "empty"),
    "another format": (lambda _: '{"mentorflow_export": 2}\n', "format 2"),
    "a stray record": (lambda a: a + '{"comment": {}}\n', "no place in an archive"),
    "an edited definition": (
        lambda a: _edited(a, "definition", lambda d: d.update(title="other")),
        "name, version or title",
    ),
}


@pytest.mark.parametrize("case", REFUSALS, ids=str)
def test_a_damaged_archive_is_refused_and_nothing_is_written(
    case: str, mf: Mentorflow, clock: FakeClock, make_mf: MakeMentorflow, sqlite_template: Path, tmp_path: Path
) -> None:
    """Every damage refuses the whole archive with import.refused, naming it, and writes no row."""
    source = fresh_sqlite(make_mf, sqlite_template, tmp_path / "source.db")
    play(source, clock, "first")
    play(source, clock, "second")
    damage, message = REFUSALS[case]
    with pytest.raises(ImportRefused, match=message):
        load(mf, damage(archive_of(source)))
    assert _rows(mf) == (0, 0)


def test_ids_already_present_refuse_the_whole_archive(mf: Mentorflow, clock: FakeClock) -> None:
    """Importing an archive into the database it came from changes nothing, and names the ids."""
    play(mf, clock)
    before = _rows(mf)
    with pytest.raises(ImportRefused, match="relationship dyad already exists") as refused:
        load(mf, archive_of(mf))
    assert _rows(mf) == before
    assert "a database that does not hold these relationships" in str(refused.value.hint)


def test_more_ids_present_than_a_refusal_names_still_get_the_hint_for_ids_present(mf: Mentorflow) -> None:
    """Past the problems a refusal names, the hint still says where to import instead: it was only ids present."""
    for number in range(loading.MOST_PROBLEMS + 1):
        mf.start("micro-mentoring", {"mentor": "ann", "mentee": f"m{number}"}, actor=ADMIN, id=f"ask-{number}")
    with pytest.raises(ImportRefused, match="stopped reading after") as refused:
        load(mf, archive_of(mf))
    assert "a database that does not hold these relationships" in str(refused.value.hint)


def test_a_key_the_importer_lacks_refuses_a_keyed_archive(
    make_mf: MakeMentorflow, clock: FakeClock, sqlite_template: Path, tmp_path: Path
) -> None:
    """With its own key, the importer checks every MAC: events signed with another key are refused."""
    source = fresh_sqlite(make_mf, sqlite_template, tmp_path / "source.db")
    keyed = make_mf(db=str(source.engine.url), key="a-key-of-forty-characters-0123456789abcdef")
    play(keyed, clock)
    target = fresh_sqlite(make_mf, sqlite_template, tmp_path / "target.db")
    other = make_mf(db=str(target.engine.url), key="another-key-of-forty-chars-0123456789abcd")
    with pytest.raises(ImportRefused, match="not in the keyring"):
        load(other, archive_of(keyed))
    same = make_mf(db=str(target.engine.url), key="a-key-of-forty-characters-0123456789abcdef")
    load(same, archive_of(keyed))
    assert same.verify().ok


def test_import_runs_inside_the_callers_transaction(
    mf: Mentorflow, clock: FakeClock, make_mf: MakeMentorflow, sqlite_template: Path, tmp_path: Path
) -> None:
    """With `session=`, an import is part of the platform's transaction: rolled back with it."""
    from sqlalchemy.orm import Session

    source = fresh_sqlite(make_mf, sqlite_template, tmp_path / "source.db")
    play(source, clock)
    with Session(mf.engine) as session:
        mf.import_archive(io.StringIO(archive_of(source)), session=session)
        session.execute(text("SELECT 1"))
        session.rollback()
    assert _rows(mf) == (0, 0)


def test_import_writes_no_changes_and_erase_writes_one(
    mf: Mentorflow, clock: FakeClock, make_mf: MakeMentorflow, sqlite_template: Path, tmp_path: Path
) -> None:
    """Imported events are the record, not news: the feed stays empty; an erasure is news like any write."""
    source = fresh_sqlite(make_mf, sqlite_template, tmp_path / "source.db")
    play(source, clock)
    load(mf, archive_of(source))
    assert mf.changes().changes == []
    mf.erase("bob", reason="request")
    assert [change.kind for change in mf.changes().changes] == ["erased"]
