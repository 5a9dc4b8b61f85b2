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
from mentorflow.cli.output import emit_json, render_csv, render_table, write_file

if TYPE_CHECKING:
    from mentorflow.engine.reminders import Reminder
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


def _next_due(standing: Standing) -> str:
    """The date of the soonest obligation not yet overdue (what is missing shows under WAITING ON)."""
    late = {(o.requirement, o.due_at) for o in standing.overdue}
    coming = [d.due_at for d in standing.due if (d.requirement, d.due_at) not in late]
    return f"{min(coming):%Y-%m-%d}" if coming else "-"


def _forced(standing: Standing) -> str:
    """The trigger last forced, and how many more were (who and why are in JSON and CSV)."""
    if not standing.overrides:
        return "-"
    more = len(standing.overrides) - 1
    return standing.overrides[-1].trigger + (f" +{more}" if more else "")


def audit_table(
    standings: Sequence[Standing], width: int | None = None, *, due: bool = False, forced: bool = False
) -> str:
    """The audit as one table per workflow that fits ``width`` columns, people and blockers summarised; ``due``
    and ``forced`` add the columns that answer ``--due-within`` and ``--forced``."""
    width = width or _width()
    extra = [(name, cell) for name, cell, shown in (("DUE", _next_due, due), ("FORCED", _forced, forced)) if shown]
    sections = []
    for workflow in sorted({s.workflow for s in standings}):
        rows = [
            [s.id, s.state, s.days_in_state, _people(s), *(cell(s) for _, cell in extra), _waiting(s)]
            for s in standings
            if s.workflow == workflow
        ]
        # Narrow the people first and the waiting-on column last: it is what an administrator reads the table for.
        # Ids are never shortened, so that any of them can be pasted into `status`.
        last = 4 + len(extra)
        table = render_table(
            rows,
            ["ID", "STATE", "DAYS", "PEOPLE", *(name for name, _ in extra), "WAITING ON"],
            width=width - 2,
            shrink=[(3, 10), (1, 12), (3, 6), (last, 24), (1, 8), *((4 + i, 10) for i in range(len(extra)))],
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
            "; ".join(f"{d.requirement}@{d.due_at.isoformat()}" for d in s.due),
            "; ".join(f"{o.seq}:{o.trigger}:{o.by}:{o.reason}" for o in s.overrides),
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
    "due",
    "overrides",
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
    "--due-within",
    "due_within",
    metavar="DAYS",
    help="Only those with an obligation not yet overdue that falls due within DAYS days; adds a DUE column.",
)
@click.option("--forced", is_flag=True, help="Only those that had a forced transition; adds a FORCED column.")
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
    due_within: str | None,
    forced: bool,
    show_summary: bool,
    output_format: str,
    output: Path | None,
) -> None:
    """Where each relationship stands: what can happen next, what blocks it, what is overdue."""
    obj.require_administrator("audit")  # every pair's people and what they owe: a person sees their own (`person`)
    filters: dict[str, Any] = {
        "workflow": workflow,
        "program": program,
        "state": state,
        "phase": phase,
        "stalled_days": stalled_days,
        "overdue": overdue,
        "blocked": blocked,
        "person": person_id,
        "due_within": _whole_days(due_within, "--due-within"),
        "forced": forced,
    }
    if output_format == "html":
        if output is None:
            raise click.UsageError("--format html needs --output FILE")
        from mentorflow.audit.report import render_html  # noqa: PLC0415

        # Every filter reaches the report as it reaches the table: overview lists the rows audit would.
        summary, standings = obj.mf.overview(**filters)
        title = "Mentoring program audit" + (f": {program}" if program else "")
        page = render_html(
            summary,
            standings,
            stalled_days=30 if stalled_days is None else stalled_days,
            due_days=7 if filters["due_within"] is None else filters["due_within"],
            title=title,
            filters=filters,
        )
        write_file(output, lambda file: file.write(page))
        click.echo(f"wrote {output} ({len(standings)} relationships)")
        return
    if show_summary:
        _summary_filters_only(filters)
        summary = obj.mf.summary(workflow=workflow, program=program, state=state, phase=phase)
        text = (
            json.dumps(summary.model_dump(mode="json"), indent=2)
            if output_format == "json"
            else _summary_csv(summary)
            if output_format == "csv"
            else summary_text(summary)
        )
    else:
        if output_format in ("json", "csv"):
            rows = obj.mf.iter_audit(**filters)
            _stream(_json_lines(rows) if output_format == "json" else _csv_lines(rows), output)
            return
        standings = obj.mf.audit(**filters)
        text = (
            audit_table(standings, due=due_within is not None, forced=forced) if standings else "no relationships match"
        )
    if output is not None:
        output.write_text(text + "\n", encoding="utf-8")
        click.echo(f"wrote {output}")
    else:
        click.echo(text)


