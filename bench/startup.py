"""Start-up costs: the CLI's ``--help`` in a fresh process, and loading and validating the built-in definitions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml
from timing import Scale, Stopwatch, median, timed

from mentorflow.definitions import Registry, builtin_dir

MIN_RUNS = 9
"""Short figures are cheap: take more runs than the minimum, their medians are steadier."""


def cli_help(scale: Scale, watch: Stopwatch) -> tuple[float, float]:
    """(``mentorflow --help``, ``python -c "import click"``) median wall seconds, each in a fresh process."""
    script = Path(sys.executable).parent / "mentorflow"
    ours_command = [str(script), "--help"]
    theirs_command = [sys.executable, "-c", "import click"]

    def run(command: list[str]) -> float:
        return timed(lambda: subprocess.run(command, check=True, capture_output=True))

    run(ours_command)
    run(theirs_command)
    ours, theirs = [], []
    for _ in range(scale.runs):
        ours.append(run(ours_command))
        theirs.append(run(theirs_command))
    watch.say(f"cli --help {median(ours) * 1000:.0f} ms, import click {median(theirs) * 1000:.0f} ms")
    return median(ours), median(theirs)


def definitions_load(scale: Scale, watch: Stopwatch) -> tuple[float, float]:
    """(a fresh Registry's workflows and kinds, ``yaml.safe_load`` of the same files) median seconds."""
    files = sorted(p for p in builtin_dir().rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())

    def ours() -> None:
        registry = Registry()
        registry.workflows()
        registry.kinds()

    def theirs() -> None:
        for path in files:
            yaml.safe_load(path.read_text(encoding="utf-8"))

    ours()
    theirs()
    mine, plain = [], []
    for _ in range(max(scale.runs, MIN_RUNS)):
        mine.append(timed(ours))
        plain.append(timed(theirs))
    watch.say(
        f"definitions: Registry {median(mine) * 1000:.1f} ms, yaml.safe_load {median(plain) * 1000:.1f} ms "
        f"({len(files)} files)"
    )
    return median(mine), median(plain)
