"""Sample contents for the demo: one complete document per built-in kind, and the people and words that vary them.

Kept apart from the story in ``mentorflow.demo`` because it is data: about half the demo's lines, and what a
reader skims.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from typing import Any

__all__ = ["BRIEFS", "COMMENTS", "PROFILES", "SAMPLES", "SAMPLE_DAY", "TOPICS", "sample"]

SAMPLE_DAY = dt.date(2026, 1, 15)
"""The day the SAMPLES were written on; ``sample`` moves their dates to the day of each submission."""

SAMPLES: dict[str, dict[str, Any]] = {
    "idp": {
        "self_assessment": {
            "skills": ["Mixed-effects and survival models in R", "Scientific writing (first drafts need work)"],
            "interests": ["Health services research", "Teaching quantitative methods"],
            "values": ["Independence in choosing questions", "Work that changes patient care"],
        },
        "career_stage": "postdoc",
        "long_term_goals": ["Lead an independent health services research group within five years"],
        "objectives": [
            {
                "description": "Submit a K99/R00 career development application",
                "category": "funding",
                "approach": "Draft the specific aims with the mentor; join the campus grant-writing club",
                "target_date": "2026-10-01",
                "measure": "Application submitted",
            },
            {
                "description": "Publish the hospital readmissions paper as first author",
                "category": "publication",
                "target_date": "2026-06-30",
                "measure": "Accepted by a peer-reviewed journal",
            },
        ],
        "mentor_review": {
            "reviewed_on": "2026-01-22",
            "comments": "Ambitious but realistic. Move the paper ahead of the grant so it can be cited in it.",
        },
    },
    "agreement": {
        "goals": ["Make steady progress on the development plan", "Build an independent research identity"],
        "meeting_frequency": "every_two_weeks",
        "meeting_mode": "hybrid",
        "meeting_length_minutes": 60,
        "mentor_expectations": ["Read drafts within a week", "Introduce the mentee to people in the field"],
        "mentee_expectations": ["Set each meeting's agenda", "Send a short summary after each meeting"],
        "confidentiality": "What we discuss stays between us unless we agree otherwise or safety is at risk.",
        "potential_barriers": ["Clinical and teaching duties", "Different campuses"],
        "conflict_resolution": "Raise concerns at the next meeting; if unresolved, ask the program office.",
        "review_schedule": "quarterly",
        "start_date": "2026-01-15",
        "end_date": "2027-01-15",
    },
    "meeting": {
        "date": "2026-01-15",
        "duration_minutes": 60,
        "mode": "video",
        "attendees": ["Dr. Okafor", "Ana Silva"],
        "topics": ["Progress on the development plan"],
        "action_items": [{"description": "Send the revised aims page", "owner": "Ana Silva", "due_date": "2026-01-29"}],
        "next_meeting": "2026-01-29",
    },
    "progress_report": {
        "period": {"start": "2025-07-15", "end": "2026-01-15"},
        "objective_statuses": [
            {"objective": "Submit a K99/R00 career development application", "status": "on_track"},
            {"objective": "Publish the hospital readmissions paper", "status": "completed", "notes": "In press"},
        ],
        "accomplishments": ["Readmissions paper accepted", "Gave a talk at the regional methods meeting"],
        "barriers": ["Data access for the second project took three months"],
        "next_objectives": ["Finish the research strategy section", "Recruit a summer student"],
        "mentor_comments": "A productive period; protect writing time in the next one.",
    },
    "reflection": {
        "definition_of_success": "Asking questions I care about, with a team I trust, and time for my family.",
        "strengths": ["Persistence", "Explaining methods to clinicians"],
        "values": ["Rigour", "Equity in access to care"],
        "growth_areas": ["Saying no to side projects"],
        "relationship_so_far": "Useful and honest; I would like more feedback on writing.",
    },
    "network_map": {
        "entries": [
            {"person": "Dr. Okafor (primary mentor)", "category": "mentor", "support_area": "professional_development"},
            {"person": "Department chair", "category": "sponsor", "support_area": "sponsorship"},
            {"person": "Writing group", "category": "peer", "support_area": "accountability"},
        ],
        "gaps": [
            {
                "need": "emotional_support",
                "action": "Ask the graduate office for an introduction to a peer support circle",
                "target_date": "2026-03-01",
            },
        ],
    },
    "evaluation": {
        "respondent_role": "mentee",
        "ratings": {
            "communication": 6,
            "aligning_expectations": 6,
            "assessing_understanding": 5,
            "addressing_equity_and_inclusion": 6,
            "fostering_independence": 7,
            "promoting_professional_development": 6,
            "overall_satisfaction": 6,
        },
        "goals_met": "mostly",
        "would_recommend": True,
        "comments": "Regular meetings and a written plan kept us honest. More structure in the first month.",
    },
    "micro_brief": {
        "developmental_need": "Decide whether to take an industry offer or a second postdoc",
        "background": "Third-year postdoc in computational biology with one offer from a biotech startup.",
        "desired_outcome": "A clear list of questions to ask both sides before deciding.",
        "questions": ["What did you wish you had asked before moving to industry?"],
        "preferred_mode": "video",
    },
    "curriculum": {
        "theme": "The first years on the tenure track",
        "learning_objectives": ["Write a five-year plan", "Negotiate start-up and teaching load"],
        "sessions": [
            {"topic": "Goal setting and the five-year plan", "date": "2026-02-01", "lead": "facilitator"},
            {"topic": "Writing accountability", "date": "2026-02-15"},
            {"topic": "Negotiation and saying no", "date": "2026-03-01"},
            {"topic": "Mentoring your first students", "date": "2026-03-15"},
        ],
    },
    "consent": {
        "statement": "We agree to continue as a long-term mentoring pair in the program, keeping the current plan.",
        "effective_date": "2026-01-15",
    },
}
"""One complete, realistic content per built-in artifact kind; the demo varies them per relationship."""

# (career stage, skills, interests, values, long-term goal, objectives as (description, category, days ahead))
PROFILES: tuple[tuple[str, list[str], list[str], list[str], str, list[tuple[str, str, int]]], ...] = (
    (
        "postdoc",
        ["Survival models in R", "Clinical collaborations"],
        ["Health services research"],
        ["Independence", "Patient impact"],
        "Lead an independent health services research group",
        [("Submit a K99/R00 application", "funding", 240), ("Publish the readmissions paper", "publication", 150)],
    ),
    (
        "graduate_student",
        ["Python and single-cell analysis", "Poster presentations"],
        ["Computational biology"],
        ["Curiosity", "Collaboration"],
        "Choose between an academic and an industry research career",
        [("Pass the qualifying exam", "research", 120), ("Give a talk at a national conference", "networking", 200)],
    ),
    (
        "early_career",
        ["Synthetic chemistry", "Running a small lab"],
        ["Green catalysis", "Undergraduate teaching"],
        ["Rigour", "Mentoring others"],
        "Earn tenure with a funded, well-run lab",
        [
            ("Submit an NSF CAREER proposal", "funding", 180),
            ("Redesign the organic chemistry lab course", "teaching", 270),
        ],
    ),
    (
        "graduate_student",
        ["Qualitative interviewing", "Archival research"],
        ["Sociology of work"],
        ["Social justice", "Balance"],
        "Finish the dissertation and go on the academic job market",
        [("Draft dissertation chapter three", "research", 90), ("Prepare job market materials", "career", 210)],
    ),
    (
        "postdoc",
        ["Finite element modelling", "Project management"],
        ["Medical devices"],
        ["Building things people use", "Stability"],
        "Move into an R&D leadership role in the device industry",
        [
            ("Hold ten informational interviews", "networking", 120),
            ("Finish a project management course", "skills", 150),
        ],
    ),
    (
        "mid_career",
        ["Clinical teaching", "Curriculum design"],
        ["Medical education research"],
        ["Learners first", "Evidence over habit"],
        "Direct a residency program",
        [
            ("Publish the simulation curriculum study", "publication", 200),
            ("Complete the leadership academy", "leadership", 240),
        ],
    ),
)

TOPICS = (
    "Progress on the development plan",
    "Feedback on a draft manuscript",
    "Balancing teaching and research time",
    "Preparing a conference talk",
    "Grant timeline and specific aims",
    "Networking at the upcoming meeting",
    "Managing conflict with a collaborator",
    "Career options beyond academia",
)

COMMENTS = (
    "Regular meetings and a written plan kept us honest. More structure in the first month would help.",
    "The agreement made expectations clear early; the mid-year progress report was the most useful step.",
    "Good conversations, but scheduling was hard; a fixed monthly slot would have helped.",
    "Mapping the wider network changed how I look for support; I wish we had done it sooner.",
)

# (developmental need, background, desired outcome, a question) of micro-mentoring briefs
BRIEFS = (
    (
        "Prepare a first faculty job talk",
        "Fifth-year PhD student in ecology with two campus interviews in March.",
        "A talk structure, and answers ready for the questions search committees always ask.",
        "What made the job talks you remember stand out?",
    ),
    (
        "Negotiate a start-up package",
        "New offer from a public university; the first number seems low for the equipment I need.",
        "Know which items are negotiable and how to ask for them.",
        "Is it reasonable to ask for a reduced teaching load in the first year?",
    ),
    (
        "Plan a return to research after parental leave",
        "Postdoc returning after eight months away; the project moved on without me.",
        "A realistic ninety-day plan to agree with the lab head.",
        "How did you rebuild momentum after time away?",
    ),
    (
        "Move from bench science to data science",
        "Molecular biologist teaching herself Python and statistics in the evenings.",
        "Which skills to show first, and where to find a first real project.",
        "Which portfolio projects convinced you when hiring?",
    ),
)

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def sample(kind: str, on: dt.date, **changes: Any) -> dict[str, Any]:
    """A copy of ``SAMPLES[kind]`` dated as if written ``on`` that day, with top-level fields replaced."""

    def shift(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: shift(item) for key, item in value.items()}
        if isinstance(value, list):
            return [shift(item) for item in value]
        if isinstance(value, str) and _ISO_DATE.match(value):
            return (dt.date.fromisoformat(value) + (on - SAMPLE_DAY)).isoformat()
        return value

    content: dict[str, Any] = shift(copy.deepcopy(SAMPLES[kind]))
    content.update(changes)
    return content
