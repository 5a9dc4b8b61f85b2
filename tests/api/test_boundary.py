"""No exception of SQLAlchemy, pydantic, PyYAML, transitions or the standard library escapes the public API.

Every public method is called with hostile or malformed arguments, against a working database, a database without
the schema, and URLs that are no database at all: each must answer with a ``MentorflowError`` and a stable code.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from mentorflow import Actor, InvalidInput, Mentorflow, MentorflowError, StorageError
from tests.conftest import Database, MakeMentorflow
from tests.content import latest, valid

ADMIN = Actor.admin("carol")
HOSTILE: list[Any] = [
    "x' OR '1'='1",
    "'; DROP TABLE mentorflow_events; --",
    'quote"d',
    "nul\x00byte",
    "new\nline",
    "\x1b[31mred",
    "surrogate \udc80",
    "x" * 10_000,
    "",
    "  padded ",
    5,
    None,
    ["a", "list"],
    {"a": "mapping"},
]
DYAD = {"mentor": "ann", "mentee": "bob"}


@dataclass(frozen=True)
class Target:
    """What a hostile call is aimed at: a Mentorflow, a relationship in it, and the hostile value."""

    mf: Mentorflow
    rel: str
    value: Any


CALLS: dict[str, Callable[[Target], object]] = {
    "start.workflow": lambda t: t.mf.start(t.value, DYAD, actor=ADMIN),
    "start.roles": lambda t: t.mf.start("traditional-dyad", t.value, actor=ADMIN),
    "start.person": lambda t: t.mf.start("traditional-dyad", {"mentor": t.value, "mentee": "bob"}, actor=ADMIN),
    "start.program": lambda t: t.mf.start("traditional-dyad", DYAD, program=t.value, actor=ADMIN),
    "start.id": lambda t: t.mf.start("traditional-dyad", DYAD, id=t.value, actor=ADMIN),
    "start.version": lambda t: t.mf.start("traditional-dyad", DYAD, version=t.value, actor=ADMIN),
    "start.actor": lambda t: t.mf.start("traditional-dyad", DYAD, actor=t.value),
    "join.relationship": lambda t: t.mf.join(t.value, "mentor", "dan", actor=ADMIN),
    "join.role": lambda t: t.mf.join(t.rel, t.value, "dan", actor=ADMIN),
    "join.person": lambda t: t.mf.join(t.rel, "mentor", t.value, actor=ADMIN),
    "leave.person": lambda t: t.mf.leave(t.rel, t.value, actor=ADMIN),
    "leave.reason": lambda t: t.mf.leave(t.rel, "bob", actor="bob", reason=t.value),
    "submit.relationship": lambda t: t.mf.submit(t.value, "idp", valid("idp"), actor="bob"),
    "submit.slot": lambda t: t.mf.submit(t.rel, t.value, valid("idp"), actor="bob"),
    "submit.content": lambda t: t.mf.submit(t.rel, "idp", t.value, actor="bob"),
    "submit.field": lambda t: t.mf.submit(
        t.rel, "reflection", valid("reflection") | {"strengths": [t.value]}, actor="bob"
    ),
    "submit.key": lambda t: t.mf.submit(t.rel, "reflection", {str(t.value): "x"}, actor="bob"),
    "submit.item": lambda t: t.mf.submit(t.rel, "meeting", valid("meeting"), actor="bob", item=t.value),
    "submit.actor": lambda t: t.mf.submit(t.rel, "idp", valid("idp"), actor=t.value),
    "sign.slot": lambda t: t.mf.sign(t.rel, t.value, actor="bob", revision=1),
    "sign.item": lambda t: t.mf.sign(t.rel, "idp", actor="bob", revision=1, item=t.value),
    "fire.trigger": lambda t: t.mf.fire(t.rel, t.value, actor="bob"),
    "fire.reason": lambda t: t.mf.fire(t.rel, "launch", actor=ADMIN, force=True, reason=t.value),
    "status.relationship": lambda t: t.mf.status(t.value),
    "history.relationship": lambda t: t.mf.history(t.value),
    "audit.workflow": lambda t: t.mf.audit(workflow=t.value),
    "audit.program": lambda t: t.mf.audit(program=t.value),
    "audit.state": lambda t: t.mf.audit(state=t.value),
    "audit.phase": lambda t: t.mf.audit(phase=t.value),
    "audit.stalled_days": lambda t: t.mf.audit(stalled_days=t.value),
    "summary.workflow": lambda t: t.mf.summary(workflow=t.value),
    "summary.program": lambda t: t.mf.summary(program=t.value),
    "summary.state": lambda t: t.mf.summary(state=t.value),
    "summary.phase": lambda t: t.mf.summary(phase=t.value),
    "admin.id": lambda t: Actor.admin(t.value),
}


@pytest.mark.parametrize("call", CALLS, ids=list(CALLS))
def test_hostile_arguments_raise_only_mentorflow_errors(mf: Mentorflow, call: str) -> None:
    """Quotes, SQL, control characters, surrogates, 10k characters and wrong types are refused or harmless."""
    escaped = []
    codes = []
    rel_id = mf.start("traditional-dyad", DYAD, actor=ADMIN).id
    for value in HOSTILE:
        try:
            CALLS[call](Target(mf, rel_id, value))
        except MentorflowError as exc:
            codes.append(exc.code)
        except Exception as exc:  # noqa: BLE001 - collecting what escaped, to show every case at once
            shown = value[:40] if isinstance(value, str) else value
            escaped.append((shown, f"{type(exc).__module__}.{type(exc).__name__}: {exc}"))
    assert escaped == []
    assert all(code.count(".") == 1 for code in codes), codes
    assert mf.verify().ok


def test_hostile_ids_are_stored_and_found_verbatim(mf: Mentorflow) -> None:
    """Ids with quotes and SQL are data, never code: they round-trip exactly."""
    odd = "r'; DELETE FROM mentorflow_events; --\"é"
    mf.start("traditional-dyad", {"mentor": "o'hara", "mentee": 'say "hi"'}, id=odd, program="50% off", actor=ADMIN)
    status = mf.status(odd)
    assert (status.id, status.program) == (odd, "50% off")
    assert [p.person for p in status.participants] == ["o'hara", 'say "hi"']
    assert [s.id for s in mf.audit(program="50% off")] == [odd]
    plain = mf.start("informal-peer", {"peer": ["pat", "quin"]}, program="50%", actor=ADMIN).id
    assert [s.id for s in mf.audit(program="50%")] == [plain]  # a wildcard in SQL would also match "50% off"


def _everything(mf: Mentorflow) -> dict[str, Callable[[], object]]:
    return {
        "start": lambda: mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN),
        "join": lambda: mf.join("r1", "mentor", "ann", actor=ADMIN),
        "leave": lambda: mf.leave("r1", "ann", actor=ADMIN),
        "submit": lambda: mf.submit("r1", "idp", valid("idp"), actor="bob"),
        "sign": lambda: mf.sign("r1", "idp", actor="bob", revision=1),
        "fire": lambda: mf.fire("r1", "negotiate", actor="bob"),
        "tick": mf.tick,
        "status": lambda: mf.status("r1"),
        "history": lambda: mf.history("r1"),
        "audit": mf.audit,
        "summary": mf.summary,
        "verify": mf.verify,
        "workflows": mf.workflows,
        "relationship_ids": lambda: list(mf.relationship_ids()),
    }


def test_a_database_without_the_schema_says_so(make_mf: MakeMentorflow, database: Database) -> None:
    """Every method on a database without mentorflow's tables is `storage.no_schema`, with a hint to init."""
    mf = make_mf(db=database.empty_url)
    for name, call in _everything(mf).items():
        with pytest.raises(StorageError, match="the database has no mentorflow schema") as caught:
            call()
        assert (name, caught.value.code) == (name, "storage.no_schema")
        assert caught.value.hint == "Run `mentorflow init` (or Mentorflow.upgrade()) first."


