"""The workflow language: models, the safe loader, semantic checks, the registry and diagrams.

Nothing here imports SQLAlchemy or ``transitions``: definitions are plain data that the engine compiles.
"""

from mentorflow.definitions.lint import is_warning, workflow_warnings
from mentorflow.definitions.models import Kind, Workflow
from mentorflow.definitions.registry import BUILTIN, Bundle, Loaded, Registry, builtin_dir, validate_paths

__all__ = [
    "BUILTIN",
    "Bundle",
    "Kind",
    "Loaded",
    "Registry",
    "Workflow",
    "builtin_dir",
    "is_warning",
    "validate_paths",
    "workflow_warnings",
]
