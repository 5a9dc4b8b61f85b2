"""Relationships driven end to end through the CLI: JSON shapes, exit codes and error lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.support import Invoke, as_json

PAIRING = """\
mentorflow: 1
workflow: pairing
version: 1
title: Pairing
roles:
  mentor: {min: 1, max: 1}
  mentee: {min: 1, max: 2}
phases: [plan, work]
artifacts:
  plan: {kind: note, submitted_by: [mentee], signed_by: [mentor, mentee]}
  log: {kind: note, submitted_by: [mentor, mentee], repeatable: true, max_items: 2}
states:
  draft:
    phase: plan
    initial: true
    obligations: [{complete: plan, within_days: 10}]
  active: {phase: work}
  done: {final: true, outcome: success}
  stopped: {final: true, outcome: ended}
  lapsed: {final: true, outcome: ended}
transitions:
  - {trigger: begin, from: draft, to: active, by: [mentee], requires: [{signed: plan}]}
  - {trigger: finish, from: active, to: done, requires: [{count: log, min: 2}]}
  - {trigger: stop, from: "*", to: stopped, reason: required}
  - {trigger: lapse, from: draft, to: lapsed, after_days: 20}
"""

NOTE = """\
mentorflow: 1
kind: note
title: Note
fields:
  text: {type: text}
  when: {type: date, required: false}
