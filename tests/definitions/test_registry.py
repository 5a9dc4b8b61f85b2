"""The registry: built-ins plus extra directories, keyed by (id, version), and the bundles relationships run on."""

from __future__ import annotations

import importlib.resources
import json
import shutil
from pathlib import Path

import pytest

from mentorflow.definitions import BUILTIN, Bundle, Kind, Registry, Workflow, builtin_dir, validate_paths
from mentorflow.errors import DefinitionError, NotFound, StorageError

HERE = Path(__file__).parent
VALID = HERE / "valid"
BUILTIN_WORKFLOWS = ["facilitated-peer", "group", "informal-peer", "micro-mentoring", "traditional-dyad"]


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry()


@pytest.fixture
def builtin_copy(tmp_path: Path) -> Path:
    """A copy of every built-in file, to edit and load with ``builtins=False``."""
    copy = tmp_path / "copy"
    shutil.copytree(builtin_dir(), copy)
    return copy


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1
    path.write_text(text.replace(old, new))


def _copy_dyad(tmp_path: Path, old: str = "", new: str = "") -> Path:
    target = tmp_path / "extra" / "traditional-dyad.yaml"
    target.parent.mkdir()
    shutil.copy(builtin_dir() / "traditional-dyad.yaml", target)
    if old:
        _edit(target, old, new)
    return target


def test_builtins_are_listed_sorted_with_their_source(registry: Registry) -> None:
    """Without extra directories the registry lists the five built-in workflows, sorted, marked `builtin`."""
    loaded = registry.workflows()
    assert [
        (entry.definition.workflow, entry.source) for entry in loaded if isinstance(entry.definition, Workflow)
    ] == [(workflow_id, BUILTIN) for workflow_id in BUILTIN_WORKFLOWS]


def test_kinds_are_returned_by_name_in_order(registry: Registry) -> None:
    """`kinds()` maps each kind's name to its definition, sorted by name."""
    kinds = registry.kinds()
    assert list(kinds) == sorted(kinds)
    assert all(isinstance(kind, Kind) and kind.kind == name for name, kind in kinds.items())


def test_extra_directory_adds_its_workflows_and_kinds() -> None:
    """An extra directory's workflows and kinds (subdirectories included) join the built-ins, with their path."""
    extra = Registry([VALID])
    onboarding = extra.get("lab-onboarding")
    assert onboarding.source == str(VALID / "lab-onboarding.yaml")
    assert "checkin" in extra.kinds()
    assert len(extra.workflows()) == len(BUILTIN_WORKFLOWS) + 1


def test_builtins_can_be_left_out() -> None:
    """With `builtins=False` only the extra directories count."""
    extra = Registry([VALID], builtins=False)
    with pytest.raises(
        DefinitionError, match=r"definition\.unknown_kind: slot 'plan' uses unknown artifact kind 'idp'"
    ):
        extra.workflows()


def test_a_missing_extra_directory_is_an_error(tmp_path: Path) -> None:
    """A directory that does not exist is reported, not silently skipped."""
    missing = tmp_path / "nowhere"
    with pytest.raises(
        DefinitionError, match=rf"definition\.no_directory: workflow directory {missing} does not exist"
    ):
        Registry([missing]).workflows()


def test_a_changed_copy_under_the_same_version_is_a_duplicate(tmp_path: Path) -> None:
    """The same (id, version) defined differently in two files is `definition.duplicate`, naming the other file."""
    _copy_dyad(tmp_path, "title: Traditional dyad", "title: Classic dyad")
    with pytest.raises(
        DefinitionError,
        match=r"definition\.duplicate: workflow 'traditional-dyad' version 3 is also defined, differently, in .*"
        r"workflows/traditional-dyad\.yaml",
    ) as info:
        Registry([tmp_path / "extra"]).workflows()
    assert "Bump `version:`" in info.value.hint


def test_a_changed_copy_of_a_kind_is_a_duplicate(tmp_path: Path) -> None:
    """Two different definitions of one artifact kind are `definition.duplicate` too."""
    extra = tmp_path / "extra"
    extra.mkdir()
    shutil.copy(builtin_dir() / "kinds" / "consent.yaml", extra / "consent.yaml")
    _edit(extra / "consent.yaml", "title: ", "title: Changed ")
    with pytest.raises(DefinitionError, match=r"definition\.duplicate: artifact kind 'consent' is also defined"):
        Registry([extra]).kinds()


def test_an_identical_copy_is_tolerated(tmp_path: Path) -> None:
    """A byte-for-byte copy of a built-in is the same definition: no error, and the first one found is kept."""
    _copy_dyad(tmp_path)
    extra = Registry([tmp_path / "extra"])
    assert extra.get("traditional-dyad").source == BUILTIN
    assert len(extra.workflows()) == len(BUILTIN_WORKFLOWS)


