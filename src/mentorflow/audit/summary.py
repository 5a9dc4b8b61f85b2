"""Program-level figures for administrators: counts, a phase funnel, time spent per phase, outcomes.

Counts come from the relationship rows; the funnel and the days per phase come from the event history (each
``started``, ``transitioned`` and ``overridden`` event is the entry into a state), so they describe what actually
happened, not what the definitions allow. ``reads.tallies`` gathers them into ``Tallies`` (with SQL over the
standing cache where it holds), and ``summarise`` turns those into the figures. ``phase_history`` says what a stay in a
phase is, for the cache's recorded stays and for relationships read from their log alike.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from mentorflow.definitions import Workflow
from mentorflow.definitions.models import State
from mentorflow.engine.requirements import DAY
from mentorflow.types import FunnelStep, PhaseDays, ProgramFigures, StateCount, Summary

__all__ = [
    "Group",
    "Tallies",
    "percentile_rank",
    "phase_figures",
    "phase_history",
    "ranked_figures",
    "summarise",
]


@dataclass(frozen=True)
class Group:
    """Relationships of one workflow definition, in one state, in one program."""

    workflow: Workflow
    state: str
    program: str | None
    count: int


@dataclass
class Tallies:
    """What a summary is computed from, however it was gathered: SQL over the standings cache, or evaluation."""

    groups: list[Group] = field(default_factory=list)
    blocked: int = 0
    overdue: int = 0
    reached: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(workflow, phase) -> relationships that ever entered the phase."""
    phase_days: dict[tuple[str, str], tuple[int, float, float]] = field(default_factory=dict)
    """(workflow, phase) -> (completed stays, median days, 90th percentile days)."""


def percentile_rank(count: int, share_tenths: int) -> int:
    """The 1-based nearest rank of a percentile given in tenths (9 for the 90th): ``ceil(share * count)``."""
    return max(1, (share_tenths * count + 9) // 10)


def ranked_figures(count: int, at_rank: Callable[[int], float]) -> tuple[int, float, float]:
    """(samples, median, 90th percentile) of ``count`` values, given the value at each 1-based rank in order.

    The median is the middle value, or the mean of the two middle ones; the percentile is the nearest rank.
    """
    middle = {(count + 1) // 2, (count + 2) // 2}
    return count, sum(at_rank(rank) for rank in middle) / len(middle), at_rank(percentile_rank(count, 9))


def phase_figures(values: list[float]) -> tuple[int, float, float]:
    """(samples, median, 90th percentile) of the days of some stays."""
    ordered = sorted(values)
    return ranked_figures(len(ordered), lambda rank: ordered[rank - 1])


def summarise(tallies: Tallies, now: dt.datetime) -> Summary:
    """The summary of the relationships ``tallies`` describes."""
    states: Counter[tuple[str, str]] = Counter()
    found: dict[tuple[str, str], Group] = {}
    for group in tallies.groups:
        key = (group.workflow.workflow, group.state)
        states[key] += group.count
        found.setdefault(key, group)
    state_rows = []
    for key, count in sorted(states.items()):
        state = found[key].workflow.states[key[1]]
        state_rows.append(
            StateCount(
                workflow=key[0], state=key[1], phase=state.phase, final=state.final, outcome=state.outcome, count=count
            )
        )
    return Summary(
        as_of=now,
        total=sum(group.count for group in tallies.groups),
        active=sum(group.count for group in tallies.groups if not _state(group).final),
        overdue=tallies.overdue,
        blocked=tallies.blocked,
        states=state_rows,
        programs=_programs(tallies.groups),
        funnel=_funnel(tallies),
        phase_days=[
            PhaseDays(
                workflow=workflow, phase=phase, samples=samples, median_days=round(median, 2), p90_days=round(p90, 2)
            )
            for (workflow, phase), (samples, median, p90) in sorted(
                tallies.phase_days.items(), key=_phase_order(tallies)
            )
        ],
    )


def _state(group: Group) -> State:
    return group.workflow.states[group.state]


def _programs(groups: list[Group]) -> list[ProgramFigures]:
    grouped: dict[str | None, list[Group]] = defaultdict(list)
    for group in groups:
        grouped[group.program].append(group)
    figures = []
    for program in sorted(grouped, key=lambda name: (name is None, name or "")):
        rows = grouped[program]
        outcomes: Counter[str | None] = Counter()
        for group in rows:
            if _state(group).final:
                outcomes[_state(group).outcome] += group.count
        finished = outcomes["success"] + outcomes["ended"]
        figures.append(
            ProgramFigures(
                program=program,
                total=sum(group.count for group in rows),
                active=sum(group.count for group in rows if not _state(group).final),
                success=outcomes["success"],
                ended=outcomes["ended"],
                completion_rate=round(outcomes["success"] / finished, 4) if finished else None,
            )
        )
    return figures


def _definitions(tallies: Tallies) -> dict[str, Workflow]:
    """The newest definition of each workflow summarised, whose phases give the funnel its order."""
    newest: dict[str, Workflow] = {}
    for group in tallies.groups:
        known = newest.get(group.workflow.workflow)
        if known is None or group.workflow.version > known.version:
            newest[group.workflow.workflow] = group.workflow
    return newest


def _funnel(tallies: Tallies) -> list[FunnelStep]:
    current: Counter[tuple[str, str]] = Counter()
    for group in tallies.groups:
        state = _state(group)
        if state.phase is not None and not state.final:
            current[(group.workflow.workflow, state.phase)] += group.count
    return [
        FunnelStep(workflow=name, phase=phase, reached=tallies.reached[(name, phase)], current=current[(name, phase)])
        for name, definition in sorted(_definitions(tallies).items())
        for phase in definition.phases
    ]


def _phase_order(tallies: Tallies) -> Callable[[tuple[tuple[str, str], object]], tuple[str, int]]:
    """Stays sorted by workflow, then in the order the workflow lists its phases."""
    definitions = _definitions(tallies)

    def key(item: tuple[tuple[str, str], object]) -> tuple[str, int]:
        workflow, phase = item[0]
        phases = list(definitions[workflow].phases) if workflow in definitions else []
        return workflow, phases.index(phase) if phase in phases else len(phases)

    return key


def phase_history(
    states: Mapping[str, State], entries: Iterable[tuple[dt.datetime, str]]
) -> tuple[set[str], list[tuple[str, float]]]:
    """(phases reached, completed stays as (phase, days)) from a relationship's entries into states, oldest first.

    A stay runs from entering a phase to entering a state of another phase or a final state; consecutive states of
    one phase are one stay.
    """
    reached: set[str] = set()
    stays: list[tuple[str, float]] = []
    stay: tuple[str, dt.datetime] | None = None  # the phase being spent, and since when
    for at, state_name in entries:
        state = states.get(state_name)
        if state is None:
            continue  # a state of the version a migrated relationship left, which its definition now lacks
        if state.phase is not None:
            reached.add(state.phase)
        phase = None if state.final else state.phase
        if stay is not None and stay[0] != phase:
            stays.append((stay[0], (at - stay[1]) / DAY))
            stay = None
        if phase is not None and stay is None:
            stay = (phase, at)
    return reached, stays
