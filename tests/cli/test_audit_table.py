"""The audit table's "waiting on" column: what is overdue is named by its slot, never parsed out of its phrase."""

from __future__ import annotations

import datetime as dt

import pytest

from mentorflow import ObligationState, Participant, Standing, StandingBlocker
from mentorflow.cli.admin import _waiting, audit_table

AT = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


def _row(overdue: list[ObligationState], blockers: list[StandingBlocker], next_: list[str] | None = None) -> Standing:
    return Standing(
        id="pair-1",
        workflow="traditional-dyad",
        workflow_version=1,
        program=None,
        state="preparing",
        phase="prepare",
        final=False,
        days_in_state=40,
        participants=[Participant("ann", "mentor"), Participant("bob", "mentee")],
        next=next_ or [],
        blockers=blockers,
        overdue=overdue,
        last_activity_at=AT,
        stalled_days=40,
    )


def _late(requirement: str, slot: str | None) -> ObligationState:
    return ObligationState(requirement, AT, met=False, overdue=True, slot=slot)


@pytest.mark.parametrize(
    ("requirement", "slot"),
    [
        ("agreement signed within 30 days", "agreement"),
        (">= 2 meeting every 30 days", "meeting"),
        ("the mentee's plan, within 30 days", "idp"),  # a phrase whose words would name no slot
    ],
)
def test_an_overdue_obligation_is_named_by_its_slot(requirement: str, slot: str) -> None:
    assert _waiting(_row([_late(requirement, slot)], [])) == f"overdue {slot}"


def test_an_obligation_without_a_slot_shows_its_phrase() -> None:
    assert _waiting(_row([_late("check funded within 30 days", None)], [])) == "overdue check funded within 30 days"


def test_a_blocker_on_the_overdue_slot_is_not_said_twice() -> None:
    """The blocker about the late slot adds nothing; one about another slot is shown with the count of the rest."""
    same = StandingBlocker("negotiate", "artifact.missing", "no idp has been submitted", {"complete": "idp"})
    other = StandingBlocker("negotiate", "artifact.unsigned", "agreement is unsigned", {"signed": "agreement"})
    late = [_late("the mentee's plan, within 30 days", "idp"), _late("agreement signed within 30 days", "agreement")]
    assert _waiting(_row(late, [same, other])) == "overdue idp +1"
    assert _waiting(_row(late[:1], [other, same])) == "overdue idp; unsigned agreement +1"


def test_the_table_shows_the_slot() -> None:
    table = audit_table([_row([_late("the mentee's plan, within 30 days", "idp")], [], ["withdraw"])], width=120)
    assert "overdue idp; next: withdraw" in table


def test_ids_are_never_shortened() -> None:
    """However narrow the table, every id can be pasted into `status`: other columns give way instead."""
    long_id = "micro-tanaka-consulting-spring-cohort-2026-second-round"
    row = _row([_late("agreement signed within 30 days", "agreement")], [])
    table = audit_table([Standing(**{**{f: getattr(row, f) for f in row.__slots__}, "id": long_id})], width=80)
    assert long_id in table
    assert "…" not in table.splitlines()[2].split()[0]
