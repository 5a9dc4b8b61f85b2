"""Version pinning: a relationship runs on the definition it started on, whatever the YAML says later."""

from __future__ import annotations

import textwrap

import pytest

from mentorflow import Actor, Blocked, VersionConflict
from tests.conftest import MakeMentorflow, WriteDefinition

ADMIN = Actor.admin()
WORKFLOW = """\
    mentorflow: 1
    workflow: pinned
    version: {version}
    title: {title}
    roles:
      pair: {{min: 2, max: 2}}
    artifacts:
      consent: {{kind: consent, submitted_by: [pair], signed_by: [pair]}}
    states:
      open: {{initial: true}}
      done: {{final: true}}
    transitions:
      - trigger: finish
        from: open
        to: done
        requires: {requires}
"""


def _workflow(version: int, requires: str = "[]", title: str = "Pinned") -> str:
    return textwrap.dedent(WORKFLOW.format(version=version, requires=requires, title=title))


def test_a_relationship_keeps_its_definition_after_the_yaml_changes(
    make_mf: MakeMentorflow, workflow_dir: WriteDefinition, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """After version 2 adds a requirement, relationships started on version 1 still run on version 1."""
    old = make_mf(workflow_dirs=[workflow_dir(_workflow(1))])
    first = old.start("pinned", {"pair": ["ann", "bob"]}, actor=ADMIN)
    newer_dir = tmp_path_factory.mktemp("v2")
    (newer_dir / "pinned.yaml").write_text(_workflow(2, "[{signed: consent}]"))
    new = make_mf(workflow_dirs=[newer_dir])
    second = new.start("pinned", {"pair": ["ann", "bob"]}, actor=ADMIN)
    with pytest.raises(Blocked, match="no consent has been submitted"):
        new.fire(second.id, "finish", actor="ann")
    assert new.fire(first.id, "finish", actor="ann").payload["to"] == "done"
    assert (first.workflow_version, second.workflow_version) == (1, 2)
    assert new.status(first.id).workflow_version == 1
    assert new.verify().ok


def test_a_relationship_runs_after_its_file_is_gone(make_mf: MakeMentorflow, workflow_dir: WriteDefinition) -> None:
    """The stored definition is enough: without the YAML, status and fire still work."""
    directory = workflow_dir(_workflow(1))
    rel_id = make_mf(workflow_dirs=[directory]).start("pinned", {"pair": ["ann", "bob"]}, actor=ADMIN).id
    for path in directory.iterdir():
        path.unlink()
    bare = make_mf()
    assert bare.status(rel_id).workflow == "pinned"
    assert bare.fire(rel_id, "finish", actor="bob").payload["to"] == "done"


def test_registered_definitions_are_listed_from_the_database(
    make_mf: MakeMentorflow, workflow_dir: WriteDefinition
) -> None:
    """A workflow known only from the database is listed with source `database`."""
    make_mf(workflow_dirs=[workflow_dir(_workflow(1, title="Pinned pair"))]).start(
        "pinned", {"pair": ["ann", "bob"]}, actor=ADMIN
    )
    listed = {(w.workflow, w.version): (w.title, w.source) for w in make_mf().workflows()}
    assert listed[("pinned", 1)] == ("Pinned pair", "database")
    assert listed[("traditional-dyad", 3)] == ("Traditional dyad", "builtin")
    assert ("pinned", 1) not in {(w.workflow, w.version) for w in make_mf().workflows(database=False)}


def test_a_changed_file_under_a_registered_version_is_a_conflict(
    make_mf: MakeMentorflow, workflow_dir: WriteDefinition, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Editing a registered version without bumping it is `definition.version_conflict`, with a hint to bump."""
    make_mf(workflow_dirs=[workflow_dir(_workflow(1))]).start("pinned", {"pair": ["ann", "bob"]}, actor=ADMIN)
    edited_dir = tmp_path_factory.mktemp("edited")
    edited = edited_dir / "pinned.yaml"
    edited.write_text(_workflow(1, "[{signed: consent}]"))
    edited_mf = make_mf(workflow_dirs=[edited_dir])
    with pytest.raises(
        VersionConflict, match="workflow 'pinned' version 1 is already registered with different content"
    ) as caught:
        edited_mf.start("pinned", {"pair": ["ann", "bob"]}, actor=ADMIN)
    assert caught.value.code == "definition.version_conflict"
    assert caught.value.hint == (
        f"Relationships already run on version 1; bump `version:` in {edited} to register the change."
    )
    problem = caught.value.problems[0]
    version_line = edited.read_text().splitlines().index("version: 1") + 1
    assert (problem.file, problem.line, problem.column) == (str(edited), version_line, 1)
    assert len(edited_mf.audit()) == 1


def test_an_unchanged_file_registers_once(make_mf: MakeMentorflow, workflow_dir: WriteDefinition) -> None:
    """Starting many relationships on one definition stores it once."""
    mf = make_mf(workflow_dirs=[workflow_dir(_workflow(1))])
    for _ in range(3):
        mf.start("pinned", {"pair": ["ann", "bob"]}, actor=ADMIN)
    assert [(w.workflow, w.source) for w in mf.workflows() if w.workflow == "pinned"] == [
        ("pinned", mf.registry.get("pinned").source)
    ]


def test_start_may_name_an_older_version(make_mf: MakeMentorflow, workflow_dir: WriteDefinition) -> None:
    """`version=` starts on a version that is not the newest."""
    workflow_dir(_workflow(1))
    directory = workflow_dir(_workflow(2, "[{signed: consent}]"))
    mf = make_mf(workflow_dirs=[directory])
    rel = mf.start("pinned", {"pair": ["ann", "bob"]}, version=1, actor=ADMIN)
    newest = mf.start("pinned", {"pair": ["ann", "bob"]}, actor=ADMIN)
    assert (rel.workflow_version, newest.workflow_version) == (1, 2)
