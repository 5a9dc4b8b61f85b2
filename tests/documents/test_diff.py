"""The diff of two contents is exact: applying `changes(a, b)` to `a` gives `b` (hypothesis)."""

from __future__ import annotations

import copy
import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mentorflow.audit.documents import changes
from mentorflow.types import DocumentChange

NAMES = st.sampled_from(["a", "b", "goals", "target_date", "x_1"])
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=False, allow_infinity=False, width=16),
    st.text(max_size=4),
)
VALUES = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(NAMES, inner, max_size=4),
    max_leaves=10,
)
DOCUMENTS = st.dictionaries(NAMES, VALUES, max_size=4)
SHARED = settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _steps(path: str) -> list[str | int]:
    return [name or int(index) for name, index in TOKEN.findall(path)]


def apply(document: dict[str, Any], found: list[DocumentChange]) -> dict[str, Any]:
    """Apply changes as a platform would: set what was added or changed, then delete removals from the end."""
    result = copy.deepcopy(document)
    for change in found:
        if change.change != "removed":
            *parents, last = _steps(change.path)
            target: Any = result
            for step in parents:
                target = target[step]
            if isinstance(target, list) and last == len(target):
                target.append(copy.deepcopy(change.after))
            else:
                target[last] = copy.deepcopy(change.after)
    for change in reversed([c for c in found if c.change == "removed"]):
        *parents, last = _steps(change.path)
        target = result
        for step in parents:
            target = target[step]
        del target[last]
    return result


@SHARED
@given(DOCUMENTS, DOCUMENTS)
def test_applying_the_diff_of_a_and_b_to_a_gives_b(before: dict[str, Any], after: dict[str, Any]) -> None:
    """Whatever the two documents, the changes turn one into the other, and nothing else."""
    assert apply(before, changes(before, after)) == after


@SHARED
@given(DOCUMENTS)
def test_a_document_does_not_differ_from_itself(document: dict[str, Any]) -> None:
    """No change is reported between equal documents."""
    assert changes(document, copy.deepcopy(document)) == []


def test_a_number_and_a_boolean_differ() -> None:
    """`1` and `true` are different JSON, though Python calls them equal."""
    assert [c.change for c in changes({"a": 1}, {"a": True})] == ["changed"]
