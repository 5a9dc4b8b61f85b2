"""One person across relationships: where they take part, what they must do now, and who supports them (DESIGN §12).

The mentoring toolkits put the mentee's network at the centre: no one mentor meets every need. A relationship sees
only itself, so this view gathers a person's relationships (through the index of participants by person, never a
scan), their to-do list from the very blockers and obligations ``status`` reports, the people beside them in active
relationships, and the entries and gaps of their latest complete network map.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any, Literal

from mentorflow.audit import asof
from mentorflow.audit.standing import obligations_of
from mentorflow.definitions.models import SignedObligation
from mentorflow.engine.plans import trigger_states
from mentorflow.engine.requirements import GuardFunction
from mentorflow.engine.snapshot import Snapshot
from mentorflow.errors import NotAllowed
from mentorflow.identifiers import Actor, check_person
from mentorflow.store import Executor, queries
from mentorflow.store.definitions import Bundles
from mentorflow.types import NetworkEntry, PersonRelationship, PersonView, TodoItem

__all__ = ["NETWORK_KIND", "person_view"]

NETWORK_KIND = "network_map"
"""The artifact kind whose entries and gaps make a person's mapped network."""

Action = Literal["submit", "sign", "fire"]
_Key = tuple[str, Action, str | None, int | None, str | None]
"""(relationship, action, slot, item, trigger): one to-do entry, however many reasons make it one."""


def _may_view(person: str, actor: Actor | None) -> None:
    if actor is not None and actor.kind == "person" and check_person(actor.id) != person:
        raise NotAllowed(
            f"{actor.id!r} may not read the view of {person!r}",
            hint="A person reads their own view; administrators (and the platform itself) read anyone's.",
            actor=actor.label,
        )


def _item(snapshot: Snapshot, slot: str, action: Action, person: str) -> int | None:
    """The item an action is on: a repeatable slot's newest item to sign, or the person's own draft to finish;
    None for a plain slot's one document or a new item."""
    if not snapshot.slot(slot).repeatable:
        return None
    items = snapshot.items.get(slot, {})
    if action == "sign":
        return max(items, default=None)
    drafts = [number for number, item in items.items() if item.owner == person and not item.latest.complete]
    return max(drafts) if drafts else None


class _Todo:
    """A person's to-do entries, each dated by the earliest obligation that makes it due."""

    def __init__(self) -> None:
        self.due: dict[_Key, tuple[dt.datetime | None, bool]] = {}

    def add(self, key: _Key, due_at: dt.datetime | None = None, overdue: bool = False) -> None:
        known, late = self.due.get(key, (None, False))
        earliest = due_at if known is None else known if due_at is None else min(known, due_at)
        self.due[key] = (earliest, late or overdue)

    def items(self, order: Mapping[str, int]) -> list[TodoItem]:
        ranked = sorted(
            self.due.items(),
            key=lambda entry: (
                entry[1][0] is None,
                entry[1][0] or dt.datetime.max.replace(tzinfo=dt.UTC),
                order[entry[0][0]],
                entry[0][1],
                entry[0][2] or "",
                entry[0][4] or "",
            ),
        )
        return [
            TodoItem(relationship=rel, action=action, slot=slot, item=item, trigger=trigger, due_at=due, overdue=late)
            for (rel, action, slot, item, trigger), (due, late) in ranked
        ]