"""


@pytest.fixture
def wf(tmp_path: Path) -> list[str]:
    """Global options that add the test workflow directory."""
    directory = tmp_path / "wf"
    directory.mkdir()
    (directory / "pairing.yaml").write_text(PAIRING)
    (directory / "note.yaml").write_text(NOTE)
    return ["--workflows", str(directory)]


@pytest.fixture
def rel(run: Invoke, wf: list[str]) -> str:
    """A started pairing between ann (mentor) and bob (mentee)."""
    result = run(
        *wf,
        "--now",
        "2026-01-01",
        "--as",
        "ann",
        "start",
        "pairing",
        "--role",
        "mentor=ann",
        "--role",
        "mentee=bob",
        "--program",
        "p1",
        "--id",
        "pair-1",
    )
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def test_start_prints_the_id(rel: str) -> None:
    """`start` prints the relationship id alone, for scripts."""
    assert rel == "pair-1"


def test_start_json_shape(run: Invoke, wf: list[str]) -> None:
    """`start --format json` gives {"id": ...}."""
    data = as_json(
        run(*wf, "--admin", "start", "pairing", "--role", "mentor=a", "--role", "mentee=b", "--format", "json")
    )
    assert set(data) >= {"id"}
    assert data["workflow"] == "pairing"


def test_start_needs_an_actor(run: Invoke, wf: list[str]) -> None:
    """Without --as or --admin the command says who must act."""
    result = run(*wf, "start", "pairing", "--role", "mentor=a", "--role", "mentee=b")
    assert result.exit_code == 1
    assert "error[input.no_actor]" in result.stderr
    assert "hint: Pass --as PERSON" in result.stderr


def test_bad_role_assignment_is_a_usage_error(run: Invoke, wf: list[str]) -> None:
    """A --role without '=' exits 2, like every usage error."""
    result = run(*wf, "--admin", "start", "pairing", "--role", "mentor")
    assert result.exit_code == 2
    assert "is not ROLE=PERSON" in result.stderr


def test_submit_json_shape_and_missing_paths(run: Invoke, wf: list[str], rel: str) -> None:
    """`submit --format json` reports revision, completeness and the missing paths."""
    data = as_json(run(*wf, "--as", "bob", "submit", rel, "plan", "--json", '{"text": ""}', "--format", "json"))
    assert {k: data[k] for k in ("relationship", "slot", "item", "revision", "complete", "missing")} == {
        "relationship": rel,
        "slot": "plan",
        "item": None,
        "revision": 1,
        "complete": False,
        "missing": ["text"],
    }


def test_submit_from_a_yaml_file(run: Invoke, wf: list[str], rel: str, tmp_path: Path) -> None:
    """`--file` takes YAML; dates are understood."""
    content = tmp_path / "plan.yaml"
    content.write_text("text: Learn to review papers\nwhen: 2026-02-01\n")
    result = run(*wf, "--as", "bob", "submit", rel, "plan", "--file", str(content))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "plan revision 1: complete"


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--json", "{not json"], "input.invalid"),
        (["--json", '{"text": 5, "colour": 1}'], "artifact.invalid"),
        (["--json", '["a list"]'], "artifact.invalid"),
        (["--json", "[" * 5000 + "]" * 5000], "artifact.too_large"),
    ],
)
def test_submit_refuses_bad_content(run: Invoke, wf: list[str], rel: str, args: list[str], code: str) -> None:
    """Malformed content exits 1 with a code, and nothing is stored."""
    result = run(*wf, "--as", "bob", "submit", rel, "plan", *args)
    assert result.exit_code == 1
    assert f"error[{code}]" in result.stderr
    assert as_json(run(*wf, "history", rel, "--format", "json"))[-1]["kind"] == "started"


def test_submit_lists_every_bad_path(run: Invoke, wf: list[str], rel: str) -> None:
    """Every shape error is named in one message."""
    result = run(*wf, "--as", "bob", "submit", rel, "plan", "--json", '{"text": 5, "when": "soon"}')
    assert "text: expected text, got an integer" in result.stderr
    assert "when: expected a date" in result.stderr


def test_submit_needs_exactly_one_source(run: Invoke, wf: list[str], rel: str) -> None:
    """Neither or both of --file and --json is a usage error."""
    assert run(*wf, "--as", "bob", "submit", rel, "plan").exit_code == 2


def test_fire_blocked_lists_every_blocker(run: Invoke, wf: list[str], rel: str) -> None:
    """A blocked fire exits 1 and lists each blocker with its code."""
    run(*wf, "--as", "bob", "submit", rel, "plan", "--json", '{"text": "x"}')
    result = run(*wf, "--as", "bob", "fire", rel, "begin")
    assert result.exit_code == 1
    assert "error[transition.blocked]" in result.stderr
    assert "  - artifact.unsigned: plan revision 1 is not signed by mentor ann" in result.stderr
    assert "  - artifact.unsigned: plan revision 1 is not signed by mentee bob" in result.stderr


def test_a_pair_runs_to_the_end(run: Invoke, wf: list[str], rel: str) -> None:
    """Submit, sign, fire, log twice, finish: status and history follow."""
    assert run(*wf, "--as", "bob", "submit", rel, "plan", "--json", '{"text": "x"}').exit_code == 0
    assert run(*wf, "--as", "bob", "sign", rel, "plan", "--revision", "1").exit_code == 0
    assert run(*wf, "--as", "ann", "sign", rel, "plan", "--revision", "1").exit_code == 0
    begun = run(*wf, "--as", "bob", "fire", rel, "begin")
    assert begun.stdout.strip() == f"{rel} #5 transitioned: begin: draft -> active"
    for person in ("ann", "bob"):
        assert run(*wf, "--as", person, "submit", rel, "log", "--json", '{"text": "met"}').exit_code == 0
    assert run(*wf, "--as", "ann", "fire", rel, "finish").exit_code == 0
    status = as_json(run(*wf, "status", rel, "--format", "json"))
    assert (status["state"], status["final"], status["outcome"]) == ("done", True, "success")
    kinds = [event["kind"] for event in as_json(run(*wf, "history", rel, "--format", "json"))]
    assert kinds == [
        "started",
        "submitted",
        "signed",
        "signed",
        "transitioned",
        "submitted",
        "submitted",
        "transitioned",
    ]


def test_status_json_shape(run: Invoke, wf: list[str], rel: str) -> None:
    """`status --format json` carries every key of the contract."""
    run(*wf, "--now", "2026-01-02", "--as", "bob", "submit", rel, "plan", "--json", '{"text": "x"}')
    status = as_json(run(*wf, "--now", "2026-01-05", "status", rel, "--format", "json"))
    assert set(status) >= {
        "id",
        "workflow",
        "workflow_version",
        "state",
        "phase",
        "final",
        "entered_at",
        "days_in_state",
        "program",
        "participants",
        "artifacts",
        "triggers",
        "obligations",
    }
    assert status["days_in_state"] == 4
    assert status["participants"] == [{"person": "ann", "role": "mentor"}, {"person": "bob", "role": "mentee"}]
    artifact = status["artifacts"][0]
    assert set(artifact) >= {"slot", "item", "revision", "complete", "missing", "signed_by", "unsigned"}
    assert artifact["unsigned"] == ["ann", "bob"]
    trigger = next(t for t in status["triggers"] if t["trigger"] == "begin")
    assert set(trigger) >= {"trigger", "to", "allowed", "blockers"}
    assert set(trigger["blockers"][0]) >= {"code", "message"}
    assert status["obligations"] == [
        {
            "requirement": "plan complete within 10 days",
            "due_at": "2026-01-11T00:00:00Z",
            "met": True,
            "overdue": False,
            "slot": "plan",
            "role": "mentee",
            "people": [],
        }
    ]


def test_status_table(run: Invoke, wf: list[str], rel: str) -> None:
    """The table names the state, the people, each trigger and its blockers."""
    text = run(*wf, "--now", "2026-01-12", "status", rel).stdout
    assert "state: draft (phase plan), 11 days since 2026-01-01" in text
    assert "participants: mentor ann, mentee bob" in text
    assert "  begin -> active: blocked (1), by mentee" in text
    assert "    - artifact.missing: no plan has been submitted (to be submitted by mentee bob)" in text
    assert "  plan complete within 10 days: due 2026-01-11, OVERDUE" in text


def test_history_json_shape_and_csv(run: Invoke, wf: list[str], rel: str) -> None:
    """`history` gives seq, kind, actor, at, payload and hash; CSV has the same rows."""
    events = as_json(run(*wf, "history", rel, "--format", "json"))
    assert set(events[0]) >= {"seq", "kind", "actor", "at", "payload", "hash"}
    assert events[0]["actor"] == "ann"
    rows = run(*wf, "history", rel, "--format", "csv").stdout.splitlines()
    assert rows[0] == "seq,at,actor,kind,payload,hash"
    assert rows[1].startswith("1,2026-01-01T00:00:00+00:00,ann,started,")


def test_join_and_leave(run: Invoke, wf: list[str], rel: str) -> None:
    """Administrators add and remove people; cardinality is enforced."""
    assert run(*wf, "--admin", "join", rel, "mentee=cy").exit_code == 0
    full = run(*wf, "--admin", "join", rel, "mentee=dee")
    assert full.exit_code == 1
    assert "error[participants.cardinality]: role 'mentee' is full (2 of at most 2)" in full.stderr
    assert run(*wf, "--as", "cy", "leave", rel, "cy", "--reason", "moved").exit_code == 0
    last = run(*wf, "--admin", "leave", rel, "ann")
    assert last.exit_code == 1
    assert "participants.cardinality" in last.stderr


def test_force_is_recorded_as_an_override(run: Invoke, wf: list[str], rel: str) -> None:
    """An administrator forces past blockers with a reason; the event lists what it bypassed."""
    event = as_json(run(*wf, "--admin", "fire", rel, "begin", "--force", "--reason", "paper plan", "--format", "json"))
    assert event["kind"] == "overridden"
    assert [b["code"] for b in event["payload"]["bypassed"]] == ["artifact.missing"]


def test_force_needs_a_reason(run: Invoke, wf: list[str], rel: str) -> None:
    """`--force` without `--reason` exits 1 with transition.reason_required."""
    result = run(*wf, "--admin", "fire", rel, "begin", "--force")
    assert result.exit_code == 1
    assert "error[transition.reason_required]" in result.stderr


def test_tick_fires_due_timed_transitions_once(run: Invoke, wf: list[str], rel: str) -> None:
    """`tick` fires what is due; `--dry-run` only lists; a second tick finds nothing."""
    assert run(*wf, "--now", "2026-01-15", "tick").stdout.strip() == "nothing is due"
    dry = run(*wf, "--now", "2026-01-25", "tick", "--dry-run")
    assert dry.stdout.strip() == f"{rel}: would fire lapse"
    fired = run(*wf, "--now", "2026-01-25", "tick")
    assert fired.stdout.strip() == f"{rel}: fired lapse (draft -> lapsed)"
    assert run(*wf, "--now", "2026-01-26", "tick").stdout.strip() == "nothing is due"
    assert as_json(run(*wf, "history", rel, "--format", "json"))[-1]["actor"] == "system"


def test_audit_formats(run: Invoke, wf: list[str], rel: str) -> None:
    """`audit` as JSON carries the contract's keys; CSV has a header row; the table fits 80 columns."""
    rows = as_json(run(*wf, "--now", "2026-01-12", "audit", "--format", "json"))
    assert set(rows[0]) >= {
        "id",
        "workflow",
        "program",
        "state",
        "phase",
        "days_in_state",
        "participants",
        "next",
        "blockers",
        "overdue",
        "last_activity_at",
    }
    assert rows[0]["overdue"][0]["requirement"] == "plan complete within 10 days"
    csv_lines = run(*wf, "audit", "--format", "csv").stdout.splitlines()
    assert csv_lines[0].startswith("id,workflow,program,state")
    table = run(*wf, "--now", "2026-01-12", "audit").stdout.splitlines()
    assert all(len(line) <= 80 for line in table)
    assert table[0] == "pairing (1)"
    assert "overdue plan" in table[2]


