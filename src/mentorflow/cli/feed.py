"""The ``changes`` command: the change feed as JSON lines, for a program in any language to follow (DESIGN §14).

It prints one change per line and nothing else, so that ``mentorflow changes --follow | consumer`` needs no
parsing beyond a JSON decoder per line. Each line is flushed as it is printed: a follower sees a change as soon as
it is numbered.
"""

from __future__ import annotations

import json
import time

import click

from mentorflow.cli.app import Context, Seconds, cli, pass_context

__all__ = ["changes"]

PAGE = 1000
"""Changes read per query when no ``--limit`` is given."""


@cli.command()
@click.option(
    "--after",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    metavar="N",
    help="Print the changes after position N (the last position you have seen).",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1, max=PAGE),
    metavar="N",
    help=f"Print at most N changes (1 to {PAGE}).  [default: every change after N]",
)
@click.option(
    "--follow",
    is_flag=True,
    help="Keep running and print each change as it is committed, until interrupted.",
)
@click.option(
    "--interval",
    type=Seconds(0.05),
    default=1.0,
    show_default=True,
    metavar="SECONDS",
    help="With --follow, how long to wait between polls when nothing is new.",
)
@pass_context
def changes(obj: Context, after: int, limit: int | None, follow: bool, interval: float) -> None:
    """Print committed events and reminders in commit order, one JSON object per line.

    A reader that passes the last position it printed never misses a change and never sees one twice, however
    many processes write at once.
    """
    obj.require_administrator("changes")  # every change of every pair: the platform's, not a person's
    try:
        _print(obj, after, limit, follow, interval)
    except KeyboardInterrupt:  # how a follower is stopped: not a failure
        return


def _print(obj: Context, after: int, limit: int | None, follow: bool, interval: float) -> None:
    left = limit
    while True:
        page = obj.mf.changes(after=after, limit=PAGE if left is None else min(left, PAGE))
        for change in page.changes:
            click.echo(json.dumps(change.to_dict(), ensure_ascii=False, separators=(",", ":")))
        after = page.next
        if left is not None:
            left -= len(page.changes)
            if left <= 0:
                return
        if page.changes:
            continue
        if not follow:
            return
        time.sleep(interval)
