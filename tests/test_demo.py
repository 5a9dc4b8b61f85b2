"""The demo program: every built-in workflow at every stage, with the trouble an administrator looks for."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mentorflow import Event, Mentorflow
from mentorflow.definitions import Registry
from mentorflow.definitions.content import check_content
from mentorflow.demo import DEMO_PROGRAMS, SAMPLES, DemoResult, build_demo, sample

NOW = dt.datetime(2026, 9, 1, 12, 0, tzinfo=dt.UTC)

STATES = {
    "traditional-dyad": [
        "preparing",
        "negotiating",
        "early_meetings",
        "later_meetings",
        "concluding",
        "completed",
        "withdrawn",
    ],
    "informal-peer": ["forming", "meeting", "closed", "dissolved"],
    "facilitated-peer": ["recruiting", "launched", "in_session", "evaluating", "concluded", "cancelled"],
    "group": ["forming", "chartered", "active", "concluding", "completed", "disbanded"],
    "micro-mentoring": ["requested", "scheduled", "met", "closed", "converted", "declined", "expired"],
}
"""Every state of every built-in workflow (the product contract's table); all are reachable."""


@dataclass(frozen=True)
class Demo:
    mf: Mentorflow
    result: DemoResult
    clock_given_back: bool

    def events(self) -> list[Event]:
        return [event for rel_id in self.mf.relationship_ids() for event in self.mf.history(rel_id)]


def _fresh(path: Path, registry: Registry) -> Mentorflow:
    mf = Mentorflow(f"sqlite:///{path}/demo.db", clock=lambda: NOW)
    mf.registry = registry
    mf.upgrade()
    return mf


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, builtin_registry: Registry) -> Iterator[Demo]:
    """One demo database, built once for the module and only read by its tests."""
    mf = _fresh(tmp_path_factory.mktemp("demo"), builtin_registry)
    clock = mf.clock
    result = build_demo(mf, NOW)
    try:
        yield Demo(mf, result, clock_given_back=mf.clock is clock)
    finally:
        mf.engine.dispose()


def test_every_builtin_workflow_is_in_the_demo(demo: Demo) -> None:
    """The demo starts relationships of each built-in workflow, and says how many."""
    builtins = {info.workflow for info in demo.mf.workflows(database=False) if info.source == "builtin"}
    assert set(demo.result.created) == builtins == set(STATES)
    assert all(count >= 4 for count in demo.result.created.values())
    assert not demo.result.skipped
    assert str(demo.result).startswith(f"demo: {demo.result.total} relationships created (facilitated-peer ")


@pytest.mark.parametrize(("workflow", "state"), [(w, s) for w, states in STATES.items() for s in states])
def test_every_state_has_a_relationship(demo: Demo, workflow: str, state: str) -> None:
    """Each state of each built-in workflow holds at least one demo relationship."""
    found = demo.mf.audit(workflow=workflow, state=state)
    assert found, f"no {workflow} relationship in {state}"
    assert {standing.program for standing in found} <= set(DEMO_PROGRAMS)


def test_the_result_counts_what_the_database_holds(demo: Demo) -> None:
    """`created` and `states` agree with an audit of the demo's programs."""
    standings = [s for program in DEMO_PROGRAMS for s in demo.mf.audit(program=program)]
    assert demo.result.total == len(standings) == len(list(demo.mf.relationship_ids()))
    for workflow, states in demo.result.states.items():
        assert sum(states.values()) == demo.result.created[workflow]
        for state, count in states.items():
            assert count == sum(1 for s in standings if (s.workflow, s.state) == (workflow, state))


def test_some_relationships_are_blocked(demo: Demo) -> None:
    """A group waits for one mentee's IDP; a dyad's agreement is signed by the mentor only."""
    blocked = {standing.id: standing for standing in demo.mf.audit(blocked=True)}
    group = next(s for s in blocked.values() if (s.workflow, s.state) == ("group", "forming"))
    assert [(b.trigger, b.code) for b in group.blockers] == [("charter", "artifact.missing")]
    assert "nadia.petrova" in group.blockers[0].message
    half_signed = [
        s
        for s in blocked.values()
        if s.state == "negotiating" and [(b.trigger, b.code) for b in s.blockers] == [("launch", "artifact.unsigned")]
    ]
    assert len(half_signed) == 1
    assert "agreement" in half_signed[0].blockers[0].message