@pytest.mark.parametrize(
    ("url", "code", "message"),
    [
        ("garbage", "storage.bad_url", "cannot use database URL 'garbage': Could not parse SQLAlchemy URL"),
        ("", "storage.bad_url", "cannot use database URL '': Could not parse SQLAlchemy URL"),
        (None, "storage.bad_url", "cannot use database URL None: Expected string or URL object"),
        (42, "storage.bad_url", "cannot use database URL 42: Expected string or URL object"),
        ("nosuchdb://host/db", "storage.bad_url", "Can't load plugin: sqlalchemy.dialects:nosuchdb"),
        ("postgresql+nosuch://u:secret@h/db", "storage.bad_url", r"'postgresql\+nosuch://u:\*\*\*@h/db'"),
    ],
)
def test_a_url_that_is_no_database_is_refused(url: Any, code: str, message: str) -> None:
    """A malformed URL or a missing driver is `storage.bad_url`, naming the URL without its password."""
    with pytest.raises(StorageError, match=message) as caught:
        Mentorflow(url)
    assert caught.value.code == code
    assert "secret" not in str(caught.value)


def test_a_database_that_cannot_be_opened_is_a_storage_error(tmp_path: Any) -> None:
    """An SQLite file in a directory that does not exist fails with `storage.failed` on first use."""
    mf = Mentorflow(f"sqlite:///{tmp_path}/missing/dir/mentorflow.db")
    try:
        with pytest.raises(StorageError, match="unable to open database file") as caught:
            mf.audit()
        assert caught.value.code == "storage.failed"
    finally:
        mf.engine.dispose()