def test_get_without_a_version_returns_the_highest(tmp_path: Path) -> None:
    """A workflow with several versions resolves to the highest unless a version is asked for."""
    _copy_dyad(tmp_path, "version: 3\n", "version: 4\n")
    extra = Registry([tmp_path / "extra"])
    assert extra.get("traditional-dyad").definition.version == 4  # type: ignore[union-attr]
    assert extra.get("traditional-dyad", 3).source == BUILTIN


def test_starts_pinned_to_a_version_is_checked_against_that_version(tmp_path: Path) -> None:
    """A `starts` with `version:` maps roles into that version; without it, into the latest."""
    dyad = _copy_dyad(tmp_path, "  mentee: {min: 1, max: 1}\n", "  mentee: {min: 1, max: 1}\n  sponsor: {min: 0}\n")
    _edit(dyad, "version: 3\n", "version: 4\n")
    shutil.copytree(VALID / "kinds", tmp_path / "extra" / "kinds")
    onboarding = tmp_path / "extra" / "lab-onboarding.yaml"
    starts = (
        "    reason: required\n    starts: {workflow: traditional-dyad, VERSION "
        "roles: {sponsor: buddy, mentor: buddy, mentee: newcomer}}"
    )
    text = (VALID / "lab-onboarding.yaml").read_text().replace("    reason: required", starts)
    onboarding.write_text(text.replace("VERSION ", ""))
    assert Registry([tmp_path / "extra"]).get("lab-onboarding").source == str(onboarding)
    onboarding.write_text(text.replace("VERSION ", "version: 3, "))
    with pytest.raises(
        DefinitionError, match=r"definition\.unknown_role: workflow 'traditional-dyad' has no role 'sponsor'"
    ):
        Registry([tmp_path / "extra"]).workflows()


def test_get_an_unknown_workflow_lists_the_known_ones(registry: Registry) -> None:
    """An unknown id is `workflow.not_found`, with a hint naming every known workflow."""
    with pytest.raises(NotFound, match=r"^unknown workflow 'mentoring-circle'$") as info:
        registry.get("mentoring-circle")
    assert info.value.code == "workflow.not_found"
    assert info.value.hint == f"Known workflows: {', '.join(BUILTIN_WORKFLOWS)}. Add a directory with --workflows."


def test_get_an_unknown_version_lists_the_known_versions(registry: Registry) -> None:
    """A known id at an unknown version is `workflow.not_found`, with a hint naming its versions."""
    with pytest.raises(NotFound, match=r"^unknown workflow 'traditional-dyad' version 7$") as info:
        registry.get("traditional-dyad", 7)
    assert (info.value.code, info.value.hint) == ("workflow.not_found", "Known versions: 3.")


def test_a_bundle_holds_the_workflow_and_exactly_the_kinds_its_slots_use(registry: Registry) -> None:
    """The bundle of micro-mentoring carries the kinds of its four slots and nothing else."""
    bundle = registry.bundle("micro-mentoring")
    assert bundle.key == ("micro-mentoring", 2)
    assert sorted(bundle.kinds) == ["consent", "idp", "meeting", "micro_brief"]


@pytest.mark.parametrize("workflow_id", BUILTIN_WORKFLOWS)
def test_bundle_hash_is_the_same_from_two_registries(registry: Registry, workflow_id: str) -> None:
    """Two registries loading the same files give each bundle the same hash."""
    assert Registry().bundle(workflow_id).hash == registry.bundle(workflow_id).hash


def test_bundle_hash_ignores_where_the_files_live(registry: Registry, builtin_copy: Path) -> None:
    """The hash is of the definitions, not of their paths: a copy elsewhere hashes the same."""
    copied = Registry([builtin_copy], builtins=False)
    assert copied.bundle("traditional-dyad").hash == registry.bundle("traditional-dyad").hash


def test_bundle_hash_changes_when_a_kind_it_uses_changes(registry: Registry, builtin_copy: Path) -> None:
    """Editing a kind a workflow uses changes that workflow's bundle hash."""
    _edit(builtin_copy / "kinds" / "idp.yaml", "title: Individual Development Plan", "title: Development plan")
    copied = Registry([builtin_copy], builtins=False)
    assert copied.bundle("traditional-dyad").hash != registry.bundle("traditional-dyad").hash


