"""Running scenarios: steps through the public API, expectations compared, the first difference at its line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mentorflow.scenarios import load_scenario, run_scenario
from tests.conftest import GATES_DIR
from tests.scenarios.conftest import WriteScenario

DYAD = """\
mentorflow: 1
scenario: dyad
workflow: traditional-dyad
people: {mentor: [ann], mentee: [bob]}
steps:
"""
IDP = (
    "{self_assessment: {skills: [a], interests: [b], values: [c]}, long_term_goals: [g], "
    "objectives: [{description: d, category: skills, target_date: 2026-09-01}]}"
)


def failure(path: Path, workflow_dirs: list[Path] | None = None) -> tuple[int, str]:
    """The line and message of a scenario's failure (it must fail)."""
    result = run_scenario(load_scenario(path), workflow_dirs or [])
    assert not result.passed, "the scenario passed"
    assert len(result.failures) == 1
    return result.failures[0].line, result.failures[0].message


def passes(path: Path, workflow_dirs: list[Path] | None = None) -> None:
    result = run_scenario(load_scenario(path), workflow_dirs or [])
    assert result.passed, result.failures


# one step (line 6 of the file), and what the failure says
DIFFERENCES: list[tuple[str, str]] = [
    ("{expect: {state: negotiating}}", r"^expected state negotiating, got preparing$"),
    ("{expect: {phase: launch}}", r"^expected phase launch, got prepare$"),
    (
        "{expect: {allowed: [negotiate, withdraw]}}",
        (
            r"^expected allowed \[negotiate, withdraw\], got \[withdraw\]; negotiate is blocked by artifact.missing "
            r"\(no idp has been submitted \(to be submitted by mentee bob\)\)$"
        ),
    ),
    ("{expect: {allowed: [launch]}}", r"launch does not fire from state preparing$"),
    (
        "{expect: {blocked: {negotiate: [artifact.incomplete]}}}",
        r"^expected negotiate blocked by \[artifact.incomplete\], got \[artifact.missing\]: artifact.missing \(no idp",
    ),
    ("{expect: {blocked: {withdraw: [state.too_early]}}}", r"^expected withdraw blocked by .*, but it is allowed$"),
    ("{expect: {blocked: {launch: []}}}", r"^expected launch blocked by \[\], but it does not fire from state"),
    ("{expect: {overdue: [idp]}}", r"^expected overdue \[idp\], got \[\]$"),
    ("{expect: {due: [agreement]}}", r"^expected due \[agreement\], got \[idp\]$"),
    ("{expect: {due: {idp: 29}}}", r"^expected due \{idp: day 29\}, got \{idp: day 30\}$"),
    (
        "{fire: negotiate, as: bob}",
        r"^fire negotiate as bob failed: error\[transition.blocked\]: 'negotiate' is blocked from state 'preparing'",
    ),
    (
        "{fire: withdraw, as: bob, reason: r, expect: {error: transition.blocked}}",
        r"^expected error transition.blocked, but fire withdraw as bob succeeded$",
    ),
    (
        "{fire: negotiate, as: carol, expect: {error: transition.blocked}}",
        r"^expected error transition.blocked, but fire negotiate as carol failed with error\[actor.not_participant\]",
    ),
    (
        "{fire: negotiate, as: bob, expect: {error: transition.blocked, blockers: [artifact.unsigned]}}",
        r"^expected blockers \[artifact.unsigned\], got \[artifact.missing\]: 'negotiate' is blocked",
    ),
    (
        "{sign: idp, as: bob, expect: {error: signature.stale}}",
        r"^expected error signature.stale, but sign idp as bob failed with error\[artifact.missing\]: there is no",
    ),
    ("{submit: idp, as: system, content: {}}", r"^submit idp as system failed: error\[actor.invalid\]"),
    ("{submit: idp, as: bob, content: {hobby: chess}}", r"^submit idp as bob failed: error\[artifact.invalid\]"),
]


@pytest.mark.parametrize(("step", "message"), DIFFERENCES, ids=[row[0] for row in DIFFERENCES])
def test_what_differed_is_said_at_the_steps_line(scenario_file: WriteScenario, step: str, message: str) -> None:
    """A step that does not do what it expects fails the scenario there, saying what it expected and what was."""
    line, said = failure(scenario_file(DYAD + "  - {at: 0}\n  - " + step + "\n  - {at: 99}\n"))
    assert line == 7
    assert re.search(message, said), said