def test_audit_filters(run: Invoke, wf: list[str], rel: str) -> None:
    """Filters narrow the rows; no match says so; a name that matches nothing there is exits 1."""
    assert as_json(run(*wf, "audit", "--program", "p1", "--format", "json"))[0]["id"] == rel
    assert run(*wf, "audit", "--state", "lapsed").stdout.strip() == "no relationships match"
    unknown = run(*wf, "audit", "--program", "other")
    assert unknown.exit_code == 1
    assert "error[audit.unknown_filter]: no relationship belongs to program 'other'" in unknown.stderr
    assert len(as_json(run(*wf, "--now", "2026-03-01", "audit", "--stalled", "30", "--format", "json"))) == 1
    assert as_json(run(*wf, "--now", "2026-01-02", "audit", "--stalled", "30", "--format", "json")) == []


def test_verify_ok_and_json(run: Invoke, wf: list[str], rel: str) -> None:
    """`verify` passes on an untouched database."""
    assert run(*wf, "verify").stdout.startswith("ok: 1 relationship,")
    assert as_json(run(*wf, "verify", "--format", "json"))["ok"] is True


def test_verify_names_a_tampered_relationship(run: Invoke, wf: list[str], rel: str, cli_db: str) -> None:
    """A hand-edited cached state makes `verify` exit 1 naming the relationship."""
    import sqlite3

    connection = sqlite3.connect(cli_db.removeprefix("sqlite:///"))
    with connection:
        connection.execute("UPDATE mentorflow_relationships SET state = 'active'")
    connection.close()
    result = run(*wf, "verify")
    assert result.exit_code == 1
    assert f"error[audit.broken_chain]: 1 of 1 relationships failed verification: {rel}" in result.stderr
    assert "cached state 'active'" in result.stdout


