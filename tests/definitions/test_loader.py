"""The safe YAML loader: YAML 1.2 booleans, merges, bounded aliases, refused oddities, and 1-based key positions."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest

from mentorflow.definitions import Workflow
from mentorflow.definitions.checks import check_workflow
from mentorflow.definitions.parse import parse_document
from mentorflow.definitions.yamlsafe import MAX_DEPTH, MAX_NODES, Located, load_text, read_file
from mentorflow.errors import DefinitionError

ON_OFF_WORKFLOW = """\
mentorflow: 1
workflow: on-call-rota
version: 1
title: On-call mentoring rota
roles:
  on: {min: 1, max: 1}
  off: {min: 0}
phases: [yes, no]
states:
  pending: {phase: yes, initial: true}
  yes: {phase: no, final: true, outcome: success}
  no: {final: true, outcome: ended}
transitions:
  - {trigger: on, from: pending, to: yes, by: [on]}
  - {trigger: off, from: pending, to: no, by: [on, off]}
"""

YAML11_BOOLEANS = ["yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "n"]


def _load(text: str) -> object:
    return load_text(text, "test.yaml").value


@pytest.mark.parametrize("word", YAML11_BOOLEANS)
def test_yaml11_boolean_words_stay_strings(word: str) -> None:
    """`yes`, `no`, `on` and `off` in every spelling load as the text written, not as booleans."""
    assert _load(f"name: {word}\n") == {"name": word}


@pytest.mark.parametrize(("word", "value"), [("true", True), ("True", True), ("FALSE", False), ("false", False)])
def test_yaml12_booleans_are_booleans(word: str, value: bool) -> None:
    """Only `true` and `false` (any case YAML 1.2 allows) are booleans."""
    assert _load(f"final: {word}\n") == {"final": value}


def test_yes_no_on_off_are_usable_as_names() -> None:
    """A workflow may name roles `on`/`off`, phases and states `yes`/`no`, and triggers `on`/`off`."""
    doc = load_text(ON_OFF_WORKFLOW, "rota.yaml")
    workflow = parse_document(doc)
    assert isinstance(workflow, Workflow)
    assert check_workflow(workflow, doc) == []
    assert list(workflow.roles) == ["on", "off"]
    assert workflow.phases == ["yes", "no"]
    assert list(workflow.states) == ["pending", "yes", "no"]
    assert [(t.trigger, t.to, t.by) for t in workflow.transitions] == [
        ("on", "yes", ["on"]),
        ("off", "no", ["on", "off"]),
    ]


def test_unquoted_dates_and_times_load_as_date_objects() -> None:
    """YAML timestamps load as `date` and `datetime`, which artifact content and errors rely on."""
    assert _load("on: 2026-09-01\nat: 2026-09-01 14:00:00\n") == {
        "on": dt.date(2026, 9, 1),
        "at": dt.datetime(2026, 9, 1, 14, 0),  # noqa: DTZ001 - a YAML timestamp without a zone loads naive
    }


def test_a_bare_equals_sign_is_text() -> None:
    """`=` (the YAML 1.1 "value" key, which PyYAML cannot construct) loads as the string it is."""
    assert _load("description: =\n=: 1\n") == {"description": "=", "=": 1}


def test_an_empty_document_loads_as_nothing() -> None:
    """An empty file loads as `None` (parsing then says it is not a definition)."""
    assert _load("# nothing yet\n") is None


def test_merge_copies_keys_and_explicit_keys_win() -> None:
    """`<<: *anchor` copies the anchor's keys; keys written beside it override the copied ones."""
    text = """\
plan: &plan {kind: idp, submitted_by: [mentee], signed_by: [mentor, mentee]}
review:
  kind: reflection
  <<: *plan
"""
    assert _load(text) == {
        "plan": {"kind": "idp", "submitted_by": ["mentee"], "signed_by": ["mentor", "mentee"]},
        "review": {"kind": "reflection", "submitted_by": ["mentee"], "signed_by": ["mentor", "mentee"]},
    }


