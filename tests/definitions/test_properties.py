"""Invariants over generated input: the definition pipeline and the content check fail only in their own terms.

Whatever an author writes, loading, parsing and checking a definition either succeeds or raises
``DefinitionError`` with located problems; whatever a participant submits, checking it against a kind either
accepts it (complete or not, with well-formed missing paths) or raises ``ArtifactInvalid`` naming every bad path.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mentorflow.canonical import canonical_json
from mentorflow.definitions import Bundle, Kind, Registry, Workflow, builtin_dir
from mentorflow.definitions.checks import check_references, check_workflow
from mentorflow.definitions.content import check_content
from mentorflow.definitions.models import FieldSpec
from mentorflow.definitions.parse import parse_document
from mentorflow.definitions.yamlsafe import load_text
from mentorflow.errors import ArtifactInvalid, DefinitionError

REGISTRY = Registry()
KINDS = REGISTRY.kinds()
WORKFLOWS = {
    entry.definition.workflow: entry.definition
    for entry in REGISTRY.workflows()
    if isinstance(entry.definition, Workflow)
}
SOURCES = {path.name: path.read_text() for path in sorted(builtin_dir().rglob("*.yaml"))}
DOCUMENTS = {name: load_text(text, name).value for name, text in SOURCES.items()}

# a path as `missing` spells it: a field name, then `.name` or `[index]` steps; an error's path may also quote a key
PATH = re.compile(r"[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*|\[\d+\])*")
LINE_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")
ERROR_PATH = re.compile(r"([a-z][a-z0-9_-]*|\[.+\])(\.[a-z][a-z0-9_-]*|\[.+\])*", re.DOTALL)

KEYS = sorted(
    {"mentorflow", "workflow", "kind", "version", "title", "roles", "phases", "artifacts", "states", "transitions"}
    | {"min", "max", "initial", "final", "outcome", "phase", "obligations", "trigger", "from", "to", "by", "requires"}
    | {"complete", "signed", "count", "current", "all", "any", "not", "check", "args", "within_days", "every_days"}
    | {"starts", "carry", "repeatable", "max_items", "signed_by", "submitted_by", "type", "of", "fields", "choices"}
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(max_size=12),
    st.dates(),
    st.sampled_from(["*", "on", "no", "", "required", "success", "text", "list", "mentor", "idp", "meeting"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(KEYS) | SCALARS, children, max_size=3)
    ),
    max_leaves=8,
)
NAMES = st.one_of(st.from_regex(r"\A[a-z][a-z0-9_-]{0,8}\Z"), st.text(max_size=8), st.sampled_from(["*", "Bad Name"]))

YAML_TOKENS = [
    "mentorflow: 1\n", "workflow: x\n", "kind: k\n", "title: t\n", "states:\n", "  a: {initial: true}\n",
    ":", " ", "\n", "  ", "- ", "[", "]", "{", "}", ",", "&a ", "*a", "<<: ", "!!int ", "!!binary ", "!!str ",
    "!!python/object:os.system ", "!!timestamp ", "'", '"', "#", "|", ">", "? ", "---\n", "...\n", "\t",
    "%YAML 1.1\n", "yes", "1e999", ".nan", "2026-01-01", "=", "~", "\\", "\x00", "\ufeff", "é", "\u2028",
]  # fmt: skip
YAMLISH = st.one_of(
    st.lists(st.sampled_from(YAML_TOKENS) | st.text(max_size=4), max_size=40).map("".join),
    st.text(max_size=120),
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a loaded document, the root included."""
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


