"""Where relationships stand: one relationship's status, and the administrator's audit rows over many.

Both are computed from snapshots with the same evaluation the engine uses to guard transitions, so what an
administrator is told blocks a pair is exactly what would refuse its fire. An audit over many relationships reads
most rows from the standings cache instead (``encode_standing`` writes it, ``StandingDecoder`` reads it): the
evaluation as it was last computed, which stays exact until the relationship is written to or its ``recheck_at``
comes, and is recomputed from the snapshot past either.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel

from mentorflow.definitions import Bundle
from mentorflow.engine.actions import trigger_states
from mentorflow.engine.machine import compiled
from mentorflow.engine.requirements import DAY, GuardFunction, evaluate_obligation, next_change
from mentorflow.engine.snapshot import PLAIN_ITEM, Snapshot
from mentorflow.types import (
    ArtifactState,
    ObligationState,
    Participant,
    Standing,
    StandingBlocker,
    Status,
)

__all__ = [
    "FORMAT",
    "StandingDecoder",
    "build_standing",
    "build_status",
    "encode_standing",
    "filter_standings",
    "matches",
    "obligations_of",
    "phase_history",
]


def _participants(snapshot: Snapshot) -> list[Participant]:
    return [_participant(person=person, role=role) for person, role in snapshot.people()]


def obligations_of(snapshot: Snapshot, now: dt.datetime) -> list[ObligationState]:
    if snapshot.final:
        return []
    state = snapshot.bundle.workflow.states[snapshot.state]
    return [evaluate_obligation(obligation, snapshot, now) for obligation in state.obligations]


def _artifacts(snapshot: Snapshot) -> list[ArtifactState]:
    artifacts = []
    for slot_name, items in snapshot.items.items():
        signers = snapshot.people(snapshot.slot(slot_name).signed_by)
        for number, item in sorted(items.items()):
            signed = list(item.latest.signatures)
            artifacts.append(
                ArtifactState(
                    slot=slot_name,
                    item=None if number == PLAIN_ITEM else number,
                    revision=item.latest.number,
                    complete=item.latest.complete,
                    missing=item.latest.missing,
                    signed_by=signed,
                    unsigned=[person for person, _ in signers if person not in item.latest.signatures],
                    submitted_by=item.latest.submitted_by,
                    submitted_at=item.latest.submitted_at,
                )
            )
    return artifacts


def build_status(snapshot: Snapshot, now: dt.datetime, guards: Mapping[str, GuardFunction]) -> Status:
    state = snapshot.bundle.workflow.states[snapshot.state]
    return Status(
        id=snapshot.id,
        workflow=snapshot.bundle.workflow.workflow,
        workflow_version=snapshot.bundle.workflow.version,
        state=snapshot.state,
        phase=state.phase,
        final=state.final,
        outcome=state.outcome,
        entered_at=snapshot.entered_at,
        days_in_state=_days(now - snapshot.entered_at),
        program=snapshot.program,
        participants=_participants(snapshot),
        artifacts=_artifacts(snapshot),
        triggers=[] if state.final else trigger_states(snapshot, now, guards),
        obligations=obligations_of(snapshot, now),
        last_activity_at=snapshot.last_event_at,
    )


def _days(delta: dt.timedelta) -> int:
    return max(0, int(delta / DAY))


def build_standing(snapshot: Snapshot, now: dt.datetime, guards: Mapping[str, GuardFunction]) -> Standing:
    triggers = [] if snapshot.final else trigger_states(snapshot, now, guards)
    return _standing(
        id=snapshot.id,
        workflow=snapshot.bundle.workflow.workflow,
        workflow_version=snapshot.bundle.workflow.version,
        program=snapshot.program,
        state=snapshot.state,
        phase=snapshot.phase,
        final=snapshot.final,
        days_in_state=_days(now - snapshot.entered_at),
        participants=_participants(snapshot),
        next=[t.trigger for t in triggers if t.allowed and not t.reason_required],
        blockers=[
            _blocker(trigger=t.trigger, code=b.code, message=b.message, requirement=b.requirement)
            for t in triggers
            for b in t.blockers
        ],
        overdue=[o for o in obligations_of(snapshot, now) if o.overdue],
        last_activity_at=snapshot.last_event_at,
        stalled_days=_days(now - snapshot.last_event_at),
    )


def matches(
    standing: Standing,
    *,
    phase: str | None = None,
    stalled_days: int | None = None,
    overdue: bool = False,
    blocked: bool = False,
) -> bool:
    """Whether a row is one an administrator asked for; ``blocked`` means nothing can move without a reason."""
    return (
        (phase is None or standing.phase == phase)
        and (stalled_days is None or standing.stalled(stalled_days))
        and (not overdue or bool(standing.overdue))
        and (not blocked or standing.blocked)
    )


def filter_standings(
    standings: Iterable[Standing],
    *,
    phase: str | None = None,
    stalled_days: int | None = None,
    overdue: bool = False,
    blocked: bool = False,
) -> list[Standing]:
    """The rows an administrator asked for (see ``matches``)."""
    return [
        s for s in standings if matches(s, phase=phase, stalled_days=stalled_days, overdue=overdue, blocked=blocked)
    ]


# -- the standings cache --------------------------------------------------------------------------------------------

FORMAT = 1
"""The layout of a cached standing's body; a row written in another format is recomputed, never misread."""