def _todo(todo: _Todo, snapshot: Snapshot, person: str, now: dt.datetime, guards: Mapping[str, GuardFunction]) -> None:
    """What ``person`` must do in one active relationship: what blocks its triggers or makes its obligations due
    and names them, and the triggers their role may fire now without a reason."""
    roles = set(snapshot.roles_of(person))
    for trigger in trigger_states(snapshot, now, guards):
        if trigger.reason_required:
            continue  # a way out (withdraw, cancel) is nobody's task
        if trigger.allowed and (trigger.by is None or roles & set(trigger.by)):
            todo.add((snapshot.id, "fire", None, None, trigger.trigger))
        for blocker in trigger.blockers:
            if blocker.slot is not None and person in blocker.people:
                action: Action = "sign" if blocker.code == "artifact.unsigned" else "submit"
                todo.add((snapshot.id, action, blocker.slot, _item(snapshot, blocker.slot, action, person), None))
    definitions = snapshot.bundle.workflow.states[snapshot.state].obligations
    for definition, state in zip(definitions, obligations_of(snapshot, now), strict=True):
        if state.met or state.slot is None or person not in state.people:
            continue
        latest = snapshot.latest(state.slot)
        signing = isinstance(definition, SignedObligation) and latest is not None and latest.latest.complete
        action = "sign" if signing else "submit"
        todo.add(
            (snapshot.id, action, state.slot, _item(snapshot, state.slot, action, person), None),
            state.due_at,
            state.overdue,
        )


def _network_map(session: Executor, snapshots: list[Snapshot], person: str, now: dt.datetime) -> dict[str, Any] | None:
    """The content of the person's latest complete network map submitted by ``now``, across their relationships."""
    newest: tuple[dt.datetime, str] | None = None
    for snapshot in snapshots:
        for slot, definition in snapshot.bundle.workflow.artifacts.items():
            if definition.kind != NETWORK_KIND:
                continue
            for number, item in snapshot.items.get(slot, {}).items():
                if item.owner != person:
                    continue
                for revision in queries.revisions_of(session, snapshot.id, slot, number):
                    if (
                        revision.complete
                        and revision.submitted_at <= now
                        and (newest is None or revision.submitted_at >= newest[0])
                    ):
                        newest = (revision.submitted_at, revision.content)
    if newest is None:
        return None
    content: dict[str, Any] = json.loads(newest[1])
    return content


def _network(snapshots: list[Snapshot], person: str, mapped: dict[str, Any] | None) -> list[NetworkEntry]:
    found: dict[tuple[str, str, str], None] = {}
    for snapshot in snapshots:
        if not snapshot.final:
            for other, role in snapshot.people():
                if other != person:
                    found[(other, role, snapshot.id)] = None
    for entry in (mapped or {}).get("entries", []):
        if isinstance(entry, dict) and "person" in entry and "category" in entry:
            found[(str(entry["person"]), str(entry["category"]), NETWORK_KIND)] = None
    return [NetworkEntry(person=p, relation=relation, source=source) for p, relation, source in found]


def person_view(
    session: Executor,
    bundles: Bundles,
    person: str,
    now: dt.datetime,
    guards: Mapping[str, GuardFunction],
    actor: Actor | None,
) -> PersonView:
    """Everything ``person`` takes part in now, what they must do, and their network; a person reads only their
    own view."""
    check_person(person)
    _may_view(person, actor)
    past = asof.person_snapshots(session, bundles, person, now)
    snapshots, held = queries.person_snapshots(session, bundles, person) if past is None else past
    order = {snapshot.id: index for index, snapshot in enumerate(snapshots)}
    by_id = {snapshot.id: snapshot for snapshot in snapshots}
    relationships = [
        PersonRelationship(
            id=rel,
            workflow=by_id[rel].bundle.workflow.workflow,
            role=role,
            state=by_id[rel].state,
            phase=by_id[rel].phase,
            program=by_id[rel].program,
            final=by_id[rel].final,
        )
        for rel, role in sorted(held, key=lambda pair: (order[pair[0]], pair[1]))
    ]
    todo = _Todo()
    for snapshot in snapshots:
        if not snapshot.final:
            _todo(todo, snapshot, person, now, guards)
    mapped = _network_map(session, snapshots, person, now)
    gaps = [gap for gap in (mapped or {}).get("gaps", []) if isinstance(gap, dict)]
    return PersonView(
        person=person,
        relationships=relationships,
        todo=todo.items(order),
        network=_network(snapshots, person, mapped),
        gaps=gaps,
    )