def test_unknown_relationship(run: Invoke) -> None:
    """A missing relationship exits 1 with relationship.not_found and a hint."""
    result = run("status", "nope")
    assert result.exit_code == 1
    assert result.stderr.startswith("error[relationship.not_found]: no relationship 'nope'")
    assert "hint:" in result.stderr


def test_database_without_schema(tmp_path: Path) -> None:
    """A database that was never initialised says to run init, without a traceback."""
    from click.testing import CliRunner

    from mentorflow.cli import cli

    result = CliRunner().invoke(cli, ["--db", f"sqlite:///{tmp_path / 'new.db'}", "status", "x"])
    assert result.exit_code == 1
    assert "error[storage.no_schema]" in result.stderr
    assert "Traceback" not in result.output


def test_bad_database_url(tmp_path: Path) -> None:
    """A URL SQLAlchemy cannot use exits 1 with storage.bad_url."""
    from click.testing import CliRunner

    from mentorflow.cli import cli

    result = CliRunner().invoke(cli, ["--db", "nosuch://x", "status", "x"])
    assert result.exit_code == 1
    assert "error[storage.bad_url]" in result.stderr


def test_bad_now(run: Invoke) -> None:
    """An unreadable --now is refused with a hint."""
    result = run("--now", "yesterday", "audit")
    assert result.exit_code == 1
    assert "error[input.invalid]: --now 'yesterday' is not an ISO date" in result.stderr


@pytest.mark.parametrize(
    ("now", "message"),
    [
        ("0001-01-01T00:00:00+05:00", "--now '0001-01-01T00:00:00+05:00' is outside the years mentorflow keeps"),
        ("9999-12-31", "the clock gave 9999-12-31T00:00:00+00:00, outside the years 1900 to 8999"),
    ],
)
def test_a_now_at_the_edge_of_the_calendar_is_refused(run: Invoke, now: str, message: str) -> None:
    """Dates whose due dates would pass the year 9999 (or whose UTC falls before year 1) were internal errors."""
    for command in (["audit", "--due-within", "30"], ["tick", "--dry-run"]):
        result = run("--now", now, *command)
        assert result.exit_code == 1
        assert f"error[input.invalid]: {message}" in result.stderr


def test_json_logs_on_stderr(run: Invoke, wf: list[str]) -> None:
    """`--log-format json` writes one JSON object per write on stderr, with the relationship bound."""
    result = run(
        *wf,
        "--log-format",
        "json",
        "--admin",
        "start",
        "pairing",
        "--role",
        "mentor=a",
        "--role",
        "mentee=b",
        "--id",
        "logged",
    )
    logs = [json.loads(line) for line in result.stderr.splitlines()]
    assert logs[0]["event"] == "started"
    assert logs[0]["relationship"] == "logged"
    assert logs[0]["actor"] == "admin:admin"


