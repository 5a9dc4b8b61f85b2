"""Coverage: a transition counts once fired, a requirement once it blocked a fire and once it held at one, an
obligation once an expectation saw it due."""

from __future__ import annotations

from pathlib import Path

from mentorflow.scenarios import Coverage, load_scenario, run_scenario
from tests.scenarios.conftest import WriteScenario

HEAD = """\
mentorflow: 1
scenario: tiny
workflow: tiny
people: {lead: ann}
steps:
"""
THROUGH = """\
  - {fire: send, as: ann, expect: {error: transition.blocked, blockers: [artifact.missing, any.none_held]}}
  - {expect: {due: {note: 5}}}
  - {submit: note, as: ann, content: {text: ready}}
  - {at: 2}
  - {fire: send, as: ann, expect: {state: review}}
  - tick
  - {at: 5}
  - {tick: true, expect: {state: done}}
"""
OBLIGATION = (
    "obligation `note complete within 5 days` of state open never seen due (expect `due:` or `overdue:` in that state)"
)
FINISH = "  - {fire: send, as: admin, force: true, reason: r}\n  - {fire: finish, as: ann}\n"


def gaps(dirs: list[Path], *paths: Path) -> list[str]:
    coverage = Coverage()
    for path in paths:
        result = run_scenario(load_scenario(path), dirs, coverage)
        assert result.passed, result.failures
    return [gap.message for gap in coverage.gaps()]


def test_two_scenarios_together_leave_nothing(scenario_file: WriteScenario, tiny_dirs: list[Path]) -> None:
    """Blocked then held, a delay before and after, an obligation seen due, every transition fired."""
    assert gaps(tiny_dirs, scenario_file(HEAD + THROUGH, "through"), scenario_file(HEAD + FINISH, "finish")) == []


def test_a_happy_path_leaves_every_blocking_untried(scenario_file: WriteScenario, tiny_dirs: list[Path]) -> None:
    """Firing only when allowed never shows that a requirement can stop a fire."""
    path = scenario_file(
        HEAD + "  - {submit: note, as: ann, content: {text: ready}}\n  - {at: 5}\n"
        "  - {fire: send, as: ann}\n  - {at: 8}\n  - tick\n"
    )
    assert gaps(tiny_dirs, path) == [
        "requirement `note complete` of send (open -> review): never blocked a fire",
        "requirement `(check approved or 2 days in state)` of send (open -> review): never blocked a fire",
        "the 3-day delay of lapse (review -> done): never blocked a fire",
        "finish (review -> done) never fired",
        OBLIGATION,
    ]


def test_looking_is_not_firing(scenario_file: WriteScenario, tiny_dirs: list[Path]) -> None:
    """An `expect: blocked` reads the blockers but decides nothing, and a fire refused to its actor never
    evaluated the requirements: neither counts."""
    path = scenario_file(
        HEAD + "  - {expect: {blocked: {send: [artifact.missing, any.none_held]}}}\n"
        "  - {fire: send, as: bob, expect: {error: actor.not_participant}}\n"
    )
    found = gaps(tiny_dirs, path)
    assert (
        "requirement `note complete` of send (open -> review): never blocked a fire and never held at a fire" in found
    )


def test_a_forced_fire_counts_what_it_bypassed(scenario_file: WriteScenario, tiny_dirs: list[Path]) -> None:
    """A forced fire fires its transition, and the requirements it bypassed were blocking it."""
    found = gaps(tiny_dirs, scenario_file(HEAD + FINISH))
    assert "send (open -> review) never fired" not in found
    assert "requirement `note complete` of send (open -> review): never held at a fire" in found


def test_obligations_count_only_when_an_expectation_names_due_or_overdue(
    scenario_file: WriteScenario, tiny_dirs: list[Path]
) -> None:
    """An obligation is tried once `due:` or `overdue:` was checked while it was unmet."""
    message = OBLIGATION
    assert message in gaps(tiny_dirs, scenario_file(HEAD + "  - {expect: {state: open}}\n"))
    assert message not in gaps(tiny_dirs, scenario_file(HEAD + "  - {at: 6, expect: {overdue: [note]}}\n"))


def test_totals_count_per_kind(scenario_file: WriteScenario, tiny_dirs: list[Path]) -> None:
    """`totals` gives, per workflow, how many of each kind there are and how many were tried."""
    coverage = Coverage()
    run_scenario(load_scenario(scenario_file(HEAD + FINISH)), tiny_dirs, coverage)
    assert coverage.totals() == [
        {
            "workflow": "tiny",
            "version": 1,
            "transition": {"total": 3, "exercised": 2},
            "requirement": {"total": 3, "exercised": 0},
            "obligation": {"total": 1, "exercised": 0},
        }
    ]
