"""The scenario language: a file that is not a valid scenario is refused with every problem at file:line:col."""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from mentorflow.definitions import Registry, validate_paths
from mentorflow.errors import DefinitionError
from mentorflow.scenarios import load_scenario, run_scenario, scenario_schema
from mentorflow.scenarios.load import check_against
from mentorflow.scenarios.models import Fire, Tick

Write = Callable[[str], Path]

HEADER = """\
mentorflow: 1
scenario: broken
workflow: traditional-dyad
people: {mentor: [ann], mentee: [bob]}
"""


@pytest.fixture
def write(tmp_path: Path) -> Write:
    """Write a scenario file (dedented) and return its path."""

    def write(text: str) -> Path:
        path = tmp_path / "scenario.yaml"
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


# the steps (after HEADER, whose 4 lines come first), then the expected code, line, column and message
BROKEN: list[tuple[str, str, int, int, str]] = [
    (
        "steps:\n  - {fire: negotiate, as: bob, reasn: ready}\n",
        "definition.unknown_key",
        6,
        32,
        r"unknown key 'reasn' in steps\[0\] \(did you mean 'reason'\?\)",
    ),
    (
        "steps:\n  - {frie: negotiate, as: bob}\n",
        "definition.unknown_step",
        6,
        6,
        r"steps\[0\]: unknown step 'frie' \(did you mean 'fire'\?\)",
    ),
    (
        "steps:\n  - {fire: negotiate, submit: idp, as: bob}\n",
        "definition.unknown_step",
        6,
        23,
        r"a step does one thing, this one has fire and submit",
    ),
    ("steps:\n  - fire negotiate\n", "definition.unknown_step", 6, 5, r"a step is a mapping such as"),
    (
        "steps:\n  - {at: 10}\n  - {at: 5}\n",
        "definition.invalid_value",
        7,
        6,
        r"steps\[1\]: at 5 would move the clock back from day 10",
    ),
    (
        "steps:\n  - {at: 3, expect: {error: transition.blocked}}\n",
        "definition.invalid_value",
        6,
        22,
        r"only a step that acts .* can fail",
    ),
    (
        "steps:\n  - {fire: negotiate, as: bob, expect: {blockers: [artifact.missing]}}\n",
        "definition.invalid_value",
        6,
        41,
        r"`blockers` goes with `error: transition.blocked`",
    ),
    (
        "steps:\n  - {fire: negotiate, as: bob, force: yes}\n",
        "definition.invalid_value",
        6,
        32,
        r"force: takes true or false: write `true`",
    ),
    (
        "steps:\n  - {fire: negotiate, as: bob, expect: {error: Blocked}}\n",
        "definition.invalid_name",
        6,
        41,
        r"steps\[0\]\.expect\.error: 'Blocked' is not a valid name",
    ),
    ("steps: []\n", "definition.invalid_value", 5, 1, r"steps: takes a list of at least 1 item"),
    ("steps:\n  - {tick: false}\n", "definition.invalid_value", 6, 6, r"steps\[0\]\.tick: takes true \(got false\)"),
    (
        "stepz:\n  - tick\n",
        "definition.unknown_key",
        5,
        1,
        r"unknown key 'stepz' in the document \(did you mean 'steps'",
    ),
    ("steps:\n  - {at: 1}\n  - {at: 1}\nsteps: []\n", "definition.duplicate_key", 8, 1, r"duplicate key 'steps'"),
    ("steps:\n  - {at: 1\n", "definition.syntax", 7, 1, r"invalid YAML"),
]


@pytest.mark.parametrize(
    ("steps", "code", "line", "column", "message"), BROKEN, ids=[row[1] + ":" + row[4][:30] for row in BROKEN]
)
def test_broken_scenarios_name_file_line_and_column(
    write: Write, steps: str, code: str, line: int, column: int, message: str
) -> None:
    """Each mistake is reported with its code, where it is, and words for authors."""
    path = write(HEADER + steps)
    with pytest.raises(DefinitionError) as caught:
        load_scenario(path)
    problem = next((p for p in caught.value.problems if p.code == code), caught.value.problems[0])
    assert (problem.code, problem.file, problem.line, problem.column) == (code, str(path), line, column), problem
    assert problem.hint
    assert re.search(message, problem.message), problem.message


def test_a_workflow_file_is_not_a_scenario(write: Write) -> None:
    """Passing a workflow file to `workflow test` says what it is."""
    path = write("mentorflow: 1\nworkflow: x\nversion: 1\ntitle: X\nroles: {a: {}}\nstates: {s: {initial: true}}\n")
    with pytest.raises(DefinitionError, match=r"the document is a workflow, not a scenario") as caught:
        load_scenario(path)
    assert caught.value.code == "definition.not_a_scenario"