def _parent(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        document = document[step]
    return document


@st.composite
def mutated_documents(draw: st.DrawFn) -> tuple[str, Any]:
    """A built-in document after one to three random edits: delete, replace, rename, add or retarget."""
    name = draw(st.sampled_from(sorted(DOCUMENTS)))
    document = copy.deepcopy(DOCUMENTS[name])
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        operation = draw(st.sampled_from(["delete", "replace", "rename", "add", "retarget"]))
        states = document.get("states") if isinstance(document, dict) else None
        if operation == "retarget" and isinstance(states, dict) and states:
            # point a state reference (`from`, `to`, a `from` list item) at another state, maybe a new one
            references = [
                path
                for path in _paths(document)
                if path
                and isinstance(_parent(document, path)[path[-1]], str)
                and _parent(document, path)[path[-1]] in states
            ]
            path = draw(st.sampled_from(references or [("states",)]))
            _parent(document, path)[path[-1]] = draw(st.sampled_from(sorted(map(str, states))) | NAMES)
            continue
        path = draw(st.sampled_from(_paths(document)))
        if not path:
            document = draw(VALUES) if operation == "replace" else document
            continue
        parent, last = _parent(document, path), path[-1]
        if operation == "delete":
            del parent[last]
        elif operation == "replace":
            parent[last] = draw(VALUES)
        elif operation == "rename" and isinstance(parent, dict):
            renamed = draw(NAMES | st.sampled_from(sorted(map(str, parent))))
            items = [(renamed if key == last else key, value) for key, value in parent.items()]
            parent.clear()
            parent.update(items)
        elif operation == "rename":
            parent[last] = draw(NAMES)
        elif isinstance(parent[last], dict):  # add, or retarget in a document without states
            parent[last][draw(st.sampled_from(KEYS) | NAMES)] = draw(VALUES)
    return name, document


def _pipeline(text: str, file: str) -> Workflow | Kind:
    """What the registry does with one file: load, parse, then check the workflow and its references."""
    doc = load_text(text, file)
    definition = parse_document(doc)
    if isinstance(definition, Workflow):
        problems = check_workflow(definition, doc) + check_references(definition, doc, KINDS, WORKFLOWS)
        if problems:
            raise DefinitionError(problems)
    return definition


def _assert_located(error: DefinitionError, text: str, file: str) -> None:
    lines = len(LINE_BREAK.split(text)) + 1  # YAML also breaks lines at \r, NEL and the Unicode separators
    for problem in error.problems:
        assert problem.code.startswith("definition.")
        assert problem.message
        assert problem.file == file
        assert 1 <= problem.line <= lines
        assert problem.column >= 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_documents())
def test_mutated_builtins_fail_only_with_located_definition_errors(mutation: tuple[str, Any]) -> None:
    """A built-in edited at random either still validates or raises `DefinitionError` with located problems."""
    name, document = mutation
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    try:
        definition = _pipeline(text, name)
    except DefinitionError as exc:
        _assert_located(exc, text, name)
        return
    if isinstance(definition, Workflow):
        bundle = Bundle(definition, {slot.kind: KINDS[slot.kind] for slot in definition.artifacts.values()})
        assert Bundle.from_json(bundle.canonical).hash == bundle.hash


@settings(max_examples=200, deadline=None)
@given(YAMLISH)
def test_random_text_fails_only_with_located_definition_errors(text: str) -> None:
    """Any text at all either parses as a definition or raises `DefinitionError` with located problems."""
    try:
        _pipeline(text, "random.yaml")
    except DefinitionError as exc:
        _assert_located(exc, text, "random.yaml")


# pydantic's own wording, which an author never reads: messages say what a key takes in YAML's terms
PYDANTIC_WORDING = re.compile(r"Input should|should (be|have|match)|instance of|Value error|after validation")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_documents())
def test_messages_for_mutated_builtins_are_written_for_authors(mutation: tuple[str, Any]) -> None:
    """Whatever is wrong with an edited built-in, no message or hint uses pydantic's wording."""
    name, document = mutation
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    try:
        _pipeline(text, name)
    except DefinitionError as exc:
        wording = [f"{p.message} | {p.hint}" for p in exc.problems if PYDANTIC_WORDING.search(f"{p.message} {p.hint}")]
        assert wording == []


def _bounded(low: float | None, high: float | None, *, integer: bool) -> st.SearchStrategy[Any]:
    if integer:
        return st.integers(
            min_value=None if low is None else math.ceil(low), max_value=None if high is None else math.floor(high)
        )
    return st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False)


