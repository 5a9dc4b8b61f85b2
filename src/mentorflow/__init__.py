"""mentorflow: mentoring relationships as guarded state machines with a tamper-evident audit log.

The public API is what this module exports; everything else is internal and may change.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mentorflow.engine import GuardContext
    from mentorflow.errors import (
        ActorError,
        AlreadySigned,
        ArtifactError,
        ArtifactInvalid,
        ArtifactLimit,
        Blocked,
        BrokenChain,
        CardinalityError,
        ConcurrencyConflict,
        DefinitionError,
        DefinitionProblem,
        InvalidInput,
        MentorflowError,
        NotAllowed,
        NotFound,
        NotParticipant,
        NotSigner,
        PathError,
        ReasonRequired,
        SignatureError,
        StorageError,
        TransitionError,
        UnknownSlot,
        UnknownTransition,
        VersionConflict,
    )
    from mentorflow.identifiers import Actor
    from mentorflow.service import Mentorflow
    from mentorflow.types import (
        ArtifactState,
        Blocker,
        BrokenRelationship,
        Event,
        ObligationState,
        Participant,
        Relationship,
        Revision,
        Standing,
        StandingBlocker,
        Status,
        TriggerState,
        VerifyReport,
        WorkflowInfo,
    )

# Names resolve on first use, so that `import mentorflow.errors` (as the CLI does for `--help`) does not pay for
# SQLAlchemy, Alembic and pydantic models it does not need.
_EXPORTS = {
    "Actor": "mentorflow.identifiers",
    "ActorError": "mentorflow.errors",
    "AlreadySigned": "mentorflow.errors",
    "ArtifactError": "mentorflow.errors",
    "ArtifactInvalid": "mentorflow.errors",
    "ArtifactLimit": "mentorflow.errors",
    "ArtifactState": "mentorflow.types",
    "Blocked": "mentorflow.errors",
    "Blocker": "mentorflow.types",
    "BrokenChain": "mentorflow.errors",
    "BrokenRelationship": "mentorflow.types",
    "CardinalityError": "mentorflow.errors",
    "ConcurrencyConflict": "mentorflow.errors",
    "DefinitionError": "mentorflow.errors",
    "DefinitionProblem": "mentorflow.errors",
    "Event": "mentorflow.types",
    "GuardContext": "mentorflow.engine",
    "InvalidInput": "mentorflow.errors",
    "Mentorflow": "mentorflow.service",
    "MentorflowError": "mentorflow.errors",
    "NotAllowed": "mentorflow.errors",
    "NotFound": "mentorflow.errors",
    "NotParticipant": "mentorflow.errors",
    "NotSigner": "mentorflow.errors",
    "ObligationState": "mentorflow.types",
    "Participant": "mentorflow.types",
    "PathError": "mentorflow.errors",
    "ReasonRequired": "mentorflow.errors",
    "Relationship": "mentorflow.types",
    "Revision": "mentorflow.types",
    "SignatureError": "mentorflow.errors",
    "Standing": "mentorflow.types",
    "StandingBlocker": "mentorflow.types",
    "Status": "mentorflow.types",
    "StorageError": "mentorflow.errors",
    "TransitionError": "mentorflow.errors",
    "TriggerState": "mentorflow.types",
    "UnknownSlot": "mentorflow.errors",
    "UnknownTransition": "mentorflow.errors",
    "VerifyReport": "mentorflow.types",
    "VersionConflict": "mentorflow.errors",
    "WorkflowInfo": "mentorflow.types",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mentorflow' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__version__ = "0.1.0"

__all__ = [
    "Actor",
    "ActorError",
    "AlreadySigned",
    "ArtifactError",
    "ArtifactInvalid",
    "ArtifactLimit",
    "ArtifactState",
    "Blocked",
    "Blocker",
    "BrokenChain",
    "BrokenRelationship",
    "CardinalityError",
    "ConcurrencyConflict",
    "DefinitionError",
    "DefinitionProblem",
    "Event",
    "GuardContext",
    "InvalidInput",
    "Mentorflow",
    "MentorflowError",
    "NotAllowed",
    "NotFound",
    "NotParticipant",
    "NotSigner",
    "ObligationState",
    "Participant",
    "PathError",
    "ReasonRequired",
    "Relationship",
    "Revision",
    "SignatureError",
    "Standing",
    "StandingBlocker",
    "Status",
    "StorageError",
    "TransitionError",
    "TriggerState",
    "UnknownSlot",
    "UnknownTransition",
    "VerifyReport",
    "VersionConflict",
    "WorkflowInfo",
    "__version__",
]