def test_every_problem_is_listed(write: Write) -> None:
    """A file with several mistakes reports each of them, not only the first."""
    path = write(HEADER + "steps:\n  - {fire: negotiate, as: bob, reasn: x}\n  - {submit: idp, as: bob}\n")
    with pytest.raises(DefinitionError) as caught:
        load_scenario(path)
    assert [(p.code, p.line) for p in caught.value.problems] == [
        ("definition.unknown_key", 6),
        ("definition.missing_key", 7),
    ]


UNKNOWN_NAMES: list[tuple[str, str, int, str]] = [
    (
        "  - {fire: negotate, as: bob}\n",
        "definition.unknown_trigger",
        6,
        r"no trigger 'negotate' \(did you mean 'negotiate'",
    ),
    ("  - {submit: ipd, as: bob, content: {}}\n", "definition.unknown_slot", 6, r"no slot 'ipd' \(did you mean 'idp'"),
    ("  - {join: cid, role: mentr, as: admin}\n", "definition.unknown_role", 6, r"no role 'mentr'"),
    ("  - {expect: {state: negotiatng}}\n", "definition.unknown_state", 6, r"no state 'negotiatng'"),
    ("  - {expect: {phase: middle}}\n", "definition.unknown_phase", 6, r"no phase 'middle'"),
    ("  - {expect: {blocked: {lanch: []}}}\n", "definition.unknown_trigger", 6, r"did you mean 'launch'"),
    ("  - {expect: {due: {agrement: 3}}}\n", "definition.unknown_slot", 6, r"did you mean 'agreement'"),
    ("  - {guards: {funded: true}}\n", "definition.unknown_check", 6, r"no check 'funded'"),
]


@pytest.mark.parametrize(("step", "code", "line", "message"), UNKNOWN_NAMES, ids=[row[1] for row in UNKNOWN_NAMES])
def test_names_the_workflow_lacks_are_caught_before_running(
    write: Write, step: str, code: str, line: int, message: str
) -> None:
    """A trigger, slot, role, state, phase or check the workflow does not have fails at its line, with a guess."""
    loaded = load_scenario(write(HEADER + "steps:\n" + step))
    problems = check_against(loaded, Registry().bundle("traditional-dyad").workflow)
    assert [(p.code, p.line) for p in problems] == [(code, line)]
    assert re.search(message, problems[0].message), problems[0].message
    result = run_scenario(loaded)
    assert not result.passed
    assert result.failures[0].message.startswith(code)


def test_a_bare_tick_is_a_step(write: Write) -> None:
    """`- tick` reads as `- {tick: true}`."""
    loaded = load_scenario(write(HEADER + "steps:\n  - tick\n  - {fire: withdraw, as: bob, reason: r}\n"))
    assert isinstance(loaded.scenario.steps[0], Tick)
    assert isinstance(loaded.scenario.steps[1], Fire)


def test_people_take_one_id_or_a_list(write: Write) -> None:
    """`people: {mentor: ann}` is the same as `people: {mentor: [ann]}`."""
    loaded = load_scenario(write(HEADER.replace("[ann]", "ann") + "steps: [tick]\n"))
    assert loaded.scenario.roles() == {"mentor": ["ann"], "mentee": ["bob"]}


def test_the_json_schema_describes_every_step() -> None:
    """`workflow schema scenario` names every step form and forbids unknown keys, for editors."""
    schema = scenario_schema()
    json.dumps(schema)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert schema["required"] == ["mentorflow", "scenario", "workflow", "people", "steps"]
    assert set(schema["$defs"]) >= {"Submit", "Sign", "Fire", "Join", "Leave", "Tick", "At", "Guards", "Expect"}
    assert {"const": "tick", "description": "The same as {tick: true}."} in schema["properties"]["steps"]["items"][
        "oneOf"
    ]
    assert all(schema["$defs"][name]["additionalProperties"] is False for name in ("Fire", "Expect"))
    assert "as" in schema["$defs"]["Fire"]["properties"]


def test_validate_says_a_scenario_is_one(write: Write) -> None:
    """`workflow validate` given a scenario file says what it is and how to run it, not that keys are unknown."""
    [problem] = validate_paths([write(HEADER + "steps: [tick]\n")])
    assert (problem.code, problem.line) == ("definition.not_a_definition", 1)
    assert problem.message == "the document is a scenario, not a workflow or an artifact kind"
    assert "mentorflow workflow test" in problem.hint
