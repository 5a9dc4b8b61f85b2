"""The naive peer of ``mf.audit()``: one ``transitions.Machine`` per relationship, guards that query row by row.

This is how an ORM-first design tends to turn out: load the relationships, and for each one build a state machine
on it whose conditions evaluate the workflow's requirements by asking the database about that relationship's
artifacts and signatures, one SELECT at a time. It is given every advantage that does not change its shape: the
definitions are parsed once, the machines skip ``transitions``' auto-generated ``to_<state>`` triggers, the
participants are read once per relationship, and the SELECTs go straight to the DBAPI cursor, without an ORM.
It produces the same rows as ``mf.audit()``: next triggers, every blocker with its code, message and requirement,
overdue obligations; ``parity`` checks that the two agree.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from transitions import Machine

from mentorflow.definitions import Bundle
from mentorflow.definitions.models import (
    AllOf,
    AnyOf,
    Complete,
    CompleteObligation,
    Count,
    CountObligation,
    Current,
    CurrentObligation,
    InStateDays,
    NotReq,
    Obligation,
    Requirement,
    Signed,
    SignedObligation,
    Transition,
    Workflow,
)

DAY = dt.timedelta(days=1)
UTC = dt.UTC


def _time(value: str | dt.datetime) -> dt.datetime:
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC)


@dataclass
class Item:
    item: int
    owner: str
    revision_id: int
    number: int
    complete: bool
    missing: list[str]
    submitted_at: dt.datetime


@dataclass
class Relationship:
    """The model object the machine is built on; its conditions query the database through ``peer``."""

    peer: NaiveAudit
    id: str
    workflow: Workflow
    state: str
    entered_at: dt.datetime
    people: list[tuple[str, str]] = field(default_factory=list)
    blockers: list[dict[str, Any]] = field(default_factory=list)

    def holders(self, roles: list[str] | None) -> list[tuple[str, str]]:
        wanted = roles if roles is not None else list(self.workflow.roles)
        return [(person, role) for role in wanted for person, held in self.people if held == role]

    def condition(self, transition: Transition) -> Callable[[], bool]:
        def check() -> bool:
            found = []
            if transition.after_days:
                found += self.peer.evaluate(InStateDays(in_state_days=transition.after_days), self, None)
            for requirement in transition.requires:
                found += self.peer.evaluate(requirement, self, None)
            self.blockers += [{"trigger": transition.trigger} | blocker for blocker in found]
            return not found

        return check


class NaiveAudit:
    """Audit rows computed the naive way, over the relationships of one database."""

    def __init__(self, engine: Engine, now: dt.datetime) -> None:
        self.engine = engine
        self.now = now
        self.cursor: Any = None
        self.workflows: dict[str, Workflow] = {}

    RELATIONSHIPS = (
        "SELECT id, definition_hash, program, state, entered_at, last_event_at "
        "FROM mentorflow_relationships ORDER BY started_at, id"
    )
    """The relationships to audit, oldest first: what ``rows`` receives, one tuple each."""

    def run(self, limit: int | None = None, every: int = 1) -> list[dict[str, Any]]:
        """Audit rows of every relationship (the first ``limit``; with ``every``, each ``every``-th of them)."""
        connection = self.engine.raw_connection()
        try:
            self.cursor = connection.cursor()
            self.workflows = {
                digest: Bundle.from_json(body).workflow
                for digest, body in self.cursor.execute("SELECT hash, body FROM mentorflow_definitions").fetchall()
            }
            query = self.RELATIONSHIPS if limit is None else f"{self.RELATIONSHIPS} LIMIT {int(limit)}"
            return self.rows(self.cursor.execute(query).fetchall()[::every])
        finally:
            connection.close()

    def rows(self, selected: list[Any]) -> list[dict[str, Any]]:
        """The audit rows of the ``selected`` relationships (rows of ``RELATIONSHIPS``)."""
        return [self.standing(*row) for row in selected]

    def standing(
        self, rel_id: str, digest: str, program: str | None, state: str, entered: str, last_event: str
    ) -> dict[str, Any]:
        workflow = self.workflows[digest]
        model = Relationship(self, rel_id, workflow, state, _time(entered))
        model.people = self.people(rel_id)
        machine = Machine(
            model=model,
            states=list(workflow.states),
            transitions=[
                {"trigger": t.trigger, "source": workflow.sources(t), "dest": t.to, "conditions": [model.condition(t)]}
                for t in workflow.transitions
            ],
            initial=state,
            auto_transitions=False,
        )
        definition = workflow.states[state]
        allowed = []
        if not definition.final:
            for trigger in machine.get_triggers(state):
                transition = next(t for t in workflow.transitions if t.trigger == trigger)
                if getattr(model, f"may_{trigger}")() and transition.reason != "required":
                    allowed.append(trigger)
        overdue = (
            []
            if definition.final
            else [o for o in (self.obligation(ob, model) for ob in definition.obligations) if o["overdue"]]
        )
        last = _time(last_event)
        return {
            "id": rel_id,
            "workflow": workflow.workflow,
            "program": program,
            "state": state,
            "phase": definition.phase,
            "final": definition.final,
            "days_in_state": max(0, int((self.now - model.entered_at) / DAY)),
            "participants": [{"person": person, "role": role} for person, role in model.people],
            "next": allowed,
            "blockers": model.blockers,
            "overdue": overdue,
            "last_activity_at": last,
            "stalled_days": max(0, int((self.now - last) / DAY)),
        }

    # -- row-by-row reads ----------------------------------------------------------------------------------------

    def people(self, rel_id: str) -> list[tuple[str, str]]:
        """(person, role) of the current participants, in joining order."""
        return list(
            self.cursor.execute(
                "SELECT person, role FROM mentorflow_participants WHERE relationship_id = ? AND left_at IS NULL "
                "ORDER BY id",
                (rel_id,),
            ).fetchall()
        )

    def items(self, rel: Relationship, slot: str) -> list[Item]:
        """Every item of a slot with its latest revision, from one SELECT over that relationship's revisions."""
        rows = self.cursor.execute(
            "SELECT id, item, number, complete, missing, submitted_by, submitted_at FROM mentorflow_revisions "
            "WHERE relationship_id = ? AND slot = ? ORDER BY item, number",
            (rel.id, slot),
        ).fetchall()
        items: dict[int, Item] = {}
        for rev_id, item, number, complete, missing, by, at in rows:
            owner = items[item].owner if item in items else by
            items[item] = Item(item, owner, rev_id, number, bool(complete), json.loads(missing), _time(at))
        return list(items.values())

    def latest(self, rel: Relationship, slot: str) -> Item | None:
        row = self.cursor.execute(
            "SELECT id, item, number, complete, missing, submitted_by, submitted_at FROM mentorflow_revisions "
            "WHERE relationship_id = ? AND slot = ? ORDER BY item DESC, number DESC LIMIT 1",
            (rel.id, slot),
        ).fetchone()
        if row is None:
            return None
        rev_id, item, number, complete, missing, by, at = row
        return Item(item, by, rev_id, number, bool(complete), json.loads(missing), _time(at))

    def signatures(self, revision_id: int) -> dict[str, dt.datetime]:
        return {
            person: _time(at)
            for person, at in self.cursor.execute(
                "SELECT person, signed_at FROM mentorflow_signatures WHERE revision_id = ?", (revision_id,)
            ).fetchall()
        }

    # -- requirements --------------------------------------------------------------------------------------------

    def evaluate(self, requirement: Requirement, rel: Relationship, since: dt.datetime | None) -> list[dict[str, Any]]:
        """Every blocker of ``requirement``, each form asking the database what it needs."""
        if isinstance(requirement, AllOf):
            return [b for child in requirement.all for b in self.evaluate(child, rel, since)]
        if isinstance(requirement, AnyOf):
            held = any(not self.evaluate(child, rel, since) for child in requirement.any)
            return [] if held else [_blocker(requirement, "any.none_held", "none of these holds")]
        if isinstance(requirement, NotReq):
            held = not self.evaluate(requirement.not_, rel, since)
            return [_blocker(requirement, "not.held", "this must not hold, but does")] if held else []
        for kind, method in self._forms:
            if isinstance(requirement, kind):
                return method(self, requirement, rel, since)
        return [_blocker(requirement, "guard.failed", f"no guard is registered under {requirement.check!r}")]

    def _signed(self, requirement: Signed, rel: Relationship, since: dt.datetime | None) -> list[dict[str, Any]]:
        slot = rel.workflow.artifacts[requirement.signed]
        latest = self.latest(rel, requirement.signed)
        if latest is None or not latest.complete:
            return [_absent(requirement, requirement.signed, latest)]
        signed = self.signatures(latest.revision_id)
        return [
            _blocker(
                requirement,
                "artifact.unsigned",
                f"{requirement.signed} revision {latest.number} is not signed by {role} {person}",
            )
            for person, role in rel.holders(requirement.by or slot.signed_by)
            if person not in signed or (since is not None and signed[person] < since)
        ]

    def _complete(self, requirement: Complete, rel: Relationship, since: dt.datetime | None) -> list[dict[str, Any]]:
        if requirement.by:
            items = self.items(rel, requirement.complete)
            done = {i.owner for i in items if i.complete and (since is None or i.submitted_at >= since)}
            return [
                _blocker(
                    requirement,
                    "artifact.missing",
                    f"{role} {person} has not submitted a complete {requirement.complete}",
                )
                for person, role in rel.holders(requirement.by)
                if person not in done
            ]
        latest = self.latest(rel, requirement.complete)
        if latest is None or (since is not None and latest.submitted_at < since):
            return [_absent(requirement, requirement.complete, None)]
        return [] if latest.complete else [_absent(requirement, requirement.complete, latest)]

    def _count(self, requirement: Count, rel: Relationship, since: dt.datetime | None) -> list[dict[str, Any]]:
        start = since or (rel.entered_at if requirement.since == "state" else None)
        items = self.items(rel, requirement.count)
        have = sum(1 for i in items if i.complete and (start is None or i.submitted_at >= start))
        if have >= requirement.min:
            return []
        return [_blocker(requirement, "artifact.too_few", f"{have} of {requirement.min} complete {requirement.count}")]

    def _current(self, requirement: Current, rel: Relationship, since: dt.datetime | None) -> list[dict[str, Any]]:
        items = self.items(rel, requirement.current)
        dates = [i.submitted_at for i in items if i.complete and (since is None or i.submitted_at >= since)]
        if not dates:
            return [_absent(requirement, requirement.current, None)]
        age = (self.now - max(dates)) / DAY
        if age <= requirement.max_age_days:
            return []
        return [_blocker(requirement, "artifact.stale", f"the latest {requirement.current} is {int(age)} days old")]

    def _in_state(
        self, requirement: InStateDays, rel: Relationship, _since: dt.datetime | None
    ) -> list[dict[str, Any]]:
        days = (self.now - rel.entered_at) / DAY
        if days >= requirement.in_state_days:
            return []
        return [_blocker(requirement, "state.too_early", f"in state {rel.state!r} for {int(days)} days")]

    _forms: tuple[tuple[type, Callable[..., list[dict[str, Any]]]], ...] = (
        (Signed, _signed),
        (Complete, _complete),
        (Count, _count),
        (Current, _current),
        (InStateDays, _in_state),
    )

    def obligation(self, obligation: Obligation, rel: Relationship) -> dict[str, Any]:
        if obligation.within_days is not None:
            due = rel.entered_at + obligation.within_days * DAY
            met = not self.evaluate(obligation, rel, None)
        else:
            period = (obligation.every_days or 1) * DAY
            lapse = self.lapse(obligation, rel, period)
            due = max(rel.entered_at + period, lapse or rel.entered_at)
            met = not self.evaluate(obligation, rel, self.now - period)
        return {
            "requirement": obligation.model_dump(by_alias=True, exclude_defaults=True),
            "due_at": due,
            "met": met,
            "overdue": not met and self.now > due,
        }

    def lapse(  # noqa: PLR0911 - one answer per obligation form
        self, obligation: Obligation, rel: Relationship, period: dt.timedelta
    ) -> dt.datetime | None:
        if isinstance(obligation, CountObligation):
            dates = sorted((i.submitted_at for i in self.items(rel, obligation.count) if i.complete), reverse=True)
            return dates[obligation.min - 1] + period if len(dates) >= obligation.min else None
        if isinstance(obligation, CurrentObligation):
            dates = [i.submitted_at for i in self.items(rel, obligation.current) if i.complete]
            return max(dates) + min(period, obligation.max_age_days * DAY) if dates else None
        if isinstance(obligation, CompleteObligation) and obligation.by:
            items = self.items(rel, obligation.complete)
            newest = []
            for person, _ in rel.holders(obligation.by):
                mine = [i.submitted_at for i in items if i.complete and i.owner == person]
                if not mine:
                    return None
                newest.append(max(mine))
            return min(newest) + period if newest else None
        slot = obligation.complete if isinstance(obligation, CompleteObligation) else obligation.signed
        latest = self.latest(rel, slot)
        if latest is None or not latest.complete:
            return None
        if isinstance(obligation, SignedObligation):
            signed = self.signatures(latest.revision_id)
            signers = rel.holders(obligation.by or rel.workflow.artifacts[slot].signed_by)
            if any(person not in signed for person, _ in signers):
                return None
            return min((signed[person] for person, _ in signers), default=latest.submitted_at) + period
        return latest.submitted_at + period


