"""Audit filters are checked: a name that matches nothing is an error with the nearest valid name, exit 1."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import CliRunner

from mentorflow import Actor, Mentorflow, UnknownFilter
from mentorflow.cli import cli


@pytest.fixture
def pairs(mf: Mentorflow) -> Mentorflow:
    mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=Actor.admin(), program="fall-2026")
    mf.start("informal-peer", {"peer": ["pat", "quin"]}, actor=Actor.admin())
    return mf


@pytest.mark.parametrize(
    ("filters", "message", "suggestion"),
    [
        ({"workflow": "tradtional-dyad"}, "no workflow 'tradtional-dyad' is loaded", "traditional-dyad"),
        ({"state": "negotiatng"}, "no workflow loaded has a state 'negotiatng'", "negotiating"),
        ({"phase": "lauch"}, "no workflow loaded has a phase 'lauch'", "launch"),
        ({"program": "fal-2026"}, "no relationship belongs to program 'fal-2026'", "fall-2026"),
        (
            {"workflow": "informal-peer", "state": "negotiating"},
            "workflow 'informal-peer' has no state 'negotiating'",
            None,
        ),
    ],
)
def test_an_unknown_filter_is_refused_with_a_suggestion(
    pairs: Mentorflow, filters: dict[str, str], message: str, suggestion: str | None
) -> None:
    """Audits, streamed audits and summaries refuse alike; the hint suggests the nearest name when one is close."""
    reads: list[Callable[..., object]] = [pairs.audit, pairs.iter_audit, pairs.summary]
    for read in reads:
        with pytest.raises(UnknownFilter, match=message) as caught:
            read(**filters)
        assert (f"Did you mean {suggestion!r}?" in caught.value.hint) is (suggestion is not None)


def test_known_names_that_match_no_row_are_an_empty_answer(pairs: Mentorflow) -> None:
    """A state of a loaded workflow that nobody is in, or a workflow stored only in the database, is fine."""
    assert pairs.audit(state="negotiating") == []
    assert pairs.audit(workflow="group") == []
    assert [s.program for s in pairs.audit(program="fall-2026")] == ["fall-2026"]


def test_the_cli_exits_1_naming_the_filter(pairs: Mentorflow, db_url: str) -> None:
    result = CliRunner().invoke(cli, ["--db", db_url, "audit", "--state", "negotiatng"])
    assert result.exit_code == 1
    assert "error[audit.unknown_filter]: no workflow loaded has a state 'negotiatng'" in result.stderr
    assert "Did you mean 'negotiating'?" in result.stderr
