"""Reads over many relationships: audit rows, a summary's tallies, and the refresh of the standing cache.

Each reads the standing cache where it holds (``store.standings``) and evaluates from the snapshot, as ``status``
does, whatever the cache cannot answer, so the answers are the same with or without it; only the speed differs.
Rows are read a chunk at a time (``queries.BATCH``), so a streamed audit holds one chunk, however many there are.
A read of the past (a moment before the latest event) goes to ``asof``, which replays the log instead.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterator, Mapping

from mentorflow import store
from mentorflow.audit import asof
from mentorflow.audit.cache import FORMAT, StandingDecoder, encode_standing
from mentorflow.audit.standing import build_standing
from mentorflow.audit.summary import Group, Tallies, phase_figures, phase_history, ranked_figures
from mentorflow.engine.requirements import GuardFunction
from mentorflow.store import queries, standings
from mentorflow.store.definitions import definitions
from mentorflow.types import Standing

__all__ = ["Filters", "refresh", "standing_rows", "tallies"]

Filters = Mapping[str, str | None]
"""The SQL-side audit filters: ``workflow``, ``program`` and ``state``."""


def standing_rows(
    reading: store.Executor,
    bundles: store.Bundles,
    now: dt.datetime,
    guards: Mapping[str, GuardFunction],
    filters: Filters,
) -> Iterator[Standing]:
    """Audit rows, oldest first, a chunk at a time: decoded from the cache, or evaluated where it has no answer;
    at a ``now`` before the latest event, replayed from the log as of then (``asof``)."""
    if asof.in_the_past(reading, now):
        yield from asof.standing_rows(reading, bundles, now, guards, filters)
        return
    decoder = StandingDecoder(now, lambda definition_hash: bundles.get(reading, definition_hash))
    for rows in standings.audit_rows(reading, now, FORMAT, queries.BATCH, **filters):
        chunk = [decoder.decode(row) for row in rows]
        outdated = {row[0]: at for at, (row, standing) in enumerate(zip(rows, chunk, strict=True)) if standing is None}
        yield from _completed(reading, bundles, now, guards, chunk, outdated)


def _completed(
    reading: store.Executor,
    bundles: store.Bundles,
    now: dt.datetime,
    guards: Mapping[str, GuardFunction],
    chunk: list[Standing | None],
    outdated: dict[str, int],
) -> list[Standing]:
    forced = queries.overrides_of(reading, list(outdated)) if outdated else {}
    for snapshot in queries.load_snapshots(reading, bundles, ids=list(outdated)):
        chunk[outdated[snapshot.id]] = build_standing(snapshot, now, guards, forced.get(snapshot.id, ()))
    return [row for row in chunk if row is not None]


def refresh(
    writing: store.Executor,
    bundles: store.Bundles,
    ids: list[str],
    now: dt.datetime,
    guards: Mapping[str, GuardFunction],
) -> int:
    """Evaluate ``ids`` and save their standings and phase stays; returns how many were saved."""
    snapshots = list(queries.load_snapshots(writing, bundles, ids=ids))
    histories = queries.entries_by_relationship(writing, ids)
    stays = []
    for snapshot in snapshots:
        definition = snapshot.bundle.workflow
        reached, completed = phase_history(definition.states, histories.get(snapshot.id, []))
        copied = {
            "relationship_id": snapshot.id,
            "seq": snapshot.seq,
            "definition_hash": snapshot.bundle.hash,
            "workflow": definition.workflow,
            "state": snapshot.state,
            "program": snapshot.program,
        }
        stays += [{**copied, "phase": phase, "days": days} for phase, days in completed]
        stays += [{**copied, "phase": phase, "days": None} for phase in sorted(reached)]
    forced = queries.overrides_of(writing, ids)
    encoded = [encode_standing(s, now, guards, forced.get(s.id, ())) for s in snapshots]
    return standings.save(writing, encoded, stays)


def tallies(
    reading: store.Executor,
    bundles: store.Bundles,
    now: dt.datetime,
    guards: Mapping[str, GuardFunction],
    phase: str | None,
    filters: Filters,
) -> Tallies:
    """A summary's inputs: SQL over the standing cache where it holds, evaluation where it does not; at a ``now``
    before the latest event, from the log as of then (``asof``)."""
    if asof.in_the_past(reading, now):
        return asof.tallies(reading, bundles, now, guards, phase, filters)
    hashes = {(workflow, version): definition_hash for workflow, version, _, definition_hash in definitions(reading)}
    found = Tallies()
    pairs: list[tuple[str, str]] = []
    for name, version, state, program, count in standings.counts(reading, **filters):
        definition_hash = hashes[(name, version)]
        workflow = bundles.get(reading, definition_hash).workflow
        if phase is None or workflow.states[state].phase == phase:
            pairs.append((definition_hash, state))
            found.groups.append(Group(workflow, state, program, count))
    restrict = None if phase is None else pairs
    found.blocked, found.overdue, stale = standings.totals(reading, now, FORMAT, restrict, **filters)
    outdated = standings.outdated(reading, now, FORMAT, restrict, **filters) if stale else []
    for snapshot in queries.load_snapshots(reading, bundles, ids=[rel_id for rel_id, _ in outdated]):
        standing = build_standing(snapshot, now, guards)
        found.blocked += standing.blocked
        found.overdue += bool(standing.overdue)
    _history(reading, bundles, found, [rel_id for rel_id, recorded in outdated if not recorded], restrict, filters)
    return found


def _history(
    reading: store.Executor,
    bundles: store.Bundles,
    found: Tallies,
    unrecorded: list[str],
    restrict: list[tuple[str, str]] | None,
    filters: Filters,
) -> None:
    """The funnel's reached counts and the days per phase: cached phase stays, plus the event log of
    ``unrecorded`` relationships (those whose cached stays are missing or outdated)."""
    # Unfiltered and with every relationship's stays recorded, the stays table needs no join to be trusted; a
    # filter, though, would also match stays recorded before a relationship moved out of the filter.
    checked = bool(unrecorded) or restrict is not None or any(value is not None for value in filters.values())
    for name, phase, count in standings.stay_tally(
        reading, FORMAT, restrict, completed=False, checked=checked, **filters
    ):
        found.reached[(name, phase)] += count
    if not unrecorded:
        for name, phase, count in standings.stay_tally(
            reading, FORMAT, restrict, completed=True, checked=checked, **filters
        ):

            def at_rank(rank: int, group: tuple[str, str] = (name, phase)) -> float:
                return standings.stay_at_rank(
                    reading, FORMAT, restrict, checked=checked, group=group, rank=rank, **filters
                )

            found.phase_days[(name, phase)] = ranked_figures(count, functools.cache(at_rank))
        return
    stays: dict[tuple[str, str], list[float]] = {}
    for name, phase, days in standings.stay_days(reading, FORMAT, restrict, **filters):
        stays.setdefault((name, phase), []).append(days)
    histories = queries.entries_by_relationship(reading, unrecorded)
    for snapshot in queries.load_snapshots(reading, bundles, ids=unrecorded):
        definition = snapshot.bundle.workflow
        reached, completed = phase_history(definition.states, histories.get(snapshot.id, []))
        for phase in reached:
            found.reached[(definition.workflow, phase)] += 1
        for phase, days in completed:
            stays.setdefault((definition.workflow, phase), []).append(days)
    found.phase_days = {key: phase_figures(values) for key, values in stays.items()}
