"""Random walks through every built-in workflow: whatever anyone does, the invariants hold.

A hypothesis state machine drives one relationship with random submissions (valid, incomplete, invalid), signatures,
joins, leaves, fires, forces and ticks, by each participant, a stranger, an administrator and the clock, while the
clock jumps ahead. After every step: the state is declared, a fire succeeded exactly when status said it was allowed,
the cached rows equal the replayed log, every chain verifies, and nothing but a ``MentorflowError`` ever escaped.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from mentorflow import Actor, Blocked, Mentorflow, MentorflowError
from mentorflow.definitions import Registry
from tests.conftest import FakeClock
from tests.content import incomplete, invalid, latest, valid

WORKFLOWS: dict[str, tuple[dict[str, list[str]], list[str]]] = {
    "traditional-dyad": ({"mentor": ["ann"], "mentee": ["bob"]}, ["dan"]),
    "informal-peer": ({"peer": ["pat", "quin", "ray"]}, ["sam", "tia"]),
    "facilitated-peer": ({"facilitator": ["fay"], "member": ["mo", "mu", "my"]}, ["fin", "moe"]),
    "group": ({"mentor": ["gm1", "gm2"], "mentee": ["ge1", "ge2", "ge3"]}, ["gm3", "ge4"]),
    "micro-mentoring": ({"mentor": ["ann"], "mentee": ["bob"]}, ["dan"]),
}
ADMIN = Actor.admin("carol")
STRANGER = "zed"
CONTENT: dict[str, Callable[[str], dict[str, Any]]] = {"valid": valid, "incomplete": incomplete, "invalid": invalid}
picks = st.integers(min_value=0, max_value=1_000)


class WorkflowWalk(RuleBasedStateMachine):
    """One relationship of one workflow, and everything that may be done to it."""

    def __init__(self, workflow: str, url: str, registry: Registry) -> None:
        super().__init__()
        self.clock = FakeClock()
        self.mf = Mentorflow(url, clock=self.clock)
        self.mf.registry = registry
        self.workflow = registry.bundle(workflow).workflow
        people, self.spares = WORKFLOWS[workflow]
        self.rel = self.mf.start(workflow, people, actor=ADMIN).id
        self.events = 1

    def teardown(self) -> None:
        self.mf.engine.dispose()

    # -- choosing ------------------------------------------------------------------------------------------------

    def _people(self) -> list[str]:
        return [p.person for p in self.mf.status(self.rel).participants]

    def _actor(self, pick: int) -> Actor | str:
        people = self._people()
        choices: list[Actor | str] = [*people, *people, STRANGER, ADMIN, Actor.system()]
        return choices[pick % len(choices)]

    def _attempt(self, action: Callable[[], object]) -> MentorflowError | None:
        """Run one action; only mentorflow's own errors may come out."""
        try:
            action()
        except MentorflowError as exc:
            return exc
        return None

    # -- rules ---------------------------------------------------------------------------------------------------

    @rule(
        slot=picks,
        quality=st.sampled_from(["valid", "valid", "incomplete", "invalid"]),
        actor=picks,
        item=st.one_of(st.none(), st.integers(min_value=0, max_value=3)),
    )
    def submit(self, slot: int, quality: str, actor: int, item: int | None) -> None:
        names = list(self.workflow.artifacts)
        name = names[slot % len(names)]
        content = CONTENT[quality](self.workflow.artifacts[name].kind)
        self._attempt(lambda: self.mf.submit(self.rel, name, content, actor=self._actor(actor), item=item))

    @rule(slot=picks, actor=picks)
    def sign(self, slot: int, actor: int) -> None:
        signed = [name for name, slot_ in self.workflow.artifacts.items() if slot_.signed_by] or ["none"]
        name = signed[slot % len(signed)]
        shown = [a.revision for a in self.mf.status(self.rel).artifacts if a.slot == name]
        revision = shown[-1] if shown else 1  # the newest item's latest revision: what the signer sees
        self._attempt(lambda: self.mf.sign(self.rel, name, actor=self._actor(actor), revision=revision))

    @rule(role=picks, person=picks, actor=picks)
    def join(self, role: int, person: int, actor: int) -> None:
        roles = list(self.workflow.roles)
        candidates = [*self.spares, *self._people(), STRANGER]
        self._attempt(
            lambda: self.mf.join(
                self.rel, roles[role % len(roles)], candidates[person % len(candidates)], actor=self._actor(actor)
            )
        )

    @rule(person=picks, actor=picks, reason=st.sampled_from([None, "moving on"]))
    def leave(self, person: int, actor: int, reason: str | None) -> None:
        candidates = [*self._people(), STRANGER]
        self._attempt(
            lambda: self.mf.leave(
                self.rel, candidates[person % len(candidates)], actor=self._actor(actor), reason=reason
            )
        )

    @rule(
        trigger=picks,
        actor=picks,
        reason=st.sampled_from([None, "", "agreed in person"]),
        force=st.sampled_from([False, False, False, True]),
    )
    def fire(self, trigger: int, actor: int, reason: str | None, force: bool) -> None:
        status = self.mf.status(self.rel)
        here = [t.trigger for t in status.triggers]
        everything = list(dict.fromkeys(t.trigger for t in self.workflow.transitions))
        name = [*here, *here, *everything][trigger % (2 * len(here) + len(everything))]
        who = self._actor(actor)
        error = self._attempt(lambda: self.mf.fire(self.rel, name, actor=who, force=force, reason=reason))
        allowed = {t.trigger: t for t in status.triggers}
        if error is None:
            event = self.mf.history(self.rel)[-1 if not self._starts(name) else -2]
            assert event.kind == ("overridden" if force else "transitioned")
            assert force or allowed[name].allowed
            assert self.mf.status(self.rel).state == allowed[name].to
        elif isinstance(error, Blocked):
            assert not force
            assert error.blockers == allowed[name].blockers

    def _starts(self, trigger: str) -> bool:
        return any(t.trigger == trigger and t.starts is not None for t in self.workflow.transitions)

    # -- rules that help: without them a random walk rarely gets past the first state -----------------------------

    def _progress(self, pick: int) -> None:
        """Do what the relationship needs next: fire an allowed trigger, sign, or submit what blocks."""
        status = self.mf.status(self.rel)
        if status.final:
            return
        ready = [t for t in status.triggers if t.allowed and not t.reason_required and t.timed_after_days is None]
        unsigned = [(a.slot, a.item, person) for a in status.artifacts if a.complete for person in a.unsigned]
        blocking = sorted({slot for t in status.triggers for b in t.blockers for slot in _slots(b.requirement)})
        if unsigned and pick % 3:
            slot, item, person = unsigned[pick % len(unsigned)]
            self.mf.sign(self.rel, slot, actor=person, revision=latest(self.mf, self.rel, slot, item), item=item)
        elif blocking and (pick % 3 or not ready):
            name = blocking[pick % len(blocking)]
            roles = self.workflow.artifacts[name].submitted_by
            people = [p.person for p in status.participants if roles is None or p.role in roles]
            content = valid(self.workflow.artifacts[name].kind)
            self._attempt(lambda: self.mf.submit(self.rel, name, content, actor=people[pick % len(people)]))
        elif ready:
            trigger = ready[pick % len(ready)]
            people = [p.person for p in status.participants if trigger.by is None or p.role in trigger.by]
            event = self.mf.fire(self.rel, trigger.trigger, actor=people[pick % len(people)] if people else ADMIN)
            assert (event.kind, event.payload["to"]) == ("transitioned", trigger.to)

    @rule(pick=picks)
    def progress(self, pick: int) -> None:
        self._progress(pick)

    @rule(pick=picks)
    def progress_again(self, pick: int) -> None:
        self._progress(pick)

    @rule(pick=picks)
    def progress_once_more(self, pick: int) -> None:
        self._progress(pick)

    @rule()
    def tick(self) -> None:
        for event in self.mf.tick():
            assert (event.kind, event.actor) == ("transitioned", "system")

    @rule(days=st.integers(min_value=0, max_value=40), hours=st.integers(min_value=0, max_value=23))
    def wait(self, days: int, hours: int) -> None:
        self.clock.advance(days, hours=hours)

    # -- invariants ----------------------------------------------------------------------------------------------

    @invariant()
    def state_is_declared(self) -> None:
        assert self.mf.status(self.rel).state in self.workflow.states

    @invariant()
    def the_log_replays_to_the_cached_rows(self) -> None:
        report = self.mf.verify()
        assert report.ok, report.broken

    @invariant()
    def the_log_only_grows(self) -> None:
        history = self.mf.history(self.rel)
        assert [e.seq for e in history] == list(range(1, len(history) + 1))
        assert len(history) >= self.events
        self.events = len(history)


def _slots(requirement: dict[str, Any]) -> list[str]:
    """The slots a requirement (as a blocker carries it) is about, however deeply combined."""
    found = [requirement[key] for key in ("complete", "signed", "count", "current") if key in requirement]
    for key in ("all", "any"):
        for child in requirement.get(key, []):
            found += _slots(child)
    if "not" in requirement:
        found += _slots(requirement["not"])
    return found


@pytest.fixture
def fresh_sqlite(sqlite_template: Path, tmp_path: Path) -> Callable[[], str]:
    """A new migrated SQLite database for each hypothesis example."""
    counter = itertools.count()

    def make() -> str:
        path = tmp_path / f"example_{next(counter)}.db"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite:///{path}"

    return make


@pytest.mark.parametrize("workflow", list(WORKFLOWS))
def test_random_walks_keep_every_invariant(
    workflow: str, fresh_sqlite: Callable[[], str], builtin_registry: Registry
) -> None:
    """Random actions by random actors at random times never break the rules or the log."""

    class Walk(WorkflowWalk):
        def __init__(self) -> None:
            super().__init__(workflow, fresh_sqlite(), builtin_registry)

    run_state_machine_as_test(
        Walk,
        settings=settings(
            max_examples=10,
            stateful_step_count=50,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
