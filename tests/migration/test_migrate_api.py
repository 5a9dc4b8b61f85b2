"""``Mentorflow.migrate`` on both databases: moving a cohort, dry runs, refusals, resuming, and who may do it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from mentorflow import (
    Actor,
    Event,
    InvalidActor,
    InvalidInput,
    Mentorflow,
    MigrationRefused,
    MigrationResult,
    NotAllowed,
    VersionConflict,
    WorkflowNotFound,
)
from mentorflow.store import read
from mentorflow.store.tables import EventRow, RelationshipRow
from tests.conftest import FakeClock, MakeMentorflow
from tests.migration.support import ADMIN, PLAN, circle, write_versions


def _cohort(mf: Mentorflow, clock: FakeClock) -> dict[str, str]:
    """Three running circles (one open, two running, one of them in another program) and one that ended."""
    made = {}
    for name, program in (("open", "spring"), ("running", "spring"), ("autumn", "autumn"), ("ended", "spring")):
        clock.advance(seconds=1)  # started one after the other: a migration takes them oldest first
        rel = mf.start("circle", {"lead": "lee", "peer": ["pat"]}, actor=ADMIN, program=program, version=1, id=name)
        made[name] = rel.id
        if name != "open":
            revision = mf.submit(rel.id, "plan", PLAN, actor="lee").revision
            mf.sign(rel.id, "plan", actor="lee", revision=revision)
            mf.sign(rel.id, "plan", actor="pat", revision=revision)
            mf.fire(rel.id, "begin", actor="lee")
        if name == "ended":
            mf.fire(rel.id, "finish", actor="lee")
    clock.advance(days=20)
    return made


@pytest.fixture
def versions(tmp_path: Path) -> Path:
    return write_versions(tmp_path / "workflows", running="active", every=14)


@pytest.fixture
def mf(make_mf: MakeMentorflow, versions: Path) -> Mentorflow:
    return make_mf(workflow_dirs=[versions])


def _events(mf: Mentorflow) -> int:
    with read(mf.engine, None) as session:
        return int(session.scalar(select(func.count()).select_from(EventRow)) or 0)


def test_a_cohort_moves_onto_version_2(mf: Mentorflow, clock: FakeClock) -> None:
    """Running relationships move, each with a `migrated` event; the ended one stays on version 1."""
    ids = _cohort(mf, clock)
    results = mf.migrate("circle", to_version=2, states={"running": "active"}, actor=ADMIN)
    assert [(r.id, r.state, r.new_state, r.result) for r in results] == [
        ("open", "open", "open", "migrated"),
        ("running", "running", "active", "migrated"),
        ("autumn", "running", "active", "migrated"),
    ]
    status = mf.status(ids["running"])
    assert (status.workflow_version, status.state, status.phase) == (2, "active", "run")
    assert mf.status(ids["ended"]).workflow_version == 1
    event = mf.history(ids["running"])[-1]
    assert (event.kind, event.actor, event.actor_kind) == ("migrated", "admin:carol", "admin")
    assert event.payload["states"] == {"running": "active"}
    assert event.payload["from_definition"] != event.payload["to_definition"]
    assert mf.verify().ok


def test_the_report_gives_the_blockers_and_overdue_obligations_on_the_new_version(
    mf: Mentorflow, clock: FakeClock
) -> None:
    """Version 2 wants notes every 14 days: 20 days in, the running circles are overdue there."""
    _cohort(mf, clock)
    by_id = {r.id: r for r in mf.migrate("circle", to_version=2, states={"running": "active"}, dry_run=True)}
    assert [o.slot for o in by_id["running"].overdue] == ["notes"]
    assert [(b.trigger, b.code) for b in by_id["open"].blockers] == [("begin", "artifact.missing")]
    assert by_id["open"].overdue[0].requirement.startswith("plan signed")
    audited = {s.id: s for s in mf.audit()}
    assert [o.slot for o in audited["running"].overdue] == []  # version 1 asked every 30 days: not yet overdue


def test_a_dry_run_writes_nothing_and_says_what_would_happen(mf: Mentorflow, clock: FakeClock) -> None:
    """`dry_run` reports `would_migrate` and leaves every row and event as it was."""
    ids = _cohort(mf, clock)
    before = _events(mf)
    results = mf.migrate("circle", to_version=2, states={"running": "active"}, dry_run=True, actor=ADMIN)
    assert {r.result for r in results} == {"would_migrate"}
    assert _events(mf) == before
    assert mf.status(ids["running"]).workflow_version == 1
    after = mf.migrate("circle", to_version=2, states={"running": "active"})
    assert [r.model_dump(exclude={"result"}) for r in after] == [r.model_dump(exclude={"result"}) for r in results]


def test_an_unmapped_state_is_refused_and_stays_where_it_is(mf: Mentorflow, clock: FakeClock) -> None:
    """Without `running=active`, the running circles are refused with the reason; the open one moves."""
    ids = _cohort(mf, clock)
    results = {r.id: r for r in mf.migrate("circle", to_version=2)}
    refused = results["running"]
    assert (refused.result, refused.new_state, refused.blockers, refused.overdue) == ("refused", None, [], [])
    assert refused.reason == (
        "state 'running' has no mapping: version 2 has no state 'running' (map it with --state running=NEW)"
    )
    assert results["open"].result == "migrated"
    assert mf.status(ids["running"]).workflow_version == 1
    assert mf.history(ids["running"])[-1].kind == "transitioned"


def test_running_it_again_moves_only_what_is_left(mf: Mentorflow, clock: FakeClock) -> None:
    """A migration is resumable: what already moved is not selected again."""
    _cohort(mf, clock)
    first = mf.migrate("circle", to_version=2)
    assert [r.id for r in first if r.result == "migrated"] == ["open"]
    second = mf.migrate("circle", to_version=2, states={"running": "active"})
    assert [(r.id, r.result) for r in second] == [("running", "migrated"), ("autumn", "migrated")]
    assert mf.migrate("circle", to_version=2, states={"running": "active"}) == []


def test_from_version_and_program_select_the_cohort(mf: Mentorflow, clock: FakeClock) -> None:
    """`program` moves one program's relationships; `from_version` only those on that version."""
    _cohort(mf, clock)
    spring = mf.migrate("circle", to_version=2, states={"running": "active"}, program="spring", from_version=1)
    assert [r.id for r in spring] == ["open", "running"]
    assert mf.migrate("circle", to_version=2, from_version=1, program="spring") == []


