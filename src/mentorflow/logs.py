"""The library's logger: structured events handed to the standard library's ``logging``, configured by the platform.

A library must print nothing that its host did not ask for (person ids included). So mentorflow's events go to
the ``mentorflow`` logger of the standard library, which has only a ``NullHandler`` of its own, as the logging
HOWTO asks of libraries: a platform sees them once it configures logging (and structlog, for rendering), and the
CLI configures both. An event below the logger's effective level costs one level check, nothing more.
"""

from __future__ import annotations

import logging
from typing import Any

import structlog

__all__ = ["LOGGER_NAME", "Log"]

LOGGER_NAME = "mentorflow"
logging.getLogger(LOGGER_NAME).addHandler(logging.NullHandler())


class Log:
    """Structured logging for one component: ``log.info("event", relationship=..., ...)``."""

    def __init__(self, name: str = LOGGER_NAME) -> None:
        self._stdlib = logging.getLogger(name)
        # The processors are structlog's configured ones, read at each call: a platform or a test
        # (structlog.testing.capture_logs) decides how events are rendered and where they go.
        self._log = structlog.wrap_logger(self._stdlib, wrapper_class=structlog.stdlib.BoundLogger)

    def enabled(self, level: int) -> bool:
        return self._stdlib.isEnabledFor(level)

    def debug(self, event: str, **values: Any) -> None:
        if self._stdlib.isEnabledFor(logging.DEBUG):
            self._log.debug(event, **values)

    def info(self, event: str, **values: Any) -> None:
        if self._stdlib.isEnabledFor(logging.INFO):
            self._log.info(event, **values)

    def error(self, event: str, **values: Any) -> None:
        if self._stdlib.isEnabledFor(logging.ERROR):
            self._log.error(event, **values)

    def exception(self, event: str, **values: Any) -> None:
        if self._stdlib.isEnabledFor(logging.ERROR):
            self._log.exception(event, **values)