def test_the_failing_line_is_the_steps_first_line(scenario_file: WriteScenario) -> None:
    """A step written over several lines fails at its first line (and column), however deep the difference."""
    path = scenario_file(
        DYAD + f"  - submit: idp\n    as: bob\n    content: {IDP}\n"
        "  - fire: negotiate\n    as: bob\n    expect:\n      state: negotiating\n      due: [idp]\n"
    )
    result = run_scenario(load_scenario(path))
    assert [(f.line, f.column) for f in result.failures] == [(9, 5)]
    assert result.failures[0].message == "expected due [idp], got [agreement]"
    assert result.steps == 2


def test_later_steps_do_not_run_after_a_failure(scenario_file: WriteScenario) -> None:
    """The first difference ends the scenario: later steps depend on what earlier ones did."""
    path = scenario_file(DYAD + "  - {expect: {state: negotiating}}\n  - {expect: {state: completed}}\n")
    result = run_scenario(load_scenario(path))
    assert result.steps == 1
    assert len(result.failures) == 1


def test_people_who_do_not_fit_fail_at_people(scenario_file: WriteScenario) -> None:
    """A relationship that cannot start (cardinality) fails at the `people` line."""
    path = scenario_file(DYAD.replace("[ann]", "[ann, amy]") + "  - tick\n")
    line, said = failure(path)
    assert line == 4
    assert said.startswith("the relationship cannot start: error[participants.cardinality]")


def test_an_unknown_workflow_fails_at_workflow(scenario_file: WriteScenario) -> None:
    """A workflow neither built in nor in --workflows fails at the `workflow` line, listing those known."""
    result = run_scenario(load_scenario(scenario_file(DYAD.replace("traditional-dyad", "gates") + "  - tick\n")))
    assert [(f.line, f.message) for f in result.failures] == [(3, "unknown workflow 'gates'")]
    assert "Known workflows:" in result.failures[0].hint
    passes(
        scenario_file(
            DYAD.replace("traditional-dyad", "gates").replace("mentor:", "lead:").replace("mentee:", "member:")
            + "  - {expect: {state: open}}\n",
            "gates",
        ),
        [GATES_DIR],
    )


def test_a_version_is_chosen_with_at(scenario_file: WriteScenario) -> None:
    """`workflow: ID@VERSION` runs that version; an unknown version lists the known ones."""
    passes(scenario_file(DYAD.replace("traditional-dyad", "traditional-dyad@3") + "  - {expect: {state: preparing}}\n"))
    result = run_scenario(
        load_scenario(scenario_file(DYAD.replace("traditional-dyad", "traditional-dyad@7") + "  - tick\n"))
    )
    assert result.failures[0].message == "unknown workflow 'traditional-dyad' version 7"


GUARDED = """\
mentorflow: 1
scenario: guarded
workflow: gates
people: {lead: ann, member: bob}
guards: {approved: the budget is not approved yet}
steps:
  - {fire: t_check, as: ann, expect: {error: transition.blocked, blockers: [guard.failed]}}
  - {expect: {blocked: {t_check: [guard.failed], t_guarded_any: [any.none_held]}}}
  - guards: {approved: false}
  - {fire: t_check, as: ann, expect: {error: transition.blocked}}
  - guards: {approved: true}
  - {fire: t_check, as: ann, expect: {state: done}}
"""


def test_guard_stubs_hold_block_and_change(scenario_file: WriteScenario) -> None:
    """`guards:` stubs a check: a message blocks with that message, false blocks, true holds; a step changes it."""
    passes(scenario_file(GUARDED), [GATES_DIR])
    line, said = failure(scenario_file(GUARDED.replace("expect: {state: done}", "expect: {state: open}")), [GATES_DIR])
    assert (line, said) == (12, "expected state open, got done")
    line, said = failure(
        scenario_file(GUARDED.replace("[guard.failed]}}\n  - {expect", "[]}}\n  - {expect")), [GATES_DIR]
    )
    assert said == (
        "expected blockers [], got [guard.failed]: 't_check' is blocked from state 'open' (1 blocker): "
        "the budget is not approved yet"
    )


