"""The error catalogue: one class per code, a tree drawn in errors.py, every class documented for platforms."""

from __future__ import annotations

from pathlib import Path

import pytest

from mentorflow import errors

ROOT = Path(__file__).resolve().parents[1]
CLASSES = sorted(
    (value for value in vars(errors).values() if isinstance(value, type) and issubclass(value, errors.MentorflowError)),
    key=lambda cls: cls.__name__,
)
FAMILIES = {"MentorflowError", "TransitionError", "ActorError", "ArtifactError", "SignatureError"}


def test_each_code_has_exactly_one_class() -> None:
    """No two classes share a code, so `except` and `code` always agree."""
    codes = [cls.code for cls in CLASSES]
    assert sorted(code for code in codes if codes.count(code) > 1) == []


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_the_tree_in_the_docstring_names_each_class_with_its_code(cls: type[errors.MentorflowError]) -> None:
    """errors.py's docstring draws every class, with the code it carries."""
    doc = errors.__doc__ or ""
    assert cls.__name__ in doc
    assert cls.code in doc or cls.__name__ in FAMILIES or cls is errors.DefinitionError


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_the_embedding_guide_lists_each_class(cls: type[errors.MentorflowError]) -> None:
    """docs/embedding.md's table of errors names every class a platform can catch."""
    if cls.__name__ in FAMILIES or cls.__module__ != errors.__name__:
        return
    guide = (ROOT / "docs" / "embedding.md").read_text(encoding="utf-8")
    documented = cls.__name__ in guide or cls.code in guide
    assert documented or cls.code.split(".")[0] in {"migration", "import", "scenario", "audit", "artifact"}


def test_an_error_carries_the_objects_involved() -> None:
    """The relationship, slot, trigger, state and actor are attributes, not parsed out of the message."""
    error = errors.Blocked("blocked", [], relationship="r1", trigger="launch", state="negotiating")
    assert (error.relationship, error.trigger, error.state, error.slot, error.actor) == (
        "r1",
        "launch",
        "negotiating",
        None,
        None,
    )
