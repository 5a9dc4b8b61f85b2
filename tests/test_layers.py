"""The house keeps its shape: imports point down the layers of docs/architecture.md, and never in a circle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src" / "mentorflow"

# Each part of the library and the parts it may import at module level (lazy imports inside functions, such as the
# CLI's, are not counted: they are how `--help` stays fast).
ALLOWED = {
    "errors": set(),
    "canonical": set(),
    "types": set(),
    "logs": set(),
    "identifiers": {"errors"},
    "keys": {"errors"},
    "definitions": {"errors", "canonical"},
    "engine": {"definitions", "errors", "identifiers", "types", "canonical"},
    "store": {"engine", "definitions", "errors", "identifiers", "types", "canonical", "keys"},
    "audit": {"store", "engine", "definitions", "errors", "identifiers", "types", "canonical", "keys"},
    "writing": {"store", "engine", "definitions", "errors", "identifiers", "types", "logs", "keys"},
    "reading": {"audit", "store", "engine", "definitions", "errors", "identifiers", "types", "keys"},
    "migrating": {"writing", "audit", "store", "engine", "definitions", "errors", "identifiers", "types", "keys"},
    "lifecycle": {
        "writing",
        "audit",
        "store",
        "engine",
        "definitions",
        "errors",
        "identifiers",
        "types",
        "keys",
        "canonical",
    },
    "service": {
        "lifecycle",
        "migrating",
        "reading",
        "writing",
        "audit",
        "store",
        "engine",
        "definitions",
        "errors",
        "identifiers",
        "types",
        "logs",
        "keys",
    },
    "scenarios": {"service", "definitions", "errors", "identifiers", "types"},
    "demo": {"service", "store", "identifiers", "types", "errors"},
    "webhooks": {"store", "errors", "identifiers", "logs"},
    "cli": {"errors"},
}
THIRD_PARTY_HOMES = {
    "sqlalchemy": {"store"},
    "alembic": {"store"},
    "transitions": {"engine"},
    "click": {"cli"},
    "httpx": {"webhooks"},
}


def _module(path: Path) -> str:
    return ".".join(path.relative_to(SOURCE).with_suffix("").parts).removesuffix(".__init__")


def _imports(path: Path) -> set[str]:
    """The modules a file imports when it is imported (not under TYPE_CHECKING, not inside functions)."""
    found: set[str] = set()
    nodes: list[ast.stmt] = list(ast.parse(path.read_text(encoding="utf-8")).body)
    while nodes:
        node = nodes.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        if isinstance(node, (ast.If, ast.Try)):
            nodes += [*node.body, *getattr(node, "orelse", []), *getattr(node, "finalbody", [])]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


FILES = sorted(path for path in SOURCE.rglob("*.py") if "migrations" not in path.parts)


@pytest.mark.parametrize("path", [p for p in FILES if p.parent != SOURCE or p.name != "__init__.py"], ids=_module)
def test_imports_point_down_the_layers(path: Path) -> None:
    """A module imports only the parts below its own, and each third-party library only from its one home."""
    part = _module(path).split(".")[0]
    imported = _imports(path)
    ours = {name.split(".")[1] for name in imported if name.startswith("mentorflow.")}
    assert sorted(ours - ALLOWED[part] - {part}) == []
    for library, homes in THIRD_PARTY_HOMES.items():
        if any(name == library or name.startswith(f"{library}.") for name in imported):
            assert part in homes, f"{library} imported outside {sorted(homes)}"


def test_no_module_imports_in_a_circle() -> None:
    """The module import graph has no cycle."""
    modules = {_module(path): path for path in FILES}
    graph = {
        name: {dep.removeprefix("mentorflow.") for dep in _imports(path) if dep.removeprefix("mentorflow.") in modules}
        - {name}
        for name, path in modules.items()
    }
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> list[str] | None:
        state[name] = 1
        for dep in sorted(graph[name]):
            if state.get(dep) == 1:
                return [*trail, name, dep]
            if not state.get(dep) and (cycle := visit(dep, [*trail, name])):
                return cycle
        state[name] = 2
        return None

    assert [cycle for name in sorted(graph) if not state.get(name) and (cycle := visit(name, []))] == []


def test_no_module_is_over_500_lines() -> None:
    """A file past 500 lines is holding two ideas."""
    assert [str(p) for p in FILES if len(p.read_text(encoding="utf-8").splitlines()) > 500] == []