def test_internal_errors_are_one_line(run: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unexpected exception prints error[internal] without a traceback, unless --traceback."""
    from mentorflow.service import Mentorflow

    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(Mentorflow, "audit", explode)
    from click.testing import CliRunner

    from mentorflow.cli import cli

    result = CliRunner().invoke(cli, ["audit"])
    assert result.exit_code == 1
    assert "error[internal]: RuntimeError: boom" in result.stderr
    assert "Traceback" not in result.stderr
    shown = CliRunner().invoke(cli, ["--traceback", "audit"])
    assert "Traceback" in shown.stderr


def test_audit_csv_round_trips_to_the_json(run: Invoke, wf: list[str], rel: str) -> None:
    """Every CSV row carries the same facts as the JSON row: ids, states, people, blockers, overdue."""
    import csv
    import io

    run(*wf, "--admin", "start", "pairing", "--role", "mentor=cy", "--role", "mentee=di", "--id", "pair-2")
    args = [*wf, "--now", "2026-01-12", "audit"]
    rows = as_json(run(*args, "--format", "json"))
    parsed = list(csv.DictReader(io.StringIO(run(*args, "--format", "csv").stdout)))
    assert [row["id"] for row in parsed] == [row["id"] for row in rows]
    for csv_row, json_row in zip(parsed, rows, strict=True):
        assert csv_row["state"] == json_row["state"]
        assert int(csv_row["days_in_state"]) == json_row["days_in_state"]
        assert csv_row["participants"] == "; ".join(f"{p['role']}:{p['person']}" for p in json_row["participants"])
        assert csv_row["blockers"] == "; ".join(
            f"{b['trigger']}:{b['code']}:{b['message']}" for b in json_row["blockers"]
        )
        assert csv_row["overdue"] == "; ".join(
            f"{o['requirement']}@{o['due_at'].replace('Z', '+00:00')}" for o in json_row["overdue"]
        )


def test_sign_binds_the_revision_named(run: Invoke, wf: list[str], rel: str) -> None:
    """`sign --revision N` is required; a revision no longer the latest is `signature.stale`, naming the latest."""
    run(*wf, "--as", "bob", "submit", rel, "plan", "--json", '{"text": "x"}')
    run(*wf, "--as", "bob", "submit", rel, "plan", "--json", '{"text": "y"}')
    assert run(*wf, "--as", "ann", "sign", rel, "plan").exit_code == 2
    stale = run(*wf, "--as", "ann", "sign", rel, "plan", "--revision", "1")
    assert stale.exit_code == 1
    assert stale.stderr.startswith("error[signature.stale]")
    assert "revision 2" in stale.stderr
    assert run(*wf, "--as", "ann", "sign", rel, "plan", "--revision", "2").exit_code == 0


def test_an_identical_submission_stores_nothing(run: Invoke, wf: list[str], rel: str) -> None:
    """Resubmitting the latest content (keys in any order) returns that revision, `"unchanged": true`."""
    first = as_json(run(*wf, "--as", "bob", "submit", rel, "plan", "--json", '{"text": "x"}', "--format", "json"))
    again = as_json(run(*wf, "--as", "bob", "submit", rel, "plan", "--json", '{"text": "x"}', "--format", "json"))
    assert (first["revision"], first["unchanged"]) == (1, False)
    assert (again["revision"], again["unchanged"]) == (1, True)
    table = run(*wf, "--as", "bob", "submit", rel, "plan", "--json", '{"text": "x"}')
    assert table.stdout.strip() == "plan revision 1: unchanged, nothing stored (complete)"
    assert [e["kind"] for e in as_json(run(*wf, "history", rel, "--format", "json"))].count("submitted") == 1


def test_history_names_the_kind_of_each_actor(run: Invoke, wf: list[str], rel: str) -> None:
    """History JSON says whether a person, an administrator or the clock acted."""
    run(*wf, "--as", "bob", "submit", rel, "plan", "--json", '{"text": "x"}')
    run(*wf, "--as", "carol", "--admin", "fire", rel, "begin", "--force", "--reason", "signed on paper")
    kinds = [(e["actor"], e["actor_kind"]) for e in as_json(run(*wf, "history", rel, "--format", "json"))]
    assert kinds == [("ann", "person"), ("bob", "person"), ("admin:carol", "admin")]
