"""Every error mentorflow raises, in one place so that callers catch one family.

Each error carries a stable dotted ``code`` (what programs match on), a ``message`` (what went wrong, naming the
objects involved) and a ``hint`` (what to do next). Errors of the libraries underneath (SQLAlchemy, pydantic,
PyYAML, transitions) are converted at the boundary and never escape.

The tree::

    MentorflowError
    ├── DefinitionError           definition.*  (a list of DefinitionProblem, each with file:line:col)
    │   └── VersionConflict       definition.version_conflict
    ├── NotFound                  relationship.not_found, workflow.not_found
    ├── TransitionError
    │   ├── UnknownTransition     transition.unknown
    │   ├── Blocked               transition.blocked  (carries blockers)
    │   └── ReasonRequired        transition.reason_required
    ├── ActorError
    │   ├── NotParticipant        actor.not_participant
    │   └── NotAllowed            actor.not_allowed
    ├── ArtifactError
    │   ├── UnknownSlot           artifact.unknown_slot
    │   ├── ArtifactInvalid       artifact.invalid  (carries each bad path)
    │   └── ArtifactLimit         artifact.limit
    ├── SignatureError
    │   ├── NotSigner             signature.not_signer
    │   └── AlreadySigned         signature.already_signed
    ├── CardinalityError          participants.cardinality
    ├── InvalidInput              input.invalid
    ├── ConcurrencyConflict       concurrency.conflict
    ├── BrokenChain               audit.broken_chain
    └── StorageError              storage.*
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mentorflow.types import Blocker

__all__ = [
    "ActorError",
    "AlreadySigned",
    "ArtifactError",
    "ArtifactInvalid",
    "ArtifactLimit",
    "Blocked",
    "BrokenChain",
    "CardinalityError",
    "ConcurrencyConflict",
    "DefinitionError",
    "DefinitionProblem",
    "InvalidInput",
    "MentorflowError",
    "NotAllowed",
    "NotFound",
    "NotParticipant",
    "NotSigner",
    "PathError",
    "ReasonRequired",
    "SignatureError",
    "StorageError",
    "TransitionError",
    "UnknownSlot",
    "UnknownTransition",
    "VersionConflict",
]


class MentorflowError(Exception):
    """The base of every error mentorflow raises on purpose."""

    code: str = "mentorflow.error"
    default_hint: str = ""

    def __init__(self, message: str, *, code: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.hint = self.default_hint if hint is None else hint

    def __str__(self) -> str:
        return self.message


# -- definitions ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DefinitionProblem:
    """One problem in a definition file, located as precisely as the YAML allows."""

    code: str
    message: str
    file: str = "<string>"
    line: int = 1
    column: int = 1
    hint: str = ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.code}: {self.message}"


class DefinitionError(MentorflowError):
    """A workflow or artifact-kind definition is invalid; ``problems`` lists every problem found."""

    code = "definition.invalid"

    def __init__(self, problems: Sequence[DefinitionProblem]) -> None:
        self.problems = list(problems)
        first = self.problems[0]
        more = len(self.problems) - 1
        message = str(first) + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")
        super().__init__(message, code=first.code, hint=first.hint)


class VersionConflict(DefinitionError):
    """A changed definition was offered under an (id, version) that is already registered."""


# -- relationships and transitions ------------------------------------------------------------------------------


class NotFound(MentorflowError):
    code = "relationship.not_found"


class TransitionError(MentorflowError):
    code = "transition.error"


class UnknownTransition(TransitionError):
    code = "transition.unknown"


class Blocked(TransitionError):
    """A trigger's requirements do not hold; ``blockers`` says every reason."""

    code = "transition.blocked"

    def __init__(self, message: str, blockers: Iterable[Blocker], *, hint: str | None = None) -> None:
        self.blockers = list(blockers)
        super().__init__(message, hint=hint)


class ReasonRequired(TransitionError):
    code = "transition.reason_required"
    default_hint = "Pass a reason (--reason TEXT, or reason= in Python)."


class ActorError(MentorflowError):
    code = "actor.error"


class NotParticipant(ActorError):
    code = "actor.not_participant"


class NotAllowed(ActorError):
    code = "actor.not_allowed"


# -- artifacts and signatures -----------------------------------------------------------------------------------


class ArtifactError(MentorflowError):
    code = "artifact.error"


class UnknownSlot(ArtifactError):
    code = "artifact.unknown_slot"


@dataclass(frozen=True)
class PathError:
    """One bad value in submitted content, at a path such as ``objectives[0].target_date``."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '(content)'}: {self.message}"


class ArtifactInvalid(ArtifactError):
    """Submitted content has the wrong shape; nothing was stored. ``errors`` lists every bad path."""

    code = "artifact.invalid"
    default_hint = "Fix the listed paths and submit again; missing fields alone would be stored as a draft."

    def __init__(self, message: str, errors: Iterable[PathError]) -> None:
        self.errors = list(errors)
        details = "; ".join(str(error) for error in self.errors)
        super().__init__(f"{message}: {details}" if details else message)


class ArtifactLimit(ArtifactError):
    code = "artifact.limit"


class SignatureError(MentorflowError):
    code = "signature.error"


class NotSigner(SignatureError):
    code = "signature.not_signer"


class AlreadySigned(SignatureError):
    code = "signature.already_signed"


class CardinalityError(MentorflowError):
    code = "participants.cardinality"


class InvalidInput(MentorflowError):
    """An argument is malformed (an identifier with control characters, a bad date, content that is not JSON)."""

    code = "input.invalid"


# -- storage and audit ------------------------------------------------------------------------------------------


class ConcurrencyConflict(MentorflowError):
    code = "concurrency.conflict"
    default_hint = "Another writer changed the relationship at the same time; try again."


class BrokenChain(MentorflowError):
    code = "audit.broken_chain"


class StorageError(MentorflowError):
    code = "storage.error"
    default_hint = "Check the database URL and that the schema is current (`mentorflow init`)."
