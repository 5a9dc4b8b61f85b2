"""What a structural error says to a workflow author, in place of pydantic's own wording.

pydantic words its errors for Python programmers ("Input should be a valid dictionary or instance of
Cardinality"); an author wrote YAML and needs to hear what the key takes, in YAML's terms, and what to write
instead. ``parse`` decides where an error is and which code it has; this module only words it.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable
from typing import Any

__all__ = ["describe", "did_you_mean", "expectation", "got", "join_alternatives"]

_TRUE_WORDS = frozenset({"yes", "y", "on"})
_FALSE_WORDS = frozenset({"no", "n", "off"})
_GOT_LIMIT = 60
"""Longer values are cut in messages: the author has the file, and a message should stay one line."""

_TAKES = {
    "int_type": "takes a whole number",
    "int_parsing": "takes a whole number",
    "int_from_float": "takes a whole number",
    "float_type": "takes a number",
    "float_parsing": "takes a number",
    "finite_number": "takes a finite number",
    "string_type": "takes text",
    "list_type": "takes a list, such as [a, b]",
    "dict_type": "takes a mapping, such as {key: value}",
    "model_type": "takes a mapping, such as {key: value}",
    "model_attributes_type": "takes a mapping, such as {key: value}",
}


def _plural(count: Any, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def expectation(error: Any) -> str:  # noqa: PLR0911 - one phrase per kind of error
    """What the value at the error's location should have been, as a predicate: ``takes a whole number``."""
    kind = str(error["type"])
    ctx = error.get("ctx") or {}
    if kind in _TAKES:
        return _TAKES[kind]
    if kind in ("bool_type", "bool_parsing"):
        return _boolean(error.get("input"))
    if kind == "literal_error":
        expected = str(ctx.get("expected", "one of the values listed in the docs"))
        return f"takes {_YAML_WORDS.get(expected, expected)}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        words = {"greater_than_equal": "at least", "greater_than": "more than", "less_than_equal": "at most"}
        limit = next(iter(ctx.values()), "?")
        return f"must be {words.get(kind, 'less than')} {limit}"
    if kind == "string_too_short":
        minimum = ctx.get("min_length", 1)
        return "must not be empty" if minimum == 1 else f"takes at least {_plural(minimum, 'character')}"
    if kind == "string_too_long":
        return f"takes at most {_plural(ctx.get('max_length', '?'), 'character')}"
    if kind in ("too_short", "too_long"):
        mapping = ctx.get("field_type") == "Dictionary"
        count = ctx.get("min_length" if kind == "too_short" else "max_length", "?")
        noun = _plural(count, "entry" if mapping else "item").replace("entrys", "entries")
        container = "a mapping" if mapping else "a list"
        return f"takes {container} of {'at least' if kind == 'too_short' else 'at most'} {noun}"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    return "takes a value of another shape (see docs/workflow-language.md)"


def _meant(value: Any) -> str | None:
    """The boolean a YAML 1.1 word (``yes``, ``off``...) stood for; None for any other value."""
    word = value.strip().lower() if isinstance(value, str) else None
    if word in _TRUE_WORDS:
        return "true"
    return "false" if word in _FALSE_WORDS else None


def _boolean(value: Any) -> str:
    """``repeatable: yes`` loads as the text 'yes' (YAML 1.2): say which boolean the author meant."""
    meant = _meant(value)
    if meant is None:
        return "takes true or false"
    return f"takes true or false: write `{meant}`, not {value!r}, which YAML 1.2 reads as text"


def describe(error: Any) -> str:
    """The whole complaint about one value: what it should have been, and what it was."""
    value = error.get("input")
    if error["type"] in ("bool_type", "bool_parsing") and _meant(value) is not None:
        return _boolean(value)  # it quotes the value already
    return expectation(error) + got(value)


_YAML_WORDS = {"True": "true", "False": "false", "None": "null"}
"""Python's spelling of a literal pydantic expects, and YAML's, which the author writes."""


def as_written(value: object) -> str:
    """A scalar as YAML writes it (``null``, ``true``, ``2026-01-01``, ``'two'``), not as Python prints it."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    return value.isoformat() if isinstance(value, dt.date) else repr(value)


def got(value: Any) -> str:
    """`` (got 'two')`` for a scalar the author wrote; nothing for a list or mapping, which the location shows."""
    if isinstance(value, dict | list):
        return ""
    if value is None:
        return " (got an empty value)"
    text = as_written(value)
    if len(text) > _GOT_LIMIT:
        text = text[: _GOT_LIMIT - 3] + "..."
    return f" (got {text})"


def join_alternatives(predicates: Iterable[str]) -> str:
    """``takes text, '*' or a list``: the predicates of a value that fits no member of a union, said once."""
    unique = list(dict.fromkeys(predicates))
    if len(unique) > 1 and all(predicate.startswith("takes ") for predicate in unique):
        objects = [predicate.removeprefix("takes ").split(", such as")[0] for predicate in unique]
        return "takes " + ", ".join(objects[:-1]) + " or " + objects[-1]
    return "; or ".join(unique)


def did_you_mean(word: object, choices: Iterable[str]) -> str | None:
    """The valid name closest to a misspelt one, if one is close enough to be what the author meant."""
    matches = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None
