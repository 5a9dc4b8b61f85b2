"""The library guides are executable: docs/embedding.md is examples/embedding/embedding.py, and both run as shown.

Conventions:
- examples/embedding/embedding.py marks the parts the guide shows with ``# --8<-- [start:NAME]`` and
  ``# --8<-- [end:NAME]`` lines; each marked part is one ``python`` block of docs/embedding.md, word for word.
- a ``python`` block that is not taken from the example must run on its own;
- the guide ends with a ``text`` block of exactly what the example prints;
- docs/concepts.md has one ``python`` block, followed by a ``text`` block of what it prints.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "embedding.md"
CONCEPTS = ROOT / "docs" / "concepts.md"
EXAMPLE = ROOT / "examples" / "embedding" / "embedding.py"

FENCE = re.compile(r"^```(?P<lang>\w*)\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)
SNIPPET = re.compile(
    r"^[ \t]*# --8<-- \[start:(?P<name>[\w-]+)\]\n(?P<body>.*?)^[ \t]*# --8<-- \[end:(?P=name)\]\n",
    re.MULTILINE | re.DOTALL,
)

EXPECTED = [
    "1. A match and the student's plan, in one transaction",
    "  in the transaction: plan revision 1, complete: True",
    "  notify: summer-ana is now matched (by admin:coordinator)",
    "  committed",
    "  rolled back: ana.silva already has a match",
    "  summer-ana-2: relationship.not_found",
    "  409 transition.blocked",
    "    - guard.failed: dr.okafor must complete the mentor training first",
    "  notify: summer-ana is now active (by dr.okafor)",
    "  200 {'relationship': 'summer-ana', 'state': 'active'}",
    "  403 error[actor.not_participant]: 'someone.else' is not a participant of relationship 'summer-ana'",
    "  404 error[relationship.not_found]: no relationship 'summer-bob'",
    "  notify: summer-ben is now lapsed (by system)",
    "  tick fired 1 transition(s), as system",
    "  overdue: summer-ana (active): >= 1 meeting every 14 days, due 2026-06-15",
    "    submit meeting in summer-ana, due 2026-06-15 (overdue)",
    "  403 error[artifact.hidden]: 'dr.okafor' may not read 'journal' of relationship 'summer-ana'",
    "  read up to position 7; nothing new: True",
    "8. verify: ok",
]
"""Lines the example must print, in this order (with others between them)."""


def _blocks(path: Path, lang: str) -> list[str]:
    return [m["body"] for m in FENCE.finditer(path.read_text(encoding="utf-8")) if m["lang"] == lang]


def _snippets() -> dict[str, str]:
    source = EXAMPLE.read_text(encoding="utf-8")
    return {m["name"]: textwrap.dedent(m["body"]).strip("\n") + "\n" for m in SNIPPET.finditer(source)}


def _run(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run Python with warnings as errors, as pytest runs the tests."""
    return subprocess.run(
        [sys.executable, "-W", "error", *argv], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture(scope="module")
def example_output(tmp_path_factory: pytest.TempPathFactory) -> str:
    """What examples/embedding/embedding.py prints, run once for the module, from an unrelated directory."""
    result = _run(str(EXAMPLE), cwd=tmp_path_factory.mktemp("example"))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


@pytest.mark.parametrize("index", range(len(_blocks(GUIDE, "python"))), ids=lambda i: f"block-{i + 1}")
def test_each_python_block_is_in_the_example_or_runs_alone(index: int, tmp_path: Path) -> None:
    """A Python block of the guide is a marked part of the example, or a script that runs by itself."""
    block = _blocks(GUIDE, "python")[index]
    if block in _snippets().values() or block in EXAMPLE.read_text(encoding="utf-8"):
        return
    result = _run("-c", block, cwd=tmp_path)
    assert result.returncode == 0, f"block {index + 1} is not in {EXAMPLE.name} and fails:\n{result.stderr}"


def test_every_marked_part_of_the_example_is_in_the_guide() -> None:
    """Each marked part of the example appears in the guide, so the two cannot drift apart."""
    snippets = _snippets()
    assert len(snippets) >= 8
    shown = _blocks(GUIDE, "python")
    assert [name for name, body in snippets.items() if body not in shown] == []


def test_the_guide_shows_the_example_workflow() -> None:
    """The guide's YAML block is the workflow the example writes."""
    (workflow,) = _blocks(GUIDE, "yaml")
    assert f'WORKFLOW = """\\\n{workflow}"""' in EXAMPLE.read_text(encoding="utf-8")


def test_the_example_prints_the_expected_lines(example_output: str) -> None:
    """The example commits together, rolls back together, notifies after commit, and reports blockers."""
    lines = example_output.splitlines()
    positions = [lines.index(line) if line in lines else -1 for line in EXPECTED]
    assert -1 not in positions, [line for line, at in zip(EXPECTED, positions, strict=True) if at == -1]
    assert positions == sorted(positions)


def test_notifications_wait_for_the_commit(example_output: str) -> None:
    """The subscriber hears of the start only after the platform's transaction committed."""
    lines = example_output.splitlines()
    inside = lines.index("  in the transaction: plan revision 1, complete: True")
    assert lines.index("  notify: summer-ana is now matched (by admin:coordinator)") == inside + 1
    assert not any("summer-ana-2" in line and "notify" in line for line in lines)


def test_the_guide_shows_what_the_example_prints(example_output: str) -> None:
    """The guide's last block is the example's output, exactly."""
    assert _blocks(GUIDE, "text")[-1] == example_output


def test_the_concepts_example_prints_what_the_page_shows(tmp_path: Path) -> None:
    """The example on the concepts page runs and prints the output shown after it."""
    (code,) = _blocks(CONCEPTS, "python")
    result = _run("-c", code, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == _blocks(CONCEPTS, "text")[0]
