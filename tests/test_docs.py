"""The docs are executable: their YAML files validate, their console sessions print what they show.

Conventions in the Markdown:
- a fenced ``yaml`` block preceded by ``<!-- file: PATH -->`` is a file, written to PATH before anything runs;
- a fenced ``console`` block holds ``$ mentorflow ...`` commands, each followed by its exact output; they run in
  order, in one temporary directory per page, through click's CliRunner (``$ export NAME=VALUE`` sets a variable).
The CLI reference and the workflow diagrams are generated, and checked to be current.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from mentorflow.cli import cli
from mentorflow.cli._docs import ROOT, cli_reference, main

FENCE = re.compile(r"(?:<!-- file: (?P<file>\S+) -->\n)?```(?P<lang>\w*)\n(?P<body>.*?)```", re.DOTALL)
EXECUTABLE_PAGES = [
    "README.md",
    "docs/administrators.md",
    "docs/workflow-language.md",
    "docs/migration.md",
    "docs/operations.md",
]


@dataclass
class Page:
    files: dict[str, str] = field(default_factory=dict)
    sessions: list[str] = field(default_factory=list)
    python: list[str] = field(default_factory=list)


def parse(path: Path) -> Page:
    page = Page()
    for match in FENCE.finditer(path.read_text(encoding="utf-8")):
        if match["file"]:
            page.files[match["file"]] = match["body"]
        elif match["lang"] == "console":
            page.sessions.append(match["body"])
        elif match["lang"] == "python":
            page.python.append(match["body"])
    return page


def run_session(session: str, env: dict[str, str]) -> list[tuple[str, str, str]]:
    """Each command with the output it should print and the output it printed."""
    results = []
    command: str | None = None
    expected: list[str] = []

    def flush() -> None:
        if command is None:
            return
        argv = shlex.split(command)
        if argv[0] == "export":
            name, _, value = argv[1].partition("=")
            env[name] = value
            return
        assert argv[0] == "mentorflow", f"docs may only run mentorflow, not {command!r}"
        if ">" in argv:
            argv = argv[: argv.index(">")]
        result = CliRunner().invoke(cli, argv[1:], env={**env, "MENTORFLOW_LOG_FORMAT": "json"})
        printed = [line for line in result.output.splitlines() if not line.startswith("{")]
        results.append((command, "\n".join(expected), "\n".join(printed)))

    for line in session.splitlines():
        if line.startswith("$ "):
            flush()
            command, expected = line[2:], []
        else:
            expected.append(line)
    flush()
    return results


@pytest.mark.parametrize("name", EXECUTABLE_PAGES)
def test_console_sessions_print_what_the_page_shows(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every command in the page's console blocks prints exactly the output the page shows."""
    page = parse(ROOT / name)
    for relative, body in page.files.items():
        target = tmp_path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    env: dict[str, str] = {}
    ran = 0
    for session in page.sessions:
        for command, expected, printed in run_session(session, env):
            ran += 1
            if ">" in shlex.split(command):
                continue  # redirected output is not shown on the page
            assert printed == expected, f"{name}: $ {command}"
    assert ran > 0, f"{name} shows no console session"


