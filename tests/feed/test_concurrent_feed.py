"""Eight processes write while a reader polls the feed: every event is seen exactly once, in order, none skipped."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

from mentorflow.store.feed import Change
from tests.conftest import MakeMentorflow

WRITERS = 8
RELATIONSHIPS = 4
"""Per writer, each started and given two submissions: 12 events a writer."""

WRITER = textwrap.dedent(
    """
    import sys
    from mentorflow import Actor, Mentorflow
    from tests.content import valid

    mf = Mentorflow(sys.argv[1])
    for n in range(int(sys.argv[3])):
        rel = mf.start(
            "traditional-dyad", {"mentor": "ann", "mentee": "bob"}, actor=Actor.admin(), id=f"{sys.argv[2]}-{n}"
        ).id
        mf.submit(rel, "idp", valid("idp"), actor="bob")
        mf.submit(rel, "meeting", valid("meeting"), actor="ann")
    """
)


def test_a_poller_sees_every_concurrent_event_once_in_commit_order(make_mf: MakeMentorflow, db_url: str) -> None:
    mf = make_mf(clock=None)  # the writers' clock: the real one
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, db_url, f"w{n}", str(RELATIONSHIPS)]) for n in range(WRITERS)
    ]
    seen: list[Change] = []
    after = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = all(writer.poll() is not None for writer in writers)  # read before the poll: nothing may follow it
        page = mf.changes(after=after, limit=5)
        seen += page.changes
        after = page.next
        if done and not page.changes:
            break
        if not page.changes:
            time.sleep(0.01)
    assert [writer.wait(timeout=10) for writer in writers] == [0] * WRITERS
    assert [change.position for change in seen] == list(range(1, len(seen) + 1))
    histories = {
        rel: mf.history(rel) for rel in sorted({f"w{w}-{n}" for w in range(WRITERS) for n in range(RELATIONSHIPS)})
    }
    expected = {(rel, event.seq) for rel, events in histories.items() for event in events}
    assert sorted((c.relationship, c.seq) for c in seen) == sorted(expected)
    assert len(seen) == WRITERS * RELATIONSHIPS * 3
    for rel, events in histories.items():
        mine = [c for c in seen if c.relationship == rel]
        assert [(c.seq, c.id) for c in mine] == [(e.seq, f"evt_{e.hash[:32]}") for e in events]