def test_an_unstubbed_guard_blocks_as_an_unregistered_one(scenario_file: WriteScenario) -> None:
    """A check without a stub blocks, as it does in a program that registered no guard of that name."""
    head = GUARDED.split("guards:", maxsplit=1)[0]
    path = scenario_file(
        head + "steps:\n  - {expect: {blocked: {t_check: [guard.failed]}}}\n  - {fire: t_check, as: ann}\n"
    )
    line, said = failure(path, [GATES_DIR])
    assert line == 7
    assert said.endswith("no guard is registered under 'approved'")


@pytest.mark.parametrize(
    ("stubs", "message"),
    [
        ("guards: {approved: false}\n", "guard 'approved' is stubbed to fail"),
        ("", "guard 'approved' has no stub in this scenario yet"),
    ],
)
def test_a_stub_that_fails_says_why(scenario_file: WriteScenario, stubs: str, message: str) -> None:
    """`false` blocks with a message naming the stub; a check stubbed only by a later step blocks until then."""
    head = GUARDED.split("guards:", maxsplit=1)[0]
    path = scenario_file(head + stubs + "steps:\n  - {fire: t_check, as: ann}\n  - guards: {approved: true}\n")
    line, said = failure(path, [GATES_DIR])
    assert line == (7 if stubs else 6)
    assert said.endswith(message)


def test_administrators_act_as_admin_or_admin_name(scenario_file: WriteScenario) -> None:
    """`as: admin` and `as: admin:NAME` are administrators: they may force, with a reason; people may not."""
    passes(
        scenario_file(
            DYAD + "  - {fire: negotiate, as: bob, force: true, reason: r, expect: {error: actor.not_allowed}}\n"
            "  - {fire: negotiate, as: admin, force: true, expect: {error: transition.reason_required}}\n"
            "  - {fire: negotiate, as: admin, force: true, reason: paper plan, expect: {state: negotiating}}\n"
            "  - {fire: launch, as: 'admin:carol', force: true, reason: paper agreement,"
            " expect: {state: early_meetings}}\n"
            "  - {submit: idp, as: 'admin:carol', content: " + IDP + "}\n"
        )
    )


def test_the_clock_stands_still_between_at_steps(scenario_file: WriteScenario) -> None:
    """Writes between two `at` steps happen at one moment: a state entered on day 31 is due from day 31."""
    passes(
        scenario_file(
            DYAD
            + "  - {at: 31, expect: {overdue: [idp], due: {idp: 30}}}\n"
            + f"  - {{submit: idp, as: bob, content: {IDP}}}\n"
            "  - {fire: negotiate, as: bob, expect: {due: {agreement: 61}, overdue: []}}\n"
            "  - {at: 61, expect: {overdue: []}}\n  - {at: 62, expect: {overdue: [agreement]}}\n"
        )
    )


def test_a_timed_transition_fires_on_tick_once_due(scenario_file: WriteScenario) -> None:
    """`tick` fires timed transitions as the clock; before the delay it leaves them be."""
    micro = DYAD.replace("traditional-dyad", "micro-mentoring")
    passes(
        scenario_file(
            micro + "  - {at: 29}\n  - {tick: true, expect: {state: requested}}\n  - {at: 30}\n  - tick\n"
            "  - {expect: {state: expired}}\n"
        )
    )


def test_sign_defaults_to_the_latest_revision(scenario_file: WriteScenario) -> None:
    """`sign` without `revision` signs the latest; naming an older one is refused as stale (§10)."""
    passes(
        scenario_file(
            DYAD + f"  - {{submit: idp, as: bob, content: {IDP}}}\n"
            f"  - {{submit: idp, as: bob, content: {IDP.replace('[g]', '[h]')}}}\n"
            "  - {sign: idp, as: ann, revision: 1, expect: {error: signature.stale}}\n"
            "  - {sign: idp, as: ann, revision: 2}\n  - {sign: idp, as: bob}\n"
            "  - {sign: idp, as: bob, expect: {error: signature.already_signed}}\n"
        )
    )