def test_bundle_hash_ignores_kinds_the_workflow_does_not_use(registry: Registry, builtin_copy: Path) -> None:
    """Editing a kind no slot of the workflow uses leaves its bundle hash alone."""
    _edit(builtin_copy / "kinds" / "curriculum.yaml", "title: ", "title: Changed ")
    copied = Registry([builtin_copy], builtins=False)
    assert copied.bundle("traditional-dyad").hash == registry.bundle("traditional-dyad").hash


@pytest.mark.parametrize("workflow_id", BUILTIN_WORKFLOWS)
def test_bundle_round_trips_through_its_canonical_json(registry: Registry, workflow_id: str) -> None:
    """`Bundle.from_json(bundle.canonical)` rebuilds an equal bundle with the same hash."""
    bundle = registry.bundle(workflow_id)
    again = Bundle.from_json(bundle.canonical)
    assert (again.workflow, again.kinds, again.hash) == (bundle.workflow, bundle.kinds, bundle.hash)


def test_bundle_round_trips_through_its_stored_body(registry: Registry) -> None:
    """The stored form keeps the author's order and rebuilds a bundle with the same hash."""
    bundle = registry.bundle("traditional-dyad")
    again = Bundle.from_json(bundle.body)
    assert list(again.workflow.states) == list(bundle.workflow.states)
    assert again.hash == bundle.hash


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"kinds": {}}',
        '{"workflow": {"mentorflow": 1}, "kinds": {}}',
        "VALID-WITH-KINDS-AS-A-LIST",
        "VALID-WITH-A-BROKEN-KIND",
        "[" * 100_000,
    ],
    ids=["not-json", "list", "no-workflow", "bad-workflow", "kinds-list", "bad-kind", "deep"],
)
def test_a_corrupt_stored_bundle_is_a_storage_error(registry: Registry, text: str) -> None:
    """A stored bundle that no longer parses is `storage.corrupt_definition`, whatever is wrong with it."""
    stored = json.loads(registry.bundle("informal-peer").canonical)
    if text == "VALID-WITH-KINDS-AS-A-LIST":
        text = json.dumps(stored | {"kinds": list(stored["kinds"].values())})
    elif text == "VALID-WITH-A-BROKEN-KIND":
        text = json.dumps(stored | {"kinds": {"meeting": {"kind": "meeting"}}})
    with pytest.raises(StorageError, match=r"^a stored workflow definition is unreadable$") as info:
        Bundle.from_json(text)
    assert info.value.code == "storage.corrupt_definition"


def test_validate_paths_without_yaml_files_says_so(tmp_path: Path) -> None:
    """A directory with no *.yaml or *.yml file is `definition.no_files`, naming the directory."""
    (tmp_path / "README.md").write_text("Workflows go here.\n")
    problems = validate_paths([tmp_path])
    assert [(p.code, p.message) for p in problems] == [("definition.no_files", f"no YAML files found in {tmp_path}")]


def test_validate_paths_reads_yml_files_in_subdirectories(tmp_path: Path) -> None:
    """Directories are searched recursively for both suffixes."""
    (tmp_path / "kinds").mkdir()
    (tmp_path / "kinds" / "note.yml").write_text("mentorflow: 1\nkind: note\ntitle: Note\nfields: {}\n")
    assert [p.code for p in validate_paths([tmp_path])] == ["definition.invalid_value"]


def _alone(tmp_path: Path) -> Path:
    """A copy of the valid workflow in a directory of its own, away from the kind it uses."""
    (tmp_path / "alone").mkdir()
    return Path(shutil.copy(VALID / "lab-onboarding.yaml", tmp_path / "alone"))


def test_validate_paths_resolves_references_against_extra_directories(tmp_path: Path) -> None:
    """A workflow using a kind from an extra directory validates only with that directory given."""
    workflow = _alone(tmp_path)
    assert [p.message for p in validate_paths([workflow])] == ["slot 'checkin' uses unknown artifact kind 'checkin'"]
    assert validate_paths([workflow], [VALID]) == []


def test_validate_paths_checks_an_edited_copy_of_a_builtin_in_its_place(tmp_path: Path) -> None:
    """A file under validation takes precedence over the built-in it edits, and is itself checked."""
    copy = _copy_dyad(tmp_path, "title: Traditional dyad", "title: Classic dyad")
    assert validate_paths([copy]) == []
    _edit(copy, "    to: negotiating\n", "    to: bargaining\n")
    assert [(p.code, p.message) for p in validate_paths([copy])] == [
        ("definition.unknown_state", "unknown state 'bargaining'")
    ]


def test_validate_paths_checks_a_builtin_file_in_place(registry: Registry) -> None:
    """A built-in validated by its own path is not compared with itself."""
    assert validate_paths([builtin_dir() / "traditional-dyad.yaml", builtin_dir() / "kinds"]) == []


