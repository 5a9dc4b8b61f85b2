"""Bad input, through the API and the CLI: accepted, or refused with a coded MentorflowError, and nothing written.

Generated artifact contents for every built-in kind, hostile identifiers (quotes, SQL, control characters,
10,000 characters), non-UTF-8 files and mutated definitions: each either succeeds or is refused with a code,
and after every refusal the database holds exactly the rows it held before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, text

from mentorflow import Actor, Mentorflow, MentorflowError
from mentorflow.cli import cli
from tests.conftest import TABLES, Database
from tests.definitions.test_properties import KINDS, contents

HOSTILE = [
    "o'brien",
    'say "hi"',
    "x'); DROP TABLE mentorflow_events; --",
    "1 OR 1=1",
    "tab\there",
    "line\nbreak",
    "nul\x00byte",
    "bell\x07",
    "  padded  ",
    "",
    "é" * 50,
    "🙂 emoji",
    "a" * 10_000,
    "%s %d {0} ${x}",
    "../../etc/passwd",
]
SLOT_OF_KIND = {
    "idp": "idp",
    "agreement": "agreement",
    "meeting": "meeting",
    "progress_report": "progress_report",
    "reflection": "reflection",
    "network_map": "network_map",
    "evaluation": "evaluation",
}


COUNT_ALL = text(" UNION ALL ".join(f"SELECT '{table}', count(*) FROM {table}" for table in TABLES))  # noqa: S608 - our own table names


def counts(engine: Engine) -> dict[str, int]:
    """Rows per mentorflow table, in one query."""
    with engine.connect() as connection:
        return {str(table): int(count) for table, count in connection.execute(COUNT_ALL)}


@pytest.fixture
def rows(database: Database) -> Iterator[Engine]:
    """An engine for counting this test's rows."""
    engine = create_engine(database.url)
    yield engine
    engine.dispose()


@pytest.fixture
def dyad(database: Database) -> Iterator[tuple[Mentorflow, str]]:
    """A traditional dyad to throw input at."""
    mf = Mentorflow(database.url)
    rel = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=Actor.admin(), id="target")
    yield mf, rel.id
    mf.engine.dispose()


def refused_or_done(call: Callable[[], Any], engine: Engine) -> str:
    """Run ``call``; on refusal check it carries a code and that no row changed. Returns the code or 'ok'."""
    before = counts(engine)
    try:
        call()
    except MentorflowError as error:
        code = error.code
    else:
        return "ok"
    assert "." in code
    assert counts(engine) == before, f"{code} left rows behind"
    return code


@pytest.mark.parametrize("kind", sorted(SLOT_OF_KIND))
def test_generated_contents_through_the_api(dyad: tuple[Mentorflow, str], rows: Engine, kind: str) -> None:
    """Generated contents for each kind the dyad uses are stored (complete or not) or refused without a trace."""
    mf, rel = dyad
    author = "ann" if kind in ("agreement", "meeting", "evaluation", "progress_report") else "bob"
    seen: set[str] = set()

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        content=st.one_of(
            contents(KINDS[kind].fields, shaped=True),
            contents(KINDS[kind].fields, shaped=False),
            st.integers(),
            st.text(max_size=5),
            st.lists(st.integers(), max_size=2),
        )
    )
    def run(content: Any) -> None:
        seen.add(refused_or_done(lambda: mf.submit(rel, SLOT_OF_KIND[kind], content, actor=author), rows))

    run()
    assert seen <= {"ok", "artifact.invalid"}
    assert mf.verify().ok


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_identifiers_through_the_api(dyad: tuple[Mentorflow, str], rows: Engine, value: str) -> None:
    """Every identifier argument takes hostile text without crashing or half-writing."""
    mf, rel = dyad
    calls: list[Callable[[], Any]] = [
        lambda: mf.start("traditional-dyad", {"mentor": value, "mentee": "x"}, actor=Actor.admin()),
        lambda: mf.start("traditional-dyad", {"mentor": "m", "mentee": "e"}, actor=Actor.admin(), id=value),
        lambda: mf.start("traditional-dyad", {"mentor": "m2", "mentee": "e2"}, actor=Actor.admin(), program=value),
        lambda: mf.start(value, {"mentor": "m3"}, actor=Actor.admin()),
        lambda: mf.submit(rel, value, {}, actor="bob"),
        lambda: mf.submit(value, "idp", {}, actor="bob"),
        lambda: mf.sign(rel, "idp", actor=value, revision=1),
        lambda: mf.fire(rel, value, actor="bob"),
        lambda: mf.fire(rel, "withdraw", actor=Actor.admin(), reason=value if value.strip() else None),
        lambda: mf.status(value),
        lambda: mf.history(value),
        lambda: mf.audit(program=value, workflow=value, state=value),
        lambda: mf.join(rel, value, "z", actor=Actor.admin()),
    ]
    outcomes = [refused_or_done(call, rows) for call in calls]
    assert all(outcome == "ok" or "." in outcome for outcome in outcomes)
    assert mf.verify().ok


