"""``import``: an archive loaded into another database, all or nothing, after every chain and MAC is proven.

The archive is read a line at a time and each relationship, once its lines are in, is checked by the machinery
``verify`` uses on a stored one (``audit.verify.check_relationship``: chain, MACs with the importer's key, a
replay against its definition, every row beside the log), so an archive that was cut, edited or forged is caught
by the same rules as a database. Rows go in by pages inside one transaction; the first problem stops the writing,
the checks go on (to name up to ``MOST_PROBLEMS`` of them), and the transaction is rolled back: a refused archive
leaves nothing behind. Memory holds one page, however large the archive.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from pydantic_core import from_json

from mentorflow.audit.verify import Definitions, check_relationship
from mentorflow.canonical import canonical_json, sha256_hex
from mentorflow.engine.snapshot import PLAIN_ITEM
from mentorflow.errors import ImportRefused, InvalidInput
from mentorflow.keys import Keyring
from mentorflow.lifecycle.archive import FORMAT, ArchiveCounts
from mentorflow.store import Connection, archive, bulk
from mentorflow.store.db import to_db
from mentorflow.store.records import (
    EventRecord,
    ParticipantRecord,
    RelationshipRecord,
    RelationshipRecords,
    RevisionRecord,
    SignatureRecord,
)

__all__ = ["MAX_LINE", "MOST_PROBLEMS", "load"]

MAX_LINE = 16 * 1024 * 1024
"""The longest line read: a revision is at most 1 MiB of canonical JSON, so this ends only a runaway read."""
MOST_PROBLEMS = 20
"""How many problems a refusal names before it stops reading."""
_HINT = "Import an archive written by `mentorflow export`, unchanged; nothing was imported."
_PRESENT_HINT = (
    "Import into a database that does not hold these relationships (a new one: `mentorflow --db URL init`), "
    "or export without them (`export --relationship ID...`); nothing was imported."
)


class _Bad(ValueError):
    """A line that is not what an archive holds there."""


def _refused(problems: list[str], where: str, *, only_present: bool) -> ImportRefused:
    shown = "\n".join(f"  - {problem}" for problem in problems)
    return ImportRefused(
        f"{where} was refused, and nothing was imported:\n{shown}", hint=_PRESENT_HINT if only_present else _HINT
    )


def _lines(source: TextIO) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each line of the archive, numbered from 1, as the object it holds."""
    number = 0
    while True:
        try:
            text = source.readline(MAX_LINE + 1)
        except UnicodeDecodeError:
            raise _Bad(f"line {number + 1} is not UTF-8 text") from None
        if not text:
            return
        number += 1
        if len(text) > MAX_LINE:
            raise _Bad(f"line {number} is longer than {MAX_LINE} characters")
        if not text.strip():
            continue
        try:
            value = from_json(text)
        except ValueError as exc:
            raise _Bad(f"line {number} is not JSON: {exc}") from None
        if not isinstance(value, dict) or (len(value) != 1 and "mentorflow_export" not in value):
            raise _Bad(f"line {number} is not an archive record")
        yield number, value


def _text(record: dict[str, Any], name: str, *, null: bool = False) -> Any:
    value = record.get(name)
    if (value is None and null) or isinstance(value, str):
        return value
    raise _Bad(f"{name!r} must be text")


def _number(record: dict[str, Any], name: str, *, null: bool = False) -> Any:
    value = record.get(name)
    if (value is None and null) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise _Bad(f"{name!r} must be a whole number")


def _flag(record: dict[str, Any], name: str) -> bool:
    value = record.get(name)
    if isinstance(value, bool):
        return value
    raise _Bad(f"{name!r} must be true or false")


