"""The statements of reads and writes of a relationship, built once at import.

A fire runs each of them, and building a statement costs more than running it: a statement built once is compiled
once per dialect and then found in SQLAlchemy's compiled cache on every execution. They run on the session's
connection as Core, so no ORM object is loaded or flushed. A snapshot is two round trips: the head row joined to
its participants, and the revisions joined to their signatures.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, and_, bindparam, insert, select, update

from mentorflow.store.tables import (
    EventRow,
    ParticipantRow,
    RelationshipRow,
    RevisionRow,
    SignatureRow,
)

__all__ = [
    "CARRIED_REVISION",
    "HEAD_AND_PEOPLE",
    "HEAD_COLUMNS",
    "INSERT_EVENT",
    "INSERT_PEOPLE",
    "INSERT_RELATIONSHIP",
    "INSERT_REVISION",
    "INSERT_SIGNATURE",
    "LEAVE",
    "PEOPLE_OF_MANY",
    "RELATIONSHIP_EXISTS",
    "REVISIONS_OF_MANY",
    "REVISIONS_OF_ONE",
    "SIGNATURES_OF_REVISION",
    "UPDATE_HEAD",
    "UPDATE_HEAD_AND_DEFINITION",
    "UPDATE_HEAD_AND_STATE",
]

_REL = cast("Table", RelationshipRow.__table__)
_PEOPLE = cast("Table", ParticipantRow.__table__)
_REVISIONS = cast("Table", RevisionRow.__table__)
_SIGNATURES = cast("Table", SignatureRow.__table__)
_EVENTS = cast("Table", EventRow.__table__)

HEAD_COLUMNS = (
    _REL.c.id,
    _REL.c.definition_hash,
    _REL.c.state,
    _REL.c.entered_at,
    _REL.c.started_at,
    _REL.c.program,
    _REL.c.last_event_at,
    _REL.c.seq,
    _REL.c.last_hash,
    _REL.c.lock_version,
)
"""What a snapshot's head is built from (``repo.snapshot_of``)."""

_ACTIVE = _PEOPLE.c.left_at.is_(None)

HEAD_AND_PEOPLE = (
    select(*HEAD_COLUMNS, _PEOPLE.c.person, _PEOPLE.c.role)
    .select_from(_REL.outerjoin(_PEOPLE, and_(_PEOPLE.c.relationship_id == _REL.c.id, _ACTIVE)))
    .where(_REL.c.id == bindparam("id"))
    .order_by(_PEOPLE.c.id)
)
"""One relationship's head, once per participant in joining order (person and role NULL if it has none)."""

PEOPLE_OF_MANY = (
    select(_PEOPLE.c.relationship_id, _PEOPLE.c.person, _PEOPLE.c.role)
    .where(_PEOPLE.c.relationship_id.in_(bindparam("ids", expanding=True)), _ACTIVE)
    .order_by(_PEOPLE.c.id)
)


def _revisions(match: Callable[[ColumnElement[str]], ColumnElement[bool]]) -> Select[Any]:
    """Every revision of the matching relationships, each once per signature (signature columns NULL if none),
    in the order a snapshot takes them: by slot, item and number, signatures in the order they were made."""
    revisions, signatures = _REVISIONS.c, _SIGNATURES.c
    return (
        select(
            revisions.relationship_id,
            revisions.id,
            revisions.slot,
            revisions.item,
            revisions.number,
            revisions.complete,
            revisions.missing,
            revisions.content_hash,
            revisions.submitted_by,
            revisions.submitted_at,
            signatures.person,
            signatures.role,
            signatures.signed_at,
        )
        .select_from(_REVISIONS.outerjoin(_SIGNATURES, signatures.revision_id == revisions.id))
        .where(match(revisions.relationship_id))
        .order_by(revisions.relationship_id, revisions.slot, revisions.item, revisions.number, signatures.id)
    )


REVISIONS_OF_ONE = _revisions(lambda column: column == bindparam("id"))
# An IN list costs a step after compilation on every call, which the common case, one relationship, does without.
REVISIONS_OF_MANY = _revisions(lambda column: column.in_(bindparam("ids", expanding=True)))

CARRIED_REVISION = select(_REVISIONS).where(
    _REVISIONS.c.relationship_id == bindparam("id"),
    _REVISIONS.c.slot == bindparam("slot"),
    _REVISIONS.c.item == bindparam("item"),
    _REVISIONS.c.number == bindparam("number"),
)
"""One revision of a relationship, which a linked start carries over."""
SIGNATURES_OF_REVISION = (
    select(_SIGNATURES.c.person, _SIGNATURES.c.role)
    .where(_SIGNATURES.c.revision_id == bindparam("id"))
    .order_by(_SIGNATURES.c.id)
)

RELATIONSHIP_EXISTS = select(_REL.c.id).where(_REL.c.id == bindparam("id"))
INSERT_RELATIONSHIP = insert(_REL)

_MOVE_HEAD: dict[str, Any] = {
    "seq": bindparam("b_seq"),
    "last_hash": bindparam("b_hash"),
    "last_event_at": bindparam("b_at"),
    "lock_version": bindparam("b_next"),
}
# Compare-and-set: the row moves on only from the lock version the snapshot was read at.
_CAS = (_REL.c.id == bindparam("b_id"), _REL.c.lock_version == bindparam("b_expected"))
UPDATE_HEAD = update(_REL).where(*_CAS).values(**_MOVE_HEAD)
# A migration's move: the head as every write moves it, onto another definition; entered_at stays, for the
# relationship has not left its state.
UPDATE_HEAD_AND_DEFINITION = (
    update(_REL)
    .where(*_CAS)
    .values(
        **_MOVE_HEAD,
        definition_hash=bindparam("b_definition"),
        workflow_version=bindparam("b_version"),
        state=bindparam("b_state"),
        final=bindparam("b_final"),
    )
)
UPDATE_HEAD_AND_STATE = (
    update(_REL)
    .where(*_CAS)
    .values(**_MOVE_HEAD, state=bindparam("b_state"), entered_at=bindparam("b_at"), final=bindparam("b_final"))
)
# inline(): no RETURNING of the new id, which nobody reads (PostgreSQL would add it to a single-row INSERT).
INSERT_EVENT = insert(_EVENTS).inline()
INSERT_PEOPLE = insert(_PEOPLE)
INSERT_REVISION = insert(_REVISIONS).inline()
INSERT_SIGNATURE = (
    insert(_SIGNATURES)
    .values(
        relationship_id=bindparam("b_relationship"),
        revision_id=select(_REVISIONS.c.id)
        .where(
            _REVISIONS.c.relationship_id == bindparam("b_relationship"),
            _REVISIONS.c.slot == bindparam("b_slot"),
            _REVISIONS.c.item == bindparam("b_item"),
            _REVISIONS.c.number == bindparam("b_number"),
        )
        .scalar_subquery(),
    )
    .inline()
)
"""A signature on a revision named by (relationship, slot, item, number): its id is looked up in the INSERT."""
LEAVE = (
    update(_PEOPLE)
    .where(
        _PEOPLE.c.relationship_id == bindparam("b_id"),
        _PEOPLE.c.person.in_(bindparam("b_people", expanding=True)),
        _ACTIVE,
    )
    .values(left_at=bindparam("b_at"))
)
