"""What a command's start-up pays for: models are built on first use, not when the library is imported."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import mentorflow.service
from mentorflow.definitions.models import FieldSpec, Kind, Workflow
from mentorflow.types import Event, Status
print([model.__pydantic_complete__ for model in (Workflow, Kind, FieldSpec, Status, Event)])
"""


def test_importing_the_library_builds_no_model_until_it_is_used() -> None:
    """``defer_build``, and no model made at import: a command that never validates a workflow file or returns a
    model does not pay for building their validators (about 40 ms of every `mentorflow status`)."""
    out = subprocess.run([sys.executable, "-c", CHECK], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[False, False, False, False, False]"


def test_a_deferred_model_validates_as_before() -> None:
    """Built on first use, a model still refuses what it always refused."""
    code = (
        "from mentorflow.types import Relationship\n"
        "import pydantic\n"
        "try:\n"
        "    Relationship(id='r', workflow='w', workflow_version='x', state='s', program=None)\n"
        "except pydantic.ValidationError as error:\n"
        "    print(error.error_count())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "1"
