"""Each built-in workflow's page names its current version and who reads each slot, as the definition says."""

from __future__ import annotations

import re

import pytest

from mentorflow.cli._docs import ROOT
from mentorflow.definitions import Registry, Workflow
from mentorflow.definitions.models import Slot

BUILTINS = sorted(
    (e.definition for e in Registry([]).workflows() if e.source == "builtin" and isinstance(e.definition, Workflow)),
    key=lambda w: w.workflow,
)


def read_by(slot: Slot) -> str:
    """The page's wording of DESIGN §12: who reads a slot's content."""
    if slot.visible_to is None:
        return "every participant"
    roles = set(slot.visible_to) | set(slot.signed_by)
    if not slot.repeatable:
        roles |= set(slot.submitted_by or [])
    return ", ".join([*(["its author"] if slot.repeatable else []), *sorted(roles), "administrators"])


@pytest.mark.parametrize("workflow", BUILTINS, ids=lambda w: w.workflow)
def test_the_page_shows_the_version_and_who_reads_each_slot(workflow: Workflow) -> None:
    """The title carries the version (bumped with every change), the artifacts table a `read by` column."""
    page = (ROOT / "docs" / "workflows" / f"{workflow.workflow}.md").read_text(encoding="utf-8")
    assert page.startswith(f"# {workflow.title.split()[0]}")
    assert f"(`{workflow.workflow}`, version {workflow.version})" in page.splitlines()[0]
    rows = {
        cells[0].strip("`"): cells
        for line in page.splitlines()
        if re.match(r"^\| `[a-z_]+` \| \[`", line)
        for cells in [[cell.strip() for cell in line.strip().strip("|").split("|")]]
    }
    assert sorted(rows) == sorted(workflow.artifacts)
    assert {slot: cells[4] for slot, cells in rows.items()} == {
        slot: read_by(definition) for slot, definition in workflow.artifacts.items()
    }


def test_evaluations_are_their_authors_and_the_administrators_only() -> None:
    """The built-in choice of §12: every evaluation slot is `visible_to: []`."""
    evaluations = [w.artifacts[s] for w in BUILTINS for s in w.artifacts if w.artifacts[s].kind == "evaluation"]
    assert evaluations
    assert all(slot.visible_to == [] for slot in evaluations)
