"""Tamper evidence: `verify` replays every hash chain and names exactly the relationships that were altered."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from typing import Any, cast

import pytest
from sqlalchemy import Connection, delete, func, insert, select, update

from mentorflow import Actor, BrokenRelationship, CorruptDefinition, Mentorflow
from mentorflow.audit.verify import check_relationship
from mentorflow.canonical import GENESIS, canonical_json, event_hash
from mentorflow.store.db import from_db
from mentorflow.store.records import RelationshipRecords
from mentorflow.store.tables import (
    Definition,
    EventRow,
    ParticipantRow,
    RelationshipRow,
    RevisionRow,
    SignatureRow,
)
from tests.conftest import stored_records
from tests.content import valid

ADMIN = Actor.admin("carol")
Tamper = Callable[[Connection, str], None]


@pytest.fixture
def pair(mf: Mentorflow) -> tuple[str, str]:
    """A dyad with a signed agreement (the one tampered with) and, on another definition, a peer circle."""
    target = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    mf.submit(target, "idp", valid("idp"), actor="bob")
    mf.fire(target, "negotiate", actor="bob")
    agreement = mf.submit(target, "agreement", valid("agreement"), actor="ann").revision
    mf.sign(target, "agreement", actor="ann", revision=agreement)
    mf.sign(target, "agreement", actor="bob", revision=agreement)
    bystander = mf.start("informal-peer", {"peer": ["pat", "quin"]}, actor=ADMIN).id
    mf.submit(bystander, "agreement", valid("agreement"), actor="pat")
    return target, bystander


def _event(connection: Connection, rel_id: str, seq: int) -> Any:
    """One event row, by relationship and seq (a Core row: its columns as attributes)."""
    return connection.execute(select(EventRow).where(EventRow.relationship_id == rel_id, EventRow.seq == seq)).one()


def edit_payload(connection: Connection, rel_id: str) -> None:
    payload = json.loads(_event(connection, rel_id, 3).payload)
    payload["to"] = "early_meetings"
    connection.execute(
        update(EventRow)
        .where(EventRow.relationship_id == rel_id, EventRow.seq == 3)
        .values(payload=canonical_json(payload))
    )


def delete_last_event(connection: Connection, rel_id: str) -> None:
    connection.execute(delete(EventRow).where(EventRow.relationship_id == rel_id, EventRow.seq == 6))


def delete_middle_event(connection: Connection, rel_id: str) -> None:
    connection.execute(delete(EventRow).where(EventRow.relationship_id == rel_id, EventRow.seq == 2))


def swap_events(connection: Connection, rel_id: str) -> None:
    for old, new in ((2, -1), (3, 2), (-1, 3)):
        connection.execute(
            update(EventRow).where(EventRow.relationship_id == rel_id, EventRow.seq == old).values(seq=new)
        )


def insert_event(connection: Connection, rel_id: str) -> None:
    last = _event(connection, rel_id, 6)
    connection.execute(
        insert(EventRow).values(
            relationship_id=rel_id,
            seq=7,
            kind="transitioned",
            actor="bob",
            at=last.at,
            payload=canonical_json({"trigger": "launch", "from": "negotiating", "to": "early_meetings"}),
            hash="0" * 64,
        )
    )


def forge_a_blocked_transition(connection: Connection, rel_id: str) -> None:
    """A well-chained event (hash and head recomputed) that fires while blocked: only the replay can tell."""
    last = _event(connection, rel_id, 6)
    payload = {"trigger": "launch", "from": "negotiating", "to": "early_meetings"}
    at_text = last.at.isoformat() + "+00:00"
    digest = event_hash(last.hash, rel_id, 7, "transitioned", "bob", at_text, payload)
    connection.execute(
        insert(EventRow).values(
            relationship_id=rel_id,
            seq=7,
            kind="transitioned",
            actor="bob",
            at=last.at,
            payload=canonical_json(payload),
            hash=digest,
        )
    )
    connection.execute(
        update(RelationshipRow)
        .where(RelationshipRow.id == rel_id)
        .values(seq=7, last_hash=digest, state="early_meetings", entered_at=last.at)
    )


def change_cached_state(connection: Connection, rel_id: str) -> None:
    connection.execute(update(RelationshipRow).where(RelationshipRow.id == rel_id).values(state="early_meetings"))


def change_cached_final_flag(connection: Connection, rel_id: str) -> None:
    connection.execute(update(RelationshipRow).where(RelationshipRow.id == rel_id).values(final=True))


def alter_signed_content(connection: Connection, rel_id: str) -> None:
    content = valid("agreement") | {"confidentiality": "Anything may be shared with anyone."}
    connection.execute(
        update(RevisionRow)
        .where(RevisionRow.relationship_id == rel_id, RevisionRow.slot == "agreement")
        .values(content=canonical_json(content))
    )


def delete_a_signature(connection: Connection, rel_id: str) -> None:
    first = connection.execute(select(func.min(SignatureRow.id)).where(SignatureRow.relationship_id == rel_id))
    connection.execute(delete(SignatureRow).where(SignatureRow.id == first.scalar_one()))


def delete_a_revision_row(connection: Connection, rel_id: str) -> None:
    connection.execute(delete(SignatureRow).where(SignatureRow.relationship_id == rel_id))
    connection.execute(
        delete(RevisionRow).where(RevisionRow.relationship_id == rel_id, RevisionRow.slot == "agreement")
    )


def change_a_role(connection: Connection, rel_id: str) -> None:
    connection.execute(
        update(ParticipantRow)
        .where(ParticipantRow.relationship_id == rel_id, ParticipantRow.person == "bob")
        .values(role="mentor")
    )


def edit_the_definition(connection: Connection, rel_id: str) -> None:
    digest = connection.execute(select(RelationshipRow.definition_hash).where(RelationshipRow.id == rel_id))
    row = connection.execute(
        select(Definition.body, Definition.hash).where(Definition.hash == digest.scalar_one())
    ).one()
    connection.execute(
        update(Definition).where(Definition.hash == row.hash).values(body=row.body.replace('"min":1', '"min":0', 1))
    )


TAMPERING: list[tuple[Tamper, str]] = [
    (edit_payload, r"event 3 \(transitioned\) does not match its hash: it was edited or moved"),
    (delete_last_event, r"the cached head \(seq 6\) does not match the log's last event \(seq 5\)"),
    (delete_middle_event, "event seq 3 found where 2 was expected"),
    (swap_events, r"event 2 \(transitioned\) does not match its hash"),
    (insert_event, r"event 7 \(transitioned\) does not match its hash"),
    (forge_a_blocked_transition, "event 7 fired 'launch' while blocked: idp revision 1 is not signed by "),
    (change_cached_state, "cached state 'early_meetings' .* differs from the replayed 'negotiating'"),
    (change_cached_final_flag, "the cached final flag differs from the replayed state"),
    (alter_signed_content, "agreement revision 1 content does not match the hash recorded when it was submitted"),
    (delete_a_signature, "the signatures table differs from the signed events"),
    (delete_a_revision_row, "the revisions table differs from the submitted events"),
    (change_a_role, "the participants table differs from the joined/left events"),
    (edit_the_definition, "its stored definition does not match its hash"),
]


def test_a_clean_database_verifies(mf: Mentorflow, pair: tuple[str, str]) -> None:
    """Untouched relationships pass, and the report counts what it checked."""
    report = mf.verify()
    assert (report.ok, report.checked, report.events, report.broken) == (True, 2, 8, [])


def test_an_empty_database_verifies(mf: Mentorflow) -> None:
    """Nothing to check is fine."""
    assert (mf.verify().ok, mf.verify().checked) == (True, 0)


@pytest.mark.parametrize(("tamper", "problem"), TAMPERING, ids=[t.__name__ for t, _ in TAMPERING])
def test_tampering_names_exactly_the_affected_relationship(
    mf: Mentorflow, pair: tuple[str, str], tamper: Tamper, problem: str
) -> None:
    """Each kind of hand edit breaks verification of that relationship only, saying what is wrong."""
    target, _ = pair
    with mf.engine.begin() as connection:
        tamper(connection, target)
    report = mf.verify()
    assert not report.ok
    assert [broken.relationship for broken in report.broken] == [target]
    assert report.broken[0].problems
    assert any(re.search(problem, text) for text in report.broken[0].problems), report.broken


def unreadable_payload(connection: Connection, rel_id: str) -> None:
    connection.execute(
        update(EventRow).where(EventRow.relationship_id == rel_id, EventRow.seq == 2).values(payload="{not json")
    )


def delete_every_event(connection: Connection, rel_id: str) -> None:
    connection.execute(delete(EventRow).where(EventRow.relationship_id == rel_id))


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (unreadable_payload, "event 2 has an unreadable payload"),
        (delete_every_event, "the relationship has no events"),
    ],
    ids=["unreadable_payload", "delete_every_event"],
)
def test_a_log_that_cannot_be_read_is_broken(
    mf: Mentorflow, pair: tuple[str, str], tamper: Tamper, problem: str
) -> None:
    """An event that is not JSON, or a relationship without any event, is reported."""
    target, _ = pair
    with mf.engine.begin() as connection:
        tamper(connection, target)
    assert [(b.relationship, b.problems) for b in mf.verify().broken] == [(target, [problem])]


# -- forged logs: chains rewritten consistently, so that only the replay can tell ------------------------------

Edit = Callable[[list[dict[str, Any]]], None]


def _forge(records: RelationshipRecords, edit: Edit) -> RelationshipRecords:
    """The same relationship with its events edited and the whole hash chain (and cached head) recomputed."""
    events = [{"kind": e.kind, "actor": e.actor, "at": e.at, "payload": json.loads(e.payload)} for e in records.events]
    edit(events)
    rows, previous = [], GENESIS
    for seq, event in enumerate(events, start=1):
        digest = event_hash(
            previous,
            records.row.id,
            seq,
            event["kind"],
            event["actor"],
            from_db(event["at"]).isoformat(),
            event["payload"],
        )
        rows.append(
            EventRow(
                relationship_id=records.row.id,
                seq=seq,
                kind=event["kind"],
                actor=event["actor"],
                at=event["at"],
                payload=canonical_json(event["payload"]),
                hash=digest,
            )
        )
        previous = digest
    head = records.row._replace(seq=len(rows), last_hash=previous)
    # Plain objects with the same attributes stand in for the database's rows.
    return dataclasses.replace(records, row=head, events=cast("Any", rows))


def sign_an_old_revision(events: list[dict[str, Any]]) -> None:
    events[4]["payload"]["revision"] = 7


def fire_an_unknown_trigger(events: list[dict[str, Any]]) -> None:
    events[2]["payload"]["trigger"] = "fly"


def move_somewhere_else(events: list[dict[str, Any]]) -> None:
    events[2]["payload"]["to"] = "completed"


def start_as_something_else(events: list[dict[str, Any]]) -> None:
    events[0]["kind"] = "joined"


def lose_a_key(events: list[dict[str, Any]]) -> None:
    del events[1]["payload"]["slot"]


FORGERIES: list[tuple[Edit, str]] = [
    (sign_an_old_revision, "event 5 signs agreement revision 7, which is not the latest revision's content"),
    (fire_an_unknown_trigger, "event 3 fires 'fly' from 'preparing', which the definition does not allow"),
    (move_somewhere_else, "event 3 moves 'preparing' -> 'completed'; the definition says 'preparing' -> 'negotiating'"),
    (start_as_something_else, "the first event is not the start on the pinned definition"),
    (lose_a_key, "replay failed: 'slot'"),
]


@pytest.mark.parametrize(("edit", "problem"), FORGERIES, ids=[e.__name__ for e, _ in FORGERIES])
def test_a_forged_but_well_chained_log_fails_the_replay(
    mf: Mentorflow, pair: tuple[str, str], edit: Edit, problem: str
) -> None:
    """Events that chain correctly but could not have happened are caught by replaying them."""
    records = stored_records(mf, pair[0])
    assert check_relationship(records) is None
    broken = check_relationship(_forge(records, edit))
    assert broken is not None
    assert problem in broken.problems


def test_a_relationship_without_its_definition_is_broken(mf: Mentorflow, pair: tuple[str, str]) -> None:
    """Should the definition row be gone, the relationship is reported rather than crashing verify."""
    records = dataclasses.replace(stored_records(mf, pair[0]), definition_body=None)
    assert check_relationship(records) == BrokenRelationship(
        relationship=pair[0], problems=["its definition is missing"]
    )


def test_the_engine_refuses_an_edited_definition(mf: Mentorflow, pair: tuple[str, str], db_url: str) -> None:
    """A definition whose body no longer matches its hash is never run: reads and writes fail, nothing is written."""
    target, bystander = pair
    with mf.engine.begin() as connection:
        edit_the_definition(connection, target)
    fresh = Mentorflow(db_url)  # nothing parsed yet: it reads the edited body
    try:
        for attempt in (
            lambda: fresh.status(target),
            lambda: fresh.submit(target, "meeting", valid("meeting"), actor="ann"),
        ):
            with pytest.raises(CorruptDefinition, match="does not match its hash: it was edited"):
                attempt()
        assert len(fresh.history(bystander)) == 2  # other definitions still run
    finally:
        fresh.engine.dispose()
    assert len(mf.history(target)) == 6
