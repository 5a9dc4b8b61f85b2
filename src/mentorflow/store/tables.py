"""The tables, as typed SQLAlchemy models. Every name starts with ``mentorflow_`` to sit beside a platform's own.

The event log is the source of truth; the other tables are its materialised view, kept in step in the same
transaction and checked against it by ``verify``. Standings and phase stays are a further, derived cache for
audits: each records the ``seq`` it was computed at, so a cache that a later write has outdated is not used.
Times are stored as naive UTC, the one form both SQLite and PostgreSQL keep exactly.

The constraints whose violation means something (a lost race, an id taken) are named here, as migration 0001
created them: PostgreSQL reports a violation by that name, SQLite by the columns, and ``store.faults`` recognises
both. The names come from the naming convention's first column only; renaming them would rebuild the event log's
table on SQLite for no change in meaning, so they stay.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "DEFINITION_HASH",
    "DEFINITION_VERSION",
    "EVENT_SEQ",
    "RELATIONSHIP_ID",
    "REMINDER_ONCE",
    "Base",
    "ChangeRow",
    "Definition",
    "DeliveryRow",
    "EndpointRow",
    "EventRow",
    "ParticipantRow",
    "PhaseStayRow",
    "RelationshipRow",
    "ReminderRow",
    "RevisionRow",
    "SignatureRow",
]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = String(200)
NAME = String(63)
HASH = String(64)

DEFINITION_HASH = "pk_mentorflow_definitions"
"""One stored body per content hash."""
DEFINITION_VERSION = "uq_mentorflow_definitions_workflow"
"""One body per (workflow, version)."""
RELATIONSHIP_ID = "pk_mentorflow_relationships"
"""One relationship per id."""
EVENT_SEQ = "uq_mentorflow_events_relationship_id"
"""One event per (relationship_id, seq): two writers never append the same place in a chain."""
REMINDER_ONCE = "uq_mentorflow_reminders_relationship_id"
"""One reminder per (relationship, state, obligation, due date, offset): two ticks never record one twice."""


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Definition(Base):
    """A workflow bundle (workflow plus the kinds it uses), stored once by content hash."""

    __tablename__ = "mentorflow_definitions"
    __table_args__ = (
        PrimaryKeyConstraint("hash", name=DEFINITION_HASH),
        UniqueConstraint("workflow", "version", name=DEFINITION_VERSION),
    )

    hash: Mapped[str] = mapped_column(HASH, primary_key=True)
    workflow: Mapped[str] = mapped_column(NAME)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class RelationshipRow(Base):
    """The cached head of a relationship's event log: state, timing, and the compare-and-set version."""

    __tablename__ = "mentorflow_relationships"
    __table_args__ = (
        PrimaryKeyConstraint("id", name=RELATIONSHIP_ID),
        # Also covers a summary's counts (GROUP BY in this order needs neither the table nor a sort).
        Index("ix_mentorflow_relationships_workflow_state", "workflow", "state", "workflow_version", "program"),
        Index("ix_mentorflow_relationships_program", "program"),
        # A read decides with one lookup of the latest event whether it reads the past (``audit.asof``).
        Index("ix_mentorflow_relationships_last_event_at", "last_event_at"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    workflow: Mapped[str] = mapped_column(NAME)
    workflow_version: Mapped[int] = mapped_column(Integer)
    definition_hash: Mapped[str] = mapped_column(ForeignKey("mentorflow_definitions.hash"))
    state: Mapped[str] = mapped_column(NAME)
    final: Mapped[bool] = mapped_column(Boolean)
    program: Mapped[str | None] = mapped_column(ID)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime)
    entered_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_event_at: Mapped[dt.datetime] = mapped_column(DateTime)
    seq: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(HASH)
    lock_version: Mapped[int] = mapped_column(Integer)
    # The standing cache: where the relationship stood when last evaluated (see ``mentorflow.audit``). It holds
    # while ``standing_seq`` is ``seq``, ``standing_format`` is the current format, and the audit's moment lies in
    # ``[standing_at, recheck_at)``; it sits on this row so that audits and summaries read one table, not a join.
    standing_seq: Mapped[int | None] = mapped_column(Integer)
    standing_format: Mapped[int | None] = mapped_column(Integer)
    standing_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    recheck_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    """The first moment time alone could change the evaluation: a delay running out, a window moving on."""
    blocked: Mapped[bool | None] = mapped_column(Boolean)
    overdue_from: Mapped[dt.datetime | None] = mapped_column(DateTime)
    """The earliest due date among the obligations not met; the relationship is overdue strictly after it."""
    standing: Mapped[str | None] = mapped_column(Text)
    """JSON: participants, next triggers, blockers and obligations, in the compact form ``audit`` decodes."""


class ParticipantRow(Base):
    __tablename__ = "mentorflow_participants"
    __table_args__ = (
        Index("ix_mentorflow_participants_relationship", "relationship_id", "left_at"),
        # Covers `person`'s query (a person's current roles): read from the index alone, never from the table.
        Index("ix_mentorflow_participants_person", "person", "left_at", "relationship_id", "role"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    relationship_id: Mapped[str] = mapped_column(ForeignKey("mentorflow_relationships.id"))
    person: Mapped[str] = mapped_column(ID)
    role: Mapped[str] = mapped_column(NAME)
    joined_at: Mapped[dt.datetime] = mapped_column(DateTime)
    left_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class RevisionRow(Base):
    """One immutable submission of a document or item; ``item`` is 0 for a plain slot."""

    __tablename__ = "mentorflow_revisions"
    __table_args__ = (UniqueConstraint("relationship_id", "slot", "item", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    relationship_id: Mapped[str] = mapped_column(ForeignKey("mentorflow_relationships.id"))
    slot: Mapped[str] = mapped_column(NAME)
    item: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(HASH)
    complete: Mapped[bool] = mapped_column(Boolean)
    missing: Mapped[str] = mapped_column(Text)
    submitted_by: Mapped[str] = mapped_column(ID)
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime)
    origin: Mapped[str | None] = mapped_column(Text)


class SignatureRow(Base):
    """A participant's signature, bound to the content hash of the revision it signs."""

    __tablename__ = "mentorflow_signatures"
    __table_args__ = (
        UniqueConstraint("revision_id", "person"),
        Index("ix_mentorflow_signatures_relationship", "relationship_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("mentorflow_revisions.id"))
    relationship_id: Mapped[str] = mapped_column(ForeignKey("mentorflow_relationships.id"))
    person: Mapped[str] = mapped_column(ID)
    role: Mapped[str] = mapped_column(NAME)
    content_hash: Mapped[str] = mapped_column(HASH)
    signed_at: Mapped[dt.datetime] = mapped_column(DateTime)


class EventRow(Base):
    """One entry of a relationship's hash-chained, append-only log; ``seq`` is gapless per relationship."""

    __tablename__ = "mentorflow_events"
    __table_args__ = (UniqueConstraint("relationship_id", "seq", name=EVENT_SEQ),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    relationship_id: Mapped[str] = mapped_column(ForeignKey("mentorflow_relationships.id"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(210))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    payload: Mapped[str] = mapped_column(Text)
    hash: Mapped[str] = mapped_column(HASH)
    mac: Mapped[str | None] = mapped_column(String(64))
    """HMAC-SHA256 of ``hash`` under the key named ``key_id``; both NULL for an event written without a key."""
    key_id: Mapped[str | None] = mapped_column(String(16))


class PhaseStayRow(Base):
    """The summary's history of a relationship: a row per phase reached (``days`` None) and per completed stay.

    A stay runs from entering a phase until entering a state of another phase, or a final state. The rows of a
    relationship are the ones computed with its standing cache, at its ``standing_seq``, and are replaced with it.
    """

    __tablename__ = "mentorflow_phase_stays"
    __table_args__ = (
        Index("ix_mentorflow_phase_stays_relationship", "relationship_id"),
        Index("ix_mentorflow_phase_stays_workflow_phase", "workflow", "phase", "days"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    relationship_id: Mapped[str] = mapped_column(ForeignKey("mentorflow_relationships.id"))
    seq: Mapped[int] = mapped_column(Integer)
    # Copies of the relationship's columns at ``seq``, so that a summary filters stays without a join.
    definition_hash: Mapped[str] = mapped_column(HASH)
    workflow: Mapped[str] = mapped_column(NAME)
    state: Mapped[str] = mapped_column(NAME)
    program: Mapped[str | None] = mapped_column(ID)
    phase: Mapped[str] = mapped_column(NAME)
    days: Mapped[float | None] = mapped_column(Float)


class ReminderRow(Base):
    """A reminder ``tick`` recorded for an unmet obligation: a notification, not an event of the chain.

    Nothing that decides a transition or an audit reads these rows; the change feed carries them out.
    """

    __tablename__ = "mentorflow_reminders"
    __table_args__ = (
        UniqueConstraint("relationship_id", "state", "obligation", "due_at", "offset_days", name=REMINDER_ONCE),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    relationship_id: Mapped[str] = mapped_column(ForeignKey("mentorflow_relationships.id"))
    state: Mapped[str] = mapped_column(NAME)
    obligation: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[dt.datetime] = mapped_column(DateTime)
    offset_days: Mapped[int] = mapped_column(Integer)
    requirement: Mapped[str] = mapped_column(Text)
    slot: Mapped[str | None] = mapped_column(NAME)
    role: Mapped[str | None] = mapped_column(NAME)
    people: Mapped[str] = mapped_column(Text)
    """The ids of the people who must act, as a JSON list."""
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ChangeRow(Base):
    """One entry of the change feed: a committed event or reminder, as a platform hears of it (DESIGN §14).

    A writer inserts it in its own transaction with ``position`` NULL; ``store.feed.sequence`` numbers the
    committed ones afterwards, one numbering at a time, so that positions follow commit order. ``id`` is only the
    order of insertion: taken before commit, it is not the order a reader may follow.
    """

    __tablename__ = "mentorflow_changes"
    __table_args__ = (
        Index("ix_mentorflow_changes_position", "position", unique=True),
        # The changes still to number: few at any moment, found without reading the numbered ones.
        Index(
            "ix_mentorflow_changes_unnumbered",
            "id",
            sqlite_where=text("position IS NULL"),
            postgresql_where=text("position IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    position: Mapped[int | None] = mapped_column(Integer)
    change_id: Mapped[str] = mapped_column(String(40))
    """The change's stable id (``webhook-id``): ``evt_`` or ``rem_`` and 32 hex digits."""
    kind: Mapped[str] = mapped_column(String(32))
    relationship_id: Mapped[str] = mapped_column(ID)
    seq: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    people: Mapped[str] = mapped_column(Text)
    """JSON list: for an event the relationship's participants after it, for a reminder who must act."""
    payload: Mapped[str] = mapped_column(Text)


class EndpointRow(Base):
    """A webhook endpoint the operator registered (``mentorflow.webhooks``); its secret stays in the environment.

    ``cursor`` is the feed position up to which changes have been queued for it: set to the feed's end when the
    endpoint is added, so that it receives only the changes committed afterwards.
    """

    __tablename__ = "mentorflow_endpoints"

    name: Mapped[str] = mapped_column(NAME, primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    kinds: Mapped[str] = mapped_column(Text)
    """JSON list of the change kinds it receives; empty for every kind."""
    secret_env: Mapped[str] = mapped_column(String(200))
    cursor: Mapped[int] = mapped_column(Integer)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    added_at: Mapped[dt.datetime] = mapped_column(DateTime)


class DeliveryRow(Base):
    """A change still to deliver to an endpoint (or dead-lettered); deleted once the endpoint acknowledged it."""

    __tablename__ = "mentorflow_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint", "position"),
        # The claim's questions: what is due, and is an earlier change of the same relationship still pending.
        Index("ix_mentorflow_deliveries_due", "state", "due_at"),
        Index("ix_mentorflow_deliveries_order", "endpoint", "relationship_id", "position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    endpoint: Mapped[str] = mapped_column(NAME, ForeignKey("mentorflow_endpoints.name", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    relationship_id: Mapped[str] = mapped_column(ID)
    state: Mapped[str] = mapped_column(String(16))
    """``pending`` or ``dead``."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[dt.datetime] = mapped_column(DateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(40))
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