ARGV_SAFE = [value for value in HOSTILE if "\x00" not in value and value.strip()]  # argv cannot carry NUL bytes


@pytest.mark.parametrize("value", ARGV_SAFE, ids=range(len(ARGV_SAFE)))
def test_hostile_identifiers_through_the_cli(database: Database, rows: Engine, value: str) -> None:
    """The CLI answers hostile arguments with exit 0, or exit 1 and an error[CODE] line; never a traceback."""
    base = ["--db", database.url]
    runner = CliRunner()
    assert (
        runner.invoke(
            cli,
            [
                *base,
                "--admin",
                "start",
                "traditional-dyad",
                "--role",
                "mentor=a",
                "--role",
                "mentee=b",
                "--id",
                "cli-target",
            ],
        ).exit_code
        == 0
    )
    before = counts(rows)
    for args in (
        ["--as", value, "sign", "cli-target", "idp", "--revision", "1"],
        ["status", value],
        ["history", value],
        ["--admin", "start", "traditional-dyad", "--role", f"mentor={value}", "--role", "mentee=q"],
        ["--as", "b", "submit", "cli-target", value, "--json", "{}"],
        ["--as", "b", "fire", "cli-target", value],
        ["audit", "--program", value],
    ):
        result = runner.invoke(cli, [*base, *args])
        assert result.exit_code in (0, 1), result.output
        assert "Traceback" not in result.output
        if result.exit_code == 1:
            assert result.stderr.startswith("error["), result.stderr
    after = counts(rows)
    assert after["mentorflow_relationships"] - before["mentorflow_relationships"] <= 1


def test_a_non_utf8_content_file_is_refused(database: Database, rows: Engine, tmp_path: Path) -> None:
    """Submitting a file that is not UTF-8 is an input error that names the byte's position."""
    runner = CliRunner()
    base = ["--db", database.url]
    runner.invoke(
        cli, [*base, "--admin", "start", "traditional-dyad", "--role", "mentor=a", "--role", "mentee=b", "--id", "r"]
    )
    bad = tmp_path / "idp.yaml"
    bad.write_bytes(b"long_term_goals:\n  - caf\xe9\n")
    before = counts(rows)
    result = runner.invoke(cli, [*base, "--as", "b", "submit", "r", "idp", "--file", str(bad)])
    assert result.exit_code == 1
    assert result.stderr.startswith("error[input.invalid]")
    assert "not UTF-8" in result.stderr
    assert counts(rows) == before


def test_mutated_definitions_through_the_cli(tmp_path: Path) -> None:
    """`workflow validate` on mutated built-ins exits 0 or 1 with located problems, never a traceback."""
    from tests.definitions.test_properties import mutated_documents

    runner = CliRunner()

    @settings(max_examples=40, deadline=None)
    @given(mutation=mutated_documents())
    def run(mutation: tuple[str, Any]) -> None:
        name, document = mutation
        path = tmp_path / name
        path.write_text(yaml.safe_dump(document, allow_unicode=True))
        result = runner.invoke(cli, ["workflow", "validate", str(path)])
        assert result.exit_code in (0, 1)
        assert "Traceback" not in result.output
        if result.exit_code == 1:
            assert f"{path}:" in result.stdout

    run()
