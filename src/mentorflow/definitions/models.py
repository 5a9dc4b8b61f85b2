"""The YAML language as pydantic models: the structural half of validation (the semantic half is ``checks``).

Every model forbids unknown keys and is frozen, so a loaded definition can be shared by every relationship that
runs on it. Field aliases carry the YAML spelling where it is a Python keyword (``from``, ``not``). Flags are
``StrictBool``: YAML 1.1's ``yes``/``no``/``on``/``off`` load as text (``yamlsafe``), and pydantic's lax mode would
quietly read that text as a boolean again.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    SerializerFunctionWrapHandler,
    StrictBool,
    StringConstraints,
    Tag,
    model_serializer,
    model_validator,
)

__all__ = [
    "OBLIGATION_FORMS",
    "REQUIREMENT_FORMS",
    "AllOf",
    "AnyOf",
    "Cardinality",
    "Check",
    "Complete",
    "Count",
    "Current",
    "FieldSpec",
    "InStateDays",
    "Kind",
    "NotReq",
    "Obligation",
    "Remind",
    "Requirement",
    "Signed",
    "Slot",
    "Starts",
    "State",
    "Transition",
    "Workflow",
    "obligation_keys",
    "requirement_keys",
    "slot_of",
]

NAME_PATTERN = r"^[a-z][a-z0-9_-]*$"
WORKFLOW_ID_PATTERN = r"^[a-z][a-z0-9-]{1,62}$"
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN, max_length=63)]
WorkflowId = Annotated[str, StringConstraints(pattern=WORKFLOW_ID_PATTERN)]
MAX_WHOLE = 2**31 - 1
"""The largest version, count or limit a definition or a caller may give: what every database's integer column
holds (PostgreSQL's is 32 bits), and far past any real one."""
PositiveInt = Annotated[int, Field(ge=1, le=MAX_WHOLE)]
MAX_DAYS = 36_600
"""The longest span in days a definition or a caller may give: a hundred years."""
Days = Annotated[int, Field(ge=0, le=MAX_DAYS)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True, strict=True)

    @cached_property
    def as_yaml(self) -> dict[str, Any]:
        """This definition as its author would write it (YAML keys, defaults left out), built once per object:
        every blocker of a requirement carries it. Treat it as read-only."""
        return self.model_dump(by_alias=True, exclude_defaults=True)


# -- requirements -----------------------------------------------------------------------------------------------


class Complete(_Model):
    """A plain slot's latest revision is complete; with ``by``, every holder of those roles completed an item."""

    complete: Name
    by: list[Name] | None = None


class Signed(_Model):
    """The latest revision is complete and signed by every holder of the signing roles."""

    signed: Name
    by: list[Name] | None = None


class Count(_Model):
    """At least ``min`` complete items in a repeatable slot, since entering the state (or since the start)."""

    count: Name
    min: PositiveInt = 1
    since: Literal["state", "start"] = "state"


class Current(_Model):
    """The latest complete revision or item is at most ``max_age_days`` old."""

    current: Name
    max_age_days: Days


class InStateDays(_Model):
    """The relationship has been in its current state for at least this many days."""

    in_state_days: Days


class AllOf(_Model):
    all: Annotated[list[Requirement], Field(min_length=1)]


class AnyOf(_Model):
    any: Annotated[list[Requirement], Field(min_length=1)]


class NotReq(_Model):
    not_: Requirement = Field(alias="not")


class Check(_Model):
    """A guard registered by the embedding program under ``check``; never evaluated as code."""

    check: Name
    args: dict[str, Any] = Field(default_factory=dict)


REQUIREMENT_FORMS = ("complete", "signed", "count", "current", "in_state_days", "all", "any", "not", "check")
"""The keys that name a requirement's form; a requirement mapping has exactly one of them."""
OBLIGATION_FORMS = ("complete", "signed", "count", "current")


def _form(value: Any) -> str | None:
    """The requirement form a mapping uses: the first of its keys that names one."""
    if isinstance(value, BaseModel):
        value = value.model_dump(by_alias=True)
    if isinstance(value, dict):
        for tag in REQUIREMENT_FORMS:
            if tag in value:
                return tag
    return None


Requirement = Annotated[
    Annotated[Complete, Tag("complete")]
    | Annotated[Signed, Tag("signed")]
    | Annotated[Count, Tag("count")]
    | Annotated[Current, Tag("current")]
    | Annotated[InStateDays, Tag("in_state_days")]
    | Annotated[AllOf, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[NotReq, Tag("not")]
    | Annotated[Check, Tag("check")],
    Discriminator(
        _form,
        custom_error_type="requirement_form",
        custom_error_message="a requirement needs one of the keys: " + ", ".join(REQUIREMENT_FORMS),
    ),
]


_SLOT_FORMS: tuple[tuple[type[_Model], str], ...] = (
    (Complete, "complete"),
    (Signed, "signed"),
    (Count, "count"),
    (Current, "current"),
)


def slot_of(requirement: object) -> tuple[str, str] | None:
    """(key, slot name) of a requirement or obligation that names a slot (``complete``, ``signed``, ``count``,
    ``current``); None for the other forms."""
    for form, key in _SLOT_FORMS:
        if isinstance(requirement, form):
            return key, str(getattr(requirement, key))
    return None


# -- obligations ------------------------------------------------------------------------------------------------


class Remind(_Model):
    """When ``tick`` reminds the people who must act on an unmet obligation: ``before_days`` before it is due (0:
    on the day), then every ``overdue_every_days`` while it is overdue. Duplicates are a semantic check (``checks``),
    so that the error points at the repeated entry."""

    before_days: list[Days] = Field(
        default_factory=list, description="Days before the due date to remind on; 0 is the day itself."
    )
    overdue_every_days: Annotated[int, Field(ge=1, le=MAX_DAYS)] | None = Field(
        default=None, description="Remind again every this many days while the obligation is overdue."
    )


def _without_remind(data: dict[str, Any], remind: Remind | None) -> dict[str, Any]:
    # As with `added_by`: an absent `remind` stays out of the dump, so definitions stored before reminders existed
    # keep their hash.
    if remind is None:
        data.pop("remind", None)
    return data


class _Timing(_Model):
    within_days: Days | None = None
    every_days: Annotated[int, Field(ge=1, le=MAX_DAYS)] | None = None
    remind: Remind | None = None

    @model_serializer(mode="wrap")
    def _without_default_remind(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _without_remind(handler(self), self.remind)

    @model_validator(mode="after")
    def _one_timing(self) -> _Timing:
        if (self.within_days is None) == (self.every_days is None):
            msg = "an obligation needs exactly one of within_days or every_days"
            raise ValueError(msg)
        return self


class CompleteObligation(Complete, _Timing):
    pass


class SignedObligation(Signed, _Timing):
    pass


class CountObligation(Count, _Timing):
    pass


class CurrentObligation(Current, _Timing):
    pass


def _obligation_form(value: Any) -> str | None:
    form = _form(value)
    return form if form in OBLIGATION_FORMS else None


Obligation = Annotated[
    Annotated[CompleteObligation, Tag("complete")]
    | Annotated[SignedObligation, Tag("signed")]
    | Annotated[CountObligation, Tag("count")]
    | Annotated[CurrentObligation, Tag("current")],
    Discriminator(
        _obligation_form,
        custom_error_type="obligation_form",
        custom_error_message="an obligation needs one of the keys complete, signed, count, current",
    ),
]


def _keys(*models: type[BaseModel]) -> frozenset[str]:
    return frozenset(info.alias or name for model in models for name, info in model.model_fields.items())


def requirement_keys() -> frozenset[str]:
    """Every key some requirement form accepts: what an unknown key in a requirement is measured against."""
    return _keys(Complete, Signed, Count, Current, InStateDays, AllOf, AnyOf, NotReq, Check)


def obligation_keys() -> frozenset[str]:
    """Every key some obligation form accepts (its requirement's keys and the timings)."""
    return _keys(CompleteObligation, SignedObligation, CountObligation, CurrentObligation)


# -- workflows --------------------------------------------------------------------------------------------------


class Cardinality(_Model):
    """How many people hold a role, and which roles' holders may add people to it."""

    min: Annotated[int, Field(ge=0, le=10_000)] = 1
    max: Annotated[int, Field(ge=1, le=10_000)] | None = None
    added_by: list[Name] = Field(
        default_factory=list,
        description="Roles whose holders may add people to this role (default: none; administrators always may).",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Cardinality:
        if self.max is not None and self.max < self.min:
            msg = f"max ({self.max}) is below min ({self.min})"
            raise ValueError(msg)
        return self

    @model_serializer(mode="wrap")
    def _without_empty_added_by(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A stored definition is identified by the hash of its dump: leaving the default out keeps the hash of
        # every definition written before `added_by` existed, so databases holding them take them back unchanged.
        data: dict[str, Any] = handler(self)
        if not self.added_by:
            data.pop("added_by", None)
        return data


class Slot(_Model):
    kind: Name
    submitted_by: list[Name] | None = None
    signed_by: list[Name] = Field(default_factory=list)
    repeatable: StrictBool = False
    max_items: PositiveInt | None = None
    description: str = ""
    visible_to: list[Name] | None = Field(
        default=None,
        description=(
            "Roles whose holders may read this slot's content beyond an item's owner (a plain slot: its submitters)"
            " and administrators; [] keeps it to those. Default: every role."
        ),
    )

    @model_serializer(mode="wrap")
    def _without_default_visibility(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # As with `added_by`: the default stays out of the dump, so definitions stored before `visible_to` existed
        # keep their hash.
        data: dict[str, Any] = handler(self)
        if self.visible_to is None:
            data.pop("visible_to", None)
        return data

    @model_validator(mode="after")
    def _cap_needs_repeatable(self) -> Slot:
        if self.max_items is not None and not self.repeatable:
            msg = "max_items applies to repeatable slots only; add `repeatable: true` or remove max_items"
            raise ValueError(msg)
        return self


class State(_Model):
    phase: Name | None = None
    initial: StrictBool = False
    final: StrictBool = False
    outcome: Literal["success", "ended"] | None = None
    obligations: list[Obligation] = Field(default_factory=list)
    description: str = ""


class Starts(_Model):
    """The effect of a transition that starts a linked relationship in the same database transaction."""

    workflow: WorkflowId
    version: PositiveInt | None = None
    roles: dict[Name, Name]
    carry: list[Name] = Field(default_factory=list)


class Transition(_Model):
    trigger: Name
    from_: Name | Literal["*"] | Annotated[list[Name], Field(min_length=1)] = Field(alias="from")
    to: Name
    by: list[Name] | None = None
    requires: list[Requirement] = Field(default_factory=list)
    reason: Literal["required", "optional"] = "optional"
    after_days: Days | None = None
    starts: Starts | None = None
    description: str = ""


class Workflow(_Model):
    mentorflow: Literal[1]
    workflow: WorkflowId
    version: PositiveInt
    title: Annotated[str, Field(min_length=1, max_length=200)]
    description: str = ""
    roles: Annotated[dict[Name, Cardinality], Field(min_length=1)]
    phases: list[Name] = Field(default_factory=list)
    artifacts: dict[Name, Slot] = Field(default_factory=dict)
    states: Annotated[dict[Name, State], Field(min_length=1)]
    transitions: list[Transition] = Field(default_factory=list)
    remind: Remind | None = Field(
        default=None, description="The reminders of every obligation that declares no `remind` of its own."
    )

    @model_serializer(mode="wrap")
    def _without_default_remind(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        return _without_remind(handler(self), self.remind)

    def reminds(self, obligation: object) -> Remind | None:
        """The reminders of one of this workflow's obligations: its own ``remind``, else the workflow's."""
        own: Remind | None = getattr(obligation, "remind", None)
        return own if own is not None else self.remind

    @property
    def initial_state(self) -> str:
        return next(name for name, state in self.states.items() if state.initial)

    def sources(self, transition: Transition) -> list[str]:
        """The states a transition may fire from, with ``*`` expanded to every non-final state."""
        if transition.from_ == "*":
            return [name for name, state in self.states.items() if not state.final]
        if isinstance(transition.from_, str):
            return [transition.from_]
        return list(transition.from_)


# -- artifact kinds ---------------------------------------------------------------------------------------------

FieldType = Literal["text", "int", "number", "bool", "date", "datetime", "choice", "list", "object"]
SCALAR_TYPES = ("text", "int", "number", "bool", "date", "datetime")


class FieldSpec(_Model):
    type: FieldType
    required: StrictBool = True
    description: str = ""
    of: Literal["text", "int", "number", "bool", "date", "datetime"] | dict[Name, FieldSpec] | None = None
    fields: dict[Name, FieldSpec] | None = None
    min: float | None = None
    max: float | None = None
    min_length: Annotated[int, Field(ge=0)] | None = None
    max_length: Annotated[int, Field(ge=1)] | None = None
    min_items: Annotated[int, Field(ge=0)] | None = None
    max_items: Annotated[int, Field(ge=1)] | None = None
    choices: Annotated[list[str], Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _keys_fit_type(self) -> FieldSpec:
        allowed = {
            "text": {"min_length", "max_length"},
            "int": {"min", "max"},
            "number": {"min", "max"},
            "choice": {"choices"},
            "list": {"of", "min_items", "max_items"},
            "object": {"fields"},
        }.get(self.type, set())
        constraint_keys = {
            "of",
            "fields",
            "min",
            "max",
            "min_length",
            "max_length",
            "min_items",
            "max_items",
            "choices",
        }
        misplaced = sorted(key for key in constraint_keys - allowed if getattr(self, key) is not None)
        if misplaced:
            msg = f"{', '.join(misplaced)} does not apply to type {self.type}"
            raise ValueError(msg)
        needed = {"choice": "choices", "list": "of", "object": "fields"}.get(self.type)
        if needed and getattr(self, needed) is None:
            msg = f"type {self.type} needs `{needed}`"
            raise ValueError(msg)
        for low, high in (("min", "max"), ("min_length", "max_length"), ("min_items", "max_items")):
            lo, hi = getattr(self, low), getattr(self, high)
            if lo is not None and hi is not None and hi < lo:
                msg = f"{high} ({hi}) is below {low} ({lo})"
                raise ValueError(msg)
        return self


class Kind(_Model):
    mentorflow: Literal[1]
    kind: Name
    title: Annotated[str, Field(min_length=1, max_length=200)]
    description: str = ""
    fields: Annotated[dict[Name, FieldSpec], Field(min_length=1)]
