"""Commands for data that leaves and is forgotten (DESIGN §16): ``export``, ``import`` and ``erase``.

All three are for administrators (``--admin``, or no ``--as``). See docs/operations.md for the routines they serve.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import click

from mentorflow.cli.app import Context, cli, format_option, pass_context
from mentorflow.cli.output import counted, emit_json, write_file
from mentorflow.errors import ImportRefused

__all__ = ["erase", "export", "import_"]


@cli.command()
@click.option(
    "--relationship",
    "relationships",
    multiple=True,
    metavar="ID",
    help="Export only this relationship (repeatable).  [default: every relationship]",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False, writable=True),
    help="Write the archive to this file (default: standard output).",
)
@pass_context
def export(obj: Context, relationships: tuple[str, ...], output: Path | None) -> None:
    """Write a JSON Lines archive of the relationships: every definition used, and each relationship's row,
    participants, events (hashes, MACs), revisions with content and signatures. Rows are streamed."""
    obj.require_administrator("export")
    chosen = list(relationships) or None
    if output is None:
        obj.mf.export(sys.stdout, relationships=chosen)
        return
    counts = write_file(output, lambda file: obj.mf.export(file, relationships=chosen), newline="\n")
    click.echo(
        f"exported {counted(counts.relationships, 'relationship')}, {counted(counts.events, 'event')} to {output}",
        err=True,
    )


@cli.command("import")
@click.argument("archive", type=click.Path(path_type=Path, dir_okay=False))
@format_option()
@pass_context
def import_(obj: Context, archive: Path, output_format: str) -> None:
    """Load an archive written by `export` into this database, all or nothing: every chain (and, with
    MENTORFLOW_KEY, every MAC) is checked first, and a broken one or an id already here refuses the whole
    archive."""
    obj.require_administrator("import")
    from mentorflow.definitions.yamlsafe import open_to_read  # noqa: PLC0415 - keep `--help` fast

    try:
        file = io.TextIOWrapper(open_to_read(archive), encoding="utf-8", newline="\n")
    except OSError as exc:
        raise ImportRefused(f"cannot read {archive}: {exc.strerror}", hint="Check the path.") from None
    with file:
        counts = obj.mf.import_archive(file, name=str(archive))
    if output_format == "json":
        emit_json(counts.model_dump(mode="json"))
        return
    click.echo(
        f"imported {counted(counts.relationships, 'relationship')}, {counted(counts.events, 'event')}, "
        f"{counted(counts.definitions, 'definition')}"
    )


@cli.command()
@click.argument("person")
@click.option("--reason", required=True, metavar="R", help="Why (the request's reference; no personal data).")
@format_option()
@pass_context
def erase(obj: Context, person: str, reason: str, output_format: str) -> None:
    """Blank the content of every revision PERSON submitted, keeping its hash, and record an `erased` event in each
    relationship concerned; `verify` still passes and `show` of an erased revision says so."""
    obj.require_administrator("erase")
    result = obj.mf.erase(person, reason=reason, actor=obj.actor if obj.admin else None)
    if output_format == "json":
        emit_json(result.model_dump(mode="json"))
        return
    click.echo(
        f"erased {counted(result.revisions, 'revision')} of {person} "
        f"in {counted(len(result.relationships), 'relationship')}"
    )
