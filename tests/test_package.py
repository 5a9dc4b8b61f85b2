"""The package as users get it: its public names, its type marker, and the built-ins inside the wheel."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
import typing
import zipfile
from pathlib import Path

import pytest

import mentorflow

ROOT = Path(__file__).resolve().parents[1]


def test_all_is_sorted_and_complete() -> None:
    """`__all__` is sorted and names exactly what the package exports (resolved lazily, on first use)."""
    assert mentorflow.__all__ == sorted(mentorflow.__all__)
    assert set(mentorflow.__all__) == {*mentorflow._EXPORTS, "__version__"}
    assert set(mentorflow.__all__) <= set(dir(mentorflow))


def test_the_typing_block_names_exactly_the_exports() -> None:
    """What type checkers see (the TYPE_CHECKING imports) is the one list `_EXPORTS`, module for module."""
    tree = ast.parse((ROOT / "src" / "mentorflow" / "__init__.py").read_text(encoding="utf-8"))
    [block] = [node for node in tree.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"]
    seen = {alias.name: node.module for node in block.body if isinstance(node, ast.ImportFrom) for alias in node.names}
    assert seen == mentorflow._EXPORTS


def test_every_error_and_returned_value_is_exported() -> None:
    """Each error class, and each class a public method of `Mentorflow` returns, can be imported from `mentorflow`."""
    from mentorflow import errors, types

    defined = {
        name
        for module in (errors, types)
        for name, value in vars(module).items()
        if isinstance(value, type) and value.__module__ == module.__name__ and not name.startswith("_")
    }
    returned = set()
    for name, method in inspect.getmembers(mentorflow.Mentorflow, inspect.isfunction):
        if not name.startswith("_"):
            hint = typing.get_type_hints(method).get("return")
            returned |= {arg.__name__ for arg in (hint, *typing.get_args(hint)) if isinstance(arg, type)}
    public = {name for name in returned if getattr(sys.modules.get("mentorflow.types"), name, None) is not None}
    assert sorted((defined | public) - set(mentorflow.__all__)) == []


def test_an_unknown_name_is_an_attribute_error() -> None:
    """Asking the package for a name it does not export fails as Python's own modules do."""
    with pytest.raises(AttributeError, match="module 'mentorflow' has no attribute 'Nope'"):
        _ = mentorflow.Nope


def test_the_cli_does_not_import_the_engine_for_help() -> None:
    """`mentorflow --help` stays fast: the CLI's modules import neither SQLAlchemy nor the service."""
    code = (
        "import sys, mentorflow.cli; print(sorted(m for m in ('sqlalchemy', 'alembic', 'mentorflow.service', "
        "'pydantic') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("name", mentorflow.__all__)
def test_every_export_resolves(name: str) -> None:
    """Each exported name is importable from the top-level package."""
    assert getattr(mentorflow, name) is not None


def test_the_package_is_typed() -> None:
    """`py.typed` ships, so platforms type-check their calls."""
    assert (Path(mentorflow.__file__).parent / "py.typed").is_file()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package built as a plain (non-editable) wheel, once for the tests that need it."""
    dist = tmp_path_factory.mktemp("dist")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist)]
    subprocess.run([*command, str(ROOT)], check=True, capture_output=True)
    return next(dist.glob("mentorflow-*.whl"))


@pytest.mark.slow
def test_wheel_carries_builtins_and_migrations(wheel: Path) -> None:
    """A plain (non-editable) build ships the built-in workflows, kinds and migrations as package data."""
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "mentorflow/workflows/traditional-dyad.yaml" in names
    assert "mentorflow/workflows/kinds/idp.yaml" in names
    assert "mentorflow/workflows/tests/traditional-dyad.yaml" in names  # the built-ins' scenarios (workflow test)
    assert "mentorflow/store/migrations/env.py" in names
    assert any(name.startswith("mentorflow/store/migrations/versions/0001") for name in names)
    assert "mentorflow/py.typed" in names


@pytest.mark.slow
def test_installed_wheel_finds_its_builtins(wheel: Path, tmp_path: Path) -> None:
    """Installed from the wheel into a fresh target, the registry finds the built-ins inside the package."""
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    code = "import mentorflow.definitions as d; print(d.builtin_dir()); print(len(d.Registry().workflows()))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(target)},
        cwd=tmp_path,
    ).stdout.split()
    assert out[0] == str(target / "mentorflow" / "workflows")
    assert out[1] == "5"


def test_version_matches_the_project() -> None:
    """`mentorflow.__version__` is the version pyproject.toml declares, and the changelog describes it."""
    import tomllib

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert mentorflow.__version__ == declared
    assert f"## {declared} " in (ROOT / "CHANGELOG.md").read_text()
