"""The visibility matrix, generated from the definitions: each role x each slot of every built-in x each read.

For every slot of every built-in workflow, one submitter writes an item; then a holder of each role (someone other
than the submitter wherever the role has room for two) reads it through every read. What each may see is derived
from the slot's definition alone, by DESIGN §12: a slot without ``visible_to`` is read by every role; otherwise by
the roles it lists and the roles that sign it, by an item's owner, and, of a plain slot, by its submitting roles.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mentorflow import Actor, Mentorflow
from mentorflow.definitions import Registry, Workflow
from mentorflow.definitions.models import Slot
from mentorflow.errors import ArtifactHidden
from tests.content import valid

ADMIN = Actor.admin("carol")


def _builtins() -> list[Workflow]:
    workflows = [entry.definition for entry in Registry([]).workflows() if entry.source == "builtin"]
    return sorted((w for w in workflows if isinstance(w, Workflow)), key=lambda w: w.workflow)


CASES = [(workflow, slot) for workflow in _builtins() for slot in workflow.artifacts]


def _people(workflow: Workflow) -> dict[str, list[str]]:
    """Two holders of each role where its maximum allows, as many as its minimum needs."""
    people = {}
    for role, bounds in workflow.roles.items():
        count = max(bounds.min, 2) if bounds.max is None else min(max(bounds.min, 2), bounds.max)
        people[role] = [f"{role}-{n}" for n in range(1, count + 1)]
    return people


def _may_read(definition: Slot, role: str, owner: bool) -> bool:
    if definition.visible_to is None or owner:
        return True
    readers = set(definition.visible_to) | set(definition.signed_by)
    if not definition.repeatable:
        readers |= set(definition.submitted_by if definition.submitted_by is not None else [role])
    return role in readers


def _shown(read: Callable[[], object]) -> bool:
    try:
        read()
    except ArtifactHidden:
        return False
    return True


def _listed(mf: Mentorflow, rel_id: str, slot: str, item: int | None, who: str) -> bool:
    try:
        return any(r.item == item for r in mf.revisions(rel_id, slot, actor=who))
    except ArtifactHidden:
        return False


def _reads(mf: Mentorflow, rel_id: str, slot: str, item: int | None, who: str) -> dict[str, bool]:
    """Whether each read showed the item to ``who``: refused or left out is not shown."""
    return {
        "show": _shown(lambda: mf.document(rel_id, slot, item, actor=who)),
        "diff": _shown(lambda: mf.diff(rel_id, slot, item, actor=who)),
        "revisions": _listed(mf, rel_id, slot, item, who),
        "status": any(a.slot == slot and a.item == item for a in mf.status(rel_id, actor=who).artifacts),
        "history": any(
            e.kind == "submitted" and e.payload["slot"] == slot and e.payload["item"] == item
            for e in mf.history(rel_id, actor=who)
        ),
    }


@pytest.mark.parametrize(("workflow", "slot"), CASES, ids=[f"{w.workflow}.{s}" for w, s in CASES])
def test_each_role_reads_exactly_what_the_definition_lets_it(mf: Mentorflow, workflow: Workflow, slot: str) -> None:
    """Every read agrees with the definition for every role; administrators and the platform read everything."""
    definition = workflow.artifacts[slot]
    people = _people(workflow)
    rel_id = mf.start(workflow.workflow, people, actor=ADMIN).id
    submitting = (definition.submitted_by or list(workflow.roles))[0]
    submitter = people[submitting][0]
    kind = workflow.artifacts[slot].kind
    item = mf.submit(rel_id, slot, valid(kind), actor=submitter).item
    for role, holders in people.items():
        reader = next((p for p in holders if p != submitter), submitter)
        expected = _may_read(definition, role, owner=reader == submitter)
        seen = _reads(mf, rel_id, slot, item, reader)
        assert seen == dict.fromkeys(seen, expected), f"{role} {reader} on {workflow.workflow}.{slot}"
    for trusted in (ADMIN, None):
        assert mf.document(rel_id, slot, item, actor=trusted).submitted_by == submitter


def test_the_matrix_covers_hidden_and_shared_slots() -> None:
    """The built-ins hold both kinds of slot, so the matrix above tests refusals as well as reads."""
    slots = [workflow.artifacts[slot] for workflow, slot in CASES]
    assert any(s.visible_to is not None for s in slots)
    assert any(s.visible_to is None for s in slots)
