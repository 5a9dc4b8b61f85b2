"""A bounded webhook receiver on 127.0.0.1 for the tests: it records every request and answers as it is told."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes
    started: float
    ended: float = 0.0


@dataclass
class Receiver:
    """Requests seen, in arrival order; ``answer(request) -> status`` decides each answer (200 by default)."""

    url: str = ""
    requests: list[Request] = field(default_factory=list)
    answer: Callable[[Request], int] = lambda _request: 200
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ids(self) -> list[str]:
        with self.lock:
            return [request.headers["webhook-id"] for request in self.requests]


@contextmanager
def receiving(answer: Callable[[Request], int] | None = None) -> Iterator[Receiver]:
    """Serve on a free port of 127.0.0.1 for the duration of the block."""
    receiver = Receiver()
    if answer is not None:
        receiver.answer = answer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the worker's client expects

        def do_POST(self) -> None:
            started = time.monotonic()
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            if len(body) < length:  # the worker was killed mid-request: nothing was received
                self.close_connection = True
                return
            request = Request(self.path, {k.lower(): v for k, v in self.headers.items()}, body, started)
            status = receiver.answer(request)
            request.ended = time.monotonic()
            with receiver.lock:
                receiver.requests.append(request)
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("location", "http://127.0.0.2:9/elsewhere")
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            return

    class Server(ThreadingHTTPServer):
        def handle_error(self, _request: object, _client_address: object) -> None:
            return  # a worker killed mid-request resets its connection: that is what the tests do

    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
