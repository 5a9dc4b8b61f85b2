"""The standing cache: audits and summaries read from it give exactly what evaluating every relationship gives.

Each check compares the cached answer with the uncached one, computed in the same database with the cache
columns blanked inside a transaction that is rolled back.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import pickle
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter
from sqlalchemy import text
from sqlalchemy.orm import Session

from mentorflow import Actor, Mentorflow, Standing, StorageError
from mentorflow.audit.cache import FORMAT, encode_standing
from mentorflow.store import queries, standings
from mentorflow.types import Summary
from tests.conftest import GATES_DIR, START, FakeClock, MakeMentorflow
from tests.content import latest, valid

DAY = dt.timedelta(days=1)
NOTE = {"text": "hello"}
FILTERS: list[dict[str, Any]] = [
    {},
    {"workflow": "traditional-dyad"},
    {"program": "spring-2026"},
    {"state": "requested"},
    {"phase": "meet"},
]


def _askable(session: Session) -> list[dict[str, Any]]:
    """The filters that name something in this database (an unknown program is refused, not answered)."""
    present = set(queries.programs(session))
    return [f for f in FILTERS if f.get("program") is None or f["program"] in present]


def uncached(mf: Mentorflow) -> tuple[list[Standing], Summary, list[tuple[dict[str, Any], Summary]]]:
    """The audit and summaries as evaluating every relationship gives them, the cache ignored."""
    with Session(mf.engine) as session:
        session.execute(text("UPDATE mentorflow_relationships SET standing_seq = NULL"))
        session.execute(text("DELETE FROM mentorflow_phase_stays"))
        rows = mf.audit(session=session)
        summary = mf.summary(session=session)
        filtered = [(f, mf.summary(**f, session=session)) for f in _askable(session)]
        session.rollback()
    return rows, summary, filtered


def assert_cache_agrees(mf: Mentorflow) -> None:
    rows, summary, filtered = uncached(mf)
    assert mf.audit() == rows
    assert mf.summary() == summary
    for chosen, expected in filtered:
        assert mf.summary(**chosen) == expected, chosen


def test_demo_is_cached_by_its_tick(demo: Mentorflow) -> None:
    """The demo ends with the nightly tick, which leaves an audit nothing to evaluate but the rows whose answer
    changes that very moment (an item exactly one period old still counts now, and no longer just after)."""
    with demo.engine.connect() as connection:
        cached = connection.execute(text("SELECT count(*) FROM mentorflow_relationships WHERE standing_seq = seq"))
        assert cached.scalar_one() == len(demo.audit()) > 0
        expiring = connection.execute(
            text("SELECT count(*) FROM mentorflow_relationships WHERE recheck_at = standing_at")
        ).scalar_one()
    assert demo.refresh() == expiring


@pytest.mark.parametrize("days", [0, 1, 13.5, 14, 21, 29.99, 30, 31, 61, 200])
def test_cached_audit_and_summary_match_evaluation_as_time_passes(
    demo: Mentorflow, clock: FakeClock, days: float
) -> None:
    """Cached at the demo's moment, the answers stay exact later on: rows past their recheck are re-evaluated."""
    clock.advance(days)
    assert_cache_agrees(demo)


def test_a_write_outdates_the_cache(demo: Mentorflow, clock: FakeClock) -> None:
    """A relationship written to after the refresh is evaluated afresh, not read from its old standing."""
    row = next(r for r in demo.audit(workflow="traditional-dyad") if r.state == "preparing")
    mentee = next(p.person for p in row.participants if p.role == "mentee")
    demo.submit(row.id, "idp", valid("idp"), actor=mentee)
    after = next(r for r in demo.audit() if r.id == row.id)
    assert after.blockers != row.blockers
    assert_cache_agrees(demo)
    clock.advance(40)
    assert demo.refresh() > 0
    assert_cache_agrees(demo)


def test_refresh_writes_only_what_is_outdated(demo: Mentorflow, clock: FakeClock) -> None:
    clock.advance(seconds=1)
    demo.refresh()
    assert demo.refresh() == 0
    clock.advance(400)  # every delay and window has run out
    assert demo.refresh() > 0
    assert demo.refresh() == 0
    assert_cache_agrees(demo)


def test_a_cache_of_another_format_is_ignored(demo: Mentorflow) -> None:
    expected = demo.audit()
    with demo.engine.begin() as connection:
        connection.execute(
            text("UPDATE mentorflow_relationships SET standing_format = :f, standing = '[[],[],[],[]]'"),
            {"f": FORMAT + 1},
        )
    assert demo.audit() == expected
    assert demo.refresh() == len(expected)


def test_a_stale_refresh_does_not_overwrite_a_newer_write(mf: Mentorflow, clock: FakeClock) -> None:
    """A standing computed before a write is not saved over the relationship the write has moved on."""
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=Actor.admin()).id
    with Session(mf.engine) as session:
        [snapshot] = queries.load_snapshots(session, mf.bundles, ids=[rel_id])
    clock.advance(1)
    mf.submit(rel_id, "idp", valid("idp"), actor="bob")
    with Session(mf.engine) as session, session.begin():
        assert standings.save(session, [encode_standing(snapshot, clock(), {})], []) == 0
    assert_cache_agrees(mf)


