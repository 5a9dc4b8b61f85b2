"""The round trip as an invariant: over random histories, export -> import -> verify passes and status is unchanged."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mentorflow import Mentorflow
from mentorflow.definitions import Registry
from mentorflow.errors import MentorflowError
from tests.conftest import START
from tests.content import incomplete, valid
from tests.lifecycle.support import ADMIN, archive_of, body, load

STEPS = st.lists(
    st.sampled_from(
        [
            ("submit", "idp", "bob", "draft"),
            ("submit", "idp", "bob", "full"),
            ("submit", "agreement", "ann", "full"),
            ("submit", "meeting", "bob", "full"),
            ("sign", "idp", "ann"),
            ("sign", "idp", "bob"),
            ("sign", "agreement", "ann"),
            ("sign", "agreement", "bob"),
            ("fire", "negotiate", "ann"),
            ("fire", "launch", "bob"),
            ("fire", "withdraw", "bob"),
            ("join", "dan"),
            ("leave", "dan"),
            ("erase", "bob"),
            ("wait",),
        ]
    ),
    max_size=14,
)


def _apply(mf: Mentorflow, rel_id: str, step: tuple[str, ...], clock: list[dt.datetime]) -> None:
    """One step, refused or not: a refusal is part of a random history too."""
    kind = step[0]
    if kind == "wait":
        clock[0] += dt.timedelta(days=3)
        return
    clock[0] += dt.timedelta(minutes=5)
    try:
        if kind == "submit":
            content = incomplete(step[1]) if step[3] == "draft" else valid(step[1])
            mf.submit(rel_id, step[1], content, actor=step[2])
        elif kind == "sign":
            latest = mf.revisions(rel_id, step[1])[-1].revision
            mf.sign(rel_id, step[1], actor=step[2], revision=latest)
        elif kind == "fire":
            mf.fire(rel_id, step[1], actor=step[2], reason="changed plans")
        elif kind == "join":
            mf.join(rel_id, "mentee", step[1], actor=ADMIN)
        elif kind == "leave":
            mf.leave(rel_id, step[1], actor=ADMIN, reason="moved")
        else:
            mf.erase(step[1], reason="request", actor=ADMIN)
    except (MentorflowError, IndexError):
        pass


@pytest.fixture(scope="module")
def databases(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> tuple[Path, Path]:
    return sqlite_template, tmp_path_factory.mktemp("property")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=STEPS, second=STEPS)
def test_export_import_verify_and_status_unchanged(
    first: list[tuple[str, ...]],
    second: list[tuple[str, ...]],
    databases: tuple[Path, Path],
    builtin_registry: Registry,
) -> None:
    """Two relationships with random histories: the copy verifies, reads the same and exports the same bytes."""
    template, work = databases
    clock = [START]
    made = []
    for name in ("source.db", "target.db"):
        shutil.copy(template, work / name)
        mf = Mentorflow(f"sqlite:///{work / name}", clock=lambda: clock[0])
        mf.registry = builtin_registry
        made.append(mf)
    source, target = made
    try:
        for rel_id, steps in (("r1", first), ("r2", second)):
            source.start("traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=ADMIN, id=rel_id)
            for step in steps:
                _apply(source, rel_id, step, clock)
        archive = archive_of(source)
        load(target, archive)
        assert target.verify().ok
        for rel_id in ("r1", "r2"):
            assert target.status(rel_id) == source.status(rel_id)
        assert body(archive_of(target)) == body(archive)
    finally:
        for mf in made:
            mf.engine.dispose()