def test_a_dyad_without_a_meeting_for_45_days_is_overdue(demo: Demo) -> None:
    """An active dyad whose last meeting is 45+ days old is overdue on its meeting cadence."""
    quiet = [
        s
        for s in demo.mf.audit(workflow="traditional-dyad", state="early_meetings", overdue=True)
        if any("meeting" in o.requirement for o in s.overdue)
    ]
    assert quiet
    meetings = [a for a in demo.mf.status(quiet[0].id).artifacts if a.slot == "meeting"]
    assert (NOW - max(a.submitted_at for a in meetings)).days >= 45


def test_an_agreement_unsigned_40_days_into_negotiation_is_overdue(demo: Demo) -> None:
    """A dyad negotiating for 40+ days without a fully signed agreement is overdue."""
    late = demo.mf.audit(workflow="traditional-dyad", state="negotiating", overdue=True)
    assert [o.requirement for s in late for o in s.overdue] == ["agreement signed within 30 days"]
    assert late[0].days_in_state >= 40


def test_outstanding_evaluations_are_overdue(demo: Demo) -> None:
    """Closing relationships missing evaluations past their deadline are overdue."""
    overdue = demo.mf.audit(overdue=True)
    evaluations = {s.workflow for s in overdue if any(o.requirement.startswith("evaluation") for o in s.overdue)}
    assert {"traditional-dyad", "facilitated-peer"} <= evaluations


def test_some_relationships_are_stalled(demo: Demo) -> None:
    """Some relationships have had no activity for 60 days or more; none of them has ended."""
    stalled = demo.mf.audit(stalled_days=60)
    assert len(stalled) >= 2
    assert all(s.stalled_days >= 60 and not s.final for s in stalled)
    assert {s.id for s in stalled} < {s.id for s in demo.mf.audit(stalled_days=30)}


def test_a_micro_mentoring_became_a_dyad_carrying_the_idp(demo: Demo) -> None:
    """The converted micro-mentoring started a linked dyad, which holds the same signed IDP."""
    (converted,) = demo.mf.audit(workflow="micro-mentoring", state="converted")
    linked = [e for e in demo.mf.history(converted.id) if e.kind == "started_linked"]
    assert len(linked) == 1
    dyad_id = linked[0].payload["relationship"]
    dyad = demo.mf.status(dyad_id)
    assert (dyad.workflow, dyad.program) == ("traditional-dyad", converted.program)
    carried = [e for e in demo.mf.history(dyad_id) if e.kind == "submitted" and e.payload.get("origin")]
    assert [(e.payload["slot"], e.payload["origin"]["relationship"]) for e in carried] == [("idp", converted.id)]
    (idp,) = [a for a in dyad.artifacts if a.slot == "idp"]
    assert idp.complete
    assert idp.unsigned == []


def test_a_micro_mentoring_expired_by_the_clock(demo: Demo) -> None:
    """An unanswered request was expired by `tick`, acting as the system."""
    (expired,) = demo.mf.audit(workflow="micro-mentoring", state="expired")
    last = demo.mf.history(expired.id)[-1]
    assert (last.kind, last.actor, last.payload["trigger"]) == ("transitioned", "system", "expire")
    assert demo.mf.due() == []


def test_an_administrator_override_is_on_record(demo: Demo) -> None:
    """One dyad was launched by a forced fire, which keeps its reason and the blockers it bypassed."""
    overrides = [e for e in demo.events() if e.kind == "overridden"]
    assert len(overrides) == 1
    assert overrides[0].actor.startswith("admin:")
    assert overrides[0].payload["reason"]
    assert overrides[0].payload["bypassed"]


