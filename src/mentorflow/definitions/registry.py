"""The workflows and artifact kinds mentorflow knows: the built-ins shipped in the package plus extra directories.

Definitions are keyed by (id, version). A relationship does not run on a registry entry but on a ``Bundle``: the
workflow together with the artifact kinds its slots use, frozen as canonical JSON and identified by its hash, so
that the exact definition can be stored beside the relationship and editing a file later changes nothing.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar, cast

from pydantic import ValidationError

from mentorflow.canonical import canonical_json, sha256_hex
from mentorflow.definitions.checks import check_references, check_workflow
from mentorflow.definitions.lint import workflow_warnings
from mentorflow.definitions.models import Kind, Workflow
from mentorflow.definitions.parse import parse_document
from mentorflow.definitions.yamlsafe import Located, read_file
from mentorflow.errors import CorruptDefinition, DefinitionError, DefinitionProblem, WorkflowNotFound

__all__ = ["BUILTIN", "Bundle", "Loaded", "Registry", "builtin_dir", "validate_paths"]

BUILTIN = "builtin"
SUFFIXES = (".yaml", ".yml")
_D = TypeVar("_D")


def builtin_dir() -> Path:
    """Where the built-in definitions are: inside the installed package, or at the root of a checkout."""
    packaged = Path(str(resources.files("mentorflow"))) / "workflows"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "workflows"


@dataclass(frozen=True)
class Loaded:
    """A definition and where it came from (``builtin``, a file path, or ``database``)."""

    definition: Workflow | Kind
    source: str
    file: str
    doc: Located = field(repr=False, compare=False)


@dataclass(frozen=True)
class Bundle:
    """The exact definition a relationship runs on: a workflow and the kinds its slots use, with their hash."""

    workflow: Workflow
    kinds: dict[str, Kind]
    _derived: dict[Callable[[Bundle], Any], Any] = field(default_factory=dict, init=False, repr=False, compare=False)
    _derived_lock: threading.RLock = field(default_factory=threading.RLock, init=False, repr=False, compare=False)

    def derived(self, factory: Callable[[Bundle], _D]) -> _D:
        """``factory(self)``, computed once and kept for as long as this bundle lives.

        Layers above the language keep what they derive from a definition here (the engine its compiled machine),
        so that it is owned by the bundle and freed with it, never by a process-wide table. The factory runs once
        per bundle, under a lock: no thread sees its value before it is complete.
        """
        try:
            return cast("_D", self._derived[factory])
        except KeyError:
            with self._derived_lock:
                if factory not in self._derived:
                    self._derived[factory] = factory(self)
                return cast("_D", self._derived[factory])

    @cached_property
    def _data(self) -> dict[str, Any]:
        return {
            "workflow": self.workflow.model_dump(mode="json", by_alias=True),
            "kinds": {name: kind.model_dump(mode="json", by_alias=True) for name, kind in sorted(self.kinds.items())},
        }

    @cached_property
    def canonical(self) -> str:
        """The hashed form: sorted keys, so that the hash does not depend on how the YAML was laid out."""
        return canonical_json(self._data)

    @cached_property
    def body(self) -> str:
        """The stored form: the author's order of roles, states and slots kept, for people reading it back."""
        return json.dumps(self._data, ensure_ascii=False, separators=(",", ":"))

    @cached_property
    def hash(self) -> str:
        return sha256_hex(self.canonical)

    @property
    def key(self) -> tuple[str, int]:
        return self.workflow.workflow, self.workflow.version

    @classmethod
    def from_json(cls, text: str) -> Bundle:
        """Rebuild a stored bundle; a bundle that no longer parses means the database was tampered with."""
        try:
            data = json.loads(text)
            return cls(
                Workflow.model_validate(data["workflow"]),
                {name: Kind.model_validate(kind) for name, kind in data["kinds"].items()},
            )
        # A hand-edited row can hold any JSON: a list where a mapping belongs, or nesting deep enough to
        # exhaust the decoder's recursion.
        except (ValueError, LookupError, TypeError, AttributeError, RecursionError, ValidationError) as exc:
            raise CorruptDefinition("a stored workflow definition is unreadable") from exc


SCENARIOS = "tests"
"""A directory of this name inside a definitions directory holds scenario tests (``workflow test``), not
definitions: the built-ins keep theirs in ``workflows/tests/``."""


def _files(paths: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.suffix in SUFFIXES and p.is_file() and SCENARIOS not in p.relative_to(path).parts[:-1]
                )
            )
        else:
            found.append(path)
    return found


