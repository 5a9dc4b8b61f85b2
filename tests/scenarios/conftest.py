"""Fixtures for scenario tests: scenario files written on the fly, and a small workflow of our own."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import GATES_DIR

WriteScenario = Callable[..., Path]

TINY = """\
mentorflow: 1
workflow: tiny
version: 1
title: Tiny
roles: {lead: {min: 1, max: 1}}
artifacts:
  note: {kind: note, submitted_by: [lead]}
states:
  open:
    initial: true
    obligations: [{complete: note, within_days: 5}]
  review: {}
  done: {final: true}
transitions:
  - trigger: send
    from: open
    to: review
    requires: [{complete: note}, {any: [{check: approved}, {in_state_days: 2}]}]
  - {trigger: lapse, from: review, to: done, after_days: 3}
  - {trigger: finish, from: review, to: done}
"""
"""A workflow small enough to reason about coverage by hand: a combinator, a guard, a delay, an obligation."""


@pytest.fixture
def scenario_file(tmp_path: Path) -> WriteScenario:
    """Write a scenario (dedented) as NAME.yaml in a fresh directory, and return its path."""
    directory = tmp_path / "scenarios"
    directory.mkdir()

    def write(text: str, name: str = "scenario") -> Path:
        path = directory / f"{name}.yaml"
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture
def tiny_dirs(tmp_path: Path) -> list[Path]:
    """Workflow directories holding `tiny` (and the gates' `note` kind it uses)."""
    directory = tmp_path / "tiny"
    directory.mkdir()
    (directory / "tiny.yaml").write_text(TINY, encoding="utf-8")
    return [GATES_DIR, directory]
