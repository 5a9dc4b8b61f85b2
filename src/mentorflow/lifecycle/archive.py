"""The archive format (DESIGN §16), and ``export``, which writes it a line at a time.

An archive is JSON Lines, each line one canonical JSON object with one key that says what it holds: a header
``{"mentorflow_export": 1, "at", "relationships", "events"}``, then each definition used (``definition``), then per
relationship its row (``relationship``) followed by its ``participant``, ``event``, ``revision`` and ``signature``
lines. Everything needed to rebuild the relationships and to prove them is there: every event with its hash and
MAC, every revision with its content, every signature with the hash it binds. Nothing derived (the standing cache,
phase stays) and no notification (reminders, the change feed, webhooks) is carried: they are recomputed or belong
to the database that sent them. Integer row ids are left out, so the lines of a relationship are the same whichever
database wrote them: export, import and export again gives the same bytes, apart from the header's ``at``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any, TextIO

from pydantic import BaseModel, ConfigDict

from mentorflow.canonical import canonical_json
from mentorflow.engine.snapshot import PLAIN_ITEM
from mentorflow.errors import InvalidInput
from mentorflow.identifiers import check_identifier
from mentorflow.store import Executor, archive
from mentorflow.store.db import connection_of, from_db
from mentorflow.store.repo import unknown_relationship

__all__ = ["FORMAT", "ArchiveCounts", "export", "moment"]

FORMAT = 1
"""The archive format's version: the header's ``mentorflow_export``."""


class ArchiveCounts(BaseModel):
    """What an archive held: written by ``export``, loaded by ``import_archive``."""

    model_config = ConfigDict(frozen=True)

    relationships: int
    events: int
    definitions: int


def moment(value: dt.datetime | None) -> str | None:
    """A stored (naive UTC) time as an archive writes it: ISO 8601 with its offset."""
    return None if value is None else from_db(value).isoformat()


_encode = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode
"""``canonical_json``, with its encoder made once: an archive encodes a line per row."""
_RAW = "\x00raw"
"""Stands in a record for a stored JSON text, spliced in as it is: see ``_line``."""
_RAW_QUOTED = canonical_json(_RAW)


def _line(out: TextIO, key: str, value: dict[str, Any], raw: str | None = None) -> None:
    """One record as canonical JSON. ``raw`` is stored canonical JSON (a payload, a content), written where the
    record holds ``_RAW``: the same bytes as decoding and encoding it again, without the cost."""
    text = _encode({key: value})
    if raw is not None:
        text = text.replace(_RAW_QUOTED, raw, 1)
    out.write(text)
    out.write("\n")


def export(session: Executor, out: TextIO, ids: Sequence[str] | None, now: dt.datetime) -> ArchiveCounts:
    """Write an archive of the relationships ``ids`` (None: every one) to ``out``, a page of rows at a time."""
    connection = connection_of(session)
    if not callable(getattr(out, "write", None)):
        raise InvalidInput(
            f"export writes to a text file opened for writing, got {type(out).__name__}",
            hint="Pass e.g. open(path, 'w', encoding='utf-8'), or sys.stdout.",
        )
    if isinstance(ids, str):  # one id, not its characters
        ids = [ids]
    if ids is not None:
        ids = sorted({check_identifier(rel_id, "relationship id") for rel_id in ids})
        missing = sorted(set(ids) - set(archive.present(connection, ids)))
        if missing:
            raise unknown_relationship(missing[0])
    relationships, events = archive.counts(connection, ids)
    header = {"mentorflow_export": FORMAT, "at": now.isoformat(), "relationships": relationships, "events": events}
    out.write(canonical_json(header) + "\n")
    definitions = 0
    for row in archive.definitions(connection, None if ids is None else archive.definitions_used(connection, ids)):
        definitions += 1
        _line(
            out,
            "definition",
            {
                "hash": row.hash,
                "workflow": row.workflow,
                "version": row.version,
                "title": row.title,
                "body": row.body,  # as stored: its key order is the order an author gave the fields
                "created_at": moment(row.created_at),
            },
        )
    for stored in archive.relationships(connection, ids):
        _relationship(out, stored)
    return ArchiveCounts(relationships=relationships, events=events, definitions=definitions)


def _relationship(out: TextIO, stored: archive.Stored) -> None:
    row = stored.row
    head = {name: getattr(row, name) for name in archive.HEAD}
    for name in ("started_at", "entered_at", "last_event_at"):
        head[name] = moment(head[name])
    _line(out, "relationship", head)
    for person in stored.participants:
        _line(
            out,
            "participant",
            {
                "person": person.person,
                "role": person.role,
                "joined_at": moment(person.joined_at),
                "left_at": moment(person.left_at),
            },
        )
    for event in stored.events:
        _line(
            out,
            "event",
            {
                "seq": event.seq,
                "kind": event.kind,
                "actor": event.actor,
                "at": moment(event.at),
                "payload": _RAW,
                "hash": event.hash,
                "mac": event.mac,
                "key_id": event.key_id,
            },
            event.payload,
        )
    for revision in stored.revisions:
        _line(
            out,
            "revision",
            {
                "slot": revision.slot,
                "item": _item(revision.item),
                "revision": revision.number,
                "content": _RAW,
                "content_hash": revision.content_hash,
                "complete": revision.complete,
                "missing": json.loads(revision.missing),
                "submitted_by": revision.submitted_by,
                "submitted_at": moment(revision.submitted_at),
                "origin": None if revision.origin is None else json.loads(revision.origin),
            },
            revision.content,
        )
    for signature in stored.signatures:
        _line(
            out,
            "signature",
            {
                "slot": signature.slot,
                "item": _item(signature.item),
                "revision": signature.number,
                "person": signature.person,
                "role": signature.role,
                "content_hash": signature.content_hash,
                "signed_at": moment(signature.signed_at),
            },
        )


def _item(number: int) -> int | None:
    """An item as the log names it: None for a plain slot's one document."""
    return None if number == PLAIN_ITEM else number
