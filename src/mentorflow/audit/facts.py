"""Every stored fact, recomputed from the log: the rows decisions and reads trust, compared with what the log says.

The replay in ``verify`` proves the chain and every transition. But decisions, ``status``, ``audit``, summaries and
the report read the rows beside the log: a revision's ``complete`` flag, a meeting's time, a signature's role, the
relationship row's program, the standing cache. An edit to any of them changes what mentorflow decides or shows
without touching a hash. ``Facts`` watches the replay go by, event by event, and then compares each such row with
what the log (and, for a document, its content read against its kind) says it must hold.

A cache that is merely behind (its ``standing_seq`` is older than the log, or it was written in an older format)
is not tampering: audits recompute past it. A cache that claims to be current must equal its recomputation.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Mapping
from typing import Any

import orjson

from mentorflow.audit.cache import FORMAT, encode_standing
from mentorflow.audit.summary import phase_history
from mentorflow.definitions import Bundle, Kind
from mentorflow.definitions.checks import walk_requirements
from mentorflow.definitions.content import check_content
from mentorflow.definitions.models import Check
from mentorflow.engine.requirements import GuardFunction
from mentorflow.engine.snapshot import PLAIN_ITEM, Snapshot
from mentorflow.errors import MentorflowError
from mentorflow.store.db import from_db
from mentorflow.store.queries import ENTRY_KINDS, override_from
from mentorflow.store.records import RelationshipRecords
from mentorflow.types import Override

__all__ = ["Facts"]

_Key = tuple[str, int, int]
"""(slot, item, revision number)."""


def _when(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else from_db(value)


class Facts:
    """What the log says each row of one relationship holds, gathered while the replay applies its events."""

    def __init__(self, records: RelationshipRecords, snapshot: Snapshot, *, recheck_content: bool = True) -> None:
        self.records = records
        self.recheck_content = recheck_content
        """Read each revision's content against its kind again: needed where no MAC vouches for its event."""
        first = records.events[0]
        at = from_db(first.at)
        self.started_at = at
        self.revisions: dict[_Key, tuple[str, bool, list[str], str, dt.datetime, Any, Kind | None]] = {}
        self.signatures: dict[tuple[str, int, int, str], tuple[str, str, dt.datetime]] = {}
        self.participants: list[list[Any]] = [[person, role, at, None] for person, role in snapshot.people()]
        self.entries: list[tuple[dt.datetime, str]] = [(at, snapshot.state)]
        self.at_standing: tuple[Bundle, str, str | None, list[tuple[dt.datetime, str]]] | None = None
        self.overrides: list[Override] = []
        self.erased: set[_Key] = set()
        """The revisions an ``erased`` event blanked (filled by the replay): their content is read no more."""
        self._capture(1, snapshot)

    def observe(
        self, seq: int, kind: str, actor: str, at: dt.datetime, payload: dict[str, Any], snapshot: Snapshot
    ) -> None:
        """One event, after the replay applied it to ``snapshot``."""
        if kind == "submitted":
            item = payload["item"] or PLAIN_ITEM
            definition = snapshot.bundle.workflow.artifacts.get(payload["slot"])
            content_kind = None if definition is None else snapshot.bundle.kinds.get(definition.kind)
            self.revisions[(payload["slot"], item, payload["revision"])] = (
                payload["content_hash"],
                payload["complete"],
                payload["missing"],
                payload.get("submitted_by", actor),
                at,
                payload.get("origin"),
                content_kind,
            )
        elif kind == "signed":
            item = payload["item"] or PLAIN_ITEM
            key = (payload["slot"], item, payload["revision"], payload["person"])
            self.signatures[key] = (payload["role"], payload["content_hash"], at)
        elif kind == "joined":
            self.participants.append([payload["person"], payload["role"], at, None])
        elif kind == "left":
            for entry in self.participants:
                if entry[0] == payload["person"] and entry[3] is None:
                    entry[3] = at
        elif kind == "overridden":
            self.overrides.append(override_from(seq, actor, payload))
        if kind in ENTRY_KINDS:
            self.entries.append((at, snapshot.state))
        self._capture(seq, snapshot)

    def _capture(self, seq: int, snapshot: Snapshot) -> None:
        """Remember where the relationship stood at the standing cache's ``seq``: its phase stays were made there."""
        if seq == self.records.row.standing_seq:
            self.at_standing = (snapshot.bundle, snapshot.state, snapshot.program, list(self.entries))

    # -- the comparisons ----------------------------------------------------------------------------------------

    def compare(self, snapshot: Snapshot, guards: Mapping[str, GuardFunction]) -> list[str]:
        """Each row that differs from what the log says, in words that name it."""
        return [
            *self._relationship_row(snapshot),
            *self._definition(snapshot.bundle),
            *self._revisions(),
            *self._signatures(),
            *self._participants(),
            *self._standing(snapshot, guards),
            *self._stays(),
        ]

    def _relationship_row(self, snapshot: Snapshot) -> list[str]:
        row, problems = self.records.row, []
        if row.workflow != snapshot.bundle.workflow.workflow:
            problems.append(f"the cached workflow {row.workflow!r} differs from {snapshot.bundle.workflow.workflow!r}")
        if row.program != snapshot.program:
            problems.append(f"the cached program {row.program!r} differs from the log's {snapshot.program!r}")
        if from_db(row.started_at) != self.started_at:
            problems.append("the cached start time differs from the log's first event")
        if from_db(row.last_event_at) != from_db(self.records.events[-1].at):
            problems.append("the cached time of the last activity differs from the log's last event")
        return problems

    def _definition(self, bundle: Bundle) -> list[str]:
        stored = self.records.definition
        if stored is None:
            return []
        workflow, version, title = stored
        if (workflow, version, title) != (bundle.workflow.workflow, bundle.workflow.version, bundle.workflow.title):
            return [f"the stored definition's name, version or title differs from its body ({bundle.hash[:12]})"]
        return []

    def _revisions(self) -> list[str]:
        problems = []
        for row in self.records.revisions:
            expected = self.revisions.get((row.slot, row.item, row.number))
            if expected is None:
                continue  # the replay reports rows without events
            content_hash, complete, missing, submitted_by, at, origin, kind = expected
            stored_origin = None if row.origin is None else orjson.loads(row.origin)
            if (row.content_hash, row.complete, orjson.loads(row.missing)) != (content_hash, complete, missing):
                problems.append(
                    f"{_name(row)}: its hash, completeness or missing fields differ from its submitted event"
                )
            if (row.submitted_by, from_db(row.submitted_at), stored_origin) != (submitted_by, at, origin):
                problems.append(f"{_name(row)}: its submitter, time or origin differ from its submitted event")
            recheck = self.recheck_content and (row.slot, row.item, row.number) not in self.erased
            if recheck and kind is not None and not _content_says(kind, row.content, complete, missing):
                problems.append(f"{_name(row)}: its content, read against its kind, is not what its event says it is")
        return problems

    def _signatures(self) -> list[str]:
        by_id = {row.id: (row.slot, row.item, row.number) for row in self.records.revisions}
        problems = []
        for row in self.records.signatures:
            slot, item, number = by_id.get(row.revision_id, ("?", 0, 0))
            expected = self.signatures.get((slot, item, number, row.person))
            if expected is not None and (row.role, row.content_hash, from_db(row.signed_at)) != expected:
                problems.append(f"{row.person}'s signature of {slot}: its role, hash or time differ from its event")
        return problems

    def _participants(self) -> list[str]:
        stored = [(r.person, r.role, from_db(r.joined_at), _when(r.left_at)) for r in self.records.participants]
        if not _same_rows(stored, [tuple(entry) for entry in self.participants]):
            return ["the participants table (who, in which role, joined and left when) differs from the log"]
        return []

    def _standing(self, snapshot: Snapshot, guards: Mapping[str, GuardFunction]) -> list[str]:
        row = self.records.row
        if row.standing_seq is None:
            return []
        if not 1 <= row.standing_seq <= len(self.records.events):
            return [f"the standing cache claims event {row.standing_seq}, which the log does not have"]
        if row.standing_seq != row.seq or row.standing_format != FORMAT or row.standing_at is None:
            return []  # behind the log: audits recompute past it
        at = from_db(row.standing_at)
        expected = encode_standing(snapshot, at, guards, self.overrides)
        if snapshot.bundle.derived(_uses_checks):
            # Platform guards may answer differently today; what they decide (next triggers, blockers) is left out.
            stored_body, expected_body = orjson.loads(row.standing or "null"), orjson.loads(expected["standing"])
            same = bool(stored_body) and [stored_body[0], *stored_body[3:]] == [expected_body[0], *expected_body[3:]]
        else:  # the body is compact JSON in one spelling: equal text is an equal evaluation
            same = (row.standing, row.blocked) == (expected["standing"], expected["blocked"])
        stored_times = (_when(row.overdue_from), _when(row.recheck_at))
        if not same or stored_times != (expected["overdue"], expected["recheck"]):
            return ["the standing cache differs from the evaluation of the log at the time it was written"]
        return []

    def _stays(self) -> list[str]:
        stored = [
            (
                s.seq,
                s.definition_hash,
                s.workflow,
                s.state,
                s.program,
                s.phase,
                None if s.days is None else round(s.days, 6),
            )
            for s in self.records.stays
        ]
        if self.at_standing is None:
            return ["phase stays are stored though the standing cache was never written"] if stored else []
        bundle, state, program, entries = self.at_standing
        reached, completed = phase_history(bundle.workflow.states, entries)
        copied = (self.records.row.standing_seq, bundle.hash, bundle.workflow.workflow, state, program)
        expected = [(*copied, phase, round(days, 6)) for phase, days in completed] + [
            (*copied, phase, None) for phase in reached
        ]
        if not _same_rows(stored, expected):
            return ["the phase stays differ from the phases the log passed through"]
        return []


def _same_rows(stored: list[tuple[Any, ...]], expected: list[tuple[Any, ...]]) -> bool:
    """Whether the rows hold the same tuples, in any order: rows are mostly stored in the log's order, so
    comparing the lists answers first and counting only when the order differs."""
    return stored == expected or Counter(stored) == Counter(expected)


def _name(row: Any) -> str:
    """A revision row as a problem names it."""
    return f"{row.slot} revision {row.number}" + (f" of item {row.item}" if row.item != PLAIN_ITEM else "")


def _content_says(kind: Kind, content: str, complete: bool, missing: list[str]) -> bool:
    """Whether ``content`` read against ``kind`` is as complete, and misses what, its event says."""
    try:
        checked = check_content(kind, json.loads(content))
    except (MentorflowError, ValueError):
        return False
    return (checked.complete, checked.missing) == (complete, missing)


def _uses_checks(bundle: Bundle) -> bool:
    """Whether any requirement of the workflow asks a platform guard (``check: NAME``; obligations never do)."""
    return any(
        isinstance(found, Check)
        for transition in bundle.workflow.transitions
        for requirement in transition.requires
        for found, _ in walk_requirements(requirement, ())
    )
