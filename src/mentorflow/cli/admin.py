"""Commands for administrators: init, audit, tick and the demo."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from mentorflow.cli.app import WARNING, Context, cli, format_option, pass_context
from mentorflow.cli.output import emit_json, render_csv, render_table

if TYPE_CHECKING:
    from mentorflow.types import Standing, Summary

__all__ = ["audit", "demo", "init", "tick"]


@cli.command()
@pass_context
def init(obj: Context) -> None:
    """Create or migrate the database schema."""
    obj.mf.upgrade()
    click.echo(f"database ready: {obj.mf.engine.url.render_as_string(hide_password=True)}")


def _people(standing: Standing) -> str:
    names = [p.person for p in standing.participants]
    if not names:
        return "-"
    return names[0] if len(names) == 1 else f"{names[0]} +{len(names) - 1}"


def _short(code: str, requirement: dict[str, object]) -> str:
    """``artifact.missing`` on ``{complete: idp}`` as ``missing idp``."""
    subject = next((value for value in requirement.values() if isinstance(value, str)), "")
    return f"{code.rpartition('.')[2].replace('_', ' ')} {subject}".strip()


def _waiting(standing: Standing) -> str:
    """What a relationship waits on, in a few words: what is overdue, then what can or cannot happen next."""
    if standing.final:
        return "ended"
    parts = []
    overdue_slot = None
    if standing.overdue:
        first_due = standing.overdue[0]
        overdue_slot = first_due.slot
        more = len(standing.overdue) - 1
        parts.append(f"overdue {overdue_slot or first_due.requirement}" + (f" +{more}" if more else ""))
    if standing.next:
        parts.append("next: " + ", ".join(standing.next))
    elif standing.blockers:
        first = standing.blockers[0]
        more = len(standing.blockers) - 1
        if overdue_slot is None or overdue_slot not in first.requirement.values():
            parts.append(_short(first.code, first.requirement) + (f" +{more}" if more else ""))
    return "; ".join(parts) or "-"


def _width() -> int:
    """80 columns, or the terminal's width when printing to a wider terminal."""
    if not sys.stdout.isatty():
        return 80
    import shutil  # noqa: PLC0415 - only for a terminal

    return max(80, shutil.get_terminal_size().columns)


def audit_table(standings: Sequence[Standing], width: int | None = None) -> str:
    """The audit as one table per workflow that fits ``width`` columns, people and blockers summarised."""
    width = width or _width()
    sections = []
    for workflow in sorted({s.workflow for s in standings}):
        rows = [[s.id, s.state, s.days_in_state, _people(s), _waiting(s)] for s in standings if s.workflow == workflow]
        # Narrow the people first and the waiting-on column last: it is what an administrator reads the table for.
        # Ids are never shortened, so that any of them can be pasted into `status`.
        table = render_table(
            rows,
            ["ID", "STATE", "DAYS", "PEOPLE", "WAITING ON"],
            width=width - 2,
            shrink=[(3, 10), (1, 12), (3, 6), (4, 24), (1, 8)],
        )
        sections.append(f"{workflow} ({len(rows)})\n" + "\n".join("  " + line for line in table.splitlines()))
    return "\n\n".join(sections)


def _csv_rows(standings: Iterable[Standing]) -> Iterator[list[object]]:
    return (
        [
            s.id,
            s.workflow,
            s.program or "",
            s.state,
            s.phase or "",
            s.days_in_state,
            "; ".join(f"{p.role}:{p.person}" for p in s.participants),
            "; ".join(s.next),
            "; ".join(f"{b.trigger}:{b.code}:{b.message}" for b in s.blockers),
            "; ".join(f"{o.requirement}@{o.due_at.isoformat()}" for o in s.overdue),
            s.last_activity_at.isoformat(),
        ]
        for s in standings
    )


CSV_HEADERS = [
    "id",
    "workflow",
    "program",
    "state",
    "phase",
    "days_in_state",
    "participants",
    "next",
    "blockers",
    "overdue",
    "last_activity_at",
]


