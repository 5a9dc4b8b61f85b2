"""`show`, `revisions` and `diff` through the CLI: JSON shapes, YAML that round-trips, a readable table, `--as`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.support import Invoke, as_json
from tests.content import valid


@pytest.fixture
def pair(run: Invoke, tmp_path: Path) -> str:
    """A traditional dyad whose mentee submitted a plan (signed by herself) and an evaluation."""
    started = run("--admin", "start", "traditional-dyad", "--role", "mentor=ann", "--role", "mentee=bob", "--id", "p1")
    assert started.exit_code == 0, started.output
    plan = tmp_path / "idp.json"
    plan.write_text(json.dumps(valid("idp")), encoding="utf-8")
    assert run("--as", "bob", "submit", "p1", "idp", "--file", str(plan)).exit_code == 0
    assert run("--as", "bob", "sign", "p1", "idp", "--revision", "1").exit_code == 0
    evaluation = json.dumps(valid("evaluation"))
    assert run("--as", "bob", "submit", "p1", "evaluation", "--json", evaluation).exit_code == 0
    return "p1"


def test_show_json_has_the_keys_of_the_contract(run: Invoke, pair: str) -> None:
    """`show --format json`: the §12 keys, the content as submitted."""
    document = as_json(run("show", pair, "idp", "--format", "json"))
    assert set(document) >= {
        "relationship",
        "slot",
        "item",
        "revision",
        "content",
        "complete",
        "missing",
        "content_hash",
        "submitted_by",
        "submitted_at",
        "signatures",
    }
    assert document["content"] == valid("idp")
    assert [(s["person"], s["role"]) for s in document["signatures"]] == [("bob", "mentee")]


def test_show_yaml_round_trips_into_submit(run: Invoke, pair: str, tmp_path: Path) -> None:
    """`submit` -> `show --format yaml` -> `submit --file` stores nothing new: the content is unchanged."""
    shown = run("show", pair, "idp", "--format", "yaml")
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.startswith("self_assessment:\n")
    again = tmp_path / "again.yaml"
    again.write_text(shown.stdout, encoding="utf-8")
    result = as_json(run("--as", "bob", "submit", pair, "idp", "--file", str(again), "--format", "json"))
    assert (result["revision"], result["unchanged"]) == (1, True)


def test_show_as_a_table_reads_like_the_document(run: Invoke, pair: str) -> None:
    """Headings for fields, bullets for lists, numbered records, dates written out, signatures named."""
    lines = run("show", pair, "idp").stdout.splitlines()
    assert lines[0] == "Individual Development Plan (idp of p1, revision 1, complete)"
    assert lines[2].startswith("Signed by bob (mentee) on ")
    assert "Long term goals" in lines
    assert "  - lead an independent research group" in lines
    assert "  1. Description: submit a first-author paper" in lines
    assert "     Target date: 1 September 2026" in lines
    assert "    - scientific writing" in lines


def test_revisions_and_diff(run: Invoke, pair: str, tmp_path: Path) -> None:
    """A second revision: two rows in `revisions`; `diff` names the one changed path, in JSON and for people."""
    changed = valid("idp")
    changed["objectives"][1]["target_date"] = "2027-01-15"
    plan = tmp_path / "changed.json"
    plan.write_text(json.dumps(changed), encoding="utf-8")
    assert run("--as", "bob", "submit", pair, "idp", "--file", str(plan)).exit_code == 0
    rows = as_json(run("revisions", pair, "idp", "--format", "json"))
    assert [(r["revision"], r["signed_by"]) for r in rows] == [(1, ["bob"]), (2, [])]
    assert run("revisions", pair, "idp").stdout.splitlines()[0].split() == [
        "ITEM",
        "REVISION",
        "COMPLETE",
        "SUBMITTED_BY",
        "SUBMITTED_AT",
        "SIGNED_BY",
    ]
    assert run("revisions", pair, "idp", "--format", "csv").stdout.splitlines()[0].endswith(",content_hash")
    assert as_json(run("diff", pair, "idp", "--format", "json")) == [
        {"path": "objectives[1].target_date", "change": "changed", "before": "2026-12-01", "after": "2027-01-15"}
    ]
    assert run("diff", pair, "idp").stdout == '~ objectives[1].target_date: "2026-12-01" -> "2027-01-15"\n'
    assert run("diff", pair, "idp", "--from", "2", "--to", "2").stdout == "no changes\n"
    assert run("revisions", pair, "agreement").stdout == "no revisions of agreement\n"


def test_as_a_mentor_the_mentees_evaluation_is_hidden(run: Invoke, pair: str) -> None:
    """`--as` reads as that person: exit 1 with `artifact.hidden`, and listings leave the item out."""
    result = run("--as", "ann", "show", pair, "evaluation")
    assert result.exit_code == 1
    assert result.stderr.startswith("error[artifact.hidden]: 'ann' may not read item 1 of 'evaluation'")
    assert as_json(run("--as", "ann", "revisions", pair, "evaluation", "--format", "json")) == []
    status = as_json(run("--as", "ann", "status", pair, "--format", "json"))
    assert [a["slot"] for a in status["artifacts"]] == ["idp"]
    history = as_json(run("--as", "ann", "history", pair, "--format", "json"))
    assert "evaluation" not in [e["payload"].get("slot") for e in history]
    assert as_json(run("--admin", "show", pair, "evaluation", "--format", "json"))["submitted_by"] == "bob"


@pytest.mark.parametrize("command", ["status", "history", "show", "revisions", "diff"])
def test_a_stranger_is_refused(run: Invoke, pair: str, command: str) -> None:
    """Every read refuses `--as` someone who never took part."""
    args = [command, pair] + ([] if command in ("status", "history") else ["idp"])
    result = run("--as", "eve", *args)
    assert result.exit_code == 1
    assert result.stderr.startswith("error[actor.not_participant]: 'eve' is not a participant of relationship 'p1'")


def test_person_prints_the_view(run: Invoke, pair: str) -> None:
    """`person ID`: JSON with the §12 keys; the table lists roles, to-do, network; another person is refused."""
    view = as_json(run("person", "ann", "--format", "json"))
    assert set(view) == {"person", "relationships", "todo", "network", "gaps"}
    assert [(t["action"], t["slot"] or t["trigger"]) for t in view["todo"]] == [("fire", "negotiate")]
    text = run("--as", "ann", "person", "ann").stdout
    assert text.startswith("ann: 1 relationship(s), 1 thing(s) to do\n")
    assert "       p1            fire    negotiate" in text
    assert "  bob     mentee    p1" in text
    refused = run("--as", "bob", "person", "ann")
    assert refused.exit_code == 1
    assert refused.stderr.startswith("error[actor.not_allowed]: 'bob' may not read the view of 'ann'")


def test_audit_keeps_the_rows_of_one_person(run: Invoke, pair: str) -> None:
    """`audit --person ID` lists only the relationships that person takes part in."""
    run("--admin", "start", "traditional-dyad", "--role", "mentor=amy", "--role", "mentee=cat", "--id", "p2")
    assert [row["id"] for row in as_json(run("audit", "--person", "cat", "--format", "json"))] == ["p2"]
    assert run("audit", "--person", "nobody").stdout == "no relationships match\n"


def test_a_document_renders_every_kind_of_value() -> None:
    """Yes/no for booleans, `(none)` for empty values, dates and datetimes written out, choices in words, drafts
    with what they miss, and numbered records."""
    import datetime as dt

    from mentorflow.cli.reads import render_document
    from mentorflow.types import Document

    document = Document(
        relationship="p1",
        slot="meeting",
        item=2,
        revision=3,
        content={
            "date": "2026-03-10",
            "when": "2026-03-10T14:30:00Z",
            "odd": "2026-13-01",
            "mode": "in_person",
            "note": "Two lines\nof text",
            "recorded": False,
            "cancelled": True,
            "room": None,
            "topics": [],
            "details": {"agenda": [], "minutes": {"taken": True}},
            "action_items": [{"description": "draft", "due_date": "2026-03-24"}, {}],
        },
        complete=False,
        missing=["attendees"],
        content_hash="h",
        submitted_by="ann",
        submitted_at=dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC),
        signatures=[],
    )
    lines = render_document(document).splitlines()
    assert lines[0] == "meeting (meeting item 2 of p1, revision 3, incomplete)"
    assert lines[2] == "Missing: attendees"
    for expected in [
        "  10 March 2026",
        "  10 March 2026 14:30 UTC",
        "  2026-13-01",
        "  in person",
        "  Two lines",
        "  of text",
        "  no",
        "  yes",
        "  (none)",
        "  Agenda: (none)",
        "  Minutes:",
        "    Taken: yes",
        "  1. Description: draft",
        "     Due date: 24 March 2026",
        "  2.",
    ]:
        assert expected in lines, expected


def test_diff_lines_for_people(run: Invoke, pair: str, tmp_path: Path) -> None:
    """`+` added, `-` removed, `~` changed, each path with its JSON values."""
    changed = valid("idp")
    changed["long_term_goals"].append("teach")
    del changed["objectives"][0]["measure"]
    plan = tmp_path / "changed.json"
    plan.write_text(json.dumps(changed), encoding="utf-8")
    assert run("--as", "bob", "submit", pair, "idp", "--file", str(plan)).exit_code == 0
    assert run("diff", pair, "idp").stdout.splitlines() == [
        '+ long_term_goals[1]: "teach"',
        '- objectives[0].measure: "paper under review"',
    ]


def test_person_lists_gaps_and_dated_tasks(run: Invoke, pair: str) -> None:
    """The table shows an overdue task's date and the network map's gaps."""
    network = json.dumps(valid("network_map"))
    assert run("--as", "bob", "submit", pair, "network_map", "--json", network).exit_code == 0
    text = run("--now", "2027-01-01", "person", "ann").stdout
    assert "gaps:" not in text
    text = run("--now", "2027-01-01", "person", "bob").stdout
    assert "  - sponsorship: ask the chair for an introduction" in text.splitlines()
    start = ["--now", "2026-01-01", "--admin", "start", "traditional-dyad", "--id", "p3"]
    run(*start, "--role", "mentor=amy", "--role", "mentee=dan")
    assert "  2026-01-31 OVERDUE  p3            submit  idp" in run("--now", "2026-03-01", "person", "dan").stdout


def test_control_characters_people_typed_are_shown_escaped(run: Invoke, pair: str) -> None:
    """A reason or a document holding an escape sequence cleared the reader's screen: both show it escaped."""
    content = {**valid("idp"), "long_term_goals": ["\x1b[2Jgone", "line one\nline two", "a\rb"]}
    assert run("--as", "bob", "submit", pair, "idp", "--json", json.dumps(content)).exit_code == 0
    fired = run("--as", "ann", "fire", pair, "withdraw", "--reason", "bye\x1b]0;title\x07")
    assert fired.exit_code == 0, fired.output
    for shown in (run("show", pair, "idp").stdout, run("history", pair).stdout):
        assert "\x1b" not in shown
        assert "\r" not in shown
        assert "\x07" not in shown
    assert "\\x1b[2Jgone" in run("show", pair, "idp").stdout
    assert "line one\n" in run("show", pair, "idp").stdout  # a document's lines stay lines
    assert "bye\\x1b]0;title\\x07" in run("history", pair).stdout
    assert json.loads(run("show", pair, "idp", "--format", "json").stdout)["content"] == content  # JSON is exact
