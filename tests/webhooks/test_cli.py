"""`endpoint add | list | remove` and `deliver`: for administrators, with clear errors, on both backends."""

from __future__ import annotations

import base64
import json

import pytest
from click.testing import CliRunner, Result

from mentorflow import Actor, Mentorflow
from mentorflow.cli import cli
from mentorflow.store.feed import CHANGE_KINDS
from tests.webhooks.receiver import receiving

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123").decode()


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)


def _run(db_url: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", db_url, *args], catch_exceptions=False)


def test_add_list_remove(db_url: str) -> None:
    """An endpoint added is listed in the fixed JSON shape, and gone once removed."""
    added = _run(
        db_url,
        "endpoint",
        "add",
        "crm",
        "https://crm.example/hooks",
        "--kinds",
        "reminder,transitioned",
        "--secret-env",
        "HOOK_SECRET",
    )
    assert added.exit_code == 0, added.output
    listed = _run(db_url, "endpoint", "list", "--format", "json")
    assert json.loads(listed.stdout) == [
        {
            "name": "crm",
            "url": "https://crm.example/hooks",
            "kinds": ["reminder", "transitioned"],
            "disabled": False,
            "dead_letters": 0,
        }
    ]
    table = _run(db_url, "endpoint", "list").stdout
    assert table.splitlines()[0].split() == ["NAME", "URL", "KINDS", "DISABLED", "DEAD", "LETTERS"]
    assert table.splitlines()[1].split() == ["crm", "https://crm.example/hooks", "reminder,transitioned", "no", "0"]
    assert _run(db_url, "endpoint", "remove", "crm").exit_code == 0
    assert json.loads(_run(db_url, "endpoint", "list", "--format", "json").stdout) == []


@pytest.mark.parametrize(
    ("args", "code", "env"),
    [
        (["add", "crm", "ftp://crm.example/", "--secret-env", "HOOK_SECRET"], "endpoint.bad_url", None),
        (["add", "crm", "not a url", "--secret-env", "HOOK_SECRET"], "endpoint.bad_url", None),
        (["add", "crm", "http://[::1", "--secret-env", "HOOK_SECRET"], "endpoint.bad_url", None),
        (["add", "crm", "https:///nohost", "--secret-env", "HOOK_SECRET"], "endpoint.bad_url", None),
        (["add", "crm", "https://crm.example/", "--secret-env", "UNSET_SECRET"], "endpoint.bad_secret", None),
        (["add", "crm", "https://crm.example/", "--secret-env", "HOOK_SECRET"], "endpoint.bad_secret", "plain"),
        (["add", "crm", "https://crm.example/", "--secret-env", "HOOK_SECRET"], "endpoint.bad_secret", "whsec_!!"),
        (["add", "crm", "https://crm.example/", "--secret-env", "NOT-A-VAR"], "input.invalid", None),
        (
            ["add", "crm", "https://crm.example/", "--kinds", "Bad Kind", "--secret-env", "HOOK_SECRET"],
            "input.invalid",
            None,
        ),
        (
            ["add", "crm", "https://crm.example/", "--kinds", "reminders", "--secret-env", "HOOK_SECRET"],
            "input.invalid",
            None,
        ),
        (["add", "crm", "http://127.0.0.1:99999/", "--secret-env", "HOOK_SECRET"], "endpoint.bad_url", None),
        (["add", "x" * 64, "https://crm.example/", "--secret-env", "HOOK_SECRET"], "input.invalid", None),
        (["remove", "nobody"], "endpoint.not_found", None),
    ],
    ids=[
        "scheme",
        "garbage",
        "unparsable",
        "no-host",
        "unset",
        "no-prefix",
        "not-base64",
        "variable",
        "kind",
        "misspelt-kind",
        "port",
        "long",
        "unknown",
    ],
)
def test_refusals_exit_1_with_their_code(
    db_url: str, monkeypatch: pytest.MonkeyPatch, args: list[str], code: str, env: str | None
) -> None:
    """Each refusal exits 1 with error[CODE] and a hint, and registers nothing."""
    if env is not None:
        monkeypatch.setenv("HOOK_SECRET", env)
    result = _run(db_url, "endpoint", *args)
    assert result.exit_code == 1
    assert f"error[{code}]" in result.stderr
    assert "hint:" in result.stderr
    assert json.loads(_run(db_url, "endpoint", "list", "--format", "json").stdout) == []


def test_a_name_is_taken_once(db_url: str) -> None:
    """A second endpoint of the same name is refused with endpoint.exists."""
    args = ["endpoint", "add", "crm", "https://crm.example/", "--secret-env", "HOOK_SECRET"]
    assert _run(db_url, *args).exit_code == 0
    again = _run(db_url, *args)
    assert again.exit_code == 1
    assert "error[endpoint.exists]" in again.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["add", "crm", "https://crm.example/", "--secret-env", "HOOK_SECRET"],
        ["list"],
        ["enable", "crm"],
        ["remove", "crm"],
    ],
)
def test_endpoints_are_for_administrators(db_url: str, command: list[str]) -> None:
    """A person named with --as and no --admin is refused; with --admin it is allowed."""
    refused = _run(db_url, "--as", "bob", "endpoint", *command)
    assert refused.exit_code == 1
    assert "error[actor.not_allowed]" in refused.stderr
    if command[0] not in ("remove", "enable"):
        assert _run(db_url, "--as", "carol", "--admin", "endpoint", *command).exit_code == 0