@pytest.mark.parametrize("name", EXECUTABLE_PAGES)
def test_python_examples_run(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every Python block of the page runs, in order, in a fresh directory; `# value` comments are checked."""
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    for block in parse(ROOT / name).python:
        exec(compile(block, f"{name}:python", "exec"), namespace)  # noqa: S102 - the docs' own examples
        shown = [line.split("# ", 1)[1].strip() for line in block.splitlines() if "print(" in line and "# " in line]
        printed = capsys.readouterr().out.splitlines()
        assert printed[-len(shown) :] == shown if shown else True
    engine = namespace.get("mf")
    if engine is not None:
        engine.engine.dispose()  # type: ignore[attr-defined]


def test_worked_example_files_validate(tmp_path: Path) -> None:
    """The worked example's workflow and kind are valid together."""
    from mentorflow.definitions import validate_paths

    page = parse(ROOT / "docs/workflow-language.md")
    for relative, body in page.files.items():
        if relative.startswith("lab-workflows/") and not relative.startswith("lab-workflows/tests/"):  # scenarios
            (tmp_path / Path(relative).name).write_text(body, encoding="utf-8")
    assert validate_paths([tmp_path]) == []


def test_cli_reference_is_current() -> None:
    """docs/cli.md is what `make docs` generates from the commands' help."""
    assert (ROOT / "docs" / "cli.md").read_text(encoding="utf-8") == cli_reference(), "run `make docs`"


def test_generated_docs_are_current(capsys: pytest.CaptureFixture[str]) -> None:
    """No generated page (CLI reference, workflow diagrams) is stale."""
    assert main([]) == 0, capsys.readouterr().out


def test_every_command_has_help() -> None:
    """Each command and option explains itself."""
    import click

    def walk(command: click.Command, path: str) -> list[str]:
        missing = [] if command.help else [path]
        missing += [f"{path} {p.name}" for p in command.params if isinstance(p, click.Option) and not p.help]
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                missing += walk(sub, f"{path} {name}")
        return missing

    assert walk(cli, "mentorflow") == []


def test_kind_examples_are_complete_documents() -> None:
    """Each example on the kinds page is complete content for the kind whose section it is in."""
    import yaml

    from mentorflow.definitions import Registry
    from mentorflow.definitions.content import check_content

    kinds = Registry().kinds()
    text = (ROOT / "docs" / "workflows" / "kinds.md").read_text(encoding="utf-8")
    checked = []
    for section in re.split(r"^## ", text, flags=re.MULTILINE)[1:]:
        name = section.split("\n", 1)[0].strip()
        for match in FENCE.finditer(section):
            assert match["lang"] == "yaml", name
            assert check_content(kinds[name], yaml.safe_load(match["body"])).missing == [], name
            checked.append(name)
    assert sorted(checked) == sorted(kinds)


# How each page's code blocks are exercised: run (console, python), written and validated (yaml with a file
# marker), checked against what generates them (mermaid, the CLI reference), or shown output (text, json).
EXERCISED = {
    "README.md": {"console", "python", "text"},
    "docs/administrators.md": {"console", "text"},
    "docs/workflow-language.md": {"console", "yaml", "json"},
    "docs/concepts.md": {"python", "text"},  # tests/test_embedding_docs.py runs the example
    "docs/embedding.md": {"python", "yaml", "text"},  # tests/test_embedding_docs.py: blocks are the example's
    "docs/cli.md": {"text"},
    "docs/migration.md": {"console", "yaml", "text"},
    "docs/operations.md": {"console"},
    "docs/performance.md": {"text"},
    "docs/workflows/kinds.md": {"yaml"},
    "docs/webhooks.md": {"python", "text"},  # tests/webhooks/test_docs_page.py runs the receiver
}


def test_every_code_block_is_exercised() -> None:
    """No page holds a kind of code block that no test runs or checks."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")), ROOT / "examples/platform/README.md"]
    for page in pages:
        name = str(page.relative_to(ROOT))
        langs = {match["lang"] for match in FENCE.finditer(page.read_text(encoding="utf-8"))}
        default = {"mermaid"} if name.startswith("docs/workflows/") else {"text"}
        assert langs <= EXERCISED.get(name, default), f"{name} has {sorted(langs)} blocks no test exercises"


def test_relative_links_resolve() -> None:
    """Every relative link in the docs and READMEs points at a file that exists."""
    link = re.compile(r"\]\((?!https?://|#|mailto:)([^)#\s]+)")
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")), ROOT / "examples/platform/README.md"]
    broken = [
        f"{page.relative_to(ROOT)} -> {target}"
        for page in pages
        for target in link.findall(page.read_text(encoding="utf-8"))
        if not (page.parent / target).exists()
    ]
    assert broken == []


def test_the_architecture_page_names_every_module() -> None:
    """docs/architecture.md accounts for every module and package of the library."""
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    source = ROOT / "src" / "mentorflow"
    names = {path.name for path in source.iterdir() if path.suffix == ".py" and path.name != "__init__.py"}
    names |= {f"{path.name}/" for path in source.iterdir() if (path / "__init__.py").exists()}
    assert sorted(name for name in names if f"`{name}`" not in page) == []
