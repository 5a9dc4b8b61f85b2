"""The write path runs on a plain Connection, and audits read the standing cache a chunk of rows at a time."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text, update
from sqlalchemy.orm import Session

from mentorflow import Actor, Mentorflow
from mentorflow.store import db, queries, write
from mentorflow.store.tables import RelationshipRow
from tests.conftest import FakeClock
from tests.content import latest, valid

ADMIN = Actor.admin("carol")


class _NoSession:
    """Stands in for ``Session`` in ``store.db`` while writes run: making one fails the test."""

    def __init__(self, *_args: Any, **_kwargs: Any) -> None:
        pytest.fail("a write of mentorflow's own made an ORM Session")


def test_writes_of_their_own_make_no_orm_session(mf: Mentorflow, monkeypatch: pytest.MonkeyPatch) -> None:
    """Start (registering the definition), submit, sign, fire and a linked start that carries revisions with their
    signatures all run on the Connection of ``store.write``; the ORM is left to reads and callers' sessions."""
    micro = mf.start("micro-mentoring", {"mentor": "ann", "mentee": "bob"}, program="spring", actor=ADMIN).id
    idp, brief = valid("idp"), valid("micro_brief")
    mf.submit(micro, "idp", idp, actor="bob")
    mf.submit(micro, "brief", brief, actor="bob")
    idp_revision = latest(mf, micro, "idp")
    monkeypatch.setattr(db, "Session", _NoSession)
    mf.fire(micro, "schedule", actor="ann")
    mf.submit(micro, "meeting", valid("meeting"), actor="ann")
    mf.fire(micro, "hold", actor="bob")
    mf.sign(micro, "idp", actor="bob", revision=idp_revision)
    mf.submit(micro, "conversion", valid("consent"), actor="bob")
    monkeypatch.undo()
    consent = latest(mf, micro, "conversion")
    monkeypatch.setattr(db, "Session", _NoSession)
    mf.sign(micro, "conversion", actor="ann", revision=consent)
    mf.sign(micro, "conversion", actor="bob", revision=consent)
    mf.fire(micro, "convert", actor="ann")
    monkeypatch.undo()
    [linked] = [event for event in mf.history(micro) if event.kind == "started_linked"]
    dyad = mf.status(str(linked.payload["relationship"]))
    [carried] = [artifact for artifact in dyad.artifacts if artifact.slot == "idp"]
    assert (carried.revision, carried.signed_by) == (1, ["bob"])
    assert mf.verify().ok


def _failing_write(mf: Mentorflow, session: Session, rel_id: str) -> None:
    with write(mf.engine, session) as connection:
        assert connection is session.connection()
        connection.execute(update(RelationshipRow).where(RelationshipRow.id == rel_id).values(program="ours"))
        raise RuntimeError("inside")


def test_a_write_in_a_callers_session_is_a_savepoint_of_its_transaction(mf: Mentorflow) -> None:
    """``store.write`` inside a caller's session works on that session's connection, in a savepoint: rolling the
    session back undoes the write, and a failed write leaves the caller's own work in place."""
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN).id
    with Session(mf.engine) as session:
        session.execute(update(RelationshipRow).where(RelationshipRow.id == rel_id).values(program="mine"))
        with pytest.raises(RuntimeError, match="inside"):
            _failing_write(mf, session, rel_id)
        assert session.scalar(text("SELECT program FROM mentorflow_relationships")) == "mine"
        mf.submit(rel_id, "idp", valid("idp"), actor="bob", session=session)
        session.rollback()
    assert [event.kind for event in mf.history(rel_id)] == ["started"]
    assert mf.status(rel_id).program is None


def test_an_audit_read_in_chunks_is_the_audit_read_at_once(
    mf: Mentorflow, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows come a chunk at a time, cached or evaluated: chunks of two give the rows of one chunk, in order, with
    the relationship whose cache a write outdated evaluated in its place."""
    ids = []
    for n in range(5):
        clock.advance(seconds=1)  # oldest first: the rows' order is the order of these starts
        ids.append(mf.start("traditional-dyad", {"mentor": f"m{n}", "mentee": f"e{n}"}, actor=ADMIN).id)
    mf.refresh()
    mf.submit(ids[3], "idp", valid("idp"), actor="e3")  # its cached standing no longer holds
    whole = mf.audit()
    monkeypatch.setattr(queries, "BATCH", 2)
    chunked = mf.audit()
    assert chunked == whole
    assert [row.id for row in chunked] == ids
    assert [row.id for row in mf.audit(stalled_days=0)] == ids