def test_some_drafts_are_incomplete(demo: Demo) -> None:
    """Several relationships hold deliberately incomplete drafts, each naming what is missing."""
    drafts = [
        artifact
        for rel_id in demo.mf.relationship_ids()
        for artifact in demo.mf.status(rel_id).artifacts
        if not artifact.complete
    ]
    assert len(drafts) >= 5
    assert all(draft.missing for draft in drafts)
    assert {"idp", "agreement", "curriculum", "network_map", "brief"} <= {draft.slot for draft in drafts}


def test_every_chain_verifies(demo: Demo) -> None:
    """Replaying every relationship against its definition finds nothing wrong."""
    report = demo.mf.verify()
    assert report.ok, report.broken
    assert report.checked == demo.result.total


def test_events_span_nine_months_in_order_and_none_is_in_the_future(demo: Demo) -> None:
    """The demo's history starts about nine months back, never goes backwards, and ends by `now`."""
    events = demo.events()
    assert min(e.at for e in events) < NOW - dt.timedelta(days=260)
    assert max(e.at for e in events) <= NOW
    for rel_id in demo.mf.relationship_ids():
        moments = [e.at for e in demo.mf.history(rel_id)]
        assert moments == sorted(moments), rel_id


def test_the_clock_is_given_back(demo: Demo) -> None:
    """`build_demo` moves `mf.clock` while it writes, and gives the caller's clock back at the end."""
    assert demo.clock_given_back
    assert demo.mf.now() == NOW


def test_running_it_twice_adds_nothing(tmp_path: Path, builtin_registry: Registry) -> None:
    """A second run finds the demo's programs and writes nothing; subscribers hear each event once."""
    mf = _fresh(tmp_path, builtin_registry)
    heard: list[Event] = []
    mf.subscribe(heard.append)
    try:
        first = build_demo(mf, NOW)
        events = mf.verify().events
        assert len(heard) == events
        second = build_demo(mf, NOW + dt.timedelta(days=3))
        assert second.skipped
        assert second.created == {}
        assert second.total == 0
        assert second.states == first.states
        assert "nothing added" in str(second)
        assert mf.verify().events == events == len(heard)
    finally:
        mf.engine.dispose()


def test_a_naive_now_is_read_as_utc(tmp_path: Path, builtin_registry: Registry) -> None:
    """A `now` without a timezone is UTC: the last event (the expiring tick) is exactly then."""
    mf = _fresh(tmp_path, builtin_registry)
    try:
        build_demo(mf, NOW.replace(tzinfo=None))
        assert max(e.at for rel in mf.relationship_ids() for e in mf.history(rel)) == NOW
    finally:
        mf.engine.dispose()


KINDS = sorted(SAMPLES)
"""One sample per kind; that these are exactly the built-in kinds is checked below."""


@pytest.mark.parametrize("kind", KINDS)
def test_each_builtin_kind_has_a_complete_sample(kind: str, builtin_registry: Registry) -> None:
    """The sample of each built-in kind passes its shape check and fills every required field."""
    definition = builtin_registry.kinds()[kind]
    checked = check_content(definition, SAMPLES[kind])
    assert checked.missing == []
    assert checked.content == SAMPLES[kind]


def test_samples_cover_exactly_the_builtin_kinds(builtin_registry: Registry) -> None:
    """There is one sample per built-in kind, and no sample for a kind that does not exist."""
    assert set(SAMPLES) == set(builtin_registry.kinds())


def test_sample_moves_dates_to_the_day_of_writing() -> None:
    """`sample` shifts every date by the distance from the samples' day, and replaces top-level fields."""
    content = sample("meeting", dt.date(2026, 1, 25), topics=["Writing"])
    assert content["date"] == "2026-01-25"
    assert content["action_items"][0]["due_date"] == "2026-02-08"
    assert content["topics"] == ["Writing"]
    assert SAMPLES["meeting"]["date"] == "2026-01-15"


def test_the_demo_builds_and_verifies_on_each_backend(mf: Mentorflow) -> None:
    """On SQLite and PostgreSQL alike the demo is written in one transaction, verifies, and is written once."""
    first = build_demo(mf, NOW)
    assert first.total == len(list(mf.relationship_ids()))
    assert mf.verify().ok
    assert build_demo(mf, NOW).skipped
