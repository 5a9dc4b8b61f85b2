"""The structural half of the language: what the models accept and refuse, as an author sees it when parsing."""

from __future__ import annotations

import re

import pytest

from mentorflow.definitions import Kind, Workflow
from mentorflow.definitions.models import AllOf, Complete, NotReq, Signed
from mentorflow.definitions.parse import format_path, parse_document
from mentorflow.definitions.yamlsafe import load_text
from mentorflow.errors import DefinitionError

KIND = """\
mentorflow: 1
kind: mentor_note
title: Mentor note
fields:
  entry: {SPEC}
"""

WORKFLOW = """\
mentorflow: 1
workflow: pair
version: 1
title: Pair
roles: {mentor: {max: 1}, mentee: {}}
states:
  open: {initial: true}
  done: {final: true}
  gone: {final: true}
transitions:
  - {trigger: close, from: [open], to: done}
  - {trigger: leave, from: "*", to: gone}
"""

# a field spec, and the message of the one problem it causes
FIELD_SPECS = [
    ("{type: text, min: 1}", "fields.entry: min does not apply to type text"),
    ("{type: int, max_length: 3, choices: [a]}", "fields.entry: choices, max_length does not apply to type int"),
    ("{type: bool, of: text}", "fields.entry: of does not apply to type bool"),
    ("{type: choice}", "fields.entry: type choice needs `choices`"),
    ("{type: list}", "fields.entry: type list needs `of`"),
    ("{type: object}", "fields.entry: type object needs `fields`"),
    ("{type: number, min: 5, max: 1}", "fields.entry: max (1.0) is below min (5.0)"),
    ("{type: text, min_length: 9, max_length: 3}", "fields.entry: max_length (3) is below min_length (9)"),
    ("{type: list, of: text, min_items: 4, max_items: 2}", "fields.entry: max_items (2) is below min_items (4)"),
    ("{type: choice, choices: []}", "fields.entry.choices: List should have at least 1 item after validation, not 0"),
    ("{type: money}", ("fields.entry.type: Input should be 'text', 'int', 'number', 'bool', 'date', 'datetime', "
                       "'choice', 'list' or 'object' (got 'money')")),
]  # fmt: skip


def _parse(text: str) -> Workflow | Kind:
    return parse_document(load_text(text, "test.yaml"))


@pytest.mark.parametrize(("spec", "message"), FIELD_SPECS, ids=[spec for spec, _ in FIELD_SPECS])
def test_field_spec_constraints_must_fit_the_type(spec: str, message: str) -> None:
    """A constraint that does not apply to a field's type, a missing one, or inverted bounds are refused."""
    with pytest.raises(DefinitionError, match=re.escape(message)) as info:
        _parse(KIND.replace("{SPEC}", spec))
    assert [problem.message for problem in info.value.problems] == [message]


def test_a_list_of_objects_and_nested_objects_parse() -> None:
    """`of:` takes a type name or a mapping of fields, and `object` nests `fields`."""
    kind = _parse(
        KIND.replace(
            "{SPEC}", "{type: list, of: {when: {type: date}, where: {type: object, fields: {room: {type: text}}}}}"
        )
    )
    assert isinstance(kind, Kind)
    entry = kind.fields["entry"]
    assert isinstance(entry.of, dict)
    assert entry.of["where"].fields is not None
    assert list(entry.of["where"].fields) == ["room"]


def test_cardinality_defaults_to_at_least_one_and_unbounded() -> None:
    """A role written `{}` needs at least one holder and has no upper bound."""
    workflow = _parse(WORKFLOW)
    assert isinstance(workflow, Workflow)
    assert [(role.min, role.max) for role in workflow.roles.values()] == [(1, 1), (1, None)]


@pytest.mark.parametrize(("trigger", "sources"), [("close", ["open"]), ("leave", ["open"])])
def test_sources_expand_star_to_every_non_final_state(trigger: str, sources: list[str]) -> None:
    """`from: "*"` means every state that is not final; a list means its states."""
    workflow = _parse(WORKFLOW)
    assert isinstance(workflow, Workflow)
    (transition,) = [t for t in workflow.transitions if t.trigger == trigger]
    assert workflow.sources(transition) == sources


def test_requirements_given_as_models_keep_their_form() -> None:
    """Combinators built in Python from requirement objects (not YAML mappings) keep each child's form."""
    requirement = AllOf.model_validate(
        {"all": [Complete(complete="idp"), NotReq.model_validate({"not": Signed(signed="idp")})]}
    )
    assert isinstance(requirement.all[0], Complete)
    assert isinstance(requirement.all[1], NotReq)
    assert isinstance(requirement.all[1].not_, Signed)


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ((), ""),
        (("states",), "states"),
        (("transitions", 0, "requires", 1, "all", 0), "transitions[0].requires[1].all[0]"),
    ],
)
def test_format_path_reads_like_the_yaml(path: tuple[str | int, ...], text: str) -> None:
    """Paths in messages use `.key` for mappings and `[index]` for lists."""
    assert format_path(path) == text
