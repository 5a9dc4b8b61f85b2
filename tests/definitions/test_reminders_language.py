"""`remind:` in the language: on an obligation and as a workflow's default, its errors, its schema and its hash."""

from __future__ import annotations

import pytest

from mentorflow.definitions import Registry, Workflow
from mentorflow.definitions.checks import check_workflow
from mentorflow.definitions.models import Remind
from mentorflow.definitions.parse import parse_document
from mentorflow.definitions.yamlsafe import load_text
from mentorflow.errors import DefinitionError, DefinitionProblem

WORKFLOW = """\
mentorflow: 1
workflow: pair
version: 1
title: Pair
roles: {mentor: {}, mentee: {}}
DEFAULT
artifacts:
  plan: {kind: idp, submitted_by: [mentee]}
states:
  open:
    initial: true
    obligations:
      - {complete: plan, within_days: 30OWN}
  done: {final: true}
transitions:
  - {trigger: close, from: open, to: done}
"""


def _text(default: str = "", own: str = "") -> str:
    return WORKFLOW.replace("DEFAULT\n", f"{default}\n" if default else "").replace("OWN", own)


def _problems(text: str) -> list[DefinitionProblem]:
    doc = load_text(text, "pair.yaml")
    try:
        workflow = parse_document(doc)
    except DefinitionError as error:
        return error.problems
    assert isinstance(workflow, Workflow)
    return check_workflow(workflow, doc)


def test_an_obligation_and_a_workflow_declare_reminders() -> None:
    """An obligation's own `remind:` replaces the workflow's default whole; without one, the default applies."""
    own = parse_document(load_text(_text(own=", remind: {before_days: [3]}"), "pair.yaml"))
    default = parse_document(
        load_text(_text(default="remind: {before_days: [7, 0], overdue_every_days: 7}"), "pair.yaml")
    )
    assert isinstance(own, Workflow)
    assert isinstance(default, Workflow)
    assert own.reminds(own.states["open"].obligations[0]) == Remind(before_days=[3])
    assert default.reminds(default.states["open"].obligations[0]) == Remind(before_days=[7, 0], overdue_every_days=7)
    assert _problems(_text(default="remind: {before_days: [7, 0]}", own=", remind: {}")) == []


def test_a_workflow_without_reminders_keeps_its_hash() -> None:
    """An absent `remind` stays out of the stored form, so a definition stored before reminders keeps its hash."""
    workflow = parse_document(load_text(_text(), "pair.yaml"))
    assert isinstance(workflow, Workflow)
    dumped = workflow.model_dump(mode="json", by_alias=True)
    assert "remind" not in dumped
    assert "remind" not in dumped["states"]["open"]["obligations"][0]


CASES = [
    (
        _text(own=", remind: {before_days: [7, 0, 7]}"),
        "definition.duplicate_reminder",
        "before_days lists 7 twice",
        (12, 72),
    ),
    (
        _text(default="remind: {before_days: [1, 1]}"),
        "definition.duplicate_reminder",
        "before_days lists 1 twice",
        (6, 27),
    ),
    (
        _text(own=", remind: {before_days: [-1]}"),
        "definition.invalid_value",
        "states.open.obligations[0].remind.before_days[0]: must be at least 0 (got -1)",
        (12, 66),
    ),
    (
        _text(own=", remind: {overdue_every_days: 0}"),
        "definition.invalid_value",
        "states.open.obligations[0].remind.overdue_every_days: must be at least 1 (got 0)",
        (12, 52),
    ),
    (
        _text(own=", remind: {before_days: 7}"),
        "definition.invalid_value",
        "states.open.obligations[0].remind.before_days: takes a list, such as [a, b] (got 7)",
        (12, 52),
    ),
    (
        _text(default="remind: {before_day: [7]}"),
        "definition.unknown_key",
        "unknown key 'before_day' in remind (did you mean 'before_days'?)",
        (6, 10),
    ),
]


@pytest.mark.parametrize(("text", "code", "message", "where"), CASES, ids=[case[1] + case[2] for case in CASES])
def test_a_bad_remind_is_located_and_explained(text: str, code: str, message: str, where: tuple[int, int]) -> None:
    """Zero or negative days, a day listed twice, a number for a list and a misspelt key name the place."""
    problems = _problems(text)
    assert [(problem.code, problem.message) for problem in problems] == [(code, message)]
    assert (problems[0].file, problems[0].line, problems[0].column) == ("pair.yaml", *where)
    assert problems[0].hint


def test_the_json_schema_describes_remind() -> None:
    """The schema editors use offers `remind` on workflows and obligations, with its two keys."""
    schema = Workflow.model_json_schema(by_alias=True)
    assert "remind" in schema["properties"]
    remind = schema["$defs"]["Remind"]
    assert set(remind["properties"]) == {"before_days", "overdue_every_days"}
    assert remind["additionalProperties"] is False
    assert "remind" in schema["$defs"]["CompleteObligation"]["properties"]


def test_the_builtins_declare_a_cadence() -> None:
    """The agreement of a dyad is reminded a week before, on the day, then weekly; every obligation of every
    built-in has a cadence."""
    registry = Registry()
    dyad = registry.get("traditional-dyad").definition
    assert isinstance(dyad, Workflow)
    agreement = dyad.states["negotiating"].obligations[0]
    assert dyad.reminds(agreement) == Remind(before_days=[7, 0], overdue_every_days=7)
    peers = registry.get("informal-peer").definition
    assert isinstance(peers, Workflow)
    assert peers.reminds(peers.states["meeting"].obligations[0]) == Remind(before_days=[3], overdue_every_days=7)
    for name in ("facilitated-peer", "group", "informal-peer", "micro-mentoring", "traditional-dyad"):
        workflow = registry.get(name).definition
        assert isinstance(workflow, Workflow)
        obligations = [o for state in workflow.states.values() for o in state.obligations]
        assert obligations, name
        assert all(workflow.reminds(o) for o in obligations), name