def test_merge_of_several_mappings_prefers_the_earlier() -> None:
    """In `<<: [*a, *b]`, a key both define takes `a`'s value, as YAML's merge type says."""
    text = "a: &a {x: 1}\nb: &b {x: 2, y: 2}\nc: {<<: [*a, *b]}\n"
    assert _load(text) == {"a": {"x": 1}, "b": {"x": 2, "y": 2}, "c": {"x": 1, "y": 2}}


def test_a_mapping_with_a_merge_can_itself_be_aliased_again() -> None:
    """Reusing an anchor whose mapping merges and overrides a key is not mistaken for a duplicate key."""
    text = "base: &b {x: 1}\nderived: &d\n  <<: *b\n  x: 2\nagain: *d\nmore: {<<: [*d, *b]}\n"
    assert _load(text) == {"base": {"x": 1}, "derived": {"x": 2}, "again": {"x": 2}, "more": {"x": 2}}


def test_merged_keys_are_located_where_they_are_written() -> None:
    """A merged key points at the anchor's text; a key written beside the merge points at itself."""
    doc = load_text("a: &a {x: 1, y: 1}\nb:\n  <<: *a\n  y: 2\n")
    assert doc.positions[("b", "x")] == (1, 8)
    assert doc.positions[("b", "y")] == (4, 3)


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [("a: {<<: [1, 2]}\n", 1, 9), ("a: {<<: text}\n", 1, 9), ("a: &a [1]\nb: {<<: [*a]}\n", 2, 9)],
    ids=["list-of-scalars", "scalar", "alias-of-list"],
)
def test_merging_anything_but_mappings_is_a_syntax_error(text: str, line: int, column: int) -> None:
    """`<<` takes a mapping or a list of mappings; anything else is refused where it is written."""
    with pytest.raises(DefinitionError, match=rf"^test\.yaml:{line}:{column}: definition\.syntax: invalid merge"):
        load_text(text, "test.yaml")


def test_two_merge_keys_in_one_mapping_are_duplicates() -> None:
    """A second `<<` in one mapping is a duplicate key, not a silent second merge."""
    with pytest.raises(
        DefinitionError,
        match=r"^test\.yaml:4:3: definition\.duplicate_key: duplicate key '<<' \(first defined at line 3\)",
    ):
        load_text("a: &a {x: 1}\nb:\n  <<: *a\n  <<: {y: 2}\n", "test.yaml")


@pytest.mark.parametrize(
    "text",
    ["steps: &s [one, *s]\n", "state: &s {<<: *s}\n", "state: &s {next: *s}\n", "l: &l [{<<: *l}]\n"],
    ids=["list", "merge", "mapping", "merge-of-enclosing-list"],
)
def test_recursive_alias_is_refused(text: str) -> None:
    """An alias to a node that contains it is refused with `definition.too_complex`, never expanded."""
    with pytest.raises(DefinitionError, match=r"definition\.too_complex: an alias refers to a node that contains it"):
        load_text(text)


def test_billion_laughs_stops_at_the_node_limit() -> None:
    """Nine levels of nine aliases are refused once the expansion passes the node limit."""
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    with pytest.raises(DefinitionError, match=f"more than {MAX_NODES} values"):
        load_text("\n".join(lines))


def test_merge_bomb_stops_at_the_node_limit() -> None:
    """Merges that double at every level are counted as they expand, so thirty levels are refused quickly."""
    items = ["&m0 {k: v}"] + [f"&m{i} {{<<: [*m{i - 1}, *m{i - 1}], k{i}: v}}" for i in range(1, 30)]
    with pytest.raises(DefinitionError, match=f"more than {MAX_NODES} values"):
        load_text("<<: [" + ", ".join(items) + "]\n")


@pytest.mark.parametrize(
    "text",
    ["- " * (MAX_DEPTH + 2) + "x\n", "a: {" * 2000 + "}" * 2000 + "\n"],
    ids=["beyond-the-limit", "beyond-the-parser"],
)
def test_deep_nesting_is_refused(text: str) -> None:
    """Nesting deeper than the limit, even deep enough to exhaust PyYAML's recursion, is `too_complex`."""
    with pytest.raises(DefinitionError, match=f"definition.too_complex: the document nests deeper than {MAX_DEPTH}"):
        load_text(text)