class _Catalog:
    """Definitions gathered from files, with every problem found along the way."""

    def __init__(self) -> None:
        self.workflows: dict[tuple[str, int], Loaded] = {}
        self.kinds: dict[str, Loaded] = {}
        self.problems: list[DefinitionProblem] = []
        self.warnings: list[DefinitionProblem] = []

    def add_files(self, files: Sequence[Path], source: str | None) -> list[Loaded]:
        added = []
        for path in files:
            try:
                doc = read_file(path)
                definition = parse_document(doc)
            except DefinitionError as exc:
                self.problems.extend(exc.problems)
                continue
            loaded = Loaded(definition, source or str(path), str(path), doc)
            if self._add(loaded):
                added.append(loaded)
        return added

    def _add(self, loaded: Loaded) -> bool:
        definition = loaded.definition
        if isinstance(definition, Workflow):
            key: Any = (definition.workflow, definition.version)
            table: dict[Any, Loaded] = self.workflows
            label = f"workflow {definition.workflow!r} version {definition.version}"
            hint = "Bump `version:` in one of them, or remove the copy."
        else:
            key = definition.kind
            table = self.kinds
            label = f"artifact kind {definition.kind!r}"
            hint = "Rename one of the kinds, or remove the copy."
        previous = table.get(key)
        if previous is None:
            table[key] = loaded
            return True
        if previous.definition != definition:
            self.problems.append(
                loaded.doc.problem(
                    "definition.duplicate", f"{label} is also defined, differently, in {previous.file}", (), hint
                )
            )
        return False

    def versions(self) -> dict[tuple[str, int], Workflow]:
        return {
            key: entry.definition for key, entry in self.workflows.items() if isinstance(entry.definition, Workflow)
        }

    def check(self, loaded: Iterable[Loaded], *, warnings: bool = False) -> None:
        kinds = {name: entry.definition for name, entry in self.kinds.items() if isinstance(entry.definition, Kind)}
        latest = {}
        for (workflow_id, _), entry in sorted(self.workflows.items()):
            if isinstance(entry.definition, Workflow):
                latest[workflow_id] = entry.definition
        for entry in loaded:
            if isinstance(entry.definition, Workflow):
                problems = check_workflow(entry.definition, entry.doc)
                problems += check_references(entry.definition, entry.doc, kinds, latest, self.versions())
                self.problems.extend(problems)
                if warnings and not problems:
                    self.warnings.extend(workflow_warnings(entry.definition, entry.doc))


def _beside(paths: Iterable[Path]) -> list[Path]:
    """The definitions next to each file given on its own: the YAML files of its directory and of the `kinds/`
    directory there (the layout of the built-ins), so that a workflow finds the kinds written beside it."""
    found: list[Path] = []
    for directory in dict.fromkeys(path.parent for path in paths if not path.is_dir()):
        found.extend(sorted(p for p in directory.glob("*") if p.suffix in SUFFIXES and p.is_file()))
        if (directory / "kinds").is_dir():
            found.extend(_files([directory / "kinds"]))
    return found


def _context(paths: Iterable[Path], leave_out: Iterable[Path]) -> list[Path]:
    """Each file once, in order, without those in ``leave_out`` (compared as resolved paths)."""
    seen = {path.resolve() for path in leave_out}
    unique = []
    for path in paths:
        resolved = path.resolve()
        if resolved not in seen:
            seen.add(resolved)
            unique.append(path)
    return unique


def validate_paths(
    paths: Sequence[Path], extra_dirs: Sequence[Path] = (), *, warnings: bool = False
) -> list[DefinitionProblem]:
    """Every problem in the given files and directories, resolving references against the known definitions and
    the definitions beside each file given alone; with ``warnings``, each error-free workflow's warnings follow
    the errors (their codes start with ``warning.``)."""
    files = _files(paths)
    if not files:
        return [
            DefinitionProblem(
                "definition.no_files",
                "no YAML files found in " + ", ".join(map(str, paths)),
                "<paths>",
                1,
                1,
                "Pass workflow or kind files (*.yaml, *.yml) or directories.",
            )
        ]
    catalog = _Catalog()
    mine = catalog.add_files(files, None)  # first, so that they take precedence over installed copies
    problems = list(catalog.problems)
    # the same order as a registry reads them: built-ins, then extra directories, then the files beside
    catalog.add_files(_context([*_files([builtin_dir(), *extra_dirs]), *_beside(paths)], files), None)
    catalog.problems = problems  # only the files under validation are reported on; the rest is context
    catalog.check(mine, warnings=warnings)
    return catalog.problems + catalog.warnings


