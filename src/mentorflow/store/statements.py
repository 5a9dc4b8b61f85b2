"""The statements of reads and writes of a relationship, built once at import.

A fire runs each of them, and building them per call costs more than executing them. They run on the session's
connection, as Core, so no ORM object is loaded or flushed; the ones every write runs are also ``Prepared`` (see
``store.db``), which skips SQLAlchemy's execution layer.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    ColumnElement,
    CompoundSelect,
    DateTime,
    Integer,
    Select,
    String,
    Table,
    Text,
    bindparam,
    insert,
    literal_column,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy import cast as sql_cast

from mentorflow.store.db import Prepared
from mentorflow.store.tables import (
    EventRow,
    ParticipantRow,
    RelationshipRow,
    RevisionRow,
    SignatureRow,
)

# Statements of the hot path, built once: a fire runs each of them, and building them per call costs more than
# executing them. They run on the session's connection, as Core, so no ORM object is loaded or flushed; the ones
# every write runs are also Prepared (see store.db), which skips SQLAlchemy's execution layer.
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
SELECT_HEAD = select(*HEAD_COLUMNS).where(_REL.c.id == bindparam("id"))
_HeadRow = namedtuple(  # noqa: PYI024 - the fields are the columns', by name, as on SQLAlchemy's rows
    "_HeadRow",
    [
        "id",
        "definition_hash",
        "state",
        "entered_at",
        "started_at",
        "program",
        "last_event_at",
        "seq",
        "last_hash",
        "lock_version",
    ],
)


def _details(match: Callable[[ColumnElement[str]], ColumnElement[bool]]) -> tuple[Select[Any], ...]:
    """The participants, revisions and signatures queries, for one relationship or for many."""
    return (
        select(_PEOPLE.c.relationship_id, _PEOPLE.c.person, _PEOPLE.c.role)
        .where(match(_PEOPLE.c.relationship_id), _PEOPLE.c.left_at.is_(None))
        .order_by(_PEOPLE.c.id),
        select(
            _REVISIONS.c.id,
            _REVISIONS.c.relationship_id,
            _REVISIONS.c.slot,
            _REVISIONS.c.item,
            _REVISIONS.c.number,
            _REVISIONS.c.complete,
            _REVISIONS.c.missing,
            _REVISIONS.c.content_hash,
            _REVISIONS.c.submitted_by,
            _REVISIONS.c.submitted_at,
        )
        .where(match(_REVISIONS.c.relationship_id))
        .order_by(_REVISIONS.c.relationship_id, _REVISIONS.c.slot, _REVISIONS.c.item, _REVISIONS.c.number),
        select(_SIGNATURES.c.revision_id, _SIGNATURES.c.person, _SIGNATURES.c.role, _SIGNATURES.c.signed_at).where(
            match(_SIGNATURES.c.relationship_id)
        ),
    )


def _details_of_one() -> CompoundSelect[Any]:
    """The three detail queries of one relationship as one statement: a round trip (and a statement) for three.

    The branches share columns, each filling those it has and leaving the others NULL (typed, so that the times
    and booleans of the later branches are read as such); ``kind`` says which branch a row comes from. Ordered by
    kind, then as the separate queries are (people by id, revisions by slot, item and number).
    """

    def row(kind: int, **columns: ColumnElement[Any]) -> Select[Any]:
        return select(
            literal_column(str(kind), Integer).label("kind"),
            *(
                columns.get(name, sql_cast(null(), type_)).label(name)
                for name, type_ in (
                    ("slot", String()),
                    ("item", Integer()),
                    ("number", Integer()),
                    ("id", Integer()),
                    ("person", String()),
                    ("role", String()),
                    ("revision_id", Integer()),
                    ("complete", Boolean()),
                    ("missing", Text()),
                    ("content_hash", String()),
                    ("submitted_by", String()),
                    ("at", DateTime()),
                )
            ),
        )

    one = bindparam("id", type_=String())
    people, revisions, signatures = _PEOPLE.c, _REVISIONS.c, _SIGNATURES.c
    return union_all(
        row(_PERSON, id=people.id, person=people.person, role=people.role).where(
            people.relationship_id == one, people.left_at.is_(None)
        ),
        row(
            _REVISION,
            slot=revisions.slot,
            item=revisions.item,
            number=revisions.number,
            id=revisions.id,
            complete=revisions.complete,
            missing=revisions.missing,
            content_hash=revisions.content_hash,
            submitted_by=revisions.submitted_by,
            at=revisions.submitted_at,
        ).where(revisions.relationship_id == one),
        row(
            _SIGNATURE,
            id=signatures.id,
            person=signatures.person,
            role=signatures.role,
            revision_id=signatures.revision_id,
            at=signatures.signed_at,
        ).where(signatures.relationship_id == one),
    ).order_by(*(literal_column(name) for name in ("kind", "slot", "item", "number", "id")))


_PERSON, _REVISION, _SIGNATURE = 0, 1, 2
DETAILS_OF_ONE = _details_of_one()
# The many-relationship form stays three queries: an IN list costs a post-compilation step on every call, which
# the common case, one relationship, does without.
DETAILS_OF_MANY = _details(lambda column: column.in_(bindparam("ids", expanding=True)))
_MOVE_HEAD: dict[str, Any] = {
    "seq": bindparam("b_seq"),
    "last_hash": bindparam("b_hash"),
    "last_event_at": bindparam("b_at"),
    "lock_version": bindparam("b_next"),
}
_CAS = (_REL.c.id == bindparam("b_id"), _REL.c.lock_version == bindparam("b_expected"))
UPDATE_HEAD = update(_REL).where(*_CAS).values(**_MOVE_HEAD)
UPDATE_HEAD_AND_STATE = (
    update(_REL)
    .where(*_CAS)
    .values(**_MOVE_HEAD, state=bindparam("b_state"), entered_at=bindparam("b_at"), final=bindparam("b_final"))
)
INSERT_EVENTS = insert(_EVENTS)
_EVENT_COLUMNS = ("relationship_id", "seq", "kind", "actor", "at", "payload", "hash")
_PREPARED_HEAD = Prepared(SELECT_HEAD)
_PREPARED_DETAILS = Prepared(DETAILS_OF_ONE)
_PREPARED_UPDATE_HEAD = Prepared(UPDATE_HEAD)
_PREPARED_UPDATE_HEAD_AND_STATE = Prepared(UPDATE_HEAD_AND_STATE)
# inline(): no RETURNING of the new id, which nobody reads (PostgreSQL would add it otherwise).
_PREPARED_INSERT_EVENTS = Prepared(insert(_EVENTS).values({name: bindparam(name) for name in _EVENT_COLUMNS}).inline())
INSERT_PEOPLE = insert(_PEOPLE)
INSERT_REVISION = insert(_REVISIONS)
INSERT_SIGNATURE = insert(_SIGNATURES).values(
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
LEAVE = (
    update(_PEOPLE)
    .where(
        _PEOPLE.c.relationship_id == bindparam("b_id"),
        _PEOPLE.c.person.in_(bindparam("b_people", expanding=True)),
        _PEOPLE.c.left_at.is_(None),
    )
    .values(left_at=bindparam("b_at"))
)
