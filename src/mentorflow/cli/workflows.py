"""``mentorflow workflow ...``: list, show, validate, draw and describe the workflow language."""

from __future__ import annotations

import json
from pathlib import Path

import click

from mentorflow.cli.app import Context, cli, format_option, pass_context
from mentorflow.cli.output import emit_json, render_table
from mentorflow.errors import InvalidInput, MentorflowError

__all__ = ["workflow"]


@cli.group()
def workflow() -> None:
    """List, show, validate and draw workflows."""


@workflow.command("list")
@format_option(listing=True)
@pass_context
def list_(obj: Context, output_format: str) -> None:
    """The workflows known: built-in, from --workflows directories, and registered in the database."""
    from mentorflow.cli.output import render_csv  # noqa: PLC0415

    try:
        infos = obj.mf.workflows(database=obj.database_exists)
    except MentorflowError:  # an unreachable database or one without schema: list the files alone
        infos = obj.mf.workflows(database=False)
    rows = [[i.workflow, i.version, i.title, i.source] for i in infos]
    if output_format == "json":
        emit_json([info.model_dump() for info in infos])
    elif output_format == "csv":
        click.echo(render_csv(rows, ["workflow", "version", "title", "source"]))
    else:
        click.echo(render_table(rows, ["WORKFLOW", "VERSION", "TITLE", "SOURCE"]))


def _split_ref(reference: str) -> tuple[str, int | None]:
    name, _, version = reference.partition("@")
    if not version:
        return name, None
    if not version.isdigit():
        raise InvalidInput(f"{reference!r}: the version after @ must be a whole number", hint="e.g. group@2")
    return name, int(version)


@workflow.command()
@click.argument("reference", metavar="ID[@VERSION]")
@format_option()
@pass_context
def show(obj: Context, reference: str, output_format: str) -> None:
    """Show one workflow: roles, states, transitions with their requirements, obligations."""
    from mentorflow.definitions.render import describe, edge_label  # noqa: PLC0415

    name, version = _split_ref(reference)
    loaded = obj.mf.registry.get(name, version)
    definition = obj.mf.registry.bundle(name, version).workflow
    if output_format == "json":
        emit_json({"source": loaded.source, **definition.model_dump(mode="json", by_alias=True)})
        return
    lines = [f"{definition.workflow} v{definition.version}: {definition.title}  ({loaded.source})"]
    if definition.description:
        lines.append(definition.description)
    lines.append(
        "roles: "
        + ", ".join(f"{role} {c.min}..{c.max if c.max is not None else 'n'}" for role, c in definition.roles.items())
    )
    lines.append("phases: " + (" -> ".join(definition.phases) or "(none)"))
    lines.append("artifacts:")
    for slot, spec in definition.artifacts.items():
        extra = (", repeatable" + (f" (max {spec.max_items})" if spec.max_items else "")) if spec.repeatable else ""
        signed = f", signed by {'/'.join(spec.signed_by)}" if spec.signed_by else ""
        lines.append(f"  {slot}: {spec.kind}{extra}{signed}")
    lines.append("states:")
    for state_name, state in definition.states.items():
        flags = [flag for flag, on in (("initial", state.initial), ("final", state.final)) if on]
        flags += [f"phase {state.phase}"] if state.phase else []
        flags += [f"outcome {state.outcome}"] if state.outcome else []
        lines.append(f"  {state_name} ({', '.join(flags)})" if flags else f"  {state_name}")
        for obligation in state.obligations:
            timing = (
                f"within {obligation.within_days} days"
                if obligation.within_days is not None
                else f"every {obligation.every_days} days"
            )
            lines.append(f"    obligation: {describe(obligation)} {timing}")
    lines.append("transitions:")
    for transition in definition.transitions:
        sources = "*" if transition.from_ == "*" else ", ".join(definition.sources(transition))
        lines.append(f"  {sources} -> {transition.to}: {edge_label(transition)}")
    click.echo("\n".join(lines))