def summary_text(summary: Summary) -> str:
    """The summary for people: states, programs with completion rates, the funnel and days per phase."""
    lines = [
        (
            f"{summary.total} relationships, {summary.active} active, {summary.overdue} overdue, "
            f"{summary.blocked} blocked (as of {summary.as_of:%Y-%m-%d})"
        ),
        "",
    ]
    lines += render_table(
        [
            [s.workflow, s.state + (f" ({s.outcome})" if s.outcome else ""), s.phase or "-", s.count]
            for s in summary.states
        ],
        ["WORKFLOW", "STATE", "PHASE", "COUNT"],
    ).splitlines()
    lines.append("")
    lines += render_table(
        [
            [
                p.program or "(none)",
                p.total,
                p.active,
                p.success,
                p.ended,
                "-" if p.completion_rate is None else f"{p.completion_rate:.0%}",
            ]
            for p in summary.programs
        ],
        ["PROGRAM", "TOTAL", "ACTIVE", "SUCCESS", "ENDED", "COMPLETION"],
    ).splitlines()
    lines.append("")
    days = {(d.workflow, d.phase): d for d in summary.phase_days}
    rows = []
    for step in summary.funnel:
        stay = days.get((step.workflow, step.phase))
        rows.append(
            [
                step.workflow,
                step.phase,
                step.reached,
                step.current,
                f"{stay.median_days:g}" if stay else "-",
                f"{stay.p90_days:g}" if stay else "-",
            ]
        )
    lines += render_table(rows, ["WORKFLOW", "PHASE", "REACHED", "NOW", "MEDIAN DAYS", "P90 DAYS"]).splitlines()
    return "\n".join(lines)


def _summary_csv(summary: Summary) -> str:
    rows: list[list[object]] = [["state", s.workflow, s.state, "count", s.count] for s in summary.states]
    rows += [
        ["program", p.program or "", "", key, value]
        for p in summary.programs
        for key, value in (
            ("total", p.total),
            ("active", p.active),
            ("success", p.success),
            ("ended", p.ended),
            ("completion_rate", "" if p.completion_rate is None else p.completion_rate),
        )
    ]
    rows += [
        ["funnel", f.workflow, f.phase, key, value]
        for f in summary.funnel
        for key, value in (("reached", f.reached), ("current", f.current))
    ]
    rows += [
        ["phase_days", d.workflow, d.phase, key, value]
        for d in summary.phase_days
        for key, value in (("samples", d.samples), ("median_days", d.median_days), ("p90_days", d.p90_days))
    ]
    return render_csv(rows, ["section", "group", "item", "measure", "value"])


@cli.command()
@click.option("--workflow", help="Only relationships of this workflow.")
@click.option("--program", help="Only this program (cohort).")
@click.option("--state", help="Only relationships in this state.")
@click.option("--phase", help="Only relationships in this phase.")
@click.option(
    "--stalled",
    "stalled_days",
    type=click.IntRange(min=0),
    metavar="DAYS",
    help="Only those with no event for at least DAYS days (non-final); the HTML report's threshold.",
)
@click.option("--overdue", is_flag=True, help="Only those with an overdue obligation.")
@click.option("--blocked", is_flag=True, help="Only those where nothing can move without a reason.")
@click.option("--person", "person_id", metavar="ID", help="Only relationships this person takes part in now.")
@click.option(
    "--summary",
    "show_summary",
    is_flag=True,
    help="Aggregate figures instead of rows: counts, completion rates, phase funnel, days per phase.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "csv", "html"]),
    default="table",
    show_default=True,
    help="How to print the result; html writes a self-contained report (--output).",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the result to this file instead of stdout (required for html).",
)
@pass_context
def audit(
    obj: Context,
    workflow: str | None,
    program: str | None,
    state: str | None,
    phase: str | None,
    stalled_days: int | None,
    overdue: bool,
    blocked: bool,
    person_id: str | None,
    show_summary: bool,
    output_format: str,
    output: Path | None,
) -> None:
    """Where each relationship stands: what can happen next, what blocks it, what is overdue."""
    if output_format == "html":
        if output is None:
            raise click.UsageError("--format html needs --output FILE")
        from mentorflow.audit.report import render_html  # noqa: PLC0415

        summary, standings = obj.mf.overview(workflow=workflow, program=program, state=state, phase=phase)
        title = "Mentoring program audit" + (f": {program}" if program else "")
        output.write_text(
            render_html(summary, standings, stalled_days=30 if stalled_days is None else stalled_days, title=title),
            encoding="utf-8",
        )
        click.echo(f"wrote {output} ({len(standings)} relationships)")
        return
    if show_summary:
        summary = obj.mf.summary(workflow=workflow, program=program, state=state, phase=phase)
        text = (
            json.dumps(summary.model_dump(mode="json"), indent=2)
            if output_format == "json"
            else _summary_csv(summary)
            if output_format == "csv"
            else summary_text(summary)
        )
    else:
        filters: dict[str, Any] = {
            "workflow": workflow,
            "program": program,
            "state": state,
            "phase": phase,
            "stalled_days": stalled_days,
            "overdue": overdue,
            "blocked": blocked,
            "person": person_id,
        }
        if output_format in ("json", "csv"):
            rows = obj.mf.iter_audit(**filters)
            _stream(_json_lines(rows) if output_format == "json" else _csv_lines(rows), output)
            return
        standings = obj.mf.audit(**filters)
        text = audit_table(standings) if standings else "no relationships match"
    if output is not None:
        output.write_text(text + "\n", encoding="utf-8")
        click.echo(f"wrote {output}")
    else:
        click.echo(text)