# -- time-dependent requirements -------------------------------------------------------------------------------


@pytest.fixture
def timed(make_mf: MakeMentorflow, tmp_path: Path) -> Mentorflow:
    """The `gates` workflow without its custom guards: every other requirement form, obligations of each kind."""
    folder = tmp_path / "workflows"
    shutil.copytree(GATES_DIR, folder)
    source = (folder / "gates.yaml").read_text(encoding="utf-8")
    kept = [line for line in source.splitlines() if "check" not in line]
    (folder / "gates.yaml").write_text("\n".join(kept) + "\n", encoding="utf-8")
    return make_mf(workflow_dirs=[folder])


ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["doc", "doc-draft", "sign-lea", "sign-max", "log", "memo", "review", "wait"]),
        st.floats(min_value=0, max_value=12),
    ),
    max_size=8,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS, later=st.lists(st.floats(min_value=0, max_value=40), min_size=1, max_size=3))
def test_time_dependent_requirements_stay_exact(
    timed: Mentorflow, clock: FakeClock, actions: list[tuple[str, float]], later: list[float]
) -> None:
    """Whatever happened and however long after the refresh, cached rows say what evaluation says."""
    clock.set(START)
    rel_id = timed.start("gates", {"lead": "lea", "member": ["max", "mia"]}, actor=Actor.admin()).id
    for action, days in actions:
        clock.advance(days)
        if action in ("doc", "doc-draft"):
            timed.submit(rel_id, "doc", NOTE if action == "doc" else {}, actor="lea")
        elif action.startswith("sign-") and timed.status(rel_id).artifacts:
            try:
                timed.sign(rel_id, "doc", actor=action.removeprefix("sign-"), revision=latest(timed, rel_id, "doc"))
            except Exception:  # noqa: BLE001, S112 - signing a draft or nothing is refused; the property goes on
                continue
        elif action in ("log", "memo"):
            timed.submit(rel_id, action, NOTE, actor="lea" if action == "memo" else "max")
        elif action == "review" and timed.status(rel_id).state == "open":
            timed.fire(rel_id, "to_review", actor="lea")
    timed.refresh()
    for days in later:
        clock.advance(days)
        assert_cache_agrees(timed)
    with timed.engine.begin() as connection:
        for table in ("mentorflow_phase_stays", "mentorflow_signatures", "mentorflow_revisions"):
            connection.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - constant names
        for table in ("mentorflow_participants", "mentorflow_events", "mentorflow_relationships"):
            connection.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - constant names


def test_custom_guards_are_evaluated_at_every_audit(gates: Mentorflow) -> None:
    """A `check:` guard may answer differently at any moment, so rows that depend on one are never cached."""
    answer: list[str | None] = ["not yet"]

    @gates.guard("approved")
    def approved(_context: object) -> str | None:
        return answer[0]

    rel_id = gates.start("gates", {"lead": "lea", "member": ["max"]}, actor=Actor.admin()).id
    gates.refresh()
    assert "t_check" not in next(r for r in gates.audit() if r.id == rel_id).next
    answer[0] = None
    assert "t_check" in next(r for r in gates.audit() if r.id == rel_id).next


def test_concurrent_refreshes_record_each_stay_once(
    demo: Mentorflow, make_mf: MakeMentorflow, clock: FakeClock
) -> None:
    """Two servers refreshing at once: the row update serialises them, so no stay is counted twice."""
    with demo.engine.begin() as connection:
        connection.execute(text("UPDATE mentorflow_relationships SET standing_seq = NULL"))
    others = [make_mf() for _ in range(2)]
    threads = [threading.Thread(target=other.refresh) for other in others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert_cache_agrees(demo)


def test_a_corrupt_state_behind_a_fresh_cache_is_still_reported(mf: Mentorflow) -> None:
    """An edited state is reported as a corrupt row, even where the cache would otherwise answer for it."""
    rel_id = mf.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=Actor.admin()).id
    mf.refresh()
    with mf.engine.begin() as connection:
        connection.execute(text("UPDATE mentorflow_relationships SET state = 'limbo' WHERE id = :id"), {"id": rel_id})
    with pytest.raises(StorageError, match="is in state 'limbo'") as caught:
        mf.audit()
    assert caught.value.code == "storage.corrupt_row"


def test_audit_rows_are_values_a_validator_accepts(demo: Mentorflow) -> None:
    """Rows, cached or evaluated, equal their validated copies, dump the same, copy, pickle and refuse changes."""
    rows = demo.audit()
    assert any(row.blockers for row in rows)
    assert any(row.overdue for row in rows)
    adapter = TypeAdapter(Standing)
    for row in rows:
        validated = adapter.validate_python(dataclasses.asdict(row))
        assert row == validated
        assert validated == row
        assert adapter.dump_json(row) == adapter.dump_json(validated)
        assert repr(row) == repr(validated)
        assert row.to_dict() == adapter.dump_python(validated, mode="json")
        assert pickle.loads(pickle.dumps(row)) == row  # noqa: S301 - our own bytes, just made
        assert copy.deepcopy(row) == row
        assert dataclasses.replace(row, stalled_days=0).stalled_days == 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        rows[0].state = "elsewhere"  # type: ignore[misc]
