"""Scenario tests for workflows: a workflow author states how a workflow behaves in YAML, without Python.

A scenario file names a workflow, the people who start a relationship on it, and steps (submit, sign, fire, join,
leave, tick, move the clock) with what each must lead to. ``run_paths`` runs each file on its own in-memory
database and says which passed, which failed and at which line, and what no scenario exercised (``coverage``).
This package sits beside the CLI, above the ``Mentorflow`` facade, and uses nothing else of the library's writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mentorflow.errors import DefinitionError, InvalidInput
from mentorflow.scenarios.coverage import Coverage, Gap
from mentorflow.scenarios.load import LoadedScenario, load_scenario
from mentorflow.scenarios.models import Scenario
from mentorflow.scenarios.runner import Failure, ScenarioResult, run_scenario

__all__ = [
    "Coverage",
    "Failure",
    "Gap",
    "LoadedScenario",
    "Report",
    "Scenario",
    "ScenarioResult",
    "load_scenario",
    "run_paths",
    "run_scenario",
    "scenario_files",
    "scenario_schema",
]

SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class Report:
    """What a run of scenario files found; ``gaps`` and ``totals`` are filled when coverage was asked for."""

    results: list[ScenarioResult]
    gaps: list[Gap] | None = None
    totals: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(1 for result in self.results if result.passed)

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed

    def to_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "scenarios": [result.to_dict() for result in self.results],
            "passed": self.passed,
            "failed": self.failed,
        }
        if self.gaps is not None:
            document["coverage"] = {"gaps": [gap.to_dict() for gap in self.gaps], "workflows": self.totals}
        return document


def scenario_files(paths: Sequence[Path]) -> list[Path]:
    """The files named, and the YAML files under the directories named, each once, in order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file())
        else:
            found.append(path)
    unique = list(dict.fromkeys(found))
    if not unique:
        raise InvalidInput(
            "no scenario files (*.yaml, *.yml) in " + ", ".join(map(str, paths)),
            hint="Pass scenario files, or directories that hold them.",
        )
    return unique


def run_paths(paths: Sequence[Path], workflow_dirs: Sequence[str | Path] = (), *, coverage: bool = False) -> Report:
    """Run every scenario file under ``paths``; a file that does not load fails with each of its problems."""
    seen = Coverage() if coverage else None
    results = []
    for path in scenario_files(paths):
        try:
            loaded = load_scenario(path)
        except DefinitionError as error:
            failures = [Failure(p.line, p.column, f"{p.code}: {p.message}", p.hint) for p in error.problems]
            results.append(ScenarioResult(str(path), path.stem, None, None, 0, failures))
            continue
        results.append(run_scenario(loaded, workflow_dirs, seen))
    if seen is None:
        return Report(results)
    return Report(results, seen.gaps(), seen.totals())


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files, for editors' YAML plugins."""
    document = Scenario.model_json_schema(by_alias=True)
    steps = document["properties"]["steps"]["items"]
    steps["oneOf"].append({"const": "tick", "description": "The same as {tick: true}."})
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "mentorflow scenario"
    return document