def _time(record: dict[str, Any], name: str, *, null: bool = False) -> Any:
    value = _text(record, name, null=null)
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise _Bad(f"{name!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise _Bad(f"{name!r} has no UTC offset")
    return to_db(moment)


def _json(record: dict[str, Any], name: str) -> str:
    if name not in record:
        raise _Bad(f"{name!r} is missing")
    return canonical_json(record[name])


def _stored_item(record: dict[str, Any]) -> int:
    item = _number(record, "item", null=True)
    return PLAIN_ITEM if item is None else int(item)


@dataclass
class _Relationship:
    """One relationship's lines, as the records ``check_relationship`` reads and the rows an import inserts."""

    line: int
    row: RelationshipRecord
    participants: list[ParticipantRecord] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)
    revisions: list[RevisionRecord] = field(default_factory=list)
    signatures: list[dict[str, Any]] = field(default_factory=list)
    """With the (slot, item, number) of the revision signed, by which the insert finds its new row id."""

    def add(self, key: str, value: dict[str, Any]) -> None:
        rel_id = self.row.id
        if key == "participant":
            self.participants.append(
                ParticipantRecord(
                    rel_id,
                    _text(value, "person"),
                    _text(value, "role"),
                    _time(value, "joined_at"),
                    _time(value, "left_at", null=True),
                )
            )
        elif key == "event":
            self.events.append(
                EventRecord(
                    rel_id,
                    _number(value, "seq"),
                    _text(value, "kind"),
                    _text(value, "actor"),
                    _time(value, "at"),
                    _json(value, "payload"),
                    _text(value, "hash"),
                    _text(value, "mac", null=True),
                    _text(value, "key_id", null=True),
                )
            )
        elif key == "revision":
            origin = value.get("origin")
            self.revisions.append(
                RevisionRecord(
                    len(self.revisions) + 1,  # an id of its own within the archive, for its signatures
                    rel_id,
                    _text(value, "slot"),
                    _stored_item(value),
                    _number(value, "revision"),
                    _json(value, "content"),
                    _text(value, "content_hash"),
                    _flag(value, "complete"),
                    _json(value, "missing"),
                    _text(value, "submitted_by"),
                    _time(value, "submitted_at"),
                    None if origin is None else canonical_json(origin),
                )
            )
        elif key == "signature":
            self.signatures.append(
                {
                    "b_relationship": rel_id,
                    "b_slot": _text(value, "slot"),
                    "b_item": _stored_item(value),
                    "b_number": _number(value, "revision"),
                    "person": _text(value, "person"),
                    "role": _text(value, "role"),
                    "content_hash": _text(value, "content_hash"),
                    "signed_at": _time(value, "signed_at"),
                }
            )
        else:
            raise _Bad(f"a {key!r} record has no place in an archive")

    def records(self, bodies: dict[str, str], names: dict[str, tuple[str, int, str]]) -> RelationshipRecords:
        """The relationship as ``verify`` reads a stored one."""
        by_key = {(r.slot, r.item, r.number): r.id for r in self.revisions}
        signatures = [
            SignatureRecord(
                id=index,
                revision_id=by_key.get((s["b_slot"], s["b_item"], s["b_number"]), 0),
                relationship_id=s["b_relationship"],
                person=s["person"],
                role=s["role"],
                content_hash=s["content_hash"],
                signed_at=s["signed_at"],
            )
            for index, s in enumerate(self.signatures, start=1)
        ]
        records = RelationshipRecords(
            self.row,
            events=self.events,
            participants=self.participants,
            revisions=self.revisions,
            signatures=signatures,
        )
        records.definition_body = bodies.get(self.row.definition_hash)
        records.definition = names.get(self.row.definition_hash)
        records.bodies = bodies
        return records


def _head(value: dict[str, Any]) -> RelationshipRecord:
    return RelationshipRecord(
        id=_text(value, "id"),
        workflow=_text(value, "workflow"),
        workflow_version=_number(value, "workflow_version"),
        definition_hash=_text(value, "definition_hash"),
        state=_text(value, "state"),
        final=_flag(value, "final"),
        program=_text(value, "program", null=True),
        started_at=_time(value, "started_at"),
        entered_at=_time(value, "entered_at"),
        last_event_at=_time(value, "last_event_at"),
        seq=_number(value, "seq"),
        last_hash=_text(value, "last_hash"),
        lock_version=_number(value, "lock_version"),
    )


def _body_hash(body: str) -> str | None:
    """The hash a definition's body is stored under (that of its canonical JSON); None if it is not JSON."""
    try:
        return sha256_hex(canonical_json(json.loads(body)))
    except ValueError:
        return None


