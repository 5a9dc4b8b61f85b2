"""Commands on one relationship: start, join, leave, submit, sign, fire, status, history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from mentorflow.cli.app import Context, cli, format_option, pass_context
from mentorflow.cli.output import emit_json, render_csv, render_table
from mentorflow.errors import ArtifactTooLarge, DefinitionError, InputTooLarge, InvalidInput

if TYPE_CHECKING:
    from mentorflow.identifiers import Actor
    from mentorflow.types import Event, PlannedEvent, Status

__all__ = ["fire", "history", "join", "leave", "read_as", "sign", "start", "status", "submit"]


def read_as(obj: Context) -> Actor | None:
    """Who a read is for: ``--as`` (or ``--admin``) when given; without them the CLI operator is trusted."""
    return obj.actor if obj.admin or obj.actor_name is not None else None


def _assignment(value: str, option: str) -> tuple[str, str]:
    role, sep, person = value.partition("=")
    if not sep or not role.strip() or not person.strip():
        raise click.BadParameter(f"{value!r} is not ROLE=PERSON", param_hint=option)
    return role.strip(), person.strip()


def _event_line(event: Event | PlannedEvent) -> str:
    payload = event.payload
    return {
        "started": lambda: f"{payload.get('workflow')} in {payload.get('state')}",
        "joined": lambda: f"{payload.get('person')} as {payload.get('role')}",
        "left": lambda: (
            f"{payload.get('person')} ({payload.get('role')})"
            + (f": {payload['reason']}" if payload.get("reason") else "")
        ),
        "submitted": lambda: (
            f"{payload.get('slot')}"
            + (f" item {payload['item']}" if payload.get("item") else "")
            + f" revision {payload.get('revision')} ({'complete' if payload.get('complete') else 'incomplete'})"
        ),
        "signed": lambda: f"{payload.get('slot')} revision {payload.get('revision')} as {payload.get('role')}",
        "transitioned": lambda: (
            f"{payload.get('trigger')}: {payload.get('from')} -> {payload.get('to')}"
            + (f" ({payload['reason']})" if payload.get("reason") else "")
        ),
        "overridden": lambda: (
            f"{payload.get('trigger')}: {payload.get('from')} -> {payload.get('to')} FORCED: "
            f"{payload.get('reason')}; bypassed {len(payload.get('bypassed', []))} blocker(s)"
        ),
        "started_linked": lambda: f"started {payload.get('workflow')} {payload.get('relationship')}",
        "migrated": lambda: (
            f"{payload.get('workflow')} version {payload.get('from_version')} -> {payload.get('to_version')}: "
            f"{payload.get('from')} -> {payload.get('to')}"
        ),
    }.get(event.kind, lambda: json.dumps(payload, sort_keys=True))()


@cli.command()
@click.argument("workflow_ref", metavar="WORKFLOW")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    metavar="ROLE=PERSON",
    help="A participant (repeatable), e.g. --role mentor=ann --role mentee=bob.",
)
@click.option("--program", help="The cohort label, e.g. fall-2026.")
@click.option("--id", "relationship_id", help="Choose the relationship id (default: generated).")
@format_option()
@pass_context
def start(
    obj: Context,
    workflow_ref: str,
    roles: tuple[str, ...],
    program: str | None,
    relationship_id: str | None,
    output_format: str,
) -> None:
    """Start a relationship on WORKFLOW (ID or ID@VERSION); prints its id."""
    from mentorflow.cli.workflows import _split_ref  # noqa: PLC0415

    assigned: dict[str, list[str]] = {}
    for value in roles:
        role, person = _assignment(value, "--role")
        assigned.setdefault(role, []).append(person)
    name, version = _split_ref(workflow_ref)
    relationship = obj.mf.start(name, assigned, actor=obj.actor, program=program, id=relationship_id, version=version)
    if output_format == "json":
        emit_json({"id": relationship.id, **relationship.model_dump(exclude={"id"})})
    else:
        click.echo(relationship.id)


@cli.command()
@click.argument("relationship")
@click.argument("assignment", metavar="ROLE=PERSON")
@format_option()
@pass_context
def join(obj: Context, relationship: str, assignment: str, output_format: str) -> None:
    """Add PERSON to RELATIONSHIP in ROLE (the role's maximum is enforced)."""
    role, person = _assignment(assignment, "ROLE=PERSON")
    _print_event(obj.mf.join(relationship, role, person, actor=obj.actor), output_format)


@cli.command()
@click.argument("relationship")
@click.argument("person")
@click.option("--reason", help="Why the person leaves (kept on the event).")
@format_option()
@pass_context
def leave(obj: Context, relationship: str, person: str, reason: str | None, output_format: str) -> None:
    """Remove PERSON from RELATIONSHIP (the role's minimum is enforced)."""
    _print_event(obj.mf.leave(relationship, person, actor=obj.actor, reason=reason), output_format)


def _read_content(file: Path | None, text: str | None) -> Any:
    if (file is None) == (text is None):
        raise click.UsageError("give exactly one of --file PATH or --json TEXT")
    if text is not None:
        try:
            return json.loads(text)
        except ValueError as exc:
            raise InvalidInput(f"--json is not valid JSON: {exc}", hint="Quote the JSON for your shell.") from None
        except RecursionError:
            raise ArtifactTooLarge(
                "--json nests far deeper than content may (64 levels)", hint="Submit a flatter document."
            ) from None
    assert file is not None  # noqa: S101 - checked above
    from mentorflow.definitions.yamlsafe import MAX_BYTES, read_file  # noqa: PLC0415

    try:
        return read_file(file).value
    except DefinitionError as exc:
        problem = exc.problems[0]
        if problem.code == "definition.too_large":
            raise InputTooLarge(
                f"{file} is larger than {MAX_BYTES} bytes; reading stopped there",
                hint="Content is limited to 1 MiB; submit a smaller document.",
            ) from None
        raise InvalidInput(
            f"{problem.file}:{problem.line}:{problem.column}: {problem.message}",
            hint="The file must be a YAML or JSON mapping of the kind's fields.",
        ) from None


@cli.command()
@click.argument("relationship")
@click.argument("slot")
@click.option("--file", "file", type=click.Path(path_type=Path, dir_okay=False), help="Content as a YAML or JSON file.")
@click.option("--json", "text", metavar="TEXT", help="Content as JSON text.")
@click.option("--item", type=click.IntRange(min=1), help="Revise item N of a repeatable slot (default: a new item).")
@format_option()
@pass_context
def submit(
    obj: Context,
    relationship: str,
    slot: str,
    file: Path | None,
    text: str | None,
    item: int | None,
    output_format: str,
) -> None:
    """Submit a revision of SLOT; prints the revision, whether it is complete, and what is missing."""
    content = _read_content(file, text)
    revision = obj.mf.submit(relationship, slot, content, actor=obj.actor, item=item)
    if output_format == "json":
        emit_json(revision.model_dump(mode="json"))
        return
    where = f"{slot}" + (f" item {revision.item}" if revision.item is not None else "")
    state = "complete" if revision.complete else "incomplete, missing: " + ", ".join(revision.missing)
    if revision.unchanged:
        state = f"unchanged, nothing stored ({state})"
    click.echo(f"{where} revision {revision.revision}: {state}")


@cli.command()
@click.argument("relationship")
@click.argument("slot")
@click.option(
    "--revision",
    type=click.IntRange(min=1),
    required=True,
    help="The revision you read and sign; refused (signature.stale) if it is no longer the latest.",
)
@click.option("--item", type=click.IntRange(min=1), help="Sign item N of a repeatable slot (default: the newest).")
@format_option()
@pass_context
def sign(obj: Context, relationship: str, slot: str, revision: int, item: int | None, output_format: str) -> None:
    """Sign revision N of SLOT as --as, for your own role: the text you read, never a later one."""
    _print_event(obj.mf.sign(relationship, slot, actor=obj.actor, revision=revision, item=item), output_format)


@cli.command()
@click.argument("relationship")
@click.argument("trigger")
@click.option("--reason", help="Why (required by some triggers, and to --force).")
@click.option("--force", is_flag=True, help="Administrators only: fire despite blockers, recorded as an override.")
@click.option("--dry-run", is_flag=True, help="Say what would happen, or every blocker, and write nothing.")
@format_option()
@pass_context
def fire(
    obj: Context, relationship: str, trigger: str, reason: str | None, force: bool, dry_run: bool, output_format: str
) -> None:
    """Fire TRIGGER; when blocked, exit 1 listing every blocker."""
    mf, actor = obj.mf, obj.actor
    if not dry_run:
        _print_event(mf.fire(relationship, trigger, actor=actor, force=force, reason=reason), output_format)
        return
    event = mf.fire(relationship, trigger, actor=actor, force=force, reason=reason, dry_run=True)
    if output_format == "json":
        emit_json({**event.model_dump(mode="json"), "dry_run": True})
    else:
        line = f"{event.relationship} would record #{event.seq} {event.kind}: {_event_line(event)}"
        click.echo(f"{line} (dry run: nothing written)")


def _print_event(event: Event, output_format: str) -> None:
    if output_format == "json":
        emit_json(event.model_dump(mode="json"))
    else:
        click.echo(f"{event.relationship} #{event.seq} {event.kind}: {_event_line(event)}")


@cli.command()
@click.argument("relationship")
@format_option()
@pass_context
def status(obj: Context, relationship: str, output_format: str) -> None:
    """Where RELATIONSHIP stands: state, people, artifacts, each trigger with its blockers, obligations.

    With --as PERSON, only what that person may read is listed (and a person who never took part is refused).
    """
    result = obj.mf.status(relationship, actor=read_as(obj))
    if output_format == "json":
        emit_json(result.model_dump(mode="json"))
    else:
        click.echo(_status_text(result))


def _status_text(result: Status) -> str:
    state = f"{result.state}" + (f" (phase {result.phase})" if result.phase else "")
    lines = [
        f"{result.id}  {result.workflow} v{result.workflow_version}"
        + (f"  program {result.program}" if result.program else ""),
        f"state: {state}, {result.days_in_state} days since {result.entered_at:%Y-%m-%d}"
        + (f", final ({result.outcome})" if result.final else ""),
        "participants: " + ", ".join(f"{p.role} {p.person}" for p in result.participants),
    ]
    if result.artifacts:
        lines.append("artifacts:")
        rows = [
            [
                a.slot + (f"[{a.item}]" if a.item is not None else ""),
                f"rev {a.revision}",
                "complete" if a.complete else "missing " + ", ".join(a.missing),
                ("unsigned: " + ", ".join(a.unsigned)) if a.unsigned else ("signed" if a.signed_by else ""),
            ]
            for a in result.artifacts
        ]
        lines += ["  " + line for line in render_table(rows, ["SLOT", "REV", "CONTENT", "SIGNATURES"]).splitlines()]
    if result.triggers:
        lines.append("triggers:")
        for trigger in result.triggers:
            notes = ["allowed" if trigger.allowed else f"blocked ({len(trigger.blockers)})"]
            notes += ["reason required"] if trigger.reason_required else []
            notes += [f"by {'/'.join(trigger.by)}"] if trigger.by else []
            lines.append(f"  {trigger.trigger} -> {trigger.to}: {', '.join(notes)}")
            lines += [f"    - {b.code}: {b.message}" for b in trigger.blockers]
    if result.obligations:
        lines.append("obligations:")
        for obligation in result.obligations:
            mark = "met" if obligation.met else ("OVERDUE" if obligation.overdue else "open")
            lines.append(f"  {obligation.requirement}: due {obligation.due_at:%Y-%m-%d}, {mark}")
    return "\n".join(lines)


@cli.command()
@click.argument("relationship")
@format_option(listing=True)
@pass_context
def history(obj: Context, relationship: str, output_format: str) -> None:
    """The event log of RELATIONSHIP, oldest first (with --as PERSON, without the items they may not read)."""
    events = obj.mf.history(relationship, actor=read_as(obj))
    if output_format == "json":
        emit_json([event.model_dump(mode="json") for event in events])
        return
    rows = [[e.seq, f"{e.at:%Y-%m-%d %H:%M}", e.actor, e.kind, _event_line(e)] for e in events]
    if output_format == "csv":
        click.echo(
            render_csv(
                [
                    [e.seq, e.at.isoformat(), e.actor, e.kind, json.dumps(e.payload, sort_keys=True), e.hash]
                    for e in events
                ],
                ["seq", "at", "actor", "kind", "payload", "hash"],
            )
        )
    else:
        click.echo(render_table(rows, ["SEQ", "AT", "ACTOR", "KIND", "WHAT"]))
