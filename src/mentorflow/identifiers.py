"""Who acts, the identifiers they are known by, and the whole numbers they pass: checked once, at the edge of
the library.

Kept apart from ``types`` (the values the API returns) because every layer needs it: the engine decides by the
actor's kind, the store records the actor's label, the CLI builds one from ``--as`` and ``--admin``.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from mentorflow.errors import InvalidActor, InvalidInput

__all__ = [
    "ADMIN_PREFIX",
    "MAX_IDENTIFIER",
    "SYSTEM",
    "Actor",
    "check_flag",
    "check_identifier",
    "check_person",
    "check_whole",
]

MAX_IDENTIFIER = 200
ADMIN_PREFIX = "admin:"
SYSTEM = "system"
"""How the log writes the clock; no person may be known by it, nor by anything starting ``admin:``."""


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
"""Unicode's control (Cc) and surrogate (Cs) characters: one regex, where asking ``unicodedata`` for each character
cost a write 10-20 µs."""


def check_identifier(value: object, what: str) -> str:
    """A person, relationship or program identifier: 1 to 200 characters, no control characters."""
    if not isinstance(value, str):
        raise InvalidInput(
            f"{what} must be text, got {type(value).__name__}",
            hint=f"Pass the {what} as the embedding platform names it.",
        )
    if len(value) > MAX_IDENTIFIER:
        raise InvalidInput(
            f"{what} is {len(value)} characters long; the limit is {MAX_IDENTIFIER}", hint=f"Use a shorter {what}."
        )
    if not value or value != value.strip():
        raise InvalidInput(
            f"{what} must be non-empty text without surrounding spaces, got {value!r}",
            hint=f"Pass the {what} as the embedding platform names it.",
        )
    if _CONTROL.search(value):
        raise InvalidInput(f"{what} {value!r} contains control characters", hint=f"Remove them from the {what}.")
    return value


def check_whole(value: object, what: str, *, least: int, most: int, hint: str) -> int:
    """A whole number from ``least`` to ``most``; never a bool, which Python counts as one."""
    if not isinstance(value, int) or isinstance(value, bool) or not least <= value <= most:
        raise InvalidInput(f"{what} must be a whole number from {least} to {most}, got {value!r}", hint=hint)
    return value


def check_flag(value: object, what: str) -> bool:
    """``True`` or ``False``, not merely something truthy: ``force="no"`` would force."""
    if not isinstance(value, bool):
        raise InvalidInput(f"{what} must be True or False, got {value!r}", hint=f"Pass {what}=True, or leave it out.")
    return value


def check_person(value: object, what: str = "person") -> str:
    """A person id: an identifier that the log could not mistake for the clock or an administrator."""
    person = check_identifier(value, what)
    if person == SYSTEM or person.startswith(ADMIN_PREFIX):
        raise InvalidActor(
            f"{what} id {person!r} is reserved: the log writes the clock as {SYSTEM!r} and administrators as "
            f"'{ADMIN_PREFIX}ID'",
            hint="Use the platform's own id for the person; act as an administrator with Actor.admin(ID).",
            cli_hint="Use the platform's own id for the person; act as an administrator with --admin.",
            actor=person,
        )
    return person


class Actor(BaseModel):
    """Who acts: a person (a participant), a program administrator, or the system clock."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["person", "admin", "system"]
    id: str

    def model_post_init(self, _context: Any, /) -> None:
        # However an Actor is built (the constructors below, Actor(...), model_validate), a person is never
        # known by a reserved id.
        if self.kind == "person":
            check_person(self.id)

    @classmethod
    def person(cls, person: str) -> Actor:
        return cls.model_construct(kind="person", id=person)

    @classmethod
    def admin(cls, person: str = "admin") -> Actor:
        checked = check_identifier(person, "administrator")
        # The log and the revisions record an administrator as `admin:ID`, in columns as wide as a person id.
        if len(ADMIN_PREFIX) + len(checked) > MAX_IDENTIFIER:
            raise InvalidInput(
                f"administrator id is {len(checked)} characters long; the limit is "
                f"{MAX_IDENTIFIER - len(ADMIN_PREFIX)}",
                hint="Use a shorter administrator id.",
            )
        return cls(kind="admin", id=checked)

    @classmethod
    def system(cls) -> Actor:
        return cls(kind="system", id="system")

    @classmethod
    def of(cls, actor: Actor | str) -> Actor:
        """Accept the API's shorthand: a plain string is a person id."""
        if isinstance(actor, Actor):
            return actor
        return cls.person(actor)

    @property
    def label(self) -> str:
        """How the event log writes the actor: ``bob``, ``admin:carol`` or ``system``."""
        return self.id if self.kind == "person" else ("system" if self.kind == "system" else ADMIN_PREFIX + self.id)

    def __str__(self) -> str:
        return self.label
