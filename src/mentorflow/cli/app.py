"""The ``mentorflow`` command: global options, the shared context, and error handling for every command.

Commands import the library lazily, so ``mentorflow --help`` stays about as fast as importing click. Only
``MentorflowError`` is expected; anything else is a bug, reported in one line unless ``--traceback`` is given.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from mentorflow.cli.output import print_error
from mentorflow.errors import InvalidInput, MentorflowError, NoActor, NotAllowed

if TYPE_CHECKING:
    from mentorflow.identifiers import Actor
    from mentorflow.service import Mentorflow

__all__ = ["Context", "cli", "format_option", "main", "pass_context"]

DEFAULT_DB = "sqlite:///mentorflow.db"
INFO, WARNING = 20, 30
"""logging's levels, spelled here so that `--help` does not import logging."""
F = TypeVar("F", bound=Callable[..., Any])


def parse_now(value: str) -> dt.datetime:
    """A date or datetime in ISO form; naive values are UTC."""
    text = value.strip()
    hint = "Use e.g. 2026-09-01 or 2026-09-01T14:00:00Z."
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"--now {value!r} is not an ISO date or datetime", hint=hint) from None
    try:
        return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
    except OverflowError:  # its UTC falls before the year 1 or after 9999
        raise InvalidInput(f"--now {value!r} is outside the years mentorflow keeps", hint=hint) from None


class Seconds(click.FloatRange):
    """A number of seconds from ``least`` to a day: never ``nan`` (which no bound refuses) nor ``inf``."""

    def __init__(self, least: float) -> None:
        super().__init__(min=least, max=86_400)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        seconds = super().convert(value, param, ctx)
        if seconds != seconds:  # noqa: PLR0124 - only nan differs from itself
            self.fail(f"{value!r} is not a number of seconds.", param, ctx)
        return seconds


@dataclass
class Context:
    """What every command shares: the database, extra workflows, the actor and the clock."""

    db: str = DEFAULT_DB
    workflow_dirs: list[str] = field(default_factory=list)
    actor_name: str | None = None
    admin: bool = False
    now_text: str | None = None
    show_traceback: bool = False
    _mf: Mentorflow | None = None

    @property
    def now(self) -> dt.datetime | None:
        return parse_now(self.now_text) if self.now_text else None

    @property
    def mf(self) -> Mentorflow:
        if self._mf is None:
            from mentorflow.service import Mentorflow  # noqa: PLC0415 - keep `--help` fast

            fixed = self.now
            self._mf = Mentorflow(
                self.db, workflow_dirs=self.workflow_dirs, clock=(lambda: fixed) if fixed is not None else None
            )
        return self._mf

    @property
    def actor(self) -> Actor:
        from mentorflow.identifiers import Actor  # noqa: PLC0415 - keep `--help` fast

        if self.admin:
            return Actor.admin("admin" if self.actor_name is None else self.actor_name)
        if self.actor_name is None:
            raise NoActor(
                "this command needs to know who is acting",
                hint="Pass --as PERSON (or set MENTORFLOW_ACTOR), or --admin for an administrator.",
            )
        return Actor.person(self.actor_name)

    def require_administrator(self, command: str) -> None:
        """Refuse an administrators' command to a person named without ``--admin``; the bare operator is trusted."""
        if self.actor_name is not None and not self.admin:
            raise NotAllowed(
                f"{self.actor_name} may not run `{command}`: it is for administrators",
                hint="Add --admin to act as an administrator, or run it without --as as the operator.",
                actor=self.actor_name,
            )

    @property
    def database_exists(self) -> bool:
        """False for an SQLite file that is not there yet, so that read-only commands do not create it."""
        url = self.mf.engine.url
        return (
            url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:") or Path(url.database).exists()
        )

    def close(self) -> None:
        if self._mf is not None:
            self._mf.engine.dispose()


pass_context = click.make_pass_decorator(Context)


def format_option(*, listing: bool = False) -> Callable[[F], F]:
    choices = ["table", "json", *(["csv"] if listing else [])]
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(choices),
        default="table",
        show_default=True,
        help="How to print the result.",
    )


