"""Commands that read what was written and what is whose: show, revisions, diff and person (DESIGN §12).

Each reads as ``--as`` (or ``--admin``) when given, so a person sees only what they may; without them the CLI
operator is trusted. ``show`` prints a document the way a person reads it: the kind's fields as headings, lists as
bullets, dates written out.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import click

from mentorflow.cli.app import Context, cli, format_option, pass_context
from mentorflow.cli.output import emit_json, render_csv, render_table, visible
from mentorflow.cli.relationships import read_as

if TYPE_CHECKING:
    from mentorflow.types import Document, DocumentChange, PersonView

__all__ = ["diff", "person", "render_document", "revisions", "show"]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_MONTHS = (
    "January February March April May June July August September October November December".split()  # noqa: SIM905
)


def _label(name: str) -> str:
    """``long_term_goals`` -> ``Long term goals``."""
    words = name.replace("_", " ")
    return words[:1].upper() + words[1:]


def _date(text: str) -> str:
    year, month, day = (int(part) for part in text[:10].split("-"))
    written = f"{day} {_MONTHS[month - 1]} {year}" if 1 <= month <= 12 else text[:10]  # noqa: PLR2004
    return written + (f" {text[11:16]} UTC" if len(text) > 10 else "")  # noqa: PLR2004


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "(none)"
    if isinstance(value, str):
        if _DATE.match(value) or _DATETIME.match(value):
            return _date(value)
        return value.replace("_", " ") if re.fullmatch(r"[a-z0-9_]+", value) else value
    return str(value)


def _lines(value: Any, indent: int) -> list[str]:
    """A value under its heading: text as is, lists as bullets (numbered when they hold records), records as
    labelled lines."""
    pad = " " * indent
    if isinstance(value, dict):
        lines = []
        for key, inner in value.items():
            if isinstance(inner, (dict, list)) and inner:
                lines += [f"{pad}{_label(key)}:", *_lines(inner, indent + 2)]
            else:
                lines.append(f"{pad}{_label(key)}: {_scalar(inner) if inner != [] else '(none)'}")
        return lines
    if isinstance(value, list):
        if not value:
            return [f"{pad}(none)"]
        if all(isinstance(element, dict) for element in value):
            lines = []
            for number, element in enumerate(value, start=1):
                inner = _lines(element, indent + 3)
                lines += [f"{pad}{number}. {inner[0].lstrip()}", *inner[1:]] if inner else [f"{pad}{number}."]
            return lines
        return [f"{pad}- {_scalar(element)}" for element in value]
    return [pad + line for line in _scalar(value).splitlines() or [""]]


def render_document(document: Document) -> str:
    """A document as a person reads it: what it is and who signed it, then each field as a heading."""
    where = f"{document.slot}" + (f" item {document.item}" if document.item is not None else "")
    state = "complete" if document.complete else "incomplete"
    lines = [
        (
            f"{document.title or document.slot} ({where} of {document.relationship}, revision {document.revision}, "
            f"{state})"
        ),
        f"Submitted by {document.submitted_by} on {_date(document.submitted_at.isoformat())}",
    ]
    if document.signatures:
        signed = ", ".join(f"{s.person} ({s.role}) on {_date(s.at.isoformat())}" for s in document.signatures)
        lines.append(f"Signed by {signed}")
    if document.missing:
        lines.append("Missing: " + ", ".join(document.missing))
    content = document.content if isinstance(document.content, dict) else {"content": document.content}
    for key, value in content.items():
        lines += ["", _label(key), *_lines(value, 2)]
    return visible("\n".join(lines), lines=True)


@cli.command()
@click.argument("relationship")
@click.argument("slot")
@click.option("--item", type=click.IntRange(min=1), help="Item N of a repeatable slot (default: the newest).")
@click.option("--revision", type=click.IntRange(min=1), help="Revision N (default: the latest).")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "yaml"]),
    default="table",
    show_default=True,
    help="How to print it; yaml prints the content alone, ready for `submit --file`.",
)
@pass_context
def show(
    obj: Context, relationship: str, slot: str, item: int | None, revision: int | None, output_format: str
) -> None:
    """One revision of SLOT with its content and signatures, as --as may read it."""
    document = obj.mf.document(relationship, slot, item, revision, actor=read_as(obj))
    if output_format == "json":
        emit_json(document.model_dump(mode="json"))
    elif output_format == "yaml":
        from mentorflow.definitions.yamlsafe import dump_text  # noqa: PLC0415 - keep `--help` fast

        click.echo(dump_text(document.content), nl=False)
    else:
        click.echo(render_document(document))


@cli.command()
@click.argument("relationship")
@click.argument("slot")
@click.option("--item", type=click.IntRange(min=1), help="Only item N of a repeatable slot.")
@format_option(listing=True)
@pass_context
def revisions(obj: Context, relationship: str, slot: str, item: int | None, output_format: str) -> None:
    """The revisions of SLOT, oldest first, without content (items --as may not read are left out)."""
    found = obj.mf.revisions(relationship, slot, item, actor=read_as(obj))
    if output_format == "json":
        emit_json([revision.model_dump(mode="json") for revision in found])
        return
    headers = ["item", "revision", "complete", "submitted_by", "submitted_at", "signed_by", "content_hash"]
    rows = [
        [
            "" if r.item is None else r.item,
            r.revision,
            "yes" if r.complete else "no",
            r.submitted_by,
            r.submitted_at.isoformat() if output_format == "csv" else f"{r.submitted_at:%Y-%m-%d %H:%M}",
            " ".join(r.signed_by),
            r.content_hash,
        ]
        for r in found
    ]
    if output_format == "csv":
        click.echo(render_csv(rows, headers))
    elif not rows:
        click.echo(f"no revisions of {slot}")
    else:
        click.echo(render_table([row[:-1] for row in rows], [h.upper() for h in headers[:-1]]))


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _change_line(change: DocumentChange) -> str:
    if change.change == "added":
        return f"+ {change.path}: {_shown(change.after)}"
    if change.change == "removed":
        return f"- {change.path}: {_shown(change.before)}"
    return f"~ {change.path}: {_shown(change.before)} -> {_shown(change.after)}"


@cli.command()
@click.argument("relationship")
@click.argument("slot")
@click.option("--item", type=click.IntRange(min=1), help="Item N of a repeatable slot (default: the newest).")
@click.option("--from", "old", type=click.IntRange(min=1), help="The older revision (default: the one before --to).")
@click.option("--to", "new", type=click.IntRange(min=1), help="The newer revision (default: the latest).")
@format_option()
@pass_context
def diff(
    obj: Context, relationship: str, slot: str, item: int | None, old: int | None, new: int | None, output_format: str
) -> None:
    """What changed in SLOT between two revisions, path by path (+ added, - removed, ~ changed)."""
    changes = obj.mf.diff(relationship, slot, item, old, new, actor=read_as(obj))
    if output_format == "json":
        emit_json([change.model_dump(mode="json") for change in changes])
    else:
        click.echo("\n".join(_change_line(change) for change in changes) if changes else "no changes")


def _person_text(view: PersonView) -> str:
    lines = [f"{view.person}: {len(view.relationships)} relationship(s), {len(view.todo)} thing(s) to do"]
    if view.relationships:
        rows = [
            [r.id, r.workflow, r.role, r.state + (" (final)" if r.final else ""), r.program or ""]
            for r in view.relationships
        ]
        lines += ["", "relationships:"]
        lines += [
            "  " + line for line in render_table(rows, ["ID", "WORKFLOW", "ROLE", "STATE", "PROGRAM"]).splitlines()
        ]
    if view.todo:
        rows = [
            [
                "" if t.due_at is None else f"{t.due_at:%Y-%m-%d}" + (" OVERDUE" if t.overdue else ""),
                t.relationship,
                t.action,
                f"{t.trigger}"
                if t.action == "fire"
                else f"{t.slot}" + (f" item {t.item}" if t.item is not None else ""),
            ]
            for t in view.todo
        ]
        lines += ["", "to do:"]
        lines += ["  " + line for line in render_table(rows, ["DUE", "RELATIONSHIP", "ACTION", "WHAT"]).splitlines()]
    if view.network:
        rows = [[n.person, n.relation, n.source] for n in view.network]
        lines += ["", "network:"]
        lines += ["  " + line for line in render_table(rows, ["PERSON", "RELATION", "SOURCE"]).splitlines()]
    if view.gaps:
        lines += ["", "gaps:"]
        lines += [f"  - {_scalar(gap.get('need', ''))}: {gap.get('action', '')}" for gap in view.gaps]
    return "\n".join(lines)


@cli.command()
@click.argument("person_id", metavar="PERSON")
@format_option()
@pass_context
def person(obj: Context, person_id: str, output_format: str) -> None:
    """PERSON across relationships: their roles, what they must do now (with due dates), their network and gaps."""
    view = obj.mf.person(person_id, actor=read_as(obj))
    if output_format == "json":
        emit_json(view.model_dump(mode="json"))
    else:
        click.echo(_person_text(view))