def _text(spec: FieldSpec) -> st.SearchStrategy[str]:
    low = spec.min_length or 0
    high = min(spec.max_length or low + 12, low + 12)
    return st.text(min_size=low, max_size=high)


def well_shaped(spec: FieldSpec) -> st.SearchStrategy[Any]:
    """Values of the shape ``spec`` describes (empty ones included: they are missing, not wrong)."""
    strategies: dict[str, st.SearchStrategy[Any]] = {
        "text": _text(spec),
        "int": _bounded(spec.min, spec.max, integer=True),
        "number": _bounded(spec.min, spec.max, integer=False),
        "bool": st.booleans(),
        "date": st.dates() | st.dates().map(dt.date.isoformat),
        "datetime": st.datetimes() | st.datetimes(timezones=st.just(dt.UTC)).map(dt.datetime.isoformat),
        "choice": st.sampled_from(spec.choices or ["-"]),
    }
    if spec.type in strategies:
        return strategies[spec.type]
    if spec.type == "list":
        item = (
            FieldSpec(type="object", fields=spec.of) if isinstance(spec.of, dict) else FieldSpec(type=spec.of or "text")
        )
        return st.lists(well_shaped(item) | st.none(), max_size=min(spec.max_items or 3, 3))
    return contents(spec.fields or {}, shaped=True)


def any_value(spec: FieldSpec) -> st.SearchStrategy[Any]:
    """Mostly values of the right shape, sometimes values of any shape at all."""
    if spec.type == "list":
        item = (
            FieldSpec(type="object", fields=spec.of) if isinstance(spec.of, dict) else FieldSpec(type=spec.of or "text")
        )
        shaped: st.SearchStrategy[Any] = st.lists(any_value(item), max_size=(spec.max_items or 3) + 1)
    elif spec.type == "object":
        shaped = contents(spec.fields or {}, shaped=False)
    else:
        shaped = well_shaped(spec)
    return st.one_of(shaped, shaped, shaped, st.none(), SCALARS, st.lists(SCALARS, max_size=2))


def contents(fields: dict[str, FieldSpec], *, shaped: bool) -> st.SearchStrategy[dict[Any, Any]]:
    """Mappings of some of ``fields`` (any may be left out); unless ``shaped``, sometimes with an unknown key."""
    known = st.fixed_dictionaries(
        {}, optional={name: well_shaped(spec) if shaped else any_value(spec) for name, spec in fields.items()}
    )
    if shaped:
        return known
    unknown = st.dictionaries(st.text(max_size=6) | st.integers(), SCALARS, max_size=1)
    return st.one_of(known, known, st.tuples(known, unknown).map(lambda pair: pair[1] | pair[0]))


@pytest.mark.parametrize("kind_name", sorted(KINDS))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_any_content_is_accepted_or_rejected_with_every_path(kind_name: str, data: st.DataObject) -> None:
    """Generated content for each built-in kind is accepted with well-formed missing paths, or rejected with paths."""
    kind = KINDS[kind_name]
    content = data.draw(contents(kind.fields, shaped=False))
    try:
        checked = check_content(kind, content)
    except ArtifactInvalid as exc:
        bad_paths = [error.path for error in exc.errors]
    else:
        assert all(PATH.fullmatch(path) for path in checked.missing)
        canonical_json(checked.content)
        return
    assert bad_paths
    assert all(ERROR_PATH.fullmatch(path) for path in bad_paths)


@pytest.mark.parametrize("kind_name", sorted(KINDS))
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_well_shaped_content_is_accepted_and_checking_it_again_changes_nothing(
    kind_name: str, data: st.DataObject
) -> None:
    """Content of the right shape is never rejected, and its stored form checks to itself with the same gaps."""
    kind = KINDS[kind_name]
    checked = check_content(kind, data.draw(contents(kind.fields, shaped=True)))
    again = check_content(kind, checked.content)
    assert (again.content, again.missing) == (checked.content, checked.missing)
    assert all(PATH.fullmatch(path) for path in checked.missing)