ROW_FILTERS = {
    "stalled_days": "--stalled",
    "overdue": "--overdue",
    "blocked": "--blocked",
    "person": "--person",
    "due_within": "--due-within",
    "forced": "--forced",
}
"""The filters that choose rows, not what the figures of a summary count."""


def _summary_filters_only(filters: dict[str, Any]) -> None:
    """A summary counts what --workflow/--program/--state/--phase select; a row filter would be silently ignored."""
    given = [option for name, option in ROW_FILTERS.items() if filters[name] not in (None, False)]
    if given:
        from mentorflow.errors import InvalidInput  # noqa: PLC0415

        raise InvalidInput(
            f"--summary counts relationships by workflow, program, state and phase and lists no rows, "
            f"so {', '.join(given)} would be ignored",
            hint="Leave out --summary to list the matching rows, or --format html for figures and rows together.",
        )


def _whole_days(text: str | None, option: str) -> int | None:
    """A number of days given on the command line; not a whole number is bad input (exit 1), as a negative is."""
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        from mentorflow.errors import InvalidInput  # noqa: PLC0415

        raise InvalidInput(f"{option} takes a number of days, got {text!r}", hint="Pass a whole number.") from None


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

    A file is written whole or not at all (``write_file``), so a failed audit leaves no half file.
    """
    if output is None:
        for line in lines:
            click.echo(line, nl=False)
        return
    write_file(output, lambda file: file.writelines(lines), newline="")
    click.echo(f"wrote {output}")


@cli.command()
@click.option("--dry-run", is_flag=True, help="List what would fire and the reminders it would record; write nothing.")
@format_option()
@pass_context
def tick(obj: Context, dry_run: bool, output_format: str) -> None:
    """Fire every due timed transition (as the system), record the reminders that have come, refresh the cache.

    Each reminder is recorded once, addressed to the people who must act. Safe to run repeatedly and from several
    servers at once, e.g. daily from cron. JSON: {"events", "reminders"} ({"due", "reminders"} with --dry-run).
    """
    if dry_run:
        due, owed = obj.mf.due(), obj.mf.due_reminders()
        lines = [f"{t.relationship}: would fire {t.trigger}" for t in due]
        lines += [f"{r.relationship}: would remind {_reminded(r)}" for r in owed]
        found: dict[str, Any] = {"due": due, "reminders": owed}
    else:
        result = obj.mf.run_tick()
        fired = [e for e in result.events if e.kind == "transitioned"]
        lines = [
            f"{e.relationship}: fired {e.payload.get('trigger')} ({e.payload.get('from')} -> {e.payload.get('to')})"
            for e in fired
        ]
        lines += [f"{r.relationship}: reminded {_reminded(r)}" for r in result.reminders]
        found = {"events": result.events, "reminders": result.reminders}
    if output_format == "json":
        emit_json({key: [value.model_dump(mode="json") for value in values] for key, values in found.items()})
        return
    click.echo("\n".join(lines) if lines else "nothing is due")


def _reminded(reminder: Reminder) -> str:
    """``bob of `agreement signed within 30 days`, due 2026-10-20 (7 days before)``.

    The parenthesis names the reminder by its place in the cadence, counted from the due date, not from today: a
    tick run late records the latest reminder whose moment has come, which may be some days past that moment.
    """
    days = abs(reminder.offset_days)
    count = f"{days} day{'s' if days != 1 else ''}"
    when = f"{count} before" if reminder.offset_days < 0 else f"{count} after" if days else "on the day"
    people = ", ".join(reminder.people) or "(nobody named)"
    return f"{people} of `{reminder.requirement}`, due {reminder.due_at:%Y-%m-%d} ({when})"


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
