"""The ``migrate`` command: moving running relationships onto another version of their workflow (DESIGN §15)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import click

from mentorflow.cli.app import Context, cli, format_option, pass_context
from mentorflow.cli.output import emit_json, render_table

if TYPE_CHECKING:
    from mentorflow.types import MigrationResult

__all__ = ["migrate"]


def _mapping(values: Sequence[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for value in values:
        old, sep, new = value.partition("=")
        old, new = old.strip(), new.strip()
        if not sep or not old or not new:
            raise click.BadParameter(f"{value!r} is not OLD=NEW", param_hint="--state")
        if old in mapping and mapping[old] != new:
            raise click.BadParameter(f"state {old!r} is mapped twice", param_hint="--state")
        mapping[old] = new
    return mapping


def _note(result: MigrationResult) -> str:
    """Why a relationship was refused, or what it will wait on in the new version."""
    if result.reason is not None:
        return result.reason
    parts = [f"overdue {o.slot or o.requirement}" for o in result.overdue]
    triggers = sorted({b.trigger for b in result.blockers})
    if triggers:
        parts.append(f"{len(result.blockers)} blocker(s) on {', '.join(triggers)}")
    return "; ".join(parts) or "-"


def _totals(results: Sequence[MigrationResult]) -> str:
    counts = {kind: sum(1 for r in results if r.result == kind) for kind in ("migrated", "would_migrate", "refused")}
    shown = [f"{count} {kind.replace('_', ' ')}" for kind, count in counts.items() if count]
    return ", ".join(shown) if shown else "nothing to migrate"


@cli.command()
@click.argument("workflow")
@click.option(
    "--to", "to_version", type=click.IntRange(min=1), required=True, metavar="VERSION", help="The version to move to."
)
@click.option(
    "--from",
    "from_version",
    type=click.IntRange(min=1),
    metavar="VERSION",
    help="Move only the relationships on this version.  [default: every other version]",
)
@click.option(
    "--state",
    "states",
    multiple=True,
    metavar="OLD=NEW",
    help="Map a state of the old version to one of the new (repeatable); other states keep their names.",
)
@click.option("--program", metavar="P", help="Move only the relationships of this program.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Write nothing: report what would happen, with each relationship's blockers and overdue obligations "
    "in the new version.",
)
@format_option()
@pass_context
def migrate(
    obj: Context,
    workflow: str,
    to_version: int,
    from_version: int | None,
    states: tuple[str, ...],
    program: str | None,
    dry_run: bool,
    output_format: str,
) -> None:
    """Move the running relationships of WORKFLOW onto version --to, each in its own transaction.

    A relationship whose state has no mapping, whose documents sit in a slot that changed kind or disappeared, or
    whose participants do not fit the new roles is refused and stays where it is. Ended relationships stay on the
    version they ended on. For administrators (--admin, or no --as). See docs/migration.md.
    """
    obj.require_administrator("migrate")
    results = obj.mf.migrate(
        workflow,
        to_version=to_version,
        from_version=from_version,
        states=_mapping(states),
        program=program,
        dry_run=dry_run,
        actor=obj.actor if obj.admin else None,
    )
    if output_format == "json":
        emit_json([result.model_dump(mode="json") for result in results])
        return
    if results:
        rows = [[r.id, r.from_version, r.to_version, r.state, r.new_state or "-", r.result, _note(r)] for r in results]
        click.echo(render_table(rows, ["ID", "FROM", "TO", "STATE", "NEW STATE", "RESULT", "NOTE"]))
    click.echo(_totals(results))