@workflow.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too, not only on errors.")
@format_option()
@pass_context
def validate(obj: Context, paths: tuple[Path, ...], strict: bool, output_format: str) -> None:
    """Validate workflow and artifact-kind files (or directories of them); exit 1 listing every problem.

    Warnings (legal but suspect definitions, such as a slot nothing requires) are listed too; they fail the
    command only with --strict.
    """
    from mentorflow.definitions import is_warning, validate_paths  # noqa: PLC0415

    found = validate_paths(list(paths), [Path(d) for d in obj.workflow_dirs], warnings=True)
    warnings = [p for p in found if is_warning(p)]
    errors = len(found) - len(warnings)
    if output_format == "json":
        emit_json(
            [
                {
                    "file": p.file,
                    "line": p.line,
                    "column": p.column,
                    "code": p.code,
                    "severity": "warning" if is_warning(p) else "error",
                    "message": p.message,
                    "hint": p.hint,
                }
                for p in found
            ]
        )
    else:
        for problem in found:
            where = f"{problem.file}:{problem.line}:{problem.column}"
            click.echo(f"{where}: warning[{problem.code}]: {problem.message}" if is_warning(problem) else str(problem))
            if problem.hint:
                click.echo(f"  hint: {problem.hint}")
        if not errors and not (strict and warnings):
            noted = f" ({len(warnings)} warning{'s' if len(warnings) > 1 else ''})" if warnings else ""
            click.echo(f"ok: {', '.join(map(str, paths))} valid{noted}")
    if errors:
        click.echo(f"error[definition.invalid]: {errors} problem{'s' if errors > 1 else ''} found", err=True)
        raise click.exceptions.Exit(1)
    if strict and warnings:
        count = len(warnings)
        click.echo(f"error[definition.invalid]: {count} warning{'s' if count > 1 else ''} found (--strict)", err=True)
        raise click.exceptions.Exit(1)


@workflow.command()
@click.argument("reference", metavar="ID|PATH")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["mermaid", "dot"]),
    default="mermaid",
    show_default=True,
    help="Diagram language.",
)
@pass_context
def diagram(obj: Context, reference: str, output_format: str) -> None:
    """Draw a workflow's states and transitions; each edge shows its trigger and requirements."""
    from mentorflow.definitions.render import dot, mermaid  # noqa: PLC0415

    path = Path(reference)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        bundle = obj.mf.registry.load_file(path)
    else:
        bundle = obj.mf.registry.bundle(*_split_ref(reference))
    click.echo((mermaid if output_format == "mermaid" else dot)(bundle.workflow), nl=False)


@workflow.command()
@click.argument("which", type=click.Choice(["workflow", "kind", "scenario"]), default="workflow")
def schema(which: str) -> None:
    """Print the JSON Schema of workflow, artifact kind or scenario files, for editors' YAML plugins."""
    from mentorflow.definitions.models import Kind, Workflow  # noqa: PLC0415

    if which == "scenario":
        from mentorflow.scenarios import scenario_schema  # noqa: PLC0415

        click.echo(json.dumps(scenario_schema(), indent=2))
        return
    model = Workflow if which == "workflow" else Kind
    document = model.model_json_schema(by_alias=True)
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = f"mentorflow {which} definition"
    click.echo(json.dumps(document, indent=2))


@workflow.command("test")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--coverage", is_flag=True, help="Also list the transitions, requirements and obligations untried.")
@format_option()
@pass_context
def test_(obj: Context, paths: tuple[Path, ...], coverage: bool, output_format: str) -> None:
    """Run scenario files (or directories of them), each on its own in-memory database; exit 1 if any fails.

    Prints PASS NAME or FAIL FILE:LINE:COL: WHAT DIFFERED for each scenario, then a count. --db is never used;
    --workflows adds the workflows under test.
    """
    import logging  # noqa: PLC0415

    from mentorflow.logs import LOGGER_NAME  # noqa: PLC0415
    from mentorflow.scenarios import run_paths  # noqa: PLC0415

    logging.getLogger(LOGGER_NAME).setLevel(logging.WARNING)  # the scenarios' writes are not news
    report = run_paths(list(paths), obj.workflow_dirs, coverage=coverage)
    if output_format == "json":
        emit_json(report.to_dict())
    else:
        for result in report.results:
            if result.passed:
                click.echo(f"PASS {result.name}")
            for failure in result.failures:
                click.echo(f"FAIL {result.file}:{failure.line}:{failure.column}: {failure.message}")
                if failure.hint:
                    click.echo(f"  hint: {failure.hint}")
        if report.gaps is not None:
            for totals in report.totals:
                parts = [f"{totals[k]['exercised']} of {totals[k]['total']} {k}s" for k in _COUNTED]
                click.echo(f"coverage {totals['workflow']} v{totals['version']}: " + ", ".join(parts))
            for gap in report.gaps:
                click.echo(f"  untried {gap.workflow} v{gap.version}: {gap.message}")
        click.echo(f"{report.passed} passed, {report.failed} failed")
    if report.failed:
        total = len(report.results)
        click.echo(
            f"error[scenario.failed]: {report.failed} of {total} scenario{'s' if total > 1 else ''} failed", err=True
        )
        raise click.exceptions.Exit(1)


_COUNTED = ("transition", "requirement", "obligation")