class _Group(click.Group):
    """Turns library errors into ``error[CODE]`` lines and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MentorflowError as error:
            print_error(error)
            ctx.exit(1)
        except BrokenPipeError:
            # The reader went away (`mentorflow audit | head`): that is how a pipe ends, not a failure.
            _silence_stdout()
            ctx.exit(0)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except Exception as error:  # noqa: BLE001 - the last line of defence: one line, no traceback
            obj = ctx.find_object(Context)
            if obj is not None and obj.show_traceback:
                import traceback  # noqa: PLC0415 - only on the error path

                traceback.print_exc()
            click.echo(f"error[internal]: {type(error).__name__}: {error}", err=True)
            click.echo("hint: this is a bug in mentorflow; rerun with --traceback and report it.", err=True)
            ctx.exit(1)
        return None


def _silence_stdout() -> None:
    """Point stdout at the null device, so that the interpreter's last flush does not fail on the closed pipe."""
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return  # not a real file (a test runner's buffer): nothing will be flushed to a pipe
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, descriptor)
    os.close(null)


def _configure_logging(log_format: str, level: int = INFO) -> None:
    """Render the library's events on stderr, as console lines or JSON; the library itself configures nothing."""
    import logging  # noqa: PLC0415 - only the CLI configures logging, and only when it runs a command

    import structlog  # noqa: PLC0415

    from mentorflow.logs import LOGGER_NAME  # noqa: PLC0415

    renderer: Any = (
        structlog.processors.JSONRenderer() if log_format == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.stdlib.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        cache_logger_on_first_use=False,
    )
    logger = logging.getLogger(LOGGER_NAME)
    for old in [handler for handler in logger.handlers if handler.get_name() == _HANDLER]:
        logger.removeHandler(old)  # one process may run several commands (CliRunner): one handler at a time
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(processor=renderer))
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False


_HANDLER = "mentorflow-cli"


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--db",
    envvar="MENTORFLOW_DB",
    default=DEFAULT_DB,
    show_default=True,
    metavar="URL",
    help="SQLAlchemy database URL (postgresql+psycopg://... for PostgreSQL).",
)
@click.option(
    "--workflows",
    "workflow_dirs",
    envvar="MENTORFLOW_WORKFLOWS",
    multiple=True,
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="Extra directory of workflow and kind YAML (repeatable; "
    "MENTORFLOW_WORKFLOWS takes os.pathsep-separated directories).",
)
@click.option("--as", "actor_name", envvar="MENTORFLOW_ACTOR", metavar="PERSON", help="Who is acting.")
@click.option("--admin", is_flag=True, help="Act as a program administrator (named by --as, else 'admin').")
@click.option(
    "--now",
    "now_text",
    envvar="MENTORFLOW_NOW",
    metavar="ISO",
    help="The current time (date or datetime, UTC) for audits 'as of' a date.  [default: the real clock]",
)
@click.option(
    "--log-format",
    type=click.Choice(["console", "json"]),
    envvar="MENTORFLOW_LOG_FORMAT",
    default="console",
    show_default=True,
    help="Format of the structured logs on stderr.",
)
@click.option("--traceback", "show_traceback", is_flag=True, help="Show Python tracebacks of internal errors.")
@click.version_option(package_name="mentorflow")
@click.pass_context
def cli(
    ctx: click.Context,
    db: str,
    workflow_dirs: tuple[str, ...],
    actor_name: str | None,
    admin: bool,
    now_text: str | None,
    log_format: str,
    show_traceback: bool,
) -> None:
    """Run mentoring programs: relationships as guarded state machines with a tamper-evident log."""
    dirs = [part for entry in workflow_dirs for part in entry.split(os.pathsep) if part]
    obj = Context(db, dirs, actor_name, admin, now_text, show_traceback)
    ctx.obj = obj
    ctx.call_on_close(obj.close)
    _configure_logging(log_format)


def main() -> None:
    cli.main(prog_name="mentorflow")