class _Loader:
    def __init__(self, connection: Connection, keys: Keyring | None) -> None:
        self.connection = connection
        self.keys = keys
        self.problems: list[str] = []
        self.present = 0
        """How many of the problems are relationships already in the database."""
        self.stored = archive.stored_definitions(connection)
        self.bodies: dict[str, str] = {}
        self.names: dict[str, tuple[str, int, str]] = {}
        self.definitions: Definitions | None = None
        self.new_definitions: list[dict[str, Any]] = []
        self.page: list[_Relationship] = []
        self.seen: set[str] = set()
        self.relationships = self.events = 0

    def problem(self, text: str) -> None:
        self.problems.append(text)
        if len(self.problems) >= MOST_PROBLEMS:
            raise _Full

    def definition(self, line: int, value: dict[str, Any]) -> None:
        digest = _text(value, "hash")
        body = _text(value, "body")
        workflow, version, title = _text(value, "workflow"), _number(value, "version"), _text(value, "title")
        if _body_hash(body) != digest:
            self.problem(f"line {line}: definition {workflow} version {version} does not match its hash")
        elif (workflow, version) in self.stored.values() and self.stored.get(digest) != (workflow, version):
            self.problem(
                f"line {line}: {workflow} version {version} is stored here with other content; the archive's "
                f"({digest[:12]}) cannot join it"
            )
        elif digest not in self.stored:
            self.stored[digest] = (workflow, version)
            row = {"hash": digest, "workflow": workflow, "version": version, "title": title, "body": body}
            self.new_definitions.append({**row, "created_at": _time(value, "created_at")})
        self.bodies[digest] = body
        self.names[digest] = (workflow, version, title)

    def relationship(self, found: _Relationship) -> None:
        """Check one relationship; queue it for the next page, which is written once full."""
        rel_id = found.row.id
        self.relationships += 1
        self.events += len(found.events)
        if rel_id in self.seen:
            self.problem(f"line {found.line}: relationship {rel_id} appears twice in the archive")
            return
        self.seen.add(rel_id)
        self.definitions = self.definitions or Definitions(self.bodies)
        broken = check_relationship(found.records(self.bodies, self.names), self.keys, None, self.definitions)
        if broken is not None:
            self.problem(f"line {found.line}: relationship {rel_id}: " + "; ".join(broken.problems))
            return
        self.page.append(found)
        if len(self.page) >= archive.PAGE:
            self.flush()

    def flush(self) -> None:
        """Write the queued page, unless a problem was found: a refused archive is rolled back anyway."""
        page, self.page = self.page, []
        taken = archive.present(self.connection, [found.row.id for found in page])
        for rel_id in taken:
            self.present += 1
            self.problem(f"relationship {rel_id} already exists in this database")
        if self.problems:
            return
        archive.insert_definitions(self.connection, self.new_definitions)
        self.new_definitions = []
        archive.insert_relationships(
            self.connection,
            [found.row for found in page],
            [person for found in page for person in found.participants],
            [revision for found in page for revision in found.revisions],
            [signature for found in page for signature in found.signatures],
            [event for found in page for event in found.events],
        )


class _Full(Exception):
    """Enough problems to refuse the archive: reading stops."""


def load(connection: Connection, source: TextIO, keys: Keyring | None, where: str = "the archive") -> ArchiveCounts:
    """Load the archive ``source`` through ``connection`` (inside the caller's transaction, which a refusal must
    roll back: ``ImportRefused`` is raised only after every check it names)."""
    if not callable(getattr(source, "readline", None)):
        raise InvalidInput(
            f"an import reads a text file opened for reading, got {type(source).__name__}",
            hint="Pass e.g. open(path, encoding='utf-8'); a path itself is not read.",
        )
    loader = _Loader(connection, keys)
    full = False
    try:
        with bulk.larger_cache(connection):
            _read(loader, _lines(source))
    except _Bad as exc:
        loader.problems.append(str(exc))
    except _Full:
        full = True
    if loader.problems:
        only_present = loader.present == len(loader.problems)
        if full:
            loader.problems.append(f"(stopped reading after {MOST_PROBLEMS} problems)")
        raise _refused(loader.problems, where, only_present=only_present)
    return ArchiveCounts(relationships=loader.relationships, events=loader.events, definitions=len(loader.names))


def _read(loader: _Loader, lines: Iterator[tuple[int, dict[str, Any]]]) -> None:
    """Every line through ``loader``: definitions first, then each relationship once all its lines are in."""
    header = _header(next(lines, None))
    current: _Relationship | None = None
    for number, value in lines:
        try:
            current = _take(loader, current, number, value)
        except _Bad as exc:
            raise _Bad(f"line {number}: {exc}") from None
    if current is not None:
        loader.relationship(current)
    loader.flush()
    expected = (header["relationships"], header["events"])
    if (loader.relationships, loader.events) != expected:
        loader.problem(
            f"the header promises {expected[0]} relationships and {expected[1]} events; the archive holds "
            f"{loader.relationships} and {loader.events}: it was cut short or edited"
        )


def _take(loader: _Loader, current: _Relationship | None, number: int, value: dict[str, Any]) -> _Relationship | None:
    """One record: the relationship being read afterwards (a new one at each ``relationship`` line)."""
    ((key, record),) = value.items()
    if not isinstance(record, dict):
        raise _Bad(f"a {key!r} record must be an object")
    if key == "definition" and current is None:
        loader.definition(number, record)
    elif key == "relationship":
        if current is not None:
            loader.relationship(current)
        return _Relationship(number, _head(record))
    elif current is None:
        raise _Bad(f"a {key!r} record before any relationship")
    else:
        current.add(key, record)
    return current


def _header(found: tuple[int, dict[str, Any]] | None) -> dict[str, Any]:
    if found is None:
        raise _Bad("it is empty, not a mentorflow archive")
    _, header = found
    if "mentorflow_export" not in header:
        raise _Bad("line 1 is not a mentorflow archive's header (written by `mentorflow export`)")
    if header["mentorflow_export"] != FORMAT:
        raise _Bad(f"its format {header['mentorflow_export']!r} is not {FORMAT}, the one this version reads")
    _number(header, "relationships")
    _number(header, "events")
    return header