def test_a_relationship_moves_back_onto_an_earlier_version(mf: Mentorflow, clock: FakeClock) -> None:
    """Migrations go either way: version 2 back to 1 with the reverse mapping, and verify follows both."""
    ids = _cohort(mf, clock)
    mf.migrate("circle", to_version=2, states={"running": "active"})
    back = mf.migrate("circle", to_version=1, states={"active": "running"})
    assert [(r.id, r.from_version, r.new_state) for r in back][1] == ("running", 2, "running")
    assert mf.status(ids["running"]).workflow_version == 1
    assert mf.verify().ok


def test_writes_after_a_migration_follow_the_new_version(mf: Mentorflow, clock: FakeClock) -> None:
    """A fire after the move uses version 2's transitions and states, and verify replays it on version 2."""
    ids = _cohort(mf, clock)
    mf.migrate("circle", to_version=2, states={"running": "active"})
    event = mf.fire(ids["running"], "finish", actor="lee")
    assert (event.payload["from"], event.payload["to"]) == ("active", "done")
    assert mf.verify().ok


def test_the_summary_and_the_standing_cache_follow_the_move(mf: Mentorflow, clock: FakeClock) -> None:
    """After the move the audit reads version 2 (evaluated, then from the refreshed cache) and summaries work."""
    ids = _cohort(mf, clock)
    mf.refresh()
    mf.migrate("circle", to_version=2, states={"running": "active"})
    evaluated = {s.id: s for s in mf.audit()}
    assert (evaluated[ids["running"]].state, evaluated[ids["running"]].workflow_version) == ("active", 2)
    assert mf.refresh() == 3
    assert {s.id: s for s in mf.audit()} == evaluated
    summary = mf.summary()
    assert {(c.state, c.count) for c in summary.states if c.workflow == "circle"} == {
        ("open", 1),
        ("active", 2),
        ("done", 1),
    }


def test_subscribers_hear_of_each_move(mf: Mentorflow, clock: FakeClock) -> None:
    """Each `migrated` event is published after its commit, like any other event."""
    _cohort(mf, clock)
    heard: list[Event] = []
    mf.subscribe(heard.append)
    mf.migrate("circle", to_version=2, states={"running": "active"})
    assert [(e.relationship, e.kind) for e in heard] == [
        ("open", "migrated"),
        ("running", "migrated"),
        ("autumn", "migrated"),
    ]


def test_inside_the_callers_session_the_moves_roll_back_with_it(mf: Mentorflow, clock: FakeClock) -> None:
    """With `session=`, the moves are part of the platform's transaction."""
    from sqlalchemy.orm import Session

    ids = _cohort(mf, clock)
    with Session(mf.engine) as session:
        mf.migrate("circle", to_version=2, states={"running": "active"}, session=session)
        assert session.scalar(select(RelationshipRow.workflow_version).where(RelationshipRow.id == ids["open"])) == 2
        session.rollback()
    assert mf.status(ids["open"]).workflow_version == 1


def test_the_trusted_caller_is_recorded_as_the_system(mf: Mentorflow, clock: FakeClock) -> None:
    """Without an actor (the platform itself), the event's actor is `system`."""
    ids = _cohort(mf, clock)
    mf.migrate("circle", to_version=2)
    assert mf.history(ids["open"])[-1].actor == "system"


@pytest.mark.parametrize("actor", ["lee", Actor.person("lee")])
def test_a_person_may_not_migrate(mf: Mentorflow, clock: FakeClock, actor: Actor | str) -> None:
    """Migration is for administrators: a person is refused before anything is read."""
    _cohort(mf, clock)
    with pytest.raises(NotAllowed, match="'lee' may not migrate relationships"):
        mf.migrate("circle", to_version=2, actor=actor)