class Registry:
    """The built-in definitions plus those in extra directories, validated together on first use."""

    def __init__(self, extra_dirs: Sequence[str | Path] | str | Path = (), *, builtins: bool = True) -> None:
        # One directory given bare is one directory: iterating a string would read "/", "t", "m", "p" instead.
        self.extra_dirs = [Path(extra_dirs)] if isinstance(extra_dirs, str | Path) else [Path(d) for d in extra_dirs]
        self.builtins = builtins

    @cached_property
    def _catalog(self) -> _Catalog:
        catalog = _Catalog()
        loaded: list[Loaded] = []
        if self.builtins:
            loaded += catalog.add_files(_files([builtin_dir()]), BUILTIN)
        for directory in self.extra_dirs:
            if not directory.is_dir():
                catalog.problems.append(
                    DefinitionProblem(
                        "definition.no_directory",
                        f"workflow directory {directory} does not exist",
                        str(directory),
                        1,
                        1,
                        "Check --workflows / MENTORFLOW_WORKFLOWS.",
                    )
                )
                continue
            loaded += catalog.add_files(_files([directory]), None)
        catalog.check(loaded)
        if catalog.problems:
            raise DefinitionError(catalog.problems)
        return catalog

    def workflows(self) -> list[Loaded]:
        """Every known workflow, sorted by id then version."""
        return [self._catalog.workflows[key] for key in sorted(self._catalog.workflows)]

    def kinds(self) -> dict[str, Kind]:
        return {
            name: entry.definition
            for name, entry in sorted(self._catalog.kinds.items())
            if isinstance(entry.definition, Kind)
        }

    def get(self, workflow_id: str, version: int | None = None) -> Loaded:
        """A workflow by id, at ``version`` or else its highest version."""
        versions = sorted(v for (wid, v) in self._catalog.workflows if wid == workflow_id)
        if not versions or (version is not None and version not in versions):
            known = ", ".join(sorted({wid for wid, _ in self._catalog.workflows}))
            what = f"workflow {workflow_id!r}" + (f" version {version}" if version is not None and versions else "")
            hint = (
                f"Known versions: {', '.join(map(str, versions))}."
                if versions
                else f"Known workflows: {known}. Add a directory with --workflows."
            )
            raise WorkflowNotFound(f"unknown {what}", hint=hint)
        return self._catalog.workflows[(workflow_id, version if version is not None else versions[-1])]

    def bundle(self, workflow_id: str, version: int | None = None) -> Bundle:
        workflow = self.get(workflow_id, version).definition
        assert isinstance(workflow, Workflow)  # noqa: S101 - the catalog keys workflows only
        kinds = self.kinds()
        return Bundle(workflow, {slot.kind: kinds[slot.kind] for slot in workflow.artifacts.values()})

    def load_file(self, path: Path) -> Bundle:
        """A bundle from one workflow file, its kinds resolved against this registry and the definitions beside
        the file (for `diagram PATH`)."""
        catalog = _Catalog()
        loaded = catalog.add_files([path], None)
        if catalog.problems:
            raise DefinitionError(catalog.problems)
        entry = loaded[0]
        if not isinstance(entry.definition, Workflow):
            raise DefinitionError(
                [
                    entry.doc.problem(
                        "definition.not_a_workflow", "the file is an artifact kind", hint="Pass a workflow file."
                    )
                ]
            )
        workflow = entry.definition
        wanted = {slot.kind for slot in workflow.artifacts.values()} - set(self.kinds())
        wanted |= {t.starts.workflow for t in workflow.transitions if t.starts is not None} - {
            workflow_id for workflow_id, _ in self._catalog.workflows
        }
        if wanted:  # only then is reading the directory worth it; the files' own problems are not ours
            catalog.add_files(_context(_beside([path]), [path]), None)
        beside = {name: e.definition for name, e in catalog.kinds.items() if isinstance(e.definition, Kind)}
        kinds = beside | self.kinds()
        versions = catalog.versions() | self._catalog.versions()
        workflows = {workflow_id: versions[(workflow_id, number)] for workflow_id, number in sorted(versions)}
        problems = check_workflow(workflow, entry.doc)
        problems += check_references(workflow, entry.doc, kinds, workflows, versions)
        if problems:
            raise DefinitionError(problems)
        return Bundle(workflow, {slot.kind: kinds[slot.kind] for slot in workflow.artifacts.values()})
