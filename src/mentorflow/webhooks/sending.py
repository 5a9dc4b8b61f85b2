"""Signing and sending one change to one endpoint, and when to try again: the HTTP half of the webhooks.

Kept apart from the outbox so that the one importer of httpx is small. The client follows no redirects and reads
no proxy settings from the environment: the only address ever requested is the URL the operator registered.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import os
import random

import httpx
import orjson

from mentorflow.errors import EndpointSecretInvalid, EndpointUrlInvalid

__all__ = ["ATTEMPTS", "Answer", "check_url", "client", "delay", "load_secret", "send", "sign"]

ATTEMPTS = 8
"""Attempts before a change is dead-lettered: the first, then seven retries spread over 24 to 30 hours."""
FIRST_RETRY = 5.0
FACTOR = 5.3
JITTER = 0.2
"""Each delay is cut by up to this share at random, so that retries after an outage do not arrive in step."""


def check_url(url: str) -> str:
    """The URL, if it is an absolute http(s) URL with a host."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise EndpointUrlInvalid(f"{url!r} is not a URL: {exc}") from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise EndpointUrlInvalid(f"{url!r} is not an absolute http:// or https:// URL with a host")
    if parsed.port is not None and not 0 < parsed.port < 65536:  # noqa: PLR2004 - TCP's port range
        raise EndpointUrlInvalid(f"{url!r} names port {parsed.port}; ports run from 1 to 65535")
    return url


def load_secret(variable: str) -> bytes:
    """The HMAC key held by environment variable ``variable``: Standard Webhooks' ``whsec_`` + base64."""
    value = os.environ.get(variable)
    hint = f"Set {variable} to whsec_ followed by base64, e.g. whsec_$(head -c 24 /dev/urandom | base64)."
    if not value:
        raise EndpointSecretInvalid(f"environment variable {variable} is not set", hint=hint)
    try:
        key = base64.b64decode(value.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if not value.startswith("whsec_") or not key:
        raise EndpointSecretInvalid(f"environment variable {variable} does not hold whsec_ + base64", hint=hint)
    return key


def sign(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header: ``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body``."""
    mac = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


def delay(attempts: int, rng: random.Random) -> dt.timedelta:
    """How long to wait after the ``attempts``-th failed attempt: 4 to 5 s after the first, then 5.3 times longer."""
    return dt.timedelta(seconds=FIRST_RETRY * FACTOR ** (attempts - 1) * (1 - JITTER * rng.random()))


def client(timeout: float, connections: int) -> httpx.Client:
    """A keep-alive client shared by the sending threads."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False, limits=limits)


Answer = int | str
"""An HTTP status, or a description of why no answer came (a time-out, a refused connection)."""


def send(http: httpx.Client, url: str, key: bytes, change: dict[str, object], now: dt.datetime) -> Answer:
    """POST one change as Standard Webhooks do; the status, or why there was none."""
    body = orjson.dumps(change)
    timestamp = int(now.timestamp())
    message_id = str(change["id"])
    headers = {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(key, message_id, timestamp, body),
    }
    try:
        return http.post(url, content=body, headers=headers).status_code
    except httpx.TimeoutException:
        return "timed out"
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"
