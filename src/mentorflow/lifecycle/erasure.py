"""``erase``: a person's submitted content blanked at their request, with the log still provable (DESIGN §16).

The chain commits to each revision's content hash, never to its content, so the content can go and the chain
stays whole. Each relationship concerned gets an ``erased`` event, written through the normal write path (hash
chained, keyed, in the change feed), that names the revisions blanked by slot, item, number and hash: ``verify``
accepts the blank content of exactly those and still calls any other blanked content tampering. The event holds no
personal data: not the content, and not even the person's id, which the ``submitted`` events already tie to the
revisions (ids are the platform's pseudonyms; names live in the platform). Everything happens in one
transaction: an erasure is done in every relationship or in none.
"""

from __future__ import annotations

import datetime as dt
from itertools import groupby

from pydantic import BaseModel, ConfigDict

from mentorflow import store
from mentorflow.engine.replay import ERASED, ERASED_CONTENT
from mentorflow.engine.rules import check_clock
from mentorflow.engine.snapshot import PLAIN_ITEM
from mentorflow.engine.writes import Write
from mentorflow.errors import NotAllowed, NotParticipant, ReasonRequired
from mentorflow.identifiers import Actor, check_person
from mentorflow.store import archive, repo
from mentorflow.types import Event
from mentorflow.writing import Outcome, Writer

__all__ = ["Erasure", "erase"]


class Erasure(BaseModel):
    """What an ``erase`` did: how many revisions it blanked, in which relationships (each got an ``erased``
    event). Nothing left to blank (a second erase, or a person who submitted nothing) is zero of each."""

    model_config = ConfigDict(frozen=True)

    person: str
    revisions: int
    relationships: list[str]


def erase(writer: Writer, person: str, reason: str, actor: Actor, session: store.SessionLike | None) -> Erasure:
    """Blank every revision ``person`` submitted and record an ``erased`` event in each relationship concerned."""
    person = check_person(person)
    if actor.kind != "admin":
        raise NotAllowed(
            f"{actor.label} may not erase a person's content: it is for administrators",
            hint="Erase as an administrator: actor=Actor.admin(ID).",
            cli_hint="Add --admin to act as an administrator, or run it without --as as the operator.",
            actor=actor.label,
        )
    if not isinstance(reason, str) or not reason.strip():
        raise ReasonRequired(
            "an erasure needs a reason: the erased events record it",
            hint="Give the request's reference, e.g. reason='erasure request 2026-114' (no personal data).",
            cli_hint="Pass --reason with the request's reference (no personal data).",
        )

    def body(working: store.Connection, now: dt.datetime) -> Outcome[Erasure]:
        if not archive.took_part(working, person):
            raise NotParticipant(
                f"person {person!r} never took part in any relationship: there is nothing to erase",
                hint="Check the id: it is the platform's id of the person, as `person` and `audit --person` use.",
                actor=person,
            )
        events: list[Event] = []
        workflows: dict[str, str] = {}
        count = 0
        pending = (row for row in archive.submitted_by(working, person) if row.content != ERASED_CONTENT)
        for rel_id, rows in groupby(pending, key=lambda row: row.relationship_id):
            revisions = list(rows)
            snapshot = repo.load_snapshot(working, writer.bundles, rel_id)
            check_clock(snapshot, now)
            payload = {
                "reason": reason,
                "revisions": [
                    {
                        "slot": row.slot,
                        "item": None if row.item == PLAIN_ITEM else row.item,
                        "revision": row.number,
                        "content_hash": row.content_hash,
                    }
                    for row in revisions
                ],
            }
            events += repo.apply_write(working, snapshot, Write(events=[(ERASED, payload)]), actor, now, writer.keys)
            archive.blank(working, rel_id, [(row.slot, row.item, row.number) for row in revisions], ERASED_CONTENT)
            workflows[rel_id] = snapshot.bundle.workflow.workflow
            count += len(revisions)
        return Outcome(Erasure(person=person, revisions=count, relationships=list(workflows)), events, workflows)

    return writer.run(session, body, actor).value
