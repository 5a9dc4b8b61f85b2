"""Webhook delivery throughput: changes per second from the feed to a local receiver answering 200.

``deliver_throughput`` fills the feed with ``CHANGES`` changes spread over ``RELATIONSHIPS`` relationships (a
relationship's changes go one at a time, in order), registers one endpoint, and times one ``deliver --once`` pass
through the library: queueing, claiming in batches, signing, posting over keep-alive connections, settling. The
receiver is a plain ``http.server`` in a process of its own, so that it does not share the worker's interpreter.
The target is at least 500 changes a second. ``python bench/deliver.py`` runs this figure alone.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text
from timing import WORK, Result, Stopwatch, quiet, result, scale

from mentorflow import Mentorflow

CHANGES = {"full": 5000, "small": 1000}
RELATIONSHIPS = 500
VARIABLE = "BENCH_HOOK_SECRET"
SECRET = "whsec_" + base64.b64encode(b"bench secret, 24 bytes..").decode()
RECEIVER = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers["content-length"]))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def _fill(mf: Mentorflow, count: int) -> None:
    """``count`` unnumbered changes, as writers leave them, round-robin over the relationships."""
    rows = [
        {
            "change_id": f"evt_{number:032x}",
            "rel": f"rel-{number % RELATIONSHIPS}",
            "seq": number // RELATIONSHIPS + 1,
        }
        for number in range(count)
    ]
    with mf.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO mentorflow_changes (change_id, kind, relationship_id, seq, at, people, payload)"
                " VALUES (:change_id, 'submitted', :rel, :seq, '2026-03-02 09:00:00', '[\"ann\", \"bob\"]',"
                ' \'{"slot": "idp", "revision": 1}\')'
            ),
            rows,
        )


def throughput(work: Path, count: int, watch: Stopwatch) -> float:
    """Changes per second delivered by one worker pass."""
    receiver = subprocess.Popen([sys.executable, "-c", RECEIVER], stdout=subprocess.PIPE, text=True)
    try:
        port = int(receiver.stdout.readline()) if receiver.stdout else 0
        mf = Mentorflow(f"sqlite:///{work / 'deliver.db'}")
        mf.upgrade()
        os.environ[VARIABLE] = SECRET
        mf.webhooks.add("bench", f"http://127.0.0.1:{port}/hooks", secret_env=VARIABLE)
        _fill(mf, count)
        started = time.perf_counter()
        done = mf.webhooks.deliver(once=True)
        seconds = time.perf_counter() - started
        if done.delivered != count:
            raise SystemExit(f"delivered {done.delivered} of {count} changes: {done}")
        mf.engine.dispose()
    finally:
        receiver.kill()
        receiver.wait()
    watch.say(f"deliver_throughput: {count} changes in {seconds:.2f} s, {count / seconds:.0f}/s")
    return count / seconds


def figures(work: Path, chosen_name: str, watch: Stopwatch) -> list[Result]:
    rate = throughput(work, CHANGES[chosen_name], watch)
    # A floor, not a ceiling: the checked value is seconds per 500 changes, which must stay under one.
    per_500 = 500 / rate
    row = result("deliver_throughput", per_500, "s", 1.0, max_value=1.0, note=f"{rate:.0f} changes/s (target >= 500)")
    return [row]


def main() -> None:
    chosen, watch = scale(), Stopwatch()
    quiet()
    work = WORK / f"{chosen.name}-deliver"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        rows = figures(work, chosen.name, watch)
    finally:
        if os.environ.get("BENCH_KEEP") != "1":
            shutil.rmtree(work, ignore_errors=True)
    for row in rows:
        print(f"{row.name:<20} {row.value:.3f} {row.unit}  {'PASS' if row.passed else 'MISS'}  {row.note}")


if __name__ == "__main__":
    main()
