"""Requirements: every form, every blocker code, and evaluation that reports all blockers, not the first."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mentorflow import Actor, Blocked, GuardContext, Mentorflow
from tests.conftest import FakeClock

Setup = Callable[[Mentorflow, str, FakeClock], None]
NOTE = {"text": "hello"}
DRAFT = {"tags": ["draft"]}


@pytest.fixture
def rel_id(gates: Mentorflow) -> str:
    return gates.start("gates", {"lead": "lea", "member": ["max", "mia"]}, program="lab", actor=Actor.admin()).id


def nothing(mf: Mentorflow, rel_id: str, clock: FakeClock) -> None:
    """No artifact at all."""


def draft_doc(mf: Mentorflow, rel_id: str, clock: FakeClock) -> None:
    mf.submit(rel_id, "doc", DRAFT, actor="max")


def doc(mf: Mentorflow, rel_id: str, clock: FakeClock) -> None:
    mf.submit(rel_id, "doc", NOTE, actor="max")


def doc_signed_by_lead(mf: Mentorflow, rel_id: str, clock: FakeClock) -> None:
    doc(mf, rel_id, clock)
    mf.sign(rel_id, "doc", actor="lea", revision=1)


def one_log_by_max(mf: Mentorflow, rel_id: str, clock: FakeClock) -> None:
    mf.submit(rel_id, "log", NOTE, actor="max")


def log_then_draft(mf: Mentorflow, rel_id: str, clock: FakeClock) -> None:
    mf.submit(rel_id, "log", NOTE, actor="max")
    mf.submit(rel_id, "log", DRAFT, actor="mia")


def log_eight_days_ago(mf: Mentorflow, rel_id: str, clock: FakeClock) -> None:
    mf.submit(rel_id, "log", NOTE, actor="max")
    clock.advance(8)


def one_day_in(mf: Mentorflow, rel_id: str, clock: FakeClock) -> None:
    clock.advance(1, hours=12)


BLOCKED: list[tuple[str, Setup, list[tuple[str, str]]]] = [
    (
        "t_complete",
        nothing,
        [("artifact.missing", "no doc has been submitted (to be submitted by lead lea, member max, member mia)")],
    ),
    ("t_complete", draft_doc, [("artifact.incomplete", "doc revision 1 is incomplete: missing text")]),
    ("t_complete_by", one_log_by_max, [("artifact.missing", "member mia has not submitted a complete log")]),
    (
        "t_complete_by",
        nothing,
        [
            ("artifact.missing", "member max has not submitted a complete log"),
            ("artifact.missing", "member mia has not submitted a complete log"),
        ],
    ),
    (
        "t_signed",
        nothing,
        [("artifact.missing", "no doc has been submitted (to be submitted by lead lea, member max, member mia)")],
    ),
    ("t_signed", draft_doc, [("artifact.incomplete", "doc revision 1 is incomplete: missing text")]),
    (
        "t_signed",
        doc,
        [
            ("artifact.unsigned", "doc revision 1 is not signed by lead lea"),
            ("artifact.unsigned", "doc revision 1 is not signed by member max"),
            ("artifact.unsigned", "doc revision 1 is not signed by member mia"),
        ],
    ),
    (
        "t_signed",
        doc_signed_by_lead,
        [
            ("artifact.unsigned", "doc revision 1 is not signed by member max"),
            ("artifact.unsigned", "doc revision 1 is not signed by member mia"),
        ],
    ),
    ("t_count", nothing, [("artifact.too_few", "0 of 2 complete log items since entering 'open'")]),
    ("t_count", log_then_draft, [("artifact.too_few", "1 of 2 complete log items since entering 'open'")]),
    (
        "t_current",
        nothing,
        [("artifact.missing", "no log has been submitted (to be submitted by lead lea, member max, member mia)")],
    ),
    ("t_current", log_eight_days_ago, [("artifact.stale", "the latest complete log is 8 days old; at most 7 allowed")]),
    ("t_days", one_day_in, [("state.too_early", "in state 'open' for 1 of the 3 days required")]),
    ("t_check", nothing, [("guard.failed", "no guard is registered under 'approved'")]),
    ("t_any", nothing, [("any.none_held", "none of these holds: doc complete / >= 1 log")]),
    ("t_not", doc, [("not.held", "this must not hold, but does: doc complete")]),
    (
        "t_all",
        one_day_in,
        [
            ("artifact.missing", "no memo has been submitted (to be submitted by lead lea)"),
            ("state.too_early", "in state 'open' for 1 of the 3 days required"),
        ],
    ),
]


@pytest.mark.parametrize(("trigger", "setup", "expected"), BLOCKED, ids=[f"{t}-{s.__name__}" for t, s, _ in BLOCKED])
def test_a_requirement_that_fails_yields_its_blockers(
    gates: Mentorflow, rel_id: str, clock: FakeClock, trigger: str, setup: Setup, expected: list[tuple[str, str]]
) -> None:
    """Each failing requirement form gives its stable code and a message naming the slot and people."""
    setup(gates, rel_id, clock)
    with pytest.raises(Blocked, match=f"'{trigger}' is blocked from state 'open'") as caught:
        gates.fire(rel_id, trigger, actor="lea")
    assert [(b.code, b.message) for b in caught.value.blockers] == expected
    assert gates.status(rel_id).state == "open"


def doc_signed_by_all(mf: Mentorflow, rel_id: str, clock: FakeClock) -> None:
    doc(mf, rel_id, clock)
    for person in ("lea", "max", "mia"):
        mf.sign(rel_id, "doc", actor=person, revision=1)


def logs_by_both_members(mf: Mentorflow, rel_id: str, clock: FakeClock) -> None:
    mf.submit(rel_id, "log", NOTE, actor="max")
    mf.submit(rel_id, "log", DRAFT, actor="mia")
    mf.submit(rel_id, "log", NOTE, actor="mia", item=2)


def log_seven_days_ago(mf: Mentorflow, rel_id: str, clock: FakeClock) -> None:
    mf.submit(rel_id, "log", NOTE, actor="max")
    clock.advance(7)


def three_days_in(mf: Mentorflow, rel_id: str, clock: FakeClock) -> None:
    clock.advance(3)


HOLDS: list[tuple[str, Setup]] = [
    ("t_complete", doc),
    ("t_complete_by", logs_by_both_members),
    ("t_signed", doc_signed_by_all),
    ("t_signed_by", doc_signed_by_lead),
    ("t_count", logs_by_both_members),
    ("t_current", log_seven_days_ago),
    ("t_days", three_days_in),
    ("t_any", one_log_by_max),
    ("t_not", draft_doc),
]


@pytest.mark.parametrize(("trigger", "setup"), HOLDS, ids=[f"{t}-{s.__name__}" for t, s in HOLDS])
def test_a_requirement_that_holds_lets_the_trigger_fire(
    gates: Mentorflow, rel_id: str, clock: FakeClock, trigger: str, setup: Setup
) -> None:
    """When its requirement holds, the trigger fires; boundaries (exactly N days) count as held."""
    setup(gates, rel_id, clock)
    assert gates.fire(rel_id, trigger, actor="lea").payload["to"] == "done"


def test_evaluation_reports_every_blocker_not_the_first(gates: Mentorflow, rel_id: str, clock: FakeClock) -> None:
    """A trigger with many failing requirements lists each of them, in the order they are declared."""
    clock.advance(1)
    with pytest.raises(Blocked, match=r"blocked from state 'open' \(8 blockers\)") as caught:
        gates.fire(rel_id, "t_everything", actor="lea")
    assert [b.code for b in caught.value.blockers] == [
        "artifact.missing",
        "artifact.missing",
        "artifact.too_few",
        "artifact.missing",
        "state.too_early",
        "guard.failed",
        "any.none_held",
        "not.held",
    ]


def test_a_blocker_carries_its_requirement(gates: Mentorflow, rel_id: str) -> None:
    """Each blocker holds the requirement it comes from, as written in YAML."""
    with pytest.raises(Blocked) as caught:
        gates.fire(rel_id, "t_check", actor="lea")
    assert caught.value.blockers[0].requirement == {"check": "approved", "args": {"level": 2}}


def test_status_shows_the_same_blockers_as_fire(gates: Mentorflow, rel_id: str, clock: FakeClock) -> None:
    """What status says blocks a trigger is exactly what refuses its fire."""
    one_day_in(gates, rel_id, clock)
    [t_all] = [t for t in gates.status(rel_id).triggers if t.trigger == "t_all"]
    with pytest.raises(Blocked) as caught:
        gates.fire(rel_id, "t_all", actor="lea")
    assert (t_all.allowed, t_all.blockers) == (False, caught.value.blockers)


@pytest.mark.parametrize(
    ("trigger", "expected"),
    [
        ("r_count_state", [("artifact.too_few", "0 of 2 complete log items since entering 'review'")]),
        ("r_count_start", []),
    ],
)
def test_count_counts_since_entering_the_state_unless_since_start(
    gates: Mentorflow, rel_id: str, clock: FakeClock, trigger: str, expected: list[tuple[str, str]]
) -> None:
    """`count` looks at items since the current state was entered; `since: start` looks at all of them."""
    logs_by_both_members(gates, rel_id, clock)
    clock.advance(1)
    gates.fire(rel_id, "to_review", actor="lea")
    [state] = [t for t in gates.status(rel_id).triggers if t.trigger == trigger]
    assert [(b.code, b.message) for b in state.blockers] == expected


# -- custom guards ----------------------------------------------------------------------------------------------


def test_a_registered_guard_that_returns_none_holds(gates: Mentorflow, rel_id: str) -> None:
    """A guard returning None lets the trigger fire; it sees the relationship and its args."""
    seen: list[GuardContext] = []

    @gates.guard("approved")
    def approved(ctx: GuardContext) -> str | None:
        seen.append(ctx)
        return None

    assert gates.fire(rel_id, "t_check", actor="lea").payload["to"] == "done"
    ctx = seen[-1]
    assert (ctx.relationship, ctx.workflow, ctx.state, ctx.program, dict(ctx.args)) == (
        rel_id,
        "gates",
        "open",
        "lab",
        {"level": 2},
    )
    assert dict(ctx.participants) == {"lead": ["lea"], "member": ["max", "mia"]}


def test_a_guard_message_becomes_the_blocker(gates: Mentorflow, rel_id: str) -> None:
    """A guard returning text blocks with `guard.failed` and that text."""
    gates.guard("approved")(lambda ctx: f"level {ctx.args['level']} approval is pending")
    with pytest.raises(Blocked, match="level 2 approval is pending") as caught:
        gates.fire(rel_id, "t_check", actor="lea")
    assert [b.code for b in caught.value.blockers] == ["guard.failed"]


def test_a_guard_that_raises_is_a_blocker_not_a_crash(gates: Mentorflow, rel_id: str) -> None:
    """An exception inside a guard is reported as `guard.failed`, naming the guard and the error."""

    @gates.guard("approved")
    def approved(ctx: GuardContext) -> str | None:
        raise RuntimeError("funding service unreachable")

    with pytest.raises(Blocked, match="guard 'approved' raised RuntimeError: funding service unreachable") as caught:
        gates.fire(rel_id, "t_check", actor="lea")
    assert [b.code for b in caught.value.blockers] == ["guard.failed"]


def test_an_unregistered_guard_blocks(gates: Mentorflow, rel_id: str) -> None:
    """A `check:` nobody registered is a blocker that says so."""
    with pytest.raises(Blocked, match="no guard is registered under 'approved'"):
        gates.fire(rel_id, "t_check", actor="lea")


def test_a_guard_inside_any_can_carry_it(gates: Mentorflow, rel_id: str) -> None:
    """`any` holds when its only holding branch is a custom guard, and the fire verifies afterwards."""
    gates.guard("approved")(lambda _ctx: None)
    gates.fire(rel_id, "t_guarded_any", actor="lea")
    assert gates.verify().ok
