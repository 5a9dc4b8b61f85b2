"""`erase` (DESIGN §16): a person's content blanked, hashes kept, an `erased` event in each relationship concerned."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text, update

from mentorflow import Actor, Event, Mentorflow
from mentorflow.audit.report import render_html
from mentorflow.errors import ArtifactErased, InvalidActor, NotAllowed, NotParticipant, ReasonRequired
from mentorflow.store.tables import RevisionRow
from tests.conftest import FakeClock
from tests.content import valid
from tests.lifecycle.support import ADMIN, archive_of, play


@pytest.fixture
def erased(mf: Mentorflow, clock: FakeClock) -> Mentorflow:
    """Two dyads; bob, the mentee of the first, has asked to be erased."""
    play(mf, clock, "dyad-1")
    play(mf, clock, "dyad-2", mentee="cy")
    clock.advance(hours=1)
    result = mf.erase("bob", reason="request 2026-114", actor=ADMIN)
    assert (result.revisions, result.relationships) == (3, ["dyad-1"])
    return mf


def test_every_revision_the_person_submitted_is_blanked_and_the_event_says_which(erased: Mentorflow) -> None:
    """The erased event names each revision by hash, carries the reason, and neither the content nor the id."""
    [event] = [e for e in erased.history("dyad-1") if e.kind == "erased"]
    assert event.actor == "admin:carol"
    assert event.payload["reason"] == "request 2026-114"
    assert [(r["slot"], r["revision"]) for r in event.payload["revisions"]] == [("idp", 1), ("idp", 2), ("meeting", 1)]
    assert "bob" not in json.dumps(event.payload)
    assert not [e for e in erased.history("dyad-2") if e.kind == "erased"]
    with pytest.raises(ArtifactErased, match="revision 2 of 'idp' in relationship 'dyad-1' was erased"):
        erased.document("dyad-1", "idp")
    with pytest.raises(ArtifactErased):
        erased.diff("dyad-1", "idp")
    assert erased.document("dyad-1", "agreement").content  # ann's content stays
    assert erased.document("dyad-2", "idp").content  # and cy's


def test_verify_passes_and_counts_erased_revisions_apart(erased: Mentorflow) -> None:
    """verify is ok and reports the erased revisions; hashes, completeness and signatures stay."""
    report = erased.verify()
    assert report.ok
    assert report.erased == 3
    assert [r.complete for r in erased.revisions("dyad-1", "idp")] == [False, True]


def test_blanking_content_without_erase_is_still_tampering(erased: Mentorflow) -> None:
    """Only the revisions an erased event names may be blank: blanking another is caught."""
    with erased.engine.begin() as connection:
        connection.execute(
            update(RevisionRow)
            .where(RevisionRow.relationship_id == "dyad-2", RevisionRow.slot == "agreement")
            .values(content="{}")
        )
    report = erased.verify()
    assert [b.relationship for b in report.broken] == ["dyad-2"]


def test_status_audit_summary_report_and_export_keep_working(erased: Mentorflow, clock: FakeClock) -> None:
    """Every read of an erased relationship still answers, as of before the erasure too."""
    status = erased.status("dyad-1")
    assert status.state == "early_meetings"
    assert {row.id for row in erased.audit()} == {"dyad-1", "dyad-2"}
    assert erased.summary() is not None
    summary, standings = erased.overview()
    assert "dyad-1" in render_html(summary, standings, stalled_days=30, title="audit")
    assert erased.person("bob") is not None
    assert '"erased"' in archive_of(erased)
    past = type(erased)(erased.engine, clock=lambda: clock.now.replace(year=2026, month=3, day=3))
    past.registry = erased.registry
    assert past.status("dyad-1").state == "early_meetings"


def test_erasing_again_writes_nothing(erased: Mentorflow) -> None:
    """A second erase finds nothing left to blank: no revision, no event."""
    before = len(erased.history("dyad-1"))
    again = erased.erase("bob", reason="again", actor=ADMIN)
    assert (again.revisions, again.relationships) == (0, [])
    assert len(erased.history("dyad-1")) == before


def test_erase_writes_through_the_normal_path_keyed_and_to_subscribers(mf: Mentorflow, clock: FakeClock) -> None:
    """Subscribers hear of the erased event after commit, as of every write."""
    play(mf, clock)
    heard: list[Event] = []
    mf.subscribe(heard.append)
    mf.erase("bob", reason="request", actor=ADMIN)
    assert [event.kind for event in heard] == ["erased"]
    with mf.engine.connect() as connection:
        content = connection.execute(text("SELECT content FROM mentorflow_revisions WHERE submitted_by = 'bob'"))
        assert {row[0] for row in content} == {"{}"}


@pytest.mark.parametrize(
    ("person", "reason", "actor", "error", "message"),
    [
        ("nobody", "r", ADMIN, NotParticipant, "never took part"),
        ("bob", "  ", ADMIN, ReasonRequired, "needs a reason"),
        ("bob", "r", "ann", NotAllowed, "for administrators"),
        ("bob", "r", Actor.system(), NotAllowed, "for administrators"),
        ("admin:x", "r", ADMIN, InvalidActor, "reserved"),
    ],
    ids=["unknown person", "no reason", "a person", "the clock", "a reserved id"],
)
def test_erase_refusals_write_nothing(
    mf: Mentorflow, clock: FakeClock, person: str, reason: str, actor: Actor | str, error: type, message: str
) -> None:
    """Bad input is refused with its code before anything is written."""
    play(mf, clock)
    before = len(mf.history("dyad"))
    with pytest.raises(error, match=message):
        mf.erase(person, reason=reason, actor=actor)
    assert len(mf.history("dyad")) == before
    assert mf.document("dyad", "idp").content


def test_content_given_again_after_its_erasure_is_stored_anew(erased: Mentorflow) -> None:
    """The erased revision keeps its hash, so the same content given again matched it and stored nothing: bob was
    told `unchanged` while nothing of it could be read. It is a new revision now, readable, and verify holds."""
    latest = erased.revisions("dyad-1", "idp")[-1].revision
    again = erased.submit("dyad-1", "idp", valid("idp"), actor="bob")
    assert (again.revision, again.unchanged) == (latest + 1, False)
    assert erased.document("dyad-1", "idp").content == valid("idp")
    assert erased.submit("dyad-1", "idp", valid("idp"), actor="bob").unchanged  # and identical to that one now
    assert erased.verify().ok
