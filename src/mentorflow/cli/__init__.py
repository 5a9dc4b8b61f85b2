"""The command line: the only importer of click and the only place that configures structlog.

Each command parses its arguments, calls one library function and renders the result.
"""

from mentorflow.cli import (  # noqa: F401 - each module registers its commands
    admin,
    feed,
    integrity,
    lifecycle,
    migrate,
    reads,
    relationships,
    webhooks,
    workflows,
)
from mentorflow.cli.app import cli, main

__all__ = ["cli", "main"]
