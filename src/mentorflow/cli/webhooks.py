"""The ``endpoint`` and ``deliver`` commands: registering webhook endpoints and running the delivery worker (§14).

``deliver`` stops on SIGINT or SIGTERM after the batch in hand is settled; a worker killed harder resumes from the
database (its leases expire), so stopping it is never a way to lose a change.
"""

from __future__ import annotations

import datetime as dt
import signal
import threading
from types import FrameType

import click

from mentorflow.cli.app import Context, Seconds, cli, format_option, pass_context
from mentorflow.cli.output import emit_json, render_table
from mentorflow.errors import EndpointSecretInvalid

__all__ = ["deliver", "endpoint"]


@cli.group()
def endpoint() -> None:
    """Webhook endpoints: where the worker (`deliver`) posts each change. For administrators."""


@endpoint.command("add")
@click.argument("name")
@click.argument("url")
@click.option("--kinds", metavar="K,...", help="Send only these kinds of change.  [default: every kind]")
@click.option(
    "--secret-env",
    required=True,
    metavar="VAR",
    help="The environment variable holding the signing secret (whsec_ + base64); read when sending, never stored.",
)
@pass_context
def endpoint_add(obj: Context, name: str, url: str, kinds: str | None, secret_env: str) -> None:
    """Register endpoint NAME at URL; it receives the changes committed from now on."""
    obj.require_administrator("endpoint add")
    chosen = [kind.strip() for kind in (kinds or "").split(",") if kind.strip()]
    if kinds is not None and not chosen:  # `--kinds ''` is no kind named, not every kind
        raise click.UsageError("--kinds names no kind; leave it out to send every kind")
    added = obj.mf.webhooks.add(name, url, kinds=chosen, secret_env=secret_env)
    click.echo(f"added endpoint {added.name}: {added.url}")


@endpoint.command("list")
@format_option()
@pass_context
def endpoint_list(obj: Context, output_format: str) -> None:
    """The endpoints, whether each is disabled (it answered 410 Gone), and its dead letters."""
    obj.require_administrator("endpoint list")
    found = obj.mf.webhooks.list()
    if output_format == "json":
        emit_json([e.model_dump(mode="json") for e in found])
        return
    rows = [[e.name, e.url, ",".join(e.kinds) or "*", "yes" if e.disabled else "no", e.dead_letters] for e in found]
    click.echo(render_table(rows, ["NAME", "URL", "KINDS", "DISABLED", "DEAD LETTERS"]))


@endpoint.command("remove")
@click.argument("name")
@pass_context
def endpoint_remove(obj: Context, name: str) -> None:
    """Forget endpoint NAME and every delivery still owed to it."""
    obj.require_administrator("endpoint remove")
    obj.mf.webhooks.remove(name)
    click.echo(f"removed endpoint {name}")


@endpoint.command("enable")
@click.argument("name")
@pass_context
def endpoint_enable(obj: Context, name: str) -> None:
    """Deliver again to endpoint NAME after it answered 410 Gone: it gets every change it missed, in order."""
    obj.require_administrator("endpoint enable")
    obj.mf.webhooks.enable(name)
    click.echo(f"enabled endpoint {name}")


@cli.command()
@click.option("--once", is_flag=True, help="Make one pass over what is due now, then exit.")
@click.option("--poll", type=Seconds(0.01), default=1.0, show_default=True, metavar="SECONDS", help="Idle wait.")
@click.option(
    "--timeout",
    type=Seconds(0.01),
    default=10.0,
    show_default=True,
    metavar="SECONDS",
    help="How long one request may take before it counts as failed.",
)
@click.option(
    "--lease",
    type=Seconds(0.01),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="How long a claimed change is this worker's alone (a killed worker's changes wait this long).",
)
@pass_context
def deliver(obj: Context, once: bool, poll: float, timeout: float, lease: float) -> None:
    """Post each change to the endpoints that want it, until SIGINT or SIGTERM (or one pass with --once).

    A 2xx answer acknowledges; others and time-outs are retried with growing delays, eight attempts over at
    least a day; 410 Gone disables the endpoint. Run as many workers as you like. See docs/webhooks.md.
    """
    # The worker needs the database and the clock, not the whole library: starting it fast matters when workers
    # are restarted (a crash, a deploy), so it does not build a `Mentorflow`.
    from mentorflow.store import connect  # noqa: PLC0415 - keep `--help` fast
    from mentorflow.webhooks import Webhooks  # noqa: PLC0415

    fixed = obj.now
    hooks = Webhooks(
        connect(obj.db),
        (lambda: fixed) if fixed is not None else (lambda: dt.datetime.now(dt.UTC)),
        lease=dt.timedelta(seconds=lease),
        timeout=timeout,
    )
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {number: signal.signal(number, _stop) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        done = hooks.deliver(once=once, stop=stop, poll=poll)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        hooks.engine.dispose()
    click.echo(f"delivered {done.delivered}, failed {done.failed} (to retry), dead-lettered {done.dead}")
    if done.unsigned:
        reasons = "; ".join(f"{name}: {reason}" for name, reason in sorted(done.unsigned.items()))
        raise EndpointSecretInvalid(
            f"this worker could not sign for {len(done.unsigned)} endpoint(s), and sent them nothing: {reasons}",
            hint="Set the variable in this worker's environment; their changes wait, no attempt was counted.",
        )
