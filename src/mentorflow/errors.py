"""Every error mentorflow raises, in one place so that callers catch one family.

Each error carries a stable dotted ``code`` (what programs match on), a ``message`` (what went wrong, naming the
objects involved) and a ``hint`` (what to do next). Errors of the libraries underneath (SQLAlchemy, pydantic,
PyYAML, transitions) are converted at the boundary and never escape.

The tree (one class per code: a class never changes its code, so ``except`` and ``code`` always agree)::

    MentorflowError
    ├── DefinitionError           definition.*  (a list of DefinitionProblem, each with file:line:col and code)
    │   └── VersionConflict       definition.version_conflict
    ├── NotFound                  relationship.not_found
    │   ├── WorkflowNotFound      workflow.not_found
    │   └── MissingDefinition     storage.missing_definition
    ├── RelationshipExists        relationship.exists
    ├── RelationshipFinal         relationship.final
    ├── TransitionError
    │   ├── UnknownTransition     transition.unknown
    │   ├── Blocked               transition.blocked  (carries blockers)
    │   └── ReasonRequired        transition.reason_required
    ├── ActorError
    │   ├── NotParticipant        actor.not_participant
    │   ├── NotAllowed            actor.not_allowed
    │   ├── NotOwner              actor.not_owner
    │   └── InvalidActor          actor.invalid
    ├── ArtifactError
    │   ├── UnknownSlot           artifact.unknown_slot
    │   ├── ArtifactInvalid       artifact.invalid  (carries each bad path)
    │   ├── ArtifactLimit         artifact.limit
    │   ├── ArtifactMissing       artifact.missing
    │   ├── ArtifactIncomplete    artifact.incomplete
    │   ├── ArtifactTooLarge      artifact.too_large
    │   ├── ArtifactHidden        artifact.hidden
    │   └── ArtifactErased        artifact.erased
    ├── SignatureError
    │   ├── NotSigner             signature.not_signer
    │   ├── AlreadySigned         signature.already_signed
    │   └── StaleSignature        signature.stale
    ├── CardinalityError          participants.cardinality
    ├── InvalidInput              input.invalid
    │   ├── NoActor               input.no_actor
    │   ├── InputTooLarge         input.too_large
    │   ├── UnknownFilter         audit.unknown_filter
    │   └── CheckpointInvalid     checkpoint.invalid
    ├── ClockBackwards            clock.backwards
    ├── ConcurrencyConflict       concurrency.conflict
    ├── BrokenChain               audit.broken_chain
    ├── MigrationRefused          migration.refused
    ├── ImportRefused             import.refused
    ├── ScenarioFailed            scenario.failed
    ├── EndpointError             endpoint.error  (webhooks)
    │   ├── EndpointNotFound      endpoint.not_found
    │   ├── EndpointExists        endpoint.exists
    │   ├── EndpointUrlInvalid    endpoint.bad_url
    │   └── EndpointSecretInvalid endpoint.bad_secret
    └── StorageError              storage.error
        ├── BadDatabaseUrl        storage.bad_url
        ├── NoSchema              storage.no_schema
        ├── StorageFailed         storage.failed
        ├── IntegrityFault        storage.integrity
        ├── CorruptRow            storage.corrupt_row
        └── CorruptDefinition     storage.corrupt_definition

``DefinitionError`` is the one family: its ``code`` is that of its first problem (``definition.unreachable_state``
and so on), because an author fixes problems one code at a time; every other class has exactly one code.
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
    "ArtifactErased",
    "ArtifactError",
    "ArtifactHidden",
    "ArtifactIncomplete",
    "ArtifactInvalid",
    "ArtifactLimit",
    "ArtifactMissing",
    "ArtifactTooLarge",
    "BadDatabaseUrl",
    "Blocked",
    "BrokenChain",
    "CardinalityError",
    "CheckpointInvalid",
    "ClockBackwards",
    "ConcurrencyConflict",
    "CorruptDefinition",
    "CorruptRow",
    "DefinitionError",
    "DefinitionProblem",
    "EndpointError",
    "EndpointExists",
    "EndpointNotFound",
    "EndpointSecretInvalid",
    "EndpointUrlInvalid",
    "ImportRefused",
    "InputTooLarge",
    "IntegrityFault",
    "InvalidActor",
    "InvalidInput",
    "MentorflowError",
    "MigrationRefused",
    "MissingDefinition",
    "NoActor",
    "NoSchema",
    "NotAllowed",
    "NotFound",
    "NotOwner",
    "NotParticipant",
    "NotSigner",
    "PathError",
    "ReasonRequired",
    "RelationshipExists",
    "RelationshipFinal",
    "ScenarioFailed",
    "SignatureError",
    "StaleSignature",
    "StorageError",
    "StorageFailed",
    "TransitionError",
    "UnknownFilter",
    "UnknownSlot",
    "UnknownTransition",
    "VersionConflict",
    "WorkflowNotFound",
]


class MentorflowError(Exception):
    """The base of every error mentorflow raises on purpose."""

    code: str = "mentorflow.error"
    default_hint: str = ""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        cli_hint: str | None = None,
        relationship: str | None = None,
        slot: str | None = None,
        trigger: str | None = None,
        state: str | None = None,
        actor: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = self.default_hint if hint is None else hint
        self.cli_hint = self.hint if cli_hint is None else cli_hint
        """The hint the command line prints: the same advice in its own terms (options, never Python calls)."""
        # The objects involved, as attributes, so that a program never parses the message.
        self.relationship = relationship
        self.slot = slot
        self.trigger = trigger
        self.state = state
        self.actor = actor

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
        super().__init__(message, hint=first.hint)
        self.code = first.code


class VersionConflict(DefinitionError):
    """A changed definition was offered under an (id, version) that is already registered."""

    code = "definition.version_conflict"


# -- relationships and transitions ------------------------------------------------------------------------------


class NotFound(MentorflowError):
    code = "relationship.not_found"


class WorkflowNotFound(NotFound):
    code = "workflow.not_found"


class MissingDefinition(NotFound):
    """A relationship names a stored definition that is not there (the database was edited)."""

    code = "storage.missing_definition"


class RelationshipExists(MentorflowError):
    """``start`` was given an id that another relationship already has: not a race, never retried."""

    code = "relationship.exists"
    default_hint = "Choose another id, or leave it out to get a generated one."


class RelationshipFinal(MentorflowError):
    """The relationship has ended; nothing more can be written to it."""

    code = "relationship.final"
    default_hint = "Start a new relationship instead."


class TransitionError(MentorflowError):
    code = "transition.error"


class UnknownTransition(TransitionError):
    code = "transition.unknown"


class Blocked(TransitionError):
    """A trigger's requirements do not hold; ``blockers`` says every reason."""

    code = "transition.blocked"

    def __init__(self, message: str, blockers: Iterable[Blocker], *, hint: str | None = None, **objects: str) -> None:
        self.blockers = list(blockers)
        super().__init__(message, hint=hint, **objects)


