"""A small workflow in two versions for the migration tests: version 1, and a version 2 each test revises."""

from __future__ import annotations

import textwrap
from pathlib import Path

from mentorflow import Actor

ADMIN = Actor.admin("carol")

CIRCLE = """\
mentorflow: 1
workflow: circle
version: {version}
title: Circle
roles:
  lead: {{min: 1, max: 1}}
  {peer}: {{min: 1, max: {peer_max}}}
phases: [start, run]
artifacts:
  plan: {{kind: {plan_kind}, submitted_by: [lead], signed_by: [lead, {peer}]}}
  notes: {{kind: meeting, submitted_by: [lead, {peer}], repeatable: {notes_repeatable}}}
states:
  open:
    initial: true
    phase: start
    obligations:
      - {{signed: plan, within_days: 10}}
  {running}:
    phase: run
    obligations:
      - {obligation}
  done: {{final: true}}
transitions:
  - {{trigger: begin, from: open, to: {running}, requires: [{{signed: plan}}]}}
  - {{trigger: finish, from: {running}, to: done, requires: [{finish}]}}
"""
DEFAULTS = {
    "peer": "peer",
    "peer_max": 4,
    "plan_kind": "consent",
    "notes_repeatable": "true",
    "running": "running",
    "every": 30,
    "finish": "",
}
PLAN = {"statement": "we meet every month", "effective_date": "2026-03-01"}


def circle(version: int, **changes: object) -> str:
    """The circle workflow at ``version``, with ``changes`` to its defaults (see ``DEFAULTS``)."""
    values = {**DEFAULTS, **changes}
    values.setdefault("obligation", f"{{count: notes, min: 1, every_days: {values['every']}}}")
    return CIRCLE.format(version=version, **values)


def write_versions(directory: Path, **changes: object) -> Path:
    """Version 1 and a version 2 with ``changes``, in ``directory``; returns it."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "circle-1.yaml").write_text(circle(1), encoding="utf-8")
    (directory / "circle-2.yaml").write_text(textwrap.dedent(circle(2, **changes)), encoding="utf-8")
    return directory