def test_an_unknown_workflow_directory_is_a_definition_error(make_mf: MakeMentorflow, tmp_path: Any) -> None:
    """Extra workflow directories that do not exist are reported on first use."""
    mf = make_mf(workflow_dirs=[tmp_path / "nowhere"])
    with pytest.raises(MentorflowError, match=r"workflow directory .*nowhere does not exist") as caught:
        mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN)
    assert caught.value.code == "definition.no_directory"


def test_the_longest_ids_fit_every_column(mf: Mentorflow) -> None:
    """Ids of the maximum length (200 for people and relationships, 194 for administrators) are stored."""
    person, admin = "p" * 200, Actor.admin("a" * 194)
    rel_id = mf.start("informal-peer", {"peer": [person, "q" * 200]}, id="r" * 200, program="g" * 200, actor=admin).id
    mf.submit(rel_id, "agreement", valid("agreement"), actor=admin)
    mf.sign(rel_id, "agreement", actor=person, revision=latest(mf, rel_id, "agreement"))
    assert [e.actor for e in mf.history(rel_id)] == ["admin:" + "a" * 194, "admin:" + "a" * 194, person]
    assert mf.verify().ok


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Actor.admin("a" * 195), "administrator id is 195 characters long; the limit is 194"),
        (lambda: Actor.of("p" * 201), "person is 201 characters long; the limit is 200"),
        (lambda: Actor.admin(""), "administrator must be non-empty text"),
    ],
)
def test_ids_longer_than_the_columns_are_refused(make: Callable[[], Actor], message: str) -> None:
    """An id too long to store is `input.invalid` up front, on every backend."""
    with pytest.raises(MentorflowError, match=message) as caught:
        make()
    assert caught.value.code == "input.invalid"


def test_identifiers_refuse_exactly_the_control_and_surrogate_characters() -> None:
    """The one-regex check agrees with Unicode's categories Cc and Cs on every code point."""
    import sys
    import unicodedata

    from mentorflow.identifiers import _CONTROL

    refused = {code for code in range(sys.maxunicode + 1) if _CONTROL.match(chr(code))}
    assert refused == {code for code in range(sys.maxunicode + 1) if unicodedata.category(chr(code)) in ("Cc", "Cs")}