class ReasonRequired(TransitionError):
    code = "transition.reason_required"
    default_hint = "Pass a reason (--reason TEXT, or reason= in Python)."


class ActorError(MentorflowError):
    code = "actor.error"


class NotParticipant(ActorError):
    code = "actor.not_participant"


class NotAllowed(ActorError):
    code = "actor.not_allowed"


class NotOwner(ActorError):
    """An item of a repeatable slot belongs to whoever submitted its first revision; only they revise it."""

    code = "actor.not_owner"


class InvalidActor(ActorError):
    """A person id that is reserved (``system``, ``admin:...``) or otherwise cannot name a person."""

    code = "actor.invalid"


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

    def __init__(self, message: str, errors: Iterable[PathError], **objects: str) -> None:
        self.errors = list(errors)
        details = "; ".join(str(error) for error in self.errors)
        super().__init__(f"{message}: {details}" if details else message, **objects)


class ArtifactLimit(ArtifactError):
    code = "artifact.limit"


class ArtifactMissing(ArtifactError):
    code = "artifact.missing"


class ArtifactIncomplete(ArtifactError):
    code = "artifact.incomplete"


class ArtifactTooLarge(ArtifactError):
    """Content over the size or depth limit, refused before its shape is even looked at."""

    code = "artifact.too_large"