def test_enable_an_endpoint(db_url: str) -> None:
    """`endpoint enable NAME` clears the disabled flag; an unknown name is endpoint.not_found."""
    assert _run(db_url, "endpoint", "add", "crm", "https://crm.example/", "--secret-env", "HOOK_SECRET").exit_code == 0
    enabled = _run(db_url, "endpoint", "enable", "crm")
    assert (enabled.exit_code, enabled.stdout.strip()) == (0, "enabled endpoint crm")
    missing = _run(db_url, "endpoint", "enable", "nobody")
    assert missing.exit_code == 1
    assert "error[endpoint.not_found]" in missing.stderr


def test_the_secret_is_not_stored(db_url: str) -> None:
    """Only the variable's name is in the database, never its value."""
    _run(db_url, "endpoint", "add", "crm", "https://crm.example/", "--secret-env", "HOOK_SECRET")
    mf = Mentorflow(db_url)
    with mf.engine.connect() as connection:
        dump = repr(connection.exec_driver_sql("SELECT * FROM mentorflow_endpoints").all())
    mf.engine.dispose()
    assert "HOOK_SECRET" in dump
    assert SECRET.removeprefix("whsec_") not in dump


def test_deliver_once_posts_what_is_due(db_url: str) -> None:
    """`deliver --once` sends the changes committed since the endpoint was added, then exits."""
    with receiving() as receiver:
        assert _run(db_url, "endpoint", "add", "crm", receiver.url, "--secret-env", "HOOK_SECRET").exit_code == 0
        mf = Mentorflow(db_url)
        mf.start("micro-mentoring", {"mentor": "ann", "mentee": "bob"}, actor=Actor.admin())
        mf.engine.dispose()
        result = _run(db_url, "deliver", "--once", "--timeout", "5", "--lease", "30")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "delivered 1, failed 0 (to retry), dead-lettered 0"
    assert len(receiver.requests) == 1


def test_deliver_without_the_secret_exits_1_naming_the_endpoint(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker started without an endpoint's secret sends it nothing, says so, and exits 1: a cron job shows it."""
    with receiving() as receiver:
        assert _run(db_url, "endpoint", "add", "crm", receiver.url, "--secret-env", "HOOK_SECRET").exit_code == 0
        mf = Mentorflow(db_url)
        mf.start("micro-mentoring", {"mentor": "ann", "mentee": "bob"}, actor=Actor.admin())
        mf.engine.dispose()
        monkeypatch.delenv("HOOK_SECRET")
        result = _run(db_url, "deliver", "--once", "--timeout", "5")
    assert result.exit_code == 1
    assert result.stdout.strip() == "delivered 0, failed 0 (to retry), dead-lettered 0"
    assert "error[endpoint.bad_secret]: this worker could not sign for 1 endpoint(s)" in result.stderr
    assert "crm: environment variable HOOK_SECRET is not set" in result.stderr
    assert receiver.requests == []


@pytest.mark.parametrize("kinds", ["", ",,,"])
def test_kinds_that_name_no_kind_are_not_every_kind(db_url: str, kinds: str) -> None:
    """`--kinds ''` registered an endpoint for every kind: the opposite of what it says."""
    result = _run(db_url, "endpoint", "add", "crm", "https://crm.example/", "--kinds", kinds, "--secret-env", "X")
    assert result.exit_code == 2
    assert "--kinds names no kind" in result.stderr


def test_every_kind_of_change_the_demo_writes_may_be_chosen(db_url: str) -> None:
    """The kinds an endpoint may choose are the kinds the feed carries: none is missing from the list."""
    assert _run(db_url, "demo").exit_code == 0
    mf = Mentorflow(db_url)
    try:
        kinds = {change.kind for change in mf.changes(limit=1000).changes}
    finally:
        mf.engine.dispose()
    assert len(kinds) > 5
    assert kinds <= set(CHANGE_KINDS)
