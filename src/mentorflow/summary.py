"""Program-level figures for administrators: counts, a phase funnel, time spent per phase, outcomes.

Counts come from the cached rows; the funnel and the days per phase come from the event history (each
``started``, ``transitioned`` and ``overridden`` event is the entry into a state), so they describe what actually
happened, not what the definitions allow.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from mentorflow.definitions import Workflow
from mentorflow.engine.requirements import DAY
from mentorflow.types import Standing

__all__ = ["Entry", "Summary", "summarise"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class StateCount(_Frozen):
    workflow: str
    state: str
    phase: str | None
    final: bool
    outcome: str | None
    count: int


class ProgramFigures(_Frozen):
    program: str | None
    total: int
    active: int
    success: int
    ended: int
    completion_rate: float | None
    """Share of finished relationships that finished with outcome ``success``; None while none has finished."""


class FunnelStep(_Frozen):
    workflow: str
    phase: str
    reached: int
    current: int


class PhaseDays(_Frozen):
    workflow: str
    phase: str
    samples: int
    median_days: float
    p90_days: float


class Summary(_Frozen):
    as_of: dt.datetime
    total: int
    active: int
    overdue: int
    blocked: int
    states: list[StateCount]
    programs: list[ProgramFigures]
    funnel: list[FunnelStep]
    phase_days: list[PhaseDays]


@dataclass(frozen=True)
class Entry:
    """One entry into a state, from the event log."""

    relationship: str
    at: dt.datetime
    state: str


def _percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile: the smallest value with at least ``share`` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def summarise(
    standings: Sequence[Standing],
    workflows: dict[str, Workflow],
    entries: Iterable[Entry],
    now: dt.datetime,
) -> Summary:
    """The summary of ``standings``; ``workflows`` maps relationship id to its definition."""
    states: Counter[tuple[str, str]] = Counter((s.workflow, s.state) for s in standings)
    definition_of = {s.workflow: workflows[s.id] for s in standings}
    state_rows = []
    for (workflow_id, state_name), count in sorted(states.items()):
        state = definition_of[workflow_id].states[state_name]
        state_rows.append(
            StateCount(
                workflow=workflow_id,
                state=state_name,
                phase=state.phase,
                final=state.final,
                outcome=state.outcome,
                count=count,
            )
        )
    return Summary(
        as_of=now,
        total=len(standings),
        active=sum(1 for s in standings if not s.final),
        overdue=sum(1 for s in standings if s.overdue),
        blocked=sum(1 for s in standings if s.blocked),
        states=state_rows,
        programs=_programs(standings, workflows),
        **_history(standings, workflows, entries),
    )


def _programs(standings: Sequence[Standing], workflows: dict[str, Workflow]) -> list[ProgramFigures]:
    grouped: dict[str | None, list[Standing]] = defaultdict(list)
    for standing in standings:
        grouped[standing.program].append(standing)
    figures = []
    for program in sorted(grouped, key=lambda name: (name is None, name or "")):
        rows = grouped[program]
        outcomes = Counter(workflows[s.id].states[s.state].outcome for s in rows if s.final)
        finished = outcomes["success"] + outcomes["ended"]
        figures.append(
            ProgramFigures(
                program=program,
                total=len(rows),
                active=sum(1 for s in rows if not s.final),
                success=outcomes["success"],
                ended=outcomes["ended"],
                completion_rate=round(outcomes["success"] / finished, 4) if finished else None,
            )
        )
    return figures


def _history(
    standings: Sequence[Standing], workflows: dict[str, Workflow], entries: Iterable[Entry]
) -> dict[str, list[FunnelStep] | list[PhaseDays]]:
    by_relationship: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_relationship[entry.relationship].append(entry)
    reached: Counter[tuple[str, str]] = Counter()
    current: Counter[tuple[str, str]] = Counter(
        (s.workflow, s.phase) for s in standings if s.phase is not None and not s.final
    )
    stays: dict[tuple[str, str], list[float]] = defaultdict(list)
    for standing in standings:
        workflow = workflows[standing.id]
        phases_seen: set[str] = set()
        history = sorted(by_relationship.get(standing.id, []), key=lambda e: e.at)
        stay: tuple[str, dt.datetime] | None = None  # the phase being spent, and since when
        for entry in history:
            state = workflow.states[entry.state]
            if state.phase is not None:
                phases_seen.add(state.phase)
            phase = None if state.final else state.phase  # reaching a final state ends the last stay
            if stay is not None and stay[0] != phase:
                stays[(standing.workflow, stay[0])].append((entry.at - stay[1]) / DAY)
                stay = None
            if phase is not None and stay is None:
                stay = (phase, entry.at)
        for phase in phases_seen:
            reached[(standing.workflow, phase)] += 1
    return _figures(standings, workflows, reached, current, stays)


def _figures(
    standings: Sequence[Standing],
    workflows: dict[str, Workflow],
    reached: Counter[tuple[str, str]],
    current: Counter[tuple[str, str]],
    stays: dict[tuple[str, str], list[float]],
) -> dict[str, list[FunnelStep] | list[PhaseDays]]:
    funnel = []
    phase_days = []
    for workflow_id in sorted({s.workflow for s in standings}):
        definition = next(workflows[s.id] for s in standings if s.workflow == workflow_id)
        for phase in definition.phases:
            key = (workflow_id, phase)
            funnel.append(FunnelStep(workflow=workflow_id, phase=phase, reached=reached[key], current=current[key]))
            if stays.get(key):
                values = stays[key]
                phase_days.append(
                    PhaseDays(
                        workflow=workflow_id,
                        phase=phase,
                        samples=len(values),
                        median_days=round(statistics.median(values), 2),
                        p90_days=round(_percentile(values, 0.9), 2),
                    )
                )
    return {"funnel": funnel, "phase_days": phase_days}