def test_nesting_up_to_the_limit_loads() -> None:
    """A document nested exactly to the limit loads."""
    assert load_text("- " * MAX_DEPTH + "x\n").value is not None


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ("roles:\n  mentor: {min: 1}\n  mentor: {min: 2}\n", 3, 3, "duplicate key 'mentor' (first defined at line 2)"),
        ("a:\n  b: {x: 1, x: 2}\n", 2, 13, "duplicate key 'x' (first defined at line 2)"),
        ("1: a\n1: b\n", 2, 1, "duplicate key 1 (first defined at line 1)"),
    ],
    ids=["nested", "flow", "integer"],
)
def test_duplicate_keys_are_refused_at_the_second(text: str, line: int, column: int, message: str) -> None:
    """A key written twice in one mapping is refused at the second, naming the first's line."""
    with pytest.raises(
        DefinitionError, match=rf"^test\.yaml:{line}:{column}: definition\.duplicate_key: {re.escape(message)}"
    ):
        load_text(text, "test.yaml")


@pytest.mark.parametrize(
    ("text", "line", "column", "message"),
    [
        ("title: [unclosed\n", 2, 1, "while parsing a flow sequence that starts at line 1, column 8, expected"),
        ("a: b: c\n", 1, 5, "mapping values are not allowed here"),
        ("a: 1\n---\nb: 2\n", 2, 1, "expected a single document in the stream"),
        ("? [a, b]\n: c\n", 1, 3, "a mapping key must be a plain value"),
        ("title: \x07bell\n", 1, 8, "special characters are not allowed (character #x0007)"),
        ("a: 1\nb: x\x00\n", 2, 5, "special characters are not allowed (character #x0000)"),
        ("a: *nowhere\n", 1, 4, "found undefined alias 'nowhere'"),
    ],
    ids=["unclosed", "colon", "two-documents", "list-key", "bell", "nul", "undefined-alias"],
)
def test_syntax_errors_are_located(text: str, line: int, column: int, message: str) -> None:
    """Malformed YAML is `definition.syntax` at the line and column of the problem."""
    with pytest.raises(
        DefinitionError, match=rf"^test\.yaml:{line}:{column}: definition\.syntax: .*{re.escape(message)}"
    ):
        load_text(text, "test.yaml")


@pytest.mark.parametrize(
    "scalar",
    ["!!int ''", "!!int", "!!int '-'", "!!int 0x", "!!float ''", "!!bool maybe", "!!timestamp soon", "!!merge x"],
)
def test_malformed_tagged_scalars_are_syntax_errors(scalar: str) -> None:
    """An explicit tag on a value it cannot construct is `definition.syntax` at the value, not a crash."""
    with pytest.raises(DefinitionError, match=r"^test\.yaml:1:4: definition\.syntax: invalid value"):
        load_text(f"a: {scalar}\n", "test.yaml")


def test_binary_values_are_refused() -> None:
    """`!!binary` would load as bytes, which no definition uses and no bundle can hash; it is refused."""
    with pytest.raises(DefinitionError, match=r"^test\.yaml:2:11: definition\.syntax: binary values \(!!binary\)"):
        load_text("check: has_funding\nargs: {x: !!binary aGVsbG8=}\n", "test.yaml")


@pytest.mark.parametrize("scalar", [".inf", "-.inf", ".nan", "1.0e+400"])
def test_numbers_that_are_not_finite_are_refused_where_written(scalar: str) -> None:
    """A definition is hashed as JSON, which has no infinity: `.inf` passed validation, then crashed `start`."""
    with pytest.raises(
        DefinitionError, match=rf"^test\.yaml:2:11: definition\.invalid_value: invalid value '{re.escape(scalar)}'"
    ):
        load_text(f"check: ok\nargs: {{x: {scalar}}}\n", "test.yaml")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="this system has no named pipes")
