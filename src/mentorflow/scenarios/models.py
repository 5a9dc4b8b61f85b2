"""The scenario language as pydantic models: one file states a workflow's behaviour as steps and expectations.

A scenario is data, like a workflow: models forbid unknown keys and take YAML 1.2 booleans only, so that the
loader (``load``) reports every mistake as ``file:line:col`` with the workflow language's own wording. Each step
is a mapping named by its one action key (``submit``, ``fire``...), as a requirement is named by its form.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, StrictBool, StringConstraints, Tag

from mentorflow.definitions.models import NAME_PATTERN, Days, PositiveInt

__all__ = [
    "STEP_FORMS",
    "At",
    "Expect",
    "ExpectStep",
    "Fire",
    "Guards",
    "Join",
    "Leave",
    "Scenario",
    "Sign",
    "Step",
    "Submit",
    "Tick",
]

Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN, max_length=63)]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z_]*(\.[a-z_]+)+$", max_length=100)]
"""An error or blocker code such as ``transition.blocked`` or ``artifact.missing``."""
Person = Annotated[str, StringConstraints(min_length=1, max_length=200)]
"""A person id, or ``admin`` / ``admin:NAME`` for an administrator; the library checks it when the step runs."""
Reference = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,62}(@[1-9][0-9]*)?$")]
Stub = StrictBool | Annotated[str, StringConstraints(min_length=1, max_length=500)]
"""A guard stub: ``true`` holds, ``false`` or a message blocks (the message becomes the blocker's)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Expect(_Model):
    """What must be true after a step, or how the step must fail (``error``, with ``blockers``)."""

    state: Name | None = Field(None, description="The relationship's state.")
    phase: Name | None = Field(None, description="The phase of its state.")
    allowed: list[Name] | None = Field(
        None, description="Exactly the triggers from this state whose requirements hold now (in any order)."
    )
    blocked: dict[Name, list[Code]] | None = Field(
        None, description="For each trigger, exactly the blocker codes that stop it now (repeats ignored)."
    )
    overdue: list[Name] | None = Field(None, description="Exactly the slots of the overdue obligations.")
    due: list[Name] | dict[Name, Days] | None = Field(
        None,
        description="Exactly the slots of the unmet obligations, overdue or not; as a mapping, each with the day "
        "(counted from the start) it is due.",
    )
    error: Code | None = Field(None, description="The step must fail with this error code.")
    blockers: list[Code] | None = Field(
        None, description="With error: exactly the blocker codes the error carries (repeats ignored)."
    )


class _Acting(_Model):
    as_: Person = Field(alias="as", description="Who acts: a person id, or `admin` / `admin:NAME`.")
    expect: Expect | None = None


class Submit(_Acting):
    submit: Name = Field(description="The slot to submit to.")
    content: dict[str, Any] = Field(description="The document, as the slot's artifact kind describes it.")
    item: PositiveInt | None = Field(None, description="Revise this item of a repeatable slot (default: a new item).")


class Sign(_Acting):
    sign: Name = Field(description="The slot to sign.")
    revision: PositiveInt | None = Field(None, description="The revision signed (default: the latest).")
    item: PositiveInt | None = Field(None, description="The item of a repeatable slot (default: the newest).")


class Fire(_Acting):
    fire: Name = Field(description="The trigger to fire.")
    reason: Annotated[str, StringConstraints(min_length=1)] | None = None
    force: StrictBool = False


class Join(_Acting):
    join: Person = Field(description="The person who joins.")
    role: Name


class Leave(_Acting):
    leave: Person = Field(description="The person who leaves.")
    reason: Annotated[str, StringConstraints(min_length=1)] | None = None


class Tick(_Model):
    tick: Literal[True] = Field(description="Fire the timed transitions that are due, as the clock.")
    expect: Expect | None = None


class At(_Model):
    at: Days = Field(description="Move the clock to this many days after the start; it never goes back.")
    expect: Expect | None = None


class Guards(_Model):
    guards: dict[Name, Stub] = Field(description="Change guard stubs from here on.")


class ExpectStep(_Model):
    expect: Expect


STEP_FORMS = ("submit", "sign", "fire", "join", "leave", "tick", "at", "guards", "expect")
"""The keys that name a step's action; ``expect`` names a step only when no action key is there."""


def step_form(value: Any) -> str | None:
    """The action a step mapping names: its first action key (``expect`` alone is a check)."""
    if isinstance(value, BaseModel):
        value = value.model_dump(by_alias=True)
    if isinstance(value, dict):
        for form in STEP_FORMS:
            if form in value:
                return form
    return None


def _bare_tick(value: Any) -> Any:
    """``- tick`` reads as well as ``- {tick: true}``."""
    return {"tick": True} if value == "tick" else value


Step = Annotated[
    Annotated[Submit, Tag("submit")]
    | Annotated[Sign, Tag("sign")]
    | Annotated[Fire, Tag("fire")]
    | Annotated[Join, Tag("join")]
    | Annotated[Leave, Tag("leave")]
    | Annotated[Tick, Tag("tick")]
    | Annotated[At, Tag("at")]
    | Annotated[Guards, Tag("guards")]
    | Annotated[ExpectStep, Tag("expect")],
    Discriminator(
        step_form,
        custom_error_type="step_form",
        custom_error_message="a step needs one of the keys: " + ", ".join(STEP_FORMS),
    ),
    BeforeValidator(_bare_tick),
]


class Scenario(_Model):
    """One story told to a fresh, in-memory relationship: who takes part, then the steps and what they expect."""

    mentorflow: Literal[1]
    scenario: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="The scenario's name, printed with PASS or FAIL."
    )
    workflow: Reference = Field(description="The workflow under test: ID or ID@VERSION (default: the highest).")
    description: str = ""
    program: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    people: Annotated[dict[Name, Person | Annotated[list[Person], Field(min_length=1)]], Field(min_length=1)] = Field(
        description="Each role and the people who start in it."
    )
    guards: dict[Name, Stub] = Field(default_factory=dict, description="Stubs for the workflow's `check:` guards.")
    steps: Annotated[list[Step], Field(min_length=1)]

    @property
    def reference(self) -> tuple[str, int | None]:
        name, _, version = self.workflow.partition("@")
        return name, int(version) if version else None

    def roles(self) -> dict[str, list[str]]:
        return {role: [people] if isinstance(people, str) else list(people) for role, people in self.people.items()}
