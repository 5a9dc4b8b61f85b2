"""Sample artifact contents for the built-in kinds, shared by the tests.

``valid(kind)`` is complete (every required field filled), ``incomplete(kind)`` passes the shape check but leaves
required fields out (it is stored as a draft), and ``invalid(kind)`` has shape errors (it is refused outright).
Each returns a fresh deep copy, so a test may edit what it gets.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mentorflow import Mentorflow

__all__ = ["INCOMPLETE", "INVALID", "VALID", "incomplete", "invalid", "valid"]

VALID: dict[str, dict[str, Any]] = {
    "idp": {
        "self_assessment": {
            "skills": ["statistics", "scientific writing"],
            "interests": ["health policy"],
            "values": ["impact", "autonomy"],
        },
        "career_stage": "postdoc",
        "long_term_goals": ["lead an independent research group"],
        "objectives": [
            {
                "description": "submit a first-author paper",
                "category": "publication",
                "target_date": "2026-09-01",
                "measure": "paper under review",
            },
            {"description": "apply for a career grant", "category": "funding", "target_date": "2026-12-01"},
        ],
    },
    "agreement": {
        "goals": ["publish the thesis chapters", "prepare for the job market"],
        "meeting_frequency": "every_two_weeks",
        "meeting_mode": "video",
        "meeting_length_minutes": 60,
        "mentor_expectations": ["read drafts within a week"],
        "mentee_expectations": ["send an agenda the day before"],
        "confidentiality": "What we discuss stays between us unless we agree otherwise.",
        "potential_barriers": ["time zones", "teaching load"],
        "conflict_resolution": "Raise it at the next meeting; ask the program director if it persists.",
        "review_schedule": "quarterly",
        "start_date": "2026-03-01",
        "end_date": "2027-02-28",
    },
    "meeting": {
        "date": "2026-03-10",
        "duration_minutes": 45,
        "mode": "in_person",
        "attendees": ["ann", "bob"],
        "topics": ["paper outline"],
        "action_items": [{"description": "draft the introduction", "owner": "bob", "due_date": "2026-03-24"}],
    },
    "progress_report": {
        "period": {"start": "2026-03-01", "end": "2026-08-31"},
        "objective_statuses": [{"objective": "submit a first-author paper", "status": "on_track"}],
        "accomplishments": ["gave a seminar"],
        "barriers": [],
        "next_objectives": ["submit the paper"],
    },
    "reflection": {
        "definition_of_success": "Doing research that changes policy, with time for my family.",
        "strengths": ["persistence"],
        "values": ["honesty"],
    },
    "network_map": {
        "entries": [
            {"person": "ann", "category": "mentor", "support_area": "professional_development"},
            {"person": "a writing group", "category": "peer"},
        ],
        "gaps": [{"need": "sponsorship", "action": "ask the chair for an introduction"}],
    },
    "evaluation": {
        "respondent_role": "mentee",
        "ratings": {
            "communication": 6,
            "aligning_expectations": 5,
            "assessing_understanding": 6,
            "addressing_equity_and_inclusion": 7,
            "fostering_independence": 5,
            "promoting_professional_development": 6,
            "overall_satisfaction": 6,
        },
        "goals_met": "mostly",
        "would_recommend": True,
    },
    "micro_brief": {
        "developmental_need": "How to negotiate a start-up package.",
        "background": "Second-year postdoc with two offers.",
        "desired_outcome": "A list of what to ask for.",
    },
    "curriculum": {
        "theme": "early-career researchers",
        "sessions": [
            {"topic": "goal setting", "date": "2026-04-01"},
            {"topic": "writing accountability", "date": "2026-05-01", "lead": "a member"},
        ],
    },
    "consent": {"statement": "We agree to continue as a long-term mentoring relationship."},
}

INCOMPLETE: dict[str, dict[str, Any]] = {
    "idp": {"long_term_goals": ["lead a group"], "objectives": [{"description": "write", "category": "skills"}]},
    "agreement": {"goals": ["publish"]},
    "meeting": {"date": "2026-03-10", "topics": []},
    "progress_report": {"period": {"start": "2026-03-01"}},
    "reflection": {"strengths": ["persistence"]},
    "network_map": {"entries": []},
    "evaluation": {"respondent_role": "mentor"},
    "micro_brief": {"developmental_need": "negotiation"},
    "curriculum": {"sessions": []},
    "consent": {"notes": "to be written"},
}

INVALID: dict[str, dict[str, Any]] = {
    "idp": {"long_term_goals": "not a list", "objectives": [{"category": "astrology"}], "hobby": "chess"},
    "agreement": {"meeting_frequency": "hourly", "start_date": "tomorrow"},
    "meeting": {"date": "2026-02-30", "duration_minutes": 0},
    "progress_report": {"period": "last year"},
    "reflection": {"strengths": [1, 2]},
    "network_map": {"entries": [{"person": "ann", "category": "boss"}]},
    "evaluation": {"ratings": {"communication": 9}},
    "micro_brief": {"developmental_need": 42},
    "curriculum": {"sessions": [{"topic": "x", "date": 20260401}]},
    "consent": {"statement": ["a", "list"]},
}


def valid(kind: str) -> dict[str, Any]:
    """A complete content of ``kind``."""
    return copy.deepcopy(VALID[kind])


def incomplete(kind: str) -> dict[str, Any]:
    """A well-shaped but incomplete content of ``kind`` (stored as a draft)."""
    return copy.deepcopy(INCOMPLETE[kind])


def invalid(kind: str) -> dict[str, Any]:
    """A content of ``kind`` with shape errors (refused)."""
    return copy.deepcopy(INVALID[kind])


def latest(mf: Mentorflow, relationship: str, slot: str, item: int | None = None) -> int:
    """The latest revision of a slot (or of an item; the newest item by default): what a signer has just read."""
    found = [a for a in mf.status(relationship).artifacts if a.slot == slot and (item is None or a.item == item)]
    return found[-1].revision
