"""The standing cache's body: written when a relationship is refreshed, decoded into audit rows when read.

An audit over many relationships would spend most of its time loading snapshots and evaluating requirements. So
``refresh`` stores each relationship's evaluation on its row (``encode_standing``), and an audit decodes it
(``StandingDecoder``) instead of evaluating again. The cached evaluation stays exact until the relationship is
written to or its ``recheck_at`` comes; the query (``store.standings.fresh_clause``) hands it back only inside that
window, and the audit evaluates the snapshot past it. What depends on the audit's moment (days in state, stalled
days, which obligations are overdue) is never stored: the decoder derives it. The forced transitions are stored
with the rest: they change only with an event, which outdates the cache anyway.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson

from mentorflow.audit.standing import obligations_of
from mentorflow.definitions import Bundle
from mentorflow.engine.machine import compiled
from mentorflow.engine.plans import trigger_states
from mentorflow.engine.requirements import GuardFunction, next_change
from mentorflow.engine.snapshot import Snapshot
from mentorflow.types import DueObligation, ObligationState, Override, Participant, Standing, StandingBlocker

__all__ = ["FORMAT", "StandingDecoder", "encode_standing"]

FORMAT = 4
"""The layout of a cached standing's body; a row written in another format is recomputed, never misread.

2: each obligation carries its slot.
3: each blocker and obligation carries its slot, role and the people who must act.
4: a fifth list, the forced transitions (``overridden`` events).
"""


def encode_standing(
    snapshot: Snapshot,
    now: dt.datetime,
    guards: Mapping[str, GuardFunction],
    overrides: Sequence[Override] = (),
) -> dict[str, Any]:
    """The standing cache of ``snapshot`` evaluated at ``now``: the standing minus what the audit's moment decides.

    The body is compact JSON: ``[people, next triggers, blockers, obligations, overrides]``, each a list of lists
    (an obligation as ``[requirement, due_at, met, slot, role, people]``, a blocker as
    ``[trigger, code, message, requirement, slot, role, people]``, an override, one of the relationship's
    ``overrides``, as ``[seq, trigger, by, reason]``). The row's ``due`` and ``overdue`` both derive from the
    obligations at the audit's moment. ``blocked`` and ``overdue_from`` let SQL count rows for a summary without
    decoding them; ``recheck`` is the first moment time alone could change the evaluation.
    """
    state = snapshot.bundle.workflow.states[snapshot.state]
    transitions = [] if state.final else compiled(snapshot.bundle).transitions_from(snapshot.state)
    triggers = [] if state.final else trigger_states(snapshot, now, guards)
    obligations = obligations_of(snapshot, now)
    following = [t.trigger for t in triggers if t.allowed and not t.reason_required]
    body = [
        [[person, role] for person, role in snapshot.people()],
        following,
        [
            [t.trigger, b.code, b.message, _compact(b.requirement), b.slot, b.role, b.people]
            for t in triggers
            for b in t.blockers
        ],
        [[o.requirement, o.due_at.isoformat(), o.met, o.slot, o.role, o.people] for o in obligations],
        [[o.seq, o.trigger, o.by, o.reason] for o in overrides],
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


_compact = json.JSONEncoder(separators=(",", ":"), sort_keys=True).encode
"""The cache's one spelling, with one encoder for every call (``json.dumps`` with options builds one each time)."""


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

        This runs once per relationship of an audit, so it does little: orjson, names interned (an audit repeats a
        few dozen of them a hundred thousand times), one lookup per state, and day counts from
        ``timedelta.days``, the same floor as evaluation's for the positive spans it clamps at zero.
        """
        rel_id, definition_hash, workflow, version, program, state_name, entered_at, last_event_at, cached = row
        if cached is None:
            return None
        state = self._states.get((definition_hash, state_name)) or self.state(definition_hash, state_name)
        if state is None:
            return None  # evaluated from the snapshot instead, which reports the corrupt row
        people, following, blockers, obligations, overrides = orjson.loads(cached)
        intern, now = sys.intern, self.now
        last = _utc(last_event_at)
        due: list[DueObligation] = []
        late: list[ObligationState] = []
        for label, due_at, met, slot, role, waiting_on in obligations:
            if not met:
                unmet = DueObligation(
                    intern(label), dt.datetime.fromisoformat(due_at), None if slot is None else intern(slot), waiting_on
                )
                due.append(unmet)
                if now > unmet.due_at:
                    late.append(
                        ObligationState(
                            unmet.requirement,
                            unmet.due_at,
                            False,  # noqa: FBT003
                            True,  # noqa: FBT003
                            unmet.slot,
                            None if role is None else intern(role),
                            waiting_on,
                        )
                    )
        # Positional, in the order of Standing's fields: with sixteen keywords to match, making a row took about
        # 1.6 times as long (a frozen dataclass already pays a call per field). The tests compare decoded rows
        # with evaluated ones field by field, so an argument out of place cannot pass unnoticed.
        return Standing(
            rel_id,
            intern(workflow),
            version,
            None if program is None else intern(program),
            intern(state_name),
            state[0],  # phase
            state[1],  # final
            max(0, (now - _utc(entered_at)).days),  # days in state
            [Participant(person, intern(role)) for person, role in people],
            [intern(trigger) for trigger in following],
            [
                StandingBlocker(
                    intern(trigger),
                    intern(code),
                    message,
                    self._requirement(requirement),
                    None if slot is None else intern(slot),
                    None if role is None else intern(role),
                    people,
                )
                for trigger, code, message, requirement, slot, role, people in blockers
            ],
            late,
            last,
            max(0, (now - last).days),  # stalled days
            tuple(due),
            tuple([Override(seq, intern(trigger), by, reason) for seq, trigger, by, reason in overrides]),
        )

    def _requirement(self, text: str) -> dict[str, Any]:
        """One dict per distinct requirement, as evaluation shares the definition's, rather than one per blocker."""
        found = self._requirements.get(text)
        if found is None:
            found = self._requirements[text] = orjson.loads(text)
        return found
