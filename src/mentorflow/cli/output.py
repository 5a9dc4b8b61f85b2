"""Rendering results for people (aligned tables) and programs (JSON, CSV), and errors for both.

Kept apart from the commands so every command prints the same way: results on stdout (or a file, written whole or
not at all), errors on stderr as ``error[CODE]: message`` and ``hint: ...``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO, TypeVar

import click

from mentorflow.errors import Blocked, DefinitionError, InvalidInput, MentorflowError

__all__ = [
    "abbreviate",
    "counted",
    "emit_json",
    "print_error",
    "render_csv",
    "render_table",
    "visible",
    "write_file",
]

T = TypeVar("T")


def write_file(output: Path, write: Callable[[TextIO], T], *, newline: str | None = None) -> T:
    """What ``write`` writes, in the file ``output``; returns what ``write`` returns.

    A regular file is written beside its name and moved into place at the end, so that a reader never sees half
    of it and a failed command leaves none; a symbolic link is followed to the file it names. Anything else (a
    pipe, a device) is written straight into: moving a file over it would replace it. A path that cannot be
    written is ``input.invalid``, with the system's reason.
    """
    target = Path(os.path.realpath(output))
    try:
        if target.exists() and not target.is_file():
            with target.open("w", encoding="utf-8", newline=newline) as file:
                return write(file)
        partial = target.with_name(target.name + ".partial")
        try:
            with partial.open("w", encoding="utf-8", newline=newline) as file:
                result = write(file)
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
    except OSError as error:
        raise InvalidInput(
            f"cannot write {str(output)!r}: {error.strerror or error}",
            hint="Check the path: its directory must exist and be writable.",
        ) from error
    return result


def counted(number: int, noun: str) -> str:
    """``1 relationship``, ``2 relationships``: a count with its noun (nouns that take a plain ``s``)."""
    return f"{number} {noun}" + ("" if number == 1 else "s")


def emit_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
"""Control characters: written raw to a terminal they move the cursor, clear the screen or set its title, so text
people typed (a reason, a document's content) is shown with them escaped."""
_CONTROL_IN_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""The same but tab and newline, which a text shown line by line keeps."""


def visible(text: str, *, lines: bool = False) -> str:
    """``text`` with its control characters written as escapes (``\x1b``); tabs and newlines too, unless
    ``lines`` (a document's text, shown line by line)."""
    if text.isprintable():  # the common case, answered in C: a table of a hundred thousand rows pays nothing
        return text
    pattern = _CONTROL_IN_LINES if lines else _CONTROL
    return pattern.sub(lambda found: found.group().encode("unicode_escape").decode("ascii"), text)


def render_table(
    rows: Sequence[Sequence[Any]],
    headers: Sequence[str],
    *,
    width: int | None = None,
    shrink: Sequence[tuple[int, int]] = (),
) -> str:
    """Left-aligned columns separated by two spaces; the last column is not padded.

    With ``width``, the columns listed in ``shrink`` as (index, narrowest) are narrowed in turn, their cells
    abbreviated with "…", until every line fits.
    """
    cells = [[visible(str(cell)) for cell in row] for row in rows]
    widths = [max([len(header)] + [len(row[index]) for row in cells]) for index, header in enumerate(headers)]
    if width is not None:
        for index, narrowest in shrink:
            excess = sum(widths) + 2 * (len(widths) - 1) - width
            if excess <= 0:
                break
            widths[index] = max(narrowest, len(headers[index]), widths[index] - excess)
            for row in cells:
                row[index] = abbreviate(row[index], widths[index])
    lines = []
    for row in [list(headers), *cells]:
        padded = [cell.ljust(width) for cell, width in zip(row[:-1], widths[:-1], strict=True)]
        lines.append("  ".join([*padded, row[-1]]).rstrip())
    return "\n".join(lines)


def render_csv(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return buffer.getvalue().rstrip("\n")


def abbreviate(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def print_error(error: MentorflowError) -> None:
    """Print an error for people: what is wrong, each detail, and what to do next."""
    if isinstance(error, DefinitionError):
        for problem in error.problems:
            click.echo(f"{problem}", err=True)
            if problem.hint:
                click.echo(f"  hint: {problem.hint}", err=True)
        count = len(error.problems)
        click.echo(f"error[{error.code}]: {count} problem{'s' if count > 1 else ''} in the definitions", err=True)
        return
    click.echo(f"error[{error.code}]: {error.message}", err=True)
    if isinstance(error, Blocked):
        for blocker in error.blockers:
            click.echo(f"  - {blocker.code}: {blocker.message}", err=True)
    if error.cli_hint:
        click.echo(f"hint: {error.cli_hint}", err=True)