class ArtifactHidden(ArtifactError):
    code = "artifact.hidden"


class ArtifactErased(ArtifactError):
    code = "artifact.erased"


class SignatureError(MentorflowError):
    code = "signature.error"


class NotSigner(SignatureError):
    code = "signature.not_signer"


class AlreadySigned(SignatureError):
    code = "signature.already_signed"


class StaleSignature(SignatureError):
    """The signer named a revision that is no longer the latest: they would sign text they did not read."""

    code = "signature.stale"


class CardinalityError(MentorflowError):
    code = "participants.cardinality"


class InvalidInput(MentorflowError):
    """An argument is malformed (an identifier with control characters, a bad date, content that is not JSON)."""

    code = "input.invalid"


class NoActor(InvalidInput):
    code = "input.no_actor"


class InputTooLarge(InvalidInput):
    """A file or stream over the read limit; reading stopped at the limit."""

    code = "input.too_large"


class UnknownFilter(InvalidInput):
    code = "audit.unknown_filter"


class CheckpointInvalid(InvalidInput):
    """A checkpoint file that is not one, or whose root does not match its heads (it was edited or damaged)."""

    code = "checkpoint.invalid"


class ClockBackwards(MentorflowError):
    """A write dated before the relationship's latest event: time only runs forward in a log."""

    code = "clock.backwards"
    default_hint = "Check the clock (or --now): a write cannot be dated before the last event."


# -- storage and audit ------------------------------------------------------------------------------------------


class ConcurrencyConflict(MentorflowError):
    code = "concurrency.conflict"
    default_hint = "Another writer changed the relationship at the same time; try again."


class BrokenChain(MentorflowError):
    code = "audit.broken_chain"


class MigrationRefused(MentorflowError):
    code = "migration.refused"


class ImportRefused(MentorflowError):
    code = "import.refused"


class ScenarioFailed(MentorflowError):
    code = "scenario.failed"


class EndpointError(MentorflowError):
    """A webhook endpoint cannot be used as named (``mentorflow.webhooks``)."""

    code = "endpoint.error"


class EndpointNotFound(EndpointError):
    code = "endpoint.not_found"
    default_hint = "Run `mentorflow endpoint list` for the endpoints registered."


class EndpointExists(EndpointError):
    code = "endpoint.exists"
    default_hint = "Choose another name, or remove the endpoint first (`mentorflow endpoint remove NAME`)."


class EndpointUrlInvalid(EndpointError):
    code = "endpoint.bad_url"
    default_hint = "Give an absolute http:// or https:// URL with a host, such as https://platform.example/hooks."


class EndpointSecretInvalid(EndpointError):
    """The environment variable that holds an endpoint's secret is unset, or does not hold ``whsec_`` + base64."""

    code = "endpoint.bad_secret"


class StorageError(MentorflowError):
    code = "storage.error"
    default_hint = "Check the database URL and that the schema is current (`mentorflow init`)."


class BadDatabaseUrl(StorageError):
    code = "storage.bad_url"


class NoSchema(StorageError):
    code = "storage.no_schema"
    default_hint = "Run `mentorflow init` (or Mentorflow.upgrade()) first."


class StorageFailed(StorageError):
    code = "storage.failed"


class IntegrityFault(StorageError):
    """A constraint the database enforces was broken by something other than a lost race: a real fault."""

    code = "storage.integrity"
    default_hint = "Run `mentorflow verify`; the database may have been edited by hand."


class CorruptRow(StorageError):
    code = "storage.corrupt_row"
    default_hint = "Run `mentorflow verify`; the database may have been edited by hand."


class CorruptDefinition(StorageError):
    code = "storage.corrupt_definition"
    default_hint = "Run `mentorflow verify`; the database may have been edited by hand."