def encode_standing(snapshot: Snapshot, now: dt.datetime, guards: Mapping[str, GuardFunction]) -> dict[str, Any]:
    """The standing cache of ``snapshot`` evaluated at ``now``: the standing minus what the audit's moment decides.

    Days in state, stalled days and which obligations are overdue depend on the moment of the audit and are
    derived when the row is read; everything else holds until ``recheck_at``.
    """
    state = snapshot.bundle.workflow.states[snapshot.state]
    transitions = [] if state.final else compiled(snapshot.bundle).transitions_from(snapshot.state)
    triggers = [] if state.final else trigger_states(snapshot, now, guards)
    obligations = obligations_of(snapshot, now)
    following = [t.trigger for t in triggers if t.allowed and not t.reason_required]
    body = [
        [[person, role] for person, role in snapshot.people()],
        following,
        [[t.trigger, b.code, b.message, _compact(b.requirement)] for t in triggers for b in t.blockers],
        [[o.requirement, o.due_at.isoformat(), o.met] for o in obligations],
    ]
    unmet = [o.due_at for o in obligations if not o.met]
    return {
        "id": snapshot.id,
        "seq": snapshot.seq,
        "format": FORMAT,
        "at": now,
        "recheck": None if state.final else next_change(transitions, state.obligations, snapshot, now),
        "blocked": not state.final and not following,
        "overdue": min(unmet, default=None),
        "standing": _compact(body),
    }


def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


_M = TypeVar("_M", bound=BaseModel)


def _builder(model: type[_M]) -> Callable[..., _M]:
    """A constructor of a frozen model from keyword values already known to be valid, as ``model_construct``.

    An audit keeps several models per relationship, so this one is built for time and memory: it skips
    ``model_construct``'s checks for defaults and aliases, shares one fields-set (frozen models never change it),
    and sets the fields one by one, always in the same order, instead of handing the instance a dict. CPython then
    keeps the values in a compact array whose keys all instances of the model share, rather than in a dict of
    their own (on 3.11, 230 bytes for a Standing against 550). A dict appears only when something asks for
    ``__dict__``, as dumping or comparing does. One instance is made at once because CPython fixes the shared keys
    early in a class's life. The constructor is generated, as ``dataclasses`` generates ``__init__``: a loop over
    the names costs half as much again.
    """
    names = list(model.model_fields)
    lines = [
        f"def build(*, {', '.join(names)}):",
        "    instance = new(model)",
        *(f"    put(instance, {name!r}, {name})" for name in names),
        "    put(instance, '__pydantic_fields_set__', fields_set)",
        "    put(instance, '__pydantic_extra__', None)",
        "    put(instance, '__pydantic_private__', None)",
        "    return instance",
    ]
    namespace: dict[str, Any] = {
        "new": object.__new__,
        "put": object.__setattr__,
        "model": model,
        "fields_set": set(names),
    }
    exec("\n".join(lines), namespace)  # noqa: S102 - the source is made above from the model's own field names
    build: Callable[..., _M] = namespace["build"]
    build(**dict.fromkeys(names))
    return build


_standing = _builder(Standing)
_participant = _builder(Participant)
_blocker = _builder(StandingBlocker)
_obligation = _builder(ObligationState)