@pytest.mark.parametrize(
    ("moment", "message"),
    [
        (None, "the clock gave None, not a datetime"),
        ("2026-09-01", "the clock gave '2026-09-01', not a datetime"),
        (dt.date(2026, 9, 1), r"the clock gave datetime.date\(2026, 9, 1\), not a datetime"),
        (dt.datetime(9999, 12, 31, tzinfo=dt.UTC), "the clock gave 9999-12-31T00:00:00\\+00:00, outside the years"),
        (dt.datetime(1, 1, 1, 3, tzinfo=dt.timezone(dt.timedelta(hours=5))), "outside the years 1900 to 8999"),
    ],
    ids=["none", "text", "date", "year-9999", "before-year-1-in-utc"],
)
def test_a_clock_that_gives_no_usable_time_is_refused(make_mf: MakeMentorflow, moment: object, message: str) -> None:
    """The clock dates every read and write; one giving no datetime, or one whose due dates a hundred years on
    would pass the year 9999, was an internal AttributeError or OverflowError."""
    mf = make_mf(clock=lambda: moment)
    for call in (mf.audit, lambda: mf.start("traditional-dyad", {"mentor": "a", "mentee": "b"}, actor=ADMIN)):
        with pytest.raises(InvalidInput, match=message) as caught:
            call()
        assert "clock=" in caught.value.hint


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"retries": "3"}, "retries must be a whole number from 1 to 1000, got '3'"),
        ({"retries": 0}, "retries must be a whole number from 1 to 1000, got 0"),
        ({"key": 5}, "key must be text or a list of texts, got int"),
        ({"key": [5]}, "key must be text or a list of texts, got list"),
    ],
)
def test_constructor_arguments_of_the_wrong_kind_are_refused(arguments: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        Mentorflow("sqlite://", **arguments)


def test_a_workflow_directory_given_as_one_string_is_one_directory(tmp_path: Any) -> None:
    """A bare string was split into its characters: "/" among them, scanned to the root of the filesystem."""
    (tmp_path / "extra").mkdir()
    mf = Mentorflow("sqlite://", workflow_dirs=str(tmp_path / "extra"))
    assert mf.registry.extra_dirs == [tmp_path / "extra"]
    assert "traditional-dyad" in {info.workflow for info in mf.workflows(database=False)}


def test_files_and_checkpoints_of_the_wrong_kind_are_refused(mf: Mentorflow) -> None:
    """Each of these was a bare AttributeError from deep inside the library."""
    calls: dict[str, Callable[[], object]] = {
        "export to None": lambda: mf.export(None),  # type: ignore[arg-type]
        "import None": lambda: mf.import_archive(None),  # type: ignore[arg-type]
        "import a path": lambda: mf.import_archive("/tmp/archive.jsonl"),  # type: ignore[arg-type]  # noqa: S108
        "verify text": lambda: mf.verify(checkpoint="x"),  # type: ignore[arg-type]
        "verify a dict": lambda: mf.verify(checkpoint={"heads": []}),  # type: ignore[arg-type]
    }
    for name, call in calls.items():
        with pytest.raises(InvalidInput) as caught:
            call()
        assert caught.value.hint, name


def test_one_relationship_to_export_may_be_given_bare(mf: Mentorflow) -> None:
    """`relationships="r1"` exported relationships "r" and "1", or refused "no relationship 'r'"."""
    mf.start("micro-mentoring", {"mentor": "ann", "mentee": "bob"}, id="r1", actor=ADMIN)
    mf.start("micro-mentoring", {"mentor": "ann", "mentee": "cy"}, id="r2", actor=ADMIN)
    out = io.StringIO()
    assert mf.export(out, relationships="r1").relationships == 1


def test_refusals_of_the_clock_and_of_leaving_say_what_to_do(mf: Mentorflow) -> None:
    rel_id = mf.start("micro-mentoring", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    for call in (
        lambda: mf.submit(rel_id, "idp", valid("idp"), actor=Actor.system()),
        lambda: mf.leave(rel_id, "zed", actor=ADMIN),
    ):
        with pytest.raises(MentorflowError) as caught:
            call()
        assert caught.value.hint


def test_switches_and_callbacks_of_the_wrong_kind_are_refused(mf: Mentorflow) -> None:
    """`dry_run="no"` was a dry run and `force="no"` forced, being truthy; `guard(None)` failed only on first use."""
    rel_id = mf.start("micro-mentoring", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    before = mf.history(rel_id)
    calls: list[Callable[[], object]] = [
        lambda: mf.fire(rel_id, "decline", actor=ADMIN, reason="r", dry_run="no"),  # type: ignore[call-overload]
        lambda: mf.fire(rel_id, "decline", actor=ADMIN, reason="r", force="no"),  # type: ignore[call-overload]
        lambda: mf.guard("has_funding")(None),  # type: ignore[arg-type]
        lambda: mf.subscribe(5),  # type: ignore[arg-type]
    ]
    for call in calls:
        with pytest.raises(InvalidInput) as caught:
            call()
        assert caught.value.hint
    assert mf.history(rel_id) == before
