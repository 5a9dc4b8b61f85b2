"""`show --format yaml` prints content that `submit --file` reads back unchanged, for every built-in kind."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mentorflow.definitions import Registry
from mentorflow.definitions.content import check_content
from mentorflow.definitions.yamlsafe import dump_text, load_text
from tests.content import INCOMPLETE, VALID

KINDS = Registry([]).kinds()
TRICKY = [
    "yes",
    "no",
    "on",
    "off",
    "null",
    "~",
    "1.0",
    "007",
    "2026-01-01",
    "a: b",
    "- x",
    "#",
    "two\nlines",
    "é ✓",
    "\x85nel",
    "a\u2028b",
    "c\u2029d",
    "\r\n",
]


@pytest.mark.parametrize("sample", ["valid", "incomplete"])
@pytest.mark.parametrize("kind", sorted(VALID), ids=str)
def test_content_survives_yaml_and_back(kind: str, sample: str) -> None:
    """Dumped as YAML and loaded as `submit --file` loads it, the content has the same hash and completeness."""
    content = (VALID if sample == "valid" else INCOMPLETE)[kind]
    before = check_content(KINDS[kind], content)
    after = check_content(KINDS[kind], load_text(dump_text(before.content)).value)
    assert (after.content_hash, after.complete, after.missing) == (before.content_hash, before.complete, before.missing)


@pytest.mark.parametrize("text", TRICKY)
def test_text_that_yaml_would_read_as_something_else_stays_text(text: str) -> None:
    """YAML 1.1 booleans, nulls, numbers and dates written as text come back as the same text."""
    assert load_text(dump_text({"comments": text})).value == {"comments": text}


@given(st.text(st.characters(exclude_categories=["Cs"]), max_size=40))
def test_any_text_comes_back_as_itself(text: str) -> None:
    """Line breaks YAML knows and editors do not (NEL, U+2028, U+2029), control characters, any script."""
    assert load_text(dump_text({"comments": [text]})).value == {"comments": [text]}
