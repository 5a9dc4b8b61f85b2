"""Moving a relationship onto another definition: which relationships a migration selects, and the one write that
moves each, its head row changed with compare-and-set and a ``migrated`` event appended to its chain.

Kept apart from ``repo`` because no other write changes the definition a relationship runs on. The write follows
``repo.apply_write``'s rule: the head row moves first, from the lock version the snapshot was read at, so a writer
that got there first (a fire, another migration) makes it touch no row and raise ``ConcurrencyConflict``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from sqlalchemy import Table, select

from mentorflow.definitions import Bundle
from mentorflow.engine.snapshot import Snapshot
from mentorflow.errors import ConcurrencyConflict
from mentorflow.identifiers import Actor
from mentorflow.keys import Keyring
from mentorflow.store.db import Executor, connection_of
from mentorflow.store.repo import Chain, members
from mentorflow.store.statements import UPDATE_HEAD_AND_DEFINITION
from mentorflow.store.tables import RelationshipRow
from mentorflow.types import Event

__all__ = ["KIND", "apply_move", "candidates"]

KIND = "migrated"
_REL = cast("Table", RelationshipRow.__table__)


def candidates(
    executor: Executor,
    workflow: str,
    to_version: int,
    from_version: int | None,
    program: str | None,
) -> list[str]:
    """Ids of the running relationships of ``workflow`` not on ``to_version`` (on ``from_version`` if given, in
    ``program`` if given), oldest first. One already moved is not selected again: that makes a migration resumable."""
    query = select(_REL.c.id).where(
        _REL.c.workflow == workflow, _REL.c.workflow_version != to_version, _REL.c.final.is_(False)
    )
    if from_version is not None:
        query = query.where(_REL.c.workflow_version == from_version)
    if program is not None:
        query = query.where(_REL.c.program == program)
    return list(connection_of(executor).execute(query.order_by(_REL.c.started_at, _REL.c.id)).scalars())


def apply_move(
    executor: Executor,
    snapshot: Snapshot,
    target: Bundle,
    new_state: str,
    payload: dict[str, Any],
    actor: Actor,
    now: dt.datetime,
    keys: Keyring | None = None,
) -> Event:
    """Move one relationship onto ``target`` in ``new_state`` and record the ``migrated`` event (signed by
    ``keys`` in a keyed log); returns it. The target definition must be stored already (``Bundles.register``)."""
    # The event is appended by the same chain as every other write's, so it is hashed and signed the same way.
    chain = Chain(snapshot.id, snapshot.seq, snapshot.last_hash, actor, now, keys)
    chain.append(KIND, payload)
    connection = connection_of(executor)
    moved = connection.execute(
        UPDATE_HEAD_AND_DEFINITION,
        {
            **chain.head(snapshot),
            "b_definition": target.hash,
            "b_version": target.workflow.version,
            "b_state": new_state,
            "b_final": target.workflow.states[new_state].final,
        },
    )
    if moved.rowcount != 1:
        raise ConcurrencyConflict(
            f"relationship {snapshot.id!r} changed while its migration was prepared", relationship=snapshot.id
        )
    chain.save(connection, members(snapshot))
    [event] = chain.events()
    return event
