"""As-of reads (DESIGN §13): where things stood at a moment earlier than the latest events, rebuilt from the log.

The rows and the standing cache describe now, so a read at an earlier moment cannot use them: an administrator
asking where things stood on the first of last month must not see a pair that started since, or a move made
since. Each read first decides cheaply whether it reads the past (one query: the latest event of what it reads,
against its moment); only then does it come here, where the events dated up to the moment are replayed into
snapshots (``engine.replay``), a chunk of relationships at a time, and evaluated as ``status`` evaluates them.
The standing cache is never read here.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from mentorflow.audit.standing import build_standing
from mentorflow.audit.summary import Group, Tallies, phase_figures, phase_history
from mentorflow.definitions import Bundle
from mentorflow.engine.replay import apply_event, started
from mentorflow.engine.requirements import GuardFunction
from mentorflow.engine.snapshot import Snapshot
from mentorflow.store import Executor, queries, repo
from mentorflow.store.db import from_db
from mentorflow.store.definitions import Bundles
from mentorflow.types import Event, Override, Standing

__all__ = [
    "Replayed",
    "in_the_past",
    "person_snapshots",
    "relationship_at",
    "relationships_of",
    "replayed",
    "roles_held",
    "standing_rows",
    "tallies",
]

Filters = Mapping[str, str | None]
"""``workflow``, ``program`` and ``state``, as ``reads.Filters``: here compared with where each one stood."""


@dataclass
class Replayed:
    """One relationship as it stood at a moment, with what its log up to then says beside the snapshot."""

    snapshot: Snapshot
    entries: list[tuple[dt.datetime, str]] = field(default_factory=list)
    """Its entries into states as (at, state), oldest first (what ``summary.phase_history`` reads)."""
    overrides: list[Override] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    """Its events up to the moment, kept only when asked for (``relationship_at``)."""


def in_the_past(session: Executor, now: dt.datetime) -> bool:
    """Whether a read of many relationships at ``now`` reads the past: some event is later than ``now``."""
    latest = queries.latest_event_at(session)
    return latest is not None and latest > now


def _replay(session: Executor, bundles: Bundles, rows: Sequence[Any], keep_events: bool = False) -> Replayed:
    """Replay one relationship's event rows (``repo.events_of``'s, oldest first, the ``started`` one first)."""

    def lookup(definition_hash: str) -> Bundle:
        return bundles.get(session, definition_hash)

    rel_id, _, _, _, first_at, first_payload, _ = rows[0]
    payload: dict[str, Any] = orjson.loads(first_payload)
    at = from_db(first_at)
    found = Replayed(started(rel_id, lookup(payload["definition"]), at, payload), [(at, payload["state"])])
    snapshot = found.snapshot
    for row in rows[1:]:
        _, seq, kind, actor, stored_at, text, _ = row
        payload = orjson.loads(text)
        at = from_db(stored_at)
        snapshot = apply_event(snapshot, kind, actor, at, payload, lookup)
        if kind in queries.ENTRY_KINDS:
            found.entries.append((at, payload["to"]))
            if kind == "overridden":
                found.overrides.append(queries.override_from(seq, actor, payload))
    if keep_events:
        found.events = [repo.to_event(row) for row in rows]
    _, snapshot.seq, _, _, last_at, _, snapshot.last_hash = rows[-1]
    snapshot.last_event_at = from_db(last_at)
    snapshot.items = dict(sorted(snapshot.items.items()))  # by slot, as the rows load them: a status lists them so
    found.snapshot = snapshot
    return found


def replayed(session: Executor, bundles: Bundles, ids: Sequence[str], now: dt.datetime) -> Iterator[Replayed]:
    """The relationships ``ids`` as they stood at ``now``, in the order given, read a chunk at a time (one query
    per chunk); one not started by then is left out."""
    for start in range(0, len(ids), queries.BATCH):
        batch = ids[start : start + queries.BATCH]
        by_id: dict[str, list[Any]] = {}
        for row in repo.events_of(session, batch, until=now):
            by_id.setdefault(row[0], []).append(row)
        for rel_id in batch:
            if rel_id in by_id:
                yield _replay(session, bundles, by_id.pop(rel_id))


def relationship_at(session: Executor, bundles: Bundles, relationship_id: str, now: dt.datetime) -> Replayed:
    """One relationship as it stood at ``now``, with its events up to then; not started yet is not found."""
    rows = repo.events_of(session, [relationship_id], until=now)
    if not rows:
        raise repo.unknown_relationship(relationship_id)
    return _replay(session, bundles, rows, keep_events=True)


def roles_held(found: Replayed, person: str) -> list[str]:
    """Every role ``person`` held in the relationship up to the moment, including roles they left by then."""
    roles: list[str] = []
    for event in found.events:
        if event.kind == "started":
            roles += [p["role"] for p in event.payload["participants"] if p["person"] == person]
        elif event.kind == "joined" and event.payload["person"] == person:
            roles.append(event.payload["role"])
    return list(dict.fromkeys(roles))


def _kept(snapshot: Snapshot, filters: Filters, phase: str | None = None) -> bool:
    return (
        (filters.get("workflow") is None or snapshot.bundle.workflow.workflow == filters["workflow"])
        and (filters.get("state") is None or snapshot.state == filters["state"])
        and (phase is None or snapshot.phase == phase)
    )


def _matching(
    session: Executor, bundles: Bundles, now: dt.datetime, filters: Filters, phase: str | None = None
) -> Iterator[Replayed]:
    ids = queries.ids_started_by(session, now, program=filters.get("program"))
    for found in replayed(session, bundles, ids, now):
        if _kept(found.snapshot, filters, phase):
            yield found


def standing_rows(
    session: Executor,
    bundles: Bundles,
    now: dt.datetime,
    guards: Mapping[str, GuardFunction],
    filters: Filters,
) -> Iterator[Standing]:
    """Audit rows as of ``now``, oldest first, a chunk at a time: only relationships started by then, each where
    it stood then."""
    for found in _matching(session, bundles, now, filters):
        yield build_standing(found.snapshot, now, guards, found.overrides)


def tallies(
    session: Executor,
    bundles: Bundles,
    now: dt.datetime,
    guards: Mapping[str, GuardFunction],
    phase: str | None,
    filters: Filters,
) -> Tallies:
    """A summary's inputs as of ``now``, from the replayed relationships: counts, blocked and overdue, and the
    funnel and days per phase from their entries into states up to then."""
    found = Tallies()
    groups: Counter[tuple[str, str, str | None]] = Counter()
    workflows = {}
    stays: dict[tuple[str, str], list[float]] = {}
    for replay in _matching(session, bundles, now, filters, phase):
        snapshot = replay.snapshot
        definition = snapshot.bundle.workflow
        workflows[snapshot.bundle.hash] = definition
        groups[(snapshot.bundle.hash, snapshot.state, snapshot.program)] += 1
        standing = build_standing(snapshot, now, guards)
        found.blocked += standing.blocked
        found.overdue += bool(standing.overdue)
        reached, completed = phase_history(definition.states, replay.entries)
        for reached_phase in reached:
            found.reached[(definition.workflow, reached_phase)] += 1
        for stay_phase, days in completed:
            stays.setdefault((definition.workflow, stay_phase), []).append(days)
    found.groups = [
        Group(workflows[definition_hash], state, program, count)
        for (definition_hash, state, program), count in groups.items()
    ]
    found.phase_days = {key: phase_figures(values) for key, values in stays.items()}
    return found


def person_snapshots(
    session: Executor, bundles: Bundles, person: str, now: dt.datetime
) -> tuple[list[Snapshot], list[tuple[str, str]]] | None:
    """As ``queries.person_snapshots``, as of ``now``: the relationships ``person`` held a role in then, oldest
    first, and (relationship id, role) of each role; None when nothing they took part in changed since (the
    current rows answer)."""
    latest = queries.person_latest_event_at(session, person)
    if latest is None or latest <= now:
        return None
    snapshots = []
    held = []
    for found in replayed(session, bundles, queries.ever_participated(session, person), now):
        roles = sorted(found.snapshot.roles_of(person))
        if roles:
            snapshots.append(found.snapshot)
            held += [(found.snapshot.id, role) for role in roles]
    snapshots.sort(key=lambda snapshot: (snapshot.started_at, snapshot.id))
    return snapshots, held


def relationships_of(session: Executor, bundles: Bundles, person: str, now: dt.datetime) -> set[str]:
    """Ids of the relationships ``person`` held a role in at ``now`` (the audit's ``person`` filter)."""
    past = person_snapshots(session, bundles, person, now)
    held = queries.participations(session, person) if past is None else past[1]
    return {rel_id for rel_id, _ in held}