def _utc(stored: dt.datetime | str) -> dt.datetime:
    """A stored naive UTC time as an aware one: PostgreSQL gives a datetime, SQLite its ISO text, which is parsed
    straight to UTC (parsing, then ``replace``, costs five times as much)."""
    if isinstance(stored, str):
        return dt.datetime.fromisoformat(stored + "+00:00")
    return dt.datetime.combine(stored.date(), stored.time(), dt.UTC)


class StandingDecoder:
    """Audit rows from cached standings, at one audit's moment.

    A cached standing holds while the relationship has not been written to since (same ``seq``), it is in this
    version's ``FORMAT``, and the audit's moment lies in ``[standing_at, recheck_at)``; the query decides that
    (``store.standings.fresh_clause``) and gives no standing otherwise. Rows come with naive UTC times, as stored.
    """

    def __init__(self, now: dt.datetime, bundle: Callable[[str], Bundle]) -> None:
        self.now = now
        self._bundle = bundle
        self._states: dict[tuple[str, str], tuple[str | None, bool] | None] = {}
        self._requirements: dict[str, dict[str, Any]] = {}

    def state(self, definition_hash: str, state: str) -> tuple[str | None, bool] | None:
        """(phase, final) of a state of a stored definition; None if the definition has no such state."""
        key = (definition_hash, state)
        if key not in self._states:
            found = self._bundle(definition_hash).workflow.states.get(state)
            self._states[key] = None if found is None else (found.phase, found.final)
        return self._states[key]

    def decode(self, row: Sequence[Any]) -> Standing | None:
        """The audit row of a relationship from ``store.standings.audit_rows``; None when the cache has no answer.

        This runs once per relationship of an audit, so it is written for speed: orjson, interned names, one
        lookup per state, and day counts from ``timedelta.days`` (the same floor as ``_days`` for the positive
        spans it clamps at zero).
        """
        rel_id, definition_hash, workflow, version, program, state_name, entered_at, last_event_at, cached = row
        if cached is None:
            return None
        state = self._states.get((definition_hash, state_name)) or self.state(definition_hash, state_name)
        if state is None:
            return None  # evaluated from the snapshot instead, which reports the corrupt row
        people, following, blockers, obligations = orjson.loads(cached)
        intern, now = sys.intern, self.now
        last = _utc(last_event_at)
        return _standing(
            id=rel_id,
            workflow=intern(workflow),
            workflow_version=version,
            program=None if program is None else intern(program),
            state=intern(state_name),
            phase=state[0],
            final=state[1],
            days_in_state=max(0, (now - _utc(entered_at)).days),
            participants=[_participant(person=person, role=intern(role)) for person, role in people],
            next=[intern(trigger) for trigger in following],
            blockers=[
                _blocker(
                    trigger=intern(trigger),
                    code=intern(code),
                    message=message,
                    requirement=self._requirement(requirement),
                )
                for trigger, code, message, requirement in blockers
            ]
            if blockers
            else [],
            overdue=[
                _obligation(requirement=intern(label), due_at=due, met=False, overdue=True)
                for label, due_at, met in obligations
                if not met and now > (due := dt.datetime.fromisoformat(due_at))
            ]
            if obligations
            else [],
            last_activity_at=last,
            stalled_days=max(0, (now - last).days),
        )

    def _requirement(self, text: str) -> dict[str, Any]:
        """One shared dict per distinct requirement, as evaluation gives them, rather than one per blocker."""
        found = self._requirements.get(text)
        if found is None:
            found = self._requirements[text] = orjson.loads(text)
        return found


# -- phase history ---------------------------------------------------------------------------------------------------


def phase_history(
    states: Mapping[str, Any], entries: Iterable[tuple[dt.datetime, str]]
) -> tuple[set[str], list[tuple[str, float]]]:
    """(phases reached, completed stays as (phase, days)) from a relationship's entries into states, oldest first.

    A stay runs from entering a phase to entering a state of another phase or a final state; consecutive states of
    one phase are one stay.
    """
    reached: set[str] = set()
    stays: list[tuple[str, float]] = []
    stay: tuple[str, dt.datetime] | None = None  # the phase being spent, and since when
    for at, state_name in entries:
        state = states[state_name]
        if state.phase is not None:
            reached.add(state.phase)
        phase = None if state.final else state.phase
        if stay is not None and stay[0] != phase:
            stays.append((stay[0], (at - stay[1]) / DAY))
            stay = None
        if phase is not None and stay is None:
            stay = (phase, at)
    return reached, stays
