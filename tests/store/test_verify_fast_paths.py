"""The shortcuts `verify` takes to stay within three times a plain read and hash give exactly its full answers.

The chain is hashed from each payload's stored text (the canonical JSON the engine writes), falling back to the
decoded payload for any other spelling; rows are compared as lists before being counted as multisets.
"""

from __future__ import annotations

import json

from sqlalchemy import select, update

from mentorflow import Actor, Mentorflow
from mentorflow.audit.facts import _same_rows
from mentorflow.canonical import canonical_json, event_hash, event_hash_of_text
from mentorflow.store.tables import EventRow
from tests.content import valid

ADMIN = Actor.admin("carol")


def test_the_hash_of_a_payload_s_text_is_the_hash_of_the_payload() -> None:
    """Both spellings of the chain link agree, escapes and non-ASCII text included."""
    payload = {"b": 'é "quoted"\n\\', "a": [1, 2.5, None, True, {"z": "ü"}]}
    for actor in ("ann", 'ö"\\x', "admin:carol"):
        link = ("prev", "r-ü~1", 7, "submitted", actor, "2026-01-01T09:00:00+00:00")
        assert event_hash_of_text(*link, canonical_json(payload)) == event_hash(*link, payload)


def _respell(mf: Mentorflow, rel_id: str, seq: int, text: str) -> None:
    with mf.engine.begin() as connection:
        connection.execute(
            update(EventRow).where(EventRow.relationship_id == rel_id, EventRow.seq == seq).values(payload=text)
        )


def test_another_spelling_of_the_same_payload_still_verifies(mf: Mentorflow) -> None:
    """A payload stored with other whitespace and key order hashes as it decodes (the way it always did); a payload
    whose value changed does not."""
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    mf.submit(rel_id, "idp", valid("idp"), actor="bob")
    with mf.engine.connect() as connection:
        stored = connection.execute(
            select(EventRow.payload).where(EventRow.relationship_id == rel_id, EventRow.seq == 2)
        ).scalar_one()
    payload = json.loads(stored)
    _respell(mf, rel_id, 2, json.dumps(dict(reversed(list(payload.items()))), indent=2))
    assert mf.verify().ok
    _respell(mf, rel_id, 2, json.dumps({**payload, "revision": 9}))
    report = mf.verify()
    assert [broken.relationship for broken in report.broken] == [rel_id]
    assert "does not match its hash" in report.broken[0].problems[0]


def test_rows_are_the_same_in_any_order_and_counted() -> None:
    """The list comparison answers when the order is the log's; otherwise the rows are counted."""
    assert _same_rows([(1, "a"), (2, "b")], [(1, "a"), (2, "b")])
    assert _same_rows([(2, "b"), (1, "a")], [(1, "a"), (2, "b")])
    assert not _same_rows([(1, "a"), (1, "a")], [(1, "a"), (2, "b")])
    assert not _same_rows([(1, "a")], [(1, "a"), (1, "a")])