def test_a_reserved_id_is_refused_as_such_first(mf: Mentorflow) -> None:
    """`system` as a person id is actor.invalid before it is actor.not_allowed."""
    with pytest.raises(InvalidActor):
        mf.migrate("circle", to_version=2, actor="system")


BAD_REQUESTS = [
    ({"to_version": 0}, InvalidInput, "to_version must be a whole number from 1 to 2147483647"),
    ({"to_version": 2, "from_version": 10**30}, InvalidInput, "from_version must be a whole number from 1 to"),
    ({"to_version": True}, InvalidInput, "to_version must be a whole number"),
    ({"to_version": 2, "from_version": 2}, InvalidInput, "from_version and to_version are both 2"),
    ({"to_version": 2, "program": " x"}, InvalidInput, "program must be non-empty text"),
    ({"to_version": 2, "states": {"running": 3}}, InvalidInput, "states must map each old state name"),
    ({"to_version": 2, "states": ["running"]}, InvalidInput, "states must map each old state name"),
    ({"to_version": 7}, WorkflowNotFound, "unknown workflow 'circle' version 7"),
    ({"to_version": 2, "states": {"runing": "active"}}, MigrationRefused, "'runing' is not a state"),
    ({"to_version": 2, "states": {"running": "actve"}}, MigrationRefused, "'actve' is not a state of version 2"),
]


@pytest.mark.parametrize(("arguments", "error", "message"), BAD_REQUESTS)
def test_a_bad_request_is_refused_whole_and_writes_nothing(
    mf: Mentorflow, clock: FakeClock, arguments: dict[str, object], error: type[Exception], message: str
) -> None:
    """A wrong version, program or mapping is a clear error before anything moves."""
    _cohort(mf, clock)
    before = _events(mf)
    with pytest.raises(error, match=message):
        mf.migrate("circle", **arguments)  # type: ignore[arg-type]
    assert _events(mf) == before


def test_a_target_known_only_from_the_database_is_used(
    make_mf: MakeMentorflow, mf: Mentorflow, clock: FakeClock, tmp_path: Path
) -> None:
    """Version 2, once stored, can be migrated to without its file; back and forth works from the stored body."""
    ids = _cohort(mf, clock)
    mf.start("circle", {"lead": "ann", "peer": ["bo"]}, actor=ADMIN, version=2)
    only_v1 = tmp_path / "only-v1"
    only_v1.mkdir()
    (only_v1 / "circle-1.yaml").write_text(circle(1), encoding="utf-8")
    bare = make_mf(workflow_dirs=[only_v1])
    assert bare.migrate("circle", to_version=2, from_version=1, states={"running": "active"})[0].id == ids["open"]


def test_a_target_that_differs_from_the_stored_version_is_a_conflict(
    make_mf: MakeMentorflow, mf: Mentorflow, clock: FakeClock, tmp_path: Path
) -> None:
    """A changed file under a version already stored refuses the migration, dry run included."""
    _cohort(mf, clock)
    mf.migrate("circle", to_version=2, states={"running": "active"}, program="autumn")
    changed = write_versions(tmp_path / "changed", running="active", every=7)
    other = make_mf(workflow_dirs=[changed])
    for dry_run in (True, False):
        with pytest.raises(VersionConflict, match="version 2 is already registered with different content"):
            other.migrate("circle", to_version=2, states={"running": "active"}, dry_run=dry_run)


def test_results_serialise_to_the_documented_json(mf: Mentorflow, clock: FakeClock) -> None:
    """The JSON keys of DESIGN §15, with blockers and overdue obligations as the audit gives them."""
    _cohort(mf, clock)
    result = mf.migrate("circle", to_version=2, dry_run=True)[0]
    assert isinstance(result, MigrationResult)
    dumped = result.model_dump(mode="json")
    assert set(dumped) >= {"id", "from_version", "to_version", "state", "new_state", "result", "reason", "blockers"}
    assert dumped["blockers"][0]["code"] == "artifact.missing"
    assert set(dumped["overdue"][0]) >= {"requirement", "due_at", "slot", "people"}


def test_a_relationship_that_keeps_changing_is_reported_not_half_written(
    mf: Mentorflow, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Out of retries, a lost race is a `refused` result saying so; the relationship is as it was."""
    from mentorflow.errors import ConcurrencyConflict
    from mentorflow.store import moves

    ids = _cohort(mf, clock)

    def always_lost(*_args: object) -> None:
        raise ConcurrencyConflict("another writer got there first")

    monkeypatch.setattr(moves, "apply_move", always_lost)
    mf.retries = mf._writer.retries = 2
    [result, *_] = mf.migrate("circle", to_version=2, states={"running": "active"})
    assert (result.id, result.result) == (ids["open"], "refused")
    assert result.reason == "it changed on each of 2 attempts to move it; run the migration again"
    assert mf.status(ids["open"]).workflow_version == 1
