"""Generated documentation: the CLI reference from ``--help``, and the diagrams on the workflow pages.

``make docs`` rewrites them; the tests fail when a page no longer matches what the code generates, so the docs
cannot drift from the commands and the YAML.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from mentorflow.cli.app import cli

__all__ = ["DIAGRAM_END", "DIAGRAM_START", "cli_reference", "main", "with_diagram"]

DIAGRAM_START = "<!-- diagram:start -->"
DIAGRAM_END = "<!-- diagram:end -->"
ROOT = Path(__file__).resolve().parents[3]

INTRO = """# CLI reference

Generated from `mentorflow --help` by `make docs`; a test keeps it in step with the code.

Every command that prints a result takes `--format table|json` (listings also `csv`). Exit codes: 0 done,
1 refused or failed (stderr says `error[CODE]: message` and `hint: ...`), 2 usage error.
"""


def _commands(group: click.Group, prefix: list[str]) -> list[tuple[list[str], click.Command]]:
    found: list[tuple[list[str], click.Command]] = []
    for name in sorted(group.commands):
        command = group.commands[name]
        found.append(([*prefix, name], command))
        if isinstance(command, click.Group):
            found += _commands(command, [*prefix, name])
    return found


def _help(path: list[str]) -> str:
    from click.testing import CliRunner  # noqa: PLC0415 - only when generating

    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="mentorflow", terminal_width=100)
    return result.output.rstrip()


def cli_reference() -> str:
    """The Markdown CLI reference: the top-level help, then one section per command."""
    sections = [INTRO, "## mentorflow\n", "```text", _help([]), "```\n"]
    for path, _command in _commands(cli, []):
        sections += [f"## mentorflow {' '.join(path)}\n", "```text", _help(path), "```\n"]
    return "\n".join(sections)


def with_diagram(page: str, diagram: str) -> str:
    """The page with the Mermaid diagram between its markers replaced by ``diagram``."""
    pattern = re.compile(re.escape(DIAGRAM_START) + r".*?" + re.escape(DIAGRAM_END), re.DOTALL)
    block = f"{DIAGRAM_START}\n```mermaid\n{diagram}```\n{DIAGRAM_END}"
    return pattern.sub(lambda _match: block, page, count=1)


def main(argv: list[str]) -> int:
    from mentorflow.definitions import Registry, Workflow  # noqa: PLC0415
    from mentorflow.definitions.render import mermaid  # noqa: PLC0415

    write = "--write" in argv
    outputs = {ROOT / "docs" / "cli.md": cli_reference()}
    for entry in Registry().workflows():
        definition = entry.definition
        assert isinstance(definition, Workflow)  # noqa: S101 - the registry lists workflows here
        page = ROOT / "docs" / "workflows" / f"{definition.workflow}.md"
        outputs[page] = with_diagram(page.read_text(encoding="utf-8"), mermaid(definition))
    stale = [path for path, text in outputs.items() if not path.exists() or path.read_text(encoding="utf-8") != text]
    for path in stale:
        if write:
            path.write_text(text := outputs[path], encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)} ({len(text)} characters)")  # noqa: T201
        else:
            print(f"stale: {path.relative_to(ROOT)}")  # noqa: T201
    return 0 if write or not stale else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
