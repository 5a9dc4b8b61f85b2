"""Helpers shared by the CLI tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from click.testing import Result

Invoke = Callable[..., Result]


def as_json(result: Result) -> Any:
    """The JSON a command printed on stdout."""
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)
