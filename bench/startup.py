"""Start-up costs: the CLI's ``--help`` and ``status`` in fresh processes, and loading the built-in definitions."""

from __future__ import annotations

import compileall
import json
import subprocess
import sys
from pathlib import Path

import yaml
from timing import Scale, Stopwatch, median, timed

import mentorflow
from mentorflow.definitions import Registry, builtin_dir

MIN_RUNS = 9
"""Short figures are cheap: take more runs than the minimum, their medians are steadier."""


STATUS_PEER = "import sqlalchemy.orm, pydantic, click, structlog, yaml"
"""What any command that reads the database must import anyway: the baseline of ``cli_status``."""


def _compiled() -> None:
    """Write mentorflow's bytecode, as installing a wheel does (pip compiles every module it installs).

    The baselines import libraries installed with their bytecode. A checkout run with ``PYTHONDONTWRITEBYTECODE``
    (common in containers and CI) would otherwise compile mentorflow's modules from source in every timed process,
    about 100 ms that no installed copy pays.
    """
    compileall.compile_dir(Path(mentorflow.__file__).parent, quiet=1)


def _compare(scale: Scale, ours_command: list[str], theirs_command: list[str]) -> tuple[float, float]:
    """Median wall seconds of two commands, each run in a fresh process, alternately, after one warm-up each."""
    _compiled()

    def run(command: list[str]) -> float:
        return timed(lambda: subprocess.run(command, check=True, capture_output=True))

    run(ours_command)
    run(theirs_command)
    ours, theirs = [], []
    for _ in range(max(scale.runs, MIN_RUNS)):
        ours.append(run(ours_command))
        theirs.append(run(theirs_command))
    return median(ours), median(theirs)


def _script() -> str:
    return str(Path(sys.executable).parent / "mentorflow")


def cli_help(scale: Scale, watch: Stopwatch) -> tuple[float, float]:
    """(``mentorflow --help``, ``python -c "import click"``) median wall seconds, each in a fresh process."""
    ours, theirs = _compare(scale, [_script(), "--help"], [sys.executable, "-c", "import click"])
    watch.say(f"cli --help {ours * 1000:.0f} ms, import click {theirs * 1000:.0f} ms")
    return ours, theirs


def cli_status(scale: Scale, watch: Stopwatch, work: Path) -> tuple[float, float]:
    """(``mentorflow status ID`` on the demo database, importing what it must import) median wall seconds."""
    db = f"sqlite:///{work / 'demo.db'}"
    subprocess.run([_script(), "--db", db, "demo"], check=True, capture_output=True)
    listing = subprocess.run(
        [_script(), "--db", db, "audit", "--format", "json"], check=True, capture_output=True, text=True
    )
    rel_id = json.loads(listing.stdout)[0]["id"]
    ours, theirs = _compare(scale, [_script(), "--db", db, "status", rel_id], [sys.executable, "-c", STATUS_PEER])
    watch.say(f"cli status {ours * 1000:.0f} ms, importing its libraries {theirs * 1000:.0f} ms")
    return ours, theirs


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
