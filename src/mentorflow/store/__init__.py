"""Persistence: the only package that imports SQLAlchemy and Alembic.

``db`` holds connections, transactions and migrations; ``faults`` turns database errors into mentorflow errors;
``tables`` the schema; ``definitions`` the stored workflow definitions; ``statements`` the prebuilt statements of
the hot path; ``repo`` the reads and writes of relationships and their hash-chained event log; ``queries`` and
``standings`` the bulk reads behind audits and verification, and the standing cache; ``records`` every row of
every relationship for ``verify``; ``reminders`` the reminders ``tick`` records, once each; ``feed`` the change
feed; ``outbox`` the webhook deliveries owed, leased and settled.
"""

from sqlalchemy import Connection, Engine

from mentorflow.store.db import (
    Executor,
    Session,
    SessionLike,
    after_commit,
    caller_session,
    connect,
    exclusive,
    read,
    read_session,
    transaction,
    upgrade,
    write,
)
from mentorflow.store.definitions import Bundles

__all__ = [
    "Bundles",
    "Connection",
    "Engine",
    "Executor",
    "Session",
    "SessionLike",
    "after_commit",
    "caller_session",
    "connect",
    "exclusive",
    "read",
    "read_session",
    "transaction",
    "upgrade",
    "write",
]