def _blocker(requirement: Requirement, code: str, message: str) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "requirement": requirement.model_dump(by_alias=True, exclude_defaults=True),
    }


def _absent(requirement: Requirement, slot: str, latest: Item | None) -> dict[str, Any]:
    if latest is None:
        return _blocker(requirement, "artifact.missing", f"no {slot} has been submitted")
    shown = ", ".join(latest.missing[:5])
    return _blocker(
        requirement, "artifact.incomplete", f"{slot} revision {latest.number} is incomplete: missing {shown}"
    )


def parity(mentorflow_rows: list[Any], naive_rows: list[dict[str, Any]]) -> int:
    """How many relationships the two audits disagree on (next triggers, blocker codes, overdue obligations)."""
    naive = {row["id"]: row for row in naive_rows}
    differ = 0
    for standing in mentorflow_rows:
        row = naive[standing.id]
        ours = (
            sorted(standing.next),
            sorted((b.trigger, b.code) for b in standing.blockers),
            sorted(o.due_at for o in standing.overdue),
        )
        theirs = (
            sorted(row["next"]),
            sorted((b["trigger"], b["code"]) for b in row["blockers"]),
            sorted(o["due_at"] for o in row["overdue"]),
        )
        differ += ours != theirs
    return differ + abs(len(mentorflow_rows) - len(naive_rows))
