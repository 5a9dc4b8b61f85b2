"""Commands that prove the log: ``verify`` (with or without a checkpoint) and ``checkpoint``."""

from __future__ import annotations

from pathlib import Path

import click

from mentorflow.cli.app import Context, cli, format_option, pass_context
from mentorflow.cli.output import counted, emit_json, write_file
from mentorflow.errors import BrokenChain, CheckpointInvalid, InputTooLarge

__all__ = ["checkpoint", "verify"]

MAX_CHECKPOINT_BYTES = 256 * 1024 * 1024
"""A checkpoint holds about 120 bytes a relationship: this bound fits two million, and still ends a runaway read."""


@cli.command()
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also prove nothing was deleted, cut or rewritten since this checkpoint.",
)
@format_option()
@pass_context
def verify(obj: Context, checkpoint_file: Path | None, output_format: str) -> None:
    """Check every hash chain and replay every relationship; exit 1 naming each broken one."""
    from mentorflow.audit.checkpoint import parse  # noqa: PLC0415 - keep `--help` fast

    mf = obj.mf
    checkpoint = None if checkpoint_file is None else parse(_read(checkpoint_file), str(checkpoint_file), mf.keys)
    report = mf.verify(checkpoint=checkpoint)
    if output_format == "json":
        emit_json(report.model_dump(mode="json"))
    elif report.ok:
        since = "" if checkpoint is None else f", nothing lost since the checkpoint of {checkpoint.at.isoformat()}"
        click.echo(f"ok: {counted(report.checked, 'relationship')}, {counted(report.events, 'event')} verified{since}")
        click.echo(_key_note(report.keyed, report.events, key_checked=report.key_checked))
        if report.erased:
            blanked = counted(report.erased, "revision")
            click.echo(f"erased: {blanked} blanked by `erase`, as their events record (not tampering)")
    else:
        for broken in report.broken:
            click.echo(f"{broken.relationship}:")
            for problem in broken.problems:
                click.echo(f"  - {problem}")
    if not report.ok:
        names = ", ".join(broken.relationship for broken in report.broken)
        hint = "Restore these relationships from a backup; the log shows where they diverge."
        if report.unknown_keys:
            hint = (
                f"The log is signed with key {', '.join(report.unknown_keys)}, which MENTORFLOW_KEY does not hold: "
                "give the key it was written with (after a rotation, NEW,OLD) before restoring anything."
            )
        raise BrokenChain(
            f"{len(report.broken)} of {report.checked} relationships failed verification: {names}", hint=hint
        )


def _key_note(keyed: int, events: int, *, key_checked: bool) -> str:
    if key_checked:
        older = events - keyed
        return "keyed: every MAC checked" + (f"; {older} events from before the key carry none" if older else "")
    if keyed:
        return "keyed log, but no key given: MACs not checked (set MENTORFLOW_KEY)"
    return "unkeyed log: an event forged with a correct hash would pass (set MENTORFLOW_KEY to key it)"


@cli.command()
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False, writable=True),
    help="Write the checkpoint to this file (default: standard output).",
)
@pass_context
def checkpoint(obj: Context, output: Path | None) -> None:
    """Print a statement of every chain's head, to keep outside the database for `verify --checkpoint`."""
    obj.require_administrator("checkpoint")
    text = obj.mf.checkpoint().model_dump_json(indent=1, exclude_none=True) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    write_file(output, lambda file: file.write(text))  # a reader never sees half a checkpoint
    click.echo(f"checkpoint written to {output}", err=True)


def _read(path: Path) -> str:
    from mentorflow.definitions.yamlsafe import open_to_read  # noqa: PLC0415 - keep `--help` fast

    try:
        with open_to_read(path) as file:
            data = file.read(MAX_CHECKPOINT_BYTES + 1)
    except OSError as exc:
        raise CheckpointInvalid(f"cannot read {path}: {exc.strerror}", hint="Check the path.") from None
    if len(data) > MAX_CHECKPOINT_BYTES:
        raise InputTooLarge(
            f"{path} is larger than {MAX_CHECKPOINT_BYTES} bytes; reading stopped there",
            hint="Pass a file written by `mentorflow checkpoint`.",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise CheckpointInvalid(
            f"{path} is not UTF-8 text", hint="Pass a file written by `mentorflow checkpoint`."
        ) from None
