"""Histories to export, import and erase, and the databases to move them between."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

from mentorflow import Actor, Mentorflow
from tests.conftest import FakeClock, MakeMentorflow
from tests.content import incomplete, valid

ADMIN = Actor.admin("carol")


def fresh_sqlite(make_mf: MakeMentorflow, template: Path, path: Path) -> Mentorflow:
    """A ``Mentorflow`` on a new, migrated SQLite file (a copy of the session's template)."""
    shutil.copy(template, path)
    return make_mf(db=f"sqlite:///{path}")


def archive_of(mf: Mentorflow, **kwargs: object) -> str:
    out = io.StringIO()
    mf.export(out, **kwargs)  # type: ignore[arg-type]
    return out.getvalue()


def body(text: str) -> str:
    """An archive without its header line: what must be identical after a round trip."""
    return text.split("\n", 1)[1]


def load(mf: Mentorflow, text: str) -> None:
    mf.import_archive(io.StringIO(text))


def play(mf: Mentorflow, clock: FakeClock, rel_id: str = "dyad", mentee: str = "bob") -> str:
    """A traditional dyad through drafts, revisions, signatures, transitions, a meeting and a join/leave."""
    mf.start("traditional-dyad", {"mentor": "ann", "mentee": mentee}, program="fall", actor=ADMIN, id=rel_id)
    mf.submit(rel_id, "idp", incomplete("idp"), actor=mentee)
    clock.advance(days=1)
    idp = mf.submit(rel_id, "idp", valid("idp"), actor=mentee).revision
    mf.fire(rel_id, "negotiate", actor="ann")
    agreement = mf.submit(rel_id, "agreement", valid("agreement"), actor="ann").revision
    for person in ("ann", mentee):
        mf.sign(rel_id, "agreement", actor=person, revision=agreement)
        mf.sign(rel_id, "idp", actor=person, revision=idp)
    clock.advance(hours=2)
    mf.fire(rel_id, "launch", actor=mentee)
    mf.submit(rel_id, "meeting", valid("meeting"), actor=mentee)
    clock.advance(hours=1)
    return rel_id