def test_a_named_pipe_without_a_writer_reads_as_empty_instead_of_waiting(tmp_path: Path) -> None:
    """Opening a pipe for reading waits for a writer, for ever: `workflow validate pipe.yaml` used to hang."""
    pipe = tmp_path / "pipe.yaml"
    os.mkfifo(pipe)
    assert read_file(pipe).value is None


def test_python_tags_are_refused() -> None:
    """The safe loader constructs no Python objects."""
    with pytest.raises(DefinitionError, match=r"definition\.syntax: invalid value"):
        load_text("a: !!python/name:os.system\n")


def test_positions_are_one_based_and_point_at_keys() -> None:
    """Each key's path maps to the line and column of the key; list items to where the item starts."""
    doc = load_text("mentorflow: 1\nroles:\n  mentor: {min: 1}\nphases:\n  - prepare\n  - launch\n")
    assert doc.positions[()] == (1, 1)
    assert doc.positions[("mentorflow",)] == (1, 1)
    assert doc.positions[("roles",)] == (2, 1)
    assert doc.positions[("roles", "mentor")] == (3, 3)
    assert doc.positions[("roles", "mentor", "min")] == (3, 12)
    assert doc.positions[("phases", 1)] == (6, 5)


@pytest.mark.parametrize(
    ("path", "position"),
    [(("roles", "mentor", "max"), (2, 3)), (("roles", "nobody", "min"), (1, 1)), (("other",), (1, 1)), ((), (1, 1))],
    ids=["missing-leaf", "missing-middle", "missing-top", "root"],
)
def test_where_falls_back_to_the_nearest_located_ancestor(path: tuple[str, ...], position: tuple[int, int]) -> None:
    """A path the document lacks is located at its nearest ancestor that exists, else at 1:1."""
    doc = load_text("roles:\n  mentor: {min: 1}\n")
    assert doc.where(path) == position


def test_an_empty_location_table_places_problems_at_the_start() -> None:
    """A document with no positions (an empty file) reports problems at 1:1 of its file."""
    problem = Located(None, "empty.yaml").problem("definition.not_a_definition", "empty")
    assert (problem.file, problem.line, problem.column) == ("empty.yaml", 1, 1)


@pytest.mark.parametrize(
    ("scalar", "reason"),
    [
        ("!!int x", "invalid value 'x': it is not a whole number"),
        ("!!int ''", "invalid value '': it is not a whole number"),
        ("!!float x", "invalid value 'x': it is not a number"),
        ("!!bool maybe", "invalid value 'maybe': it is not true or false"),
        ("!!timestamp soon", "invalid value 'soon': it is not a date or time"),
        ("2026-13-45", "invalid value '2026-13-45': it is not a date or time (month must be in 1..12)"),
        ("!!python/object:os.system x", "the tag !!python/object:os.system is not allowed; use plain YAML values"),
        ("!custom x", "the tag !custom is not allowed; use plain YAML values"),
    ],
)
def test_a_value_that_does_not_fit_its_tag_is_said_in_yaml_terms(scalar: str, reason: str) -> None:
    """The reason names what the tag wants, never the Python error behind it (`invalid literal for int()`)."""
    with pytest.raises(DefinitionError, match=rf"^test\.yaml:1:4: definition\.syntax: .*{re.escape(reason)}$"):
        load_text(f"a: {scalar}\n", "test.yaml")


@pytest.mark.parametrize("separator", ["\x85", "\u2028", "\u2029"])
def test_positions_count_lines_as_editors_do(separator: str) -> None:
    """PyYAML also breaks lines at NEL, U+2028 and U+2029; an editor does not, so every later position was off."""
    text = f'title: "a{separator}b"\nroles:\n  mentor: {{}}\n'
    assert load_text(text, "test.yaml").positions[("roles", "mentor")] == (3, 3)
    with pytest.raises(DefinitionError, match=r"^test\.yaml:5:1: definition\.syntax"):
        load_text(text + "version: [\n", "test.yaml")
