"""docs/webhooks.md's receiver checks the signatures the worker makes, and refuses what it should."""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mentorflow.webhooks.sending import sign

PAGE = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"
SECRET = "whsec_" + base64.b64encode(b"docs secret").decode()


@pytest.fixture(scope="module")
def verify() -> Callable[..., Any]:
    (code,) = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.DOTALL)
    namespace: dict[str, Any] = {}
    exec(code, namespace)  # noqa: S102 - the page's own example
    return namespace["verify"]  # type: ignore[no-any-return]


def _headers(body: bytes, timestamp: int, secret: str = SECRET) -> dict[str, str]:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    return {
        "webhook-id": "evt_1",
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(key, "evt_1", timestamp, body),
    }


def test_the_receiver_accepts_the_workers_signature(verify: Callable[..., Any]) -> None:
    """A body signed as the worker signs it is accepted and parsed."""
    body = b'{"id":"evt_1","kind":"started"}'
    assert verify(SECRET, _headers(body, int(time.time())), body) == {"id": "evt_1", "kind": "started"}


@pytest.mark.parametrize(
    ("change", "message"),
    [("body", "bad signature"), ("secret", "bad signature"), ("old", "too old")],
)
def test_the_receiver_refuses(verify: Callable[..., Any], change: str, message: str) -> None:
    """A changed body, another secret or an old timestamp is refused."""
    body = b'{"id":"evt_1"}'
    now = int(time.time()) - (1000 if change == "old" else 0)
    headers = _headers(body, now, "whsec_" + base64.b64encode(b"other").decode() if change == "secret" else SECRET)
    with pytest.raises(ValueError, match=message):
        verify(SECRET, headers, body + (b" " if change == "body" else b""))