def test_load_file_resolves_a_workflow_against_the_registry() -> None:
    """`load_file` builds a bundle from a workflow file, with the kinds it uses from the registry."""
    bundle = Registry([VALID]).load_file(VALID / "lab-onboarding.yaml")
    assert bundle.key == ("lab-onboarding", 1)
    assert sorted(bundle.kinds) == ["checkin", "idp", "reflection"]


def test_load_file_refuses_a_kind_file(registry: Registry) -> None:
    """`load_file` wants a workflow; a kind file is `definition.not_a_workflow`."""
    with pytest.raises(
        DefinitionError, match=r"checkin\.yaml:1:1: definition\.not_a_workflow: the file is an artifact"
    ):
        registry.load_file(VALID / "kinds" / "checkin.yaml")


def test_load_file_reports_unresolved_references(registry: Registry, tmp_path: Path) -> None:
    """A workflow file whose kinds the registry lacks is refused, naming the kind."""
    with pytest.raises(DefinitionError, match=r"definition\.unknown_kind: slot 'checkin' uses unknown artifact kind"):
        registry.load_file(_alone(tmp_path))


def test_builtin_dir_prefers_the_copy_inside_the_installed_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Installed from a wheel, the built-ins are package data under `mentorflow/workflows`."""
    (tmp_path / "workflows").mkdir()
    monkeypatch.setattr(importlib.resources, "files", lambda _: tmp_path)
    assert builtin_dir() == tmp_path / "workflows"


def test_builtin_dir_falls_back_to_the_checkout() -> None:
    """From a checkout, the built-ins are the repository's `workflows/` directory."""
    assert builtin_dir() == HERE.parents[1] / "workflows"


NOTE_KIND = "mentorflow: 1\nkind: note\ntitle: Note\nfields:\n  text: {type: text}\n"
CHAT = """\
mentorflow: 1
workflow: coffee-chat
version: 1
title: Coffee chat
roles: {host: {max: 1}, guest: {}}
artifacts: {notes: {kind: note, submitted_by: [host]}}
states: {invited: {initial: true}, done: {final: true}}
transitions: [{trigger: finish, from: invited, to: done, requires: [{complete: notes}]}]
"""


@pytest.mark.parametrize("kind_at", ["note.yaml", "kinds/note.yaml"], ids=["same-directory", "kinds-directory"])
def test_a_file_validated_alone_finds_the_kinds_beside_it(tmp_path: Path, kind_at: str) -> None:
    """A workflow given on its own resolves kinds from its directory, or from a `kinds/` directory there."""
    (tmp_path / kind_at).parent.mkdir(exist_ok=True)
    (tmp_path / kind_at).write_text(NOTE_KIND)
    (tmp_path / "coffee-chat.yaml").write_text(CHAT)
    assert validate_paths([tmp_path / "coffee-chat.yaml"]) == []
    assert Registry().load_file(tmp_path / "coffee-chat.yaml").kinds["note"].title == "Note"


def test_definitions_further_away_are_not_looked_for(tmp_path: Path) -> None:
    """Only the file's directory and its `kinds/` count: a kind in another subdirectory is still unknown."""
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "note.yaml").write_text(NOTE_KIND)
    (tmp_path / "coffee-chat.yaml").write_text(CHAT)
    assert [p.code for p in validate_paths([tmp_path / "coffee-chat.yaml"])] == ["definition.unknown_kind"]


def test_problems_of_the_files_beside_are_not_reported(tmp_path: Path) -> None:
    """The files beside are context: a broken neighbour neither fails the file under validation nor shows up."""
    (tmp_path / "note.yaml").write_text(NOTE_KIND)
    (tmp_path / "draft.yaml").write_text("mentorflow: 1\nkind: draft\ntitel: Draft\n")
    (tmp_path / "coffee-chat.yaml").write_text(CHAT)
    assert validate_paths([tmp_path / "coffee-chat.yaml"]) == []
    assert Registry().load_file(tmp_path / "coffee-chat.yaml").key == ("coffee-chat", 1)


def test_a_kind_beside_the_file_does_not_replace_a_known_one(tmp_path: Path) -> None:
    """A registry's kinds win over those beside a file, as when the directory is read by the registry itself."""
    (tmp_path / "idp.yaml").write_text(NOTE_KIND.replace("kind: note", "kind: idp"))
    (tmp_path / "coffee-chat.yaml").write_text(CHAT.replace("kind: note", "kind: idp"))
    bundle = Registry().load_file(tmp_path / "coffee-chat.yaml")
    assert bundle.kinds["idp"] == Registry().kinds()["idp"]
