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
    ("{type: choice, choices: []}", "fields.entry.choices: takes a list of at least 1 item"),
    ("{type: money}", ("fields.entry.type: takes 'text', 'int', 'number', 'bool', 'date', 'datetime', "
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


def test_added_by_defaults_to_nobody() -> None:
    """A role without `added_by` can be joined by administrators only: the list is empty."""
    workflow = _parse(WORKFLOW)
    assert isinstance(workflow, Workflow)
    assert [role.added_by for role in workflow.roles.values()] == [[], []]


def test_added_by_names_the_roles_that_may_add_people() -> None:
    """`added_by: [ROLES]` is kept in the order written."""
    workflow = _parse(WORKFLOW.replace("mentee: {}", "mentee: {added_by: [mentor, mentee]}"))
    assert isinstance(workflow, Workflow)
    assert workflow.roles["mentee"].added_by == ["mentor", "mentee"]


def test_an_empty_added_by_is_left_out_of_the_stored_form() -> None:
    """A definition without `added_by` dumps as it did before the key existed, so its stored hash is unchanged."""
    workflow = _parse(WORKFLOW.replace("mentee: {}", "mentee: {added_by: [mentor]}"))
    assert isinstance(workflow, Workflow)
    roles = workflow.model_dump(mode="json", by_alias=True)["roles"]
    assert roles == {"mentor": {"min": 1, "max": 1}, "mentee": {"min": 1, "max": None, "added_by": ["mentor"]}}
    assert Workflow.model_validate(workflow.model_dump(by_alias=True)) == workflow


@pytest.mark.parametrize("word", ["yes", "no", "on", "off", "Yes", "OFF", "y", "n", 1, 0, "true"])
@pytest.mark.parametrize(
    ("template", "flag"),
    [
        (WORKFLOW.replace("done: {final: true}", "done: {final: VALUE}"), "states.done.final"),
        (WORKFLOW.replace("open: {initial: true}", "open: {initial: VALUE}"), "states.open.initial"),
        (KIND.replace("{SPEC}", "{type: text, required: VALUE}"), "fields.entry.required"),
    ],
    ids=["final", "initial", "required"],
)
def test_flags_take_yaml12_booleans_only(template: str, flag: str, word: object) -> None:
    """`yes`, `no`, `on`, `off`, numbers and quoted text are refused where a flag belongs, naming the flag."""
    value = f"'{word}'" if word == "true" else str(word)
    with pytest.raises(DefinitionError, match=rf"definition\.invalid_value: {re.escape(flag)}: takes true or false"):
        _parse(template.replace("VALUE", value))


@pytest.mark.parametrize(("word", "meant"), [("yes", "true"), ("On", "true"), ("no", "false"), ("off", "false")])
def test_a_yaml11_boolean_is_refused_with_the_word_to_write(word: str, meant: str) -> None:
    """The message says which of `true` and `false` to write instead of the YAML 1.1 word."""
    with pytest.raises(DefinitionError, match=rf"write `{meant}`, not '{word}', which YAML 1\.2 reads as text"):
        _parse(KIND.replace("{SPEC}", f"{{type: text, required: {word}}}"))


# a structural defect, and the message an author gets for it: never pydantic's own wording
AUTHOR_WORDING = [
    ("title: Pair", "title: [Pair]", "title: takes text"),
    ("title: Pair", "title: ''", "title: must not be empty (got '')"),
    ("version: 1", "version: 1.5", "version: takes a whole number (got 1.5)"),
    # no coercion: what is written is what is meant, and the value is said as YAML writes it
    ("version: 1", "version: '1'", "version: takes a whole number (got '1')"),
    ("version: 1", "version: 1.0", "version: takes a whole number (got 1.0)"),
    ("version: 1", "version: true", "version: takes a whole number (got true)"),
    ("mentee: {}", "mentee: {min: true}", "roles.mentee.min: takes a whole number (got true)"),
    ("version: 1", "version: 0", "version: must be at least 1 (got 0)"),
    # what a database's integer column holds: a larger version passed validation, then crashed `start`
    ("version: 1", "version: 2147483648", "version: must be at most 2147483647 (got 2147483648)"),
    ("mentorflow: 1", "mentorflow: 2", "mentorflow: takes 1 (got 2)"),
    ("mentee: {}", "mentee: 3", "roles.mentee: takes a mapping, such as {key: value} (got 3)"),
    ("mentee: {}", "mentee: {added_by: mentor}", "roles.mentee.added_by: takes a list, such as [a, b] (got 'mentor')"),
    ("mentee: {}", "mentee: {max: 20000}", "roles.mentee.max: must be at most 10000 (got 20000)"),
    ("  gone: {final: true}", "  gone:", "states.gone: takes a mapping, such as {key: value} (got an empty value)"),
    (
        "  gone: {final: true}",
        "  gone: {final: true, outcome: good}",
        "states.gone.outcome: takes 'success' or 'ended'",
    ),
    ("from: [open]", "from: [open], requires: plan", "transitions[0].requires: takes a list, such as [a, b]"),
    (
        "from: [open]",
        "from: [open], requires: [{all: []}]",
        "transitions[0].requires[0].all: takes a list of at least 1",
    ),
    (
        "from: [open]",
        "from: [open], requires: [{check: ok, args: [1]}]",
        "transitions[0].requires[0].args: takes a mapping",
    ),
    (
        "from: [open]",
        "from: [open], requires: [plan]",
        "any, not, check; write it as a mapping such as {complete: SLOT} (got 'plan')",
    ),
    (
        "from: [open]",
        "from: [open], requires: [{by: [mentor]}]",
        "all, any, not, check; it has only by",
    ),
    ("from: [open]", "from: [open], requires: [{}]", "all, any, not, check; it is empty"),
    ("from: [open]", "from: [open], requires: [{sigend: x}]", "unknown key 'sigend' (did you mean 'signed'?)"),
    ("from: [open]", "from: [open], requires: [{approvd: x}]", "unknown key 'approvd' (did you mean 'signed'?)"),
    ("from: [open]", "from: [open], requires: [{finished: x}]", "unknown key 'finished' (did you mean 'complete'?)"),
    ("title: Pair", "titel: Pair", "unknown key 'titel' in the document (did you mean 'title'?)"),
    ("to: done", "to: done, reasn: required", "unknown key 'reasn' in transitions[0] (did you mean 'reason'?)"),
    ("title: Pair", f"title: {'x' * 300}", "title: takes at most 200 characters (got 'xxxxxxxxx"),
]


@pytest.mark.parametrize(("old", "new", "message"), AUTHOR_WORDING, ids=[case[1] for case in AUTHOR_WORDING])
def test_structural_messages_are_written_for_authors(old: str, new: str, message: str) -> None:
    """Each structural defect is said in the YAML author's terms, naming the key and what it takes."""
    assert WORKFLOW.count(old) == 1
    with pytest.raises(DefinitionError) as info:
        _parse(WORKFLOW.replace(old, new))
    messages = [problem.message for problem in info.value.problems]
    assert any(message in text for text in messages), messages
    assert not any("should" in text or "Input" in text or "instance of" in text for text in messages), messages


def test_a_long_value_is_cut_in_the_message() -> None:
    """A refused value is quoted to at most 60 characters, so that a message stays one readable line."""
    with pytest.raises(DefinitionError) as info:
        _parse(WORKFLOW.replace("title: Pair", f"title: {'x' * 300}"))
    (problem,) = info.value.problems
    assert problem.message.endswith("...)")
    assert len(problem.message) < 120
