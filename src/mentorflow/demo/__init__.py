"""A realistic demo program, so that a new user sees what an audit looks like before entering any data.

The demo plays about nine months of a university mentoring office: every built-in workflow, relationships at
every stage (some finished, some withdrawn), and the trouble an administrator looks for (blocked, overdue and
stalled relationships, a micro-mentoring that became a long-term dyad, one that expired). It moves through time
by setting ``mf.clock``, so every event carries a plausible date, and it writes everything in one transaction:
a failure leaves nothing behind, and a second run finds the demo's programs and adds nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from pydantic import BaseModel, ConfigDict

from mentorflow import store
from mentorflow.demo.play import Demo
from mentorflow.demo.samples import SAMPLE_DAY, SAMPLES, sample
from mentorflow.demo.scenes import dyads, early_dyads, facilitated, groups, micro, peers
from mentorflow.service import Mentorflow
from mentorflow.store import queries

__all__ = ["DEMO_PROGRAMS", "SAMPLES", "SAMPLE_DAY", "DemoResult", "build_demo", "sample"]

DEMO_PROGRAMS = (
    "fall-2026",
    "stem-peer-2026",
    "new-faculty-2026",
    "lab-groups-2026",
    "ask-an-expert-2026",
)
"""The cohort labels the demo files its relationships under; their presence means the demo already ran."""


class DemoResult(BaseModel):
    """What ``build_demo`` did: relationships created per workflow (nothing when the demo was already there)."""

    model_config = ConfigDict(frozen=True)

    created: dict[str, int]
    """workflow -> relationships the demo created (empty when it skipped)."""
    states: dict[str, dict[str, int]]
    """workflow -> state -> relationships of the demo's programs, as they stand at ``now``."""
    programs: list[str]
    skipped: bool = False
    """True when the database already held the demo's programs, so nothing was added."""

    @property
    def total(self) -> int:
        return sum(self.created.values())

    def __str__(self) -> str:
        if self.skipped:
            return f"demo already present (programs {', '.join(self.programs)}); nothing added"
        counts = ", ".join(f"{workflow} {count}" for workflow, count in self.created.items())
        return f"demo: {self.total} relationships created ({counts})"


def _states(mf: Mentorflow, session: store.Session) -> dict[str, dict[str, int]]:
    counts: Counter[tuple[str, str]] = Counter()
    present = set(queries.programs(session))
    for program in (program for program in DEMO_PROGRAMS if program in present):
        counts.update((standing.workflow, standing.state) for standing in mf.audit(program=program, session=session))
    states: dict[str, dict[str, int]] = {}
    for (workflow, state), count in sorted(counts.items()):
        states.setdefault(workflow, {})[state] = count
    return states


def build_demo(mf: Mentorflow, now: dt.datetime) -> DemoResult:
    """Fill ``mf``'s database with the demo program as it stands at ``now``; do nothing if it is already there.

    The schema must exist (``mf.upgrade()``). ``mf.clock`` is moved through the nine months before ``now`` while
    the demo is written, and given back unchanged at the end.
    """
    now = now.replace(tzinfo=dt.UTC) if now.tzinfo is None else now.astimezone(dt.UTC)
    original = mf.clock
    try:
        mf.clock = lambda: now
        with store.transaction(mf.engine, None) as session:
            store.exclusive(session, "demo")  # a second demo started at once waits, then finds this one's programs
            if set(DEMO_PROGRAMS) & set(queries.programs(session)):
                return DemoResult(created={}, states=_states(mf, session), programs=list(DEMO_PROGRAMS), skipped=True)
            demo = Demo(mf, session, now)
            for script in (dyads, early_dyads, peers, facilitated, groups, micro):
                script(demo)
            mf.clock = lambda: now
            mf.tick(session=session)  # what the nightly job does: the forgotten request expires
            states = _states(mf, session)
    finally:
        mf.clock = original
    return DemoResult(created=dict(sorted(demo.created.items())), states=states, programs=list(DEMO_PROGRAMS))