def _json_lines(standings: Iterable[Standing]) -> Iterator[str]:
    """The rows as one indented JSON array, a row at a time (the same text as dumping the whole list)."""
    opened = False
    for standing in standings:
        item = json.dumps(standing.to_dict(), indent=2, ensure_ascii=False)
        yield ("[\n" if not opened else ",\n") + "\n".join("  " + line for line in item.splitlines())
        opened = True
    yield "\n]\n" if opened else "[]\n"


def _csv_lines(standings: Iterable[Standing]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADERS)
    for row in _csv_rows(standings):
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _stream(lines: Iterator[str], output: Path | None) -> None:
    """Write an audit as it is read, so that memory stays flat however many relationships there are.

    A file is written beside its name and moved into place at the end, so a failed audit leaves no half file.
    """
    if output is None:
        for line in lines:
            click.echo(line, nl=False)
        return
    partial = output.with_name(output.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as file:
            file.writelines(lines)
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)
    click.echo(f"wrote {output}")


@cli.command()
@click.option("--dry-run", is_flag=True, help="List what would fire without firing it.")
@format_option()
@pass_context
def tick(obj: Context, dry_run: bool, output_format: str) -> None:
    """Fire every due timed transition (as the system), then refresh the audit's standing cache.

    Safe to run repeatedly and from several servers at once, e.g. daily from cron.
    """
    if dry_run:
        due = obj.mf.due()
        if output_format == "json":
            emit_json([transition.model_dump(mode="json") for transition in due])
            return
        for transition in due:
            click.echo(f"{transition.relationship}: would fire {transition.trigger}")
        if not due:
            click.echo("nothing is due")
        return
    events = obj.mf.tick()
    if output_format == "json":
        emit_json([event.model_dump(mode="json") for event in events])
        return
    fired = [e for e in events if e.kind == "transitioned"]
    for event in fired:
        click.echo(
            f"{event.relationship}: fired {event.payload.get('trigger')} "
            f"({event.payload.get('from')} -> {event.payload.get('to')})"
        )
    if not fired:
        click.echo("nothing is due")


@cli.command()
@format_option(listing=True)
@pass_context
def demo(obj: Context, output_format: str) -> None:
    """Create the schema if needed, fill the database with a realistic demo program, and print its audit."""
    import logging  # noqa: PLC0415 - the demo writes hundreds of events: keep its log to warnings

    from mentorflow.demo import build_demo  # noqa: PLC0415
    from mentorflow.logs import LOGGER_NAME  # noqa: PLC0415

    logging.getLogger(LOGGER_NAME).setLevel(WARNING)
    mf = obj.mf
    mf.upgrade()
    result = build_demo(mf, mf.now())
    standings = mf.audit()
    if output_format == "json":
        emit_json([standing.to_dict() for standing in standings])
        return
    if output_format == "csv":
        click.echo(render_csv(list(_csv_rows(standings)), CSV_HEADERS))
        return
    click.echo(audit_table(standings))
    click.echo("")
    click.echo(f"{result}", err=True)
