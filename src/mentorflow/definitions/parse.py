"""Turn a loaded YAML document into a ``Workflow`` or ``Kind``, translating pydantic's errors for authors.

pydantic reports locations as tuples that mix YAML keys with the tags of tagged unions; we walk the model types
along each location to tell them apart, so that an error points at the right line and, for an unknown key, names
the nearest key that section accepts and lists them all. ``messages`` words the rest in the author's terms.
"""

from __future__ import annotations

import functools
import types
import typing
from collections.abc import Iterable
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError

from mentorflow.definitions.messages import as_written, describe, did_you_mean, expectation, got, join_alternatives
from mentorflow.definitions.models import (
    OBLIGATION_FORMS,
    REQUIREMENT_FORMS,
    WORKFLOW_ID_PATTERN,
    Kind,
    Workflow,
    obligation_keys,
    requirement_keys,
)
from mentorflow.definitions.yamlsafe import Located, PathKey
from mentorflow.errors import DefinitionError, DefinitionProblem

__all__ = ["format_path", "parse_document", "validation_problems"]

_CODES = {
    "extra_forbidden": "definition.unknown_key",
    "missing": "definition.missing_key",
    "string_pattern_mismatch": "definition.invalid_name",
    "requirement_form": "definition.unknown_requirement",
    "obligation_form": "definition.unknown_requirement",
    "literal_error": "definition.invalid_value",
}
_VALUE_HINT = "See docs/workflow-language.md for what this key takes."
_NAME_HINT = "Names start with a lowercase letter and use only a-z, 0-9, '_' and '-'."
_ID_HINT = "Workflow ids are 2 to 63 characters: a lowercase letter, then only a-z, 0-9 and '-'."
# What authors write for a form under another name: "the plan is approved" is `signed: plan` in this language.
_SYNONYMS = {
    "approved": "signed",
    "approval": "signed",
    "signature": "signed",
    "done": "complete",
    "completed": "complete",
    "finished": "complete",
    "submitted": "complete",
    "guard": "check",
}
_FORM_KEYS = {
    "requirement_form": (REQUIREMENT_FORMS, requirement_keys()),
    "obligation_form": (OBLIGATION_FORMS, obligation_keys()),
}


def format_path(path: PathKey) -> str:
    """``("transitions", 0, "requires")`` as ``transitions[0].requires``."""
    text = ""
    for element in path:
        text += f"[{element}]" if isinstance(element, int) else (f".{element}" if text else str(element))
    return text


def parse_document(doc: Located) -> Workflow | Kind:
    """Validate the structure of one document; raise ``DefinitionError`` listing every problem."""
    value = doc.value
    model: type[Workflow | Kind]
    if isinstance(value, dict) and "scenario" in value:  # it names its workflow too: tell it apart first
        raise DefinitionError(
            [
                doc.problem(
                    "definition.not_a_definition",
                    "the document is a scenario, not a workflow or an artifact kind",
                    hint="Run scenarios with `mentorflow workflow test`; keep them in a `tests/` directory, "
                    "which definitions directories leave out.",
                )
            ]
        )
    if isinstance(value, dict) and "workflow" in value:
        model = Workflow
    elif isinstance(value, dict) and "kind" in value:
        model = Kind
    else:
        raise DefinitionError(
            [
                doc.problem(
                    "definition.not_a_definition",
                    "the document is neither a workflow nor an artifact kind",
                    hint="Start the file with `mentorflow: 1` and either `workflow: ID` or `kind: NAME`.",
                )
            ]
        )
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise DefinitionError(_problems(doc, model, exc.errors(include_url=False))) from None


def validation_problems(doc: Located, model: type[BaseModel], exc: ValidationError) -> list[DefinitionProblem]:
    """``exc``, raised validating ``doc`` as ``model``, as problems worded for authors: the same translation for
    every language written in YAML beside workflows and kinds (scenarios)."""
    return _problems(doc, model, exc.errors(include_url=False))


def _problems(doc: Located, model: type[BaseModel], errors: list[Any]) -> list[DefinitionProblem]:
    """One problem per error, except for a value that fits no member of a plain union (``from: 3``): pydantic
    fails it once per member; that is one problem, and none when a member got further into the value (``from:
    [a, Bad]``, where the list member's own error says what is wrong)."""
    walked = [(error, *_walk(model, tuple(error["loc"]))) for error in errors]
    deeper = {tuple(error["loc"][:at]) for error, _, _, unions in walked for at in unions if len(error["loc"]) > at + 1}
    slots: list[DefinitionProblem | list[tuple[Any, PathKey]]] = []
    groups: dict[tuple[Any, ...], list[tuple[Any, PathKey]]] = {}
    for error, path, allowed, unions in walked:
        loc = tuple(error["loc"])
        union = loc[: unions[-1]] if unions and len(loc) == unions[-1] + 1 else None
        if union is None:
            slots.append(_problem(doc, error, path, allowed))
        elif union not in deeper:
            if union not in groups:
                groups[union] = []
                slots.append(groups[union])
            groups[union].append((error, path))
    return [slot if isinstance(slot, DefinitionProblem) else _union_problem(doc, slot) for slot in slots]


def _union_problem(doc: Located, failures: list[tuple[Any, PathKey]]) -> DefinitionProblem:
    errors = [error for error, _ in failures]
    path = failures[0][1]
    named = next((error for error in errors if error["type"] == "string_pattern_mismatch"), None)
    where = format_path(path) or "the document"
    if named is not None:
        return doc.problem("definition.invalid_name", _pattern_message(where, named), path, _name_hint(named))
    message = join_alternatives(expectation(error) for error in errors) + got(errors[0].get("input"))
    return doc.problem("definition.invalid_value", f"{where}: {message}", path, _VALUE_HINT)


def _problem(doc: Located, error: Any, path: PathKey, allowed: list[str]) -> DefinitionProblem:
    kind = error["type"]
    code = _CODES.get(kind, "definition.invalid_value")
    where = format_path(path[:-1] if kind in ("extra_forbidden", "missing") else path) or "the document"
    hint = _VALUE_HINT
    if kind == "extra_forbidden":
        message = f"unknown key {path[-1]!r} in {where}" + _suggestion(path[-1], allowed)
        hint = f"Allowed keys here: {', '.join(allowed)}." if allowed else "Remove the key."
    elif kind == "missing":
        message = f"missing required key {error['loc'][-1]!r} in {where}"
        hint = "Add the key."
    elif kind == "string_pattern_mismatch":
        message = _pattern_message(where, error)
        hint = _name_hint(error)
    elif error["loc"] and error["loc"][-1] == "[key]":  # a mapping key that is no text at all, such as `2:`
        key = as_written(doc.key(path[:-1], path[-1]))
        message = f"{format_path(path[:-1]) or 'the document'}: the key {key} is not a name"
        hint = _NAME_HINT
    elif kind in _FORM_KEYS:
        message = f"{where}: {_form_message(error, *_FORM_KEYS[kind])}"
        hint = "See the requirement forms in docs/workflow-language.md."
    else:
        message = f"{where}: {describe(error)}"
        if kind in ("bool_type", "bool_parsing"):
            hint = "Flags take `true` or `false`; `yes`, `no`, `on` and `off` are text."
    return doc.problem(code, message, path, hint)


def _pattern_message(where: str, error: Any) -> str:
    what = "workflow id" if error.get("ctx", {}).get("pattern") == WORKFLOW_ID_PATTERN else "name"
    return f"{where}: {error.get('input')!r} is not a valid {what}"


def _name_hint(error: Any) -> str:
    return _ID_HINT if error.get("ctx", {}).get("pattern") == WORKFLOW_ID_PATTERN else _NAME_HINT


def _suggestion(word: object, choices: Iterable[str]) -> str:
    match = did_you_mean(word, choices)
    return f" (did you mean {match!r}?)" if match else ""


def _form_message(error: Any, forms: tuple[str, ...], keys: frozenset[str]) -> str:
    """A requirement (or obligation) none of whose keys names a form: name the keys that are not the language's,
    and the form the author most likely meant."""
    message = str(error["msg"])
    value = error.get("input")
    if not isinstance(value, dict):
        return f"{message}; write it as a mapping such as {{{forms[0]}: SLOT}}" + got(value)
    unknown = [key for key in value if str(key) not in keys]
    if not value:
        return f"{message}; it is empty"
    if not unknown:
        return f"{message}; it has only {', '.join(map(str, value))}"
    synonym = did_you_mean(unknown[0], [word for word, form in _SYNONYMS.items() if form in forms])
    match = did_you_mean(unknown[0], forms) or (_SYNONYMS[synonym] if synonym else did_you_mean(unknown[0], keys))
    listed = ", ".join(repr(key) for key in unknown)
    return f"{message}; unknown key{'s' if len(unknown) > 1 else ''} {listed}" + (
        f" (did you mean {match!r}?)" if match else ""
    )


def _walk(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[PathKey, list[str], list[int]]:
    """The YAML path of a pydantic location (union tags removed), the keys the innermost model accepts, and the
    indexes in ``loc`` where pydantic named the member of a plain union (a name the YAML does not have)."""
    path: list[str | int] = []
    current: Any = model
    allowed: list[str] = []
    unions: list[int] = []
    dict_key_at = -1
    for index, element in enumerate(loc):
        if element == "[key]" and index == len(loc) - 1 and (dict_key_at == index - 1 or current is None):
            break  # pydantic's marker for an invalid mapping key; the key itself is already in the path
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            allowed = [info.alias or name for name, info in current.model_fields.items()]
            name = next((name for name, info in current.model_fields.items() if (info.alias or name) == element), None)
            path.append(element)
            current = _hints(current).get(name) if name is not None else None
            continue
        origin = get_origin(current)
        if origin in (list, dict) and isinstance(element, int | str):
            dict_key_at = index if origin is dict else dict_key_at
            path.append(element)
            current = get_args(current)[-1]
        elif origin in (typing.Union, types.UnionType):
            current = _tagged(current, element)
            if current is None:  # a plain union: pydantic names the branch, the YAML has no such key
                unions.append(index)
                continue
        else:
            path.append(element)
            current = None
    return tuple(path), allowed, unions


@functools.cache
def _hints(model: type[BaseModel]) -> dict[str, Any]:
    """A model's field types with forward references resolved (pydantic keeps ``list[Requirement]`` as a string
    in ``model_fields`` of the models defined before ``Requirement``)."""
    return typing.get_type_hints(model, include_extras=True)


def _unwrap(annotation: Any) -> Any:
    while get_origin(annotation) is typing.Annotated:
        annotation = get_args(annotation)[0]
    args = [arg for arg in get_args(annotation) if arg is not type(None)]
    if get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
        return _unwrap(args[0])
    return annotation


def _tagged(union: Any, tag: Any) -> Any:
    for member in get_args(union):
        metadata = getattr(member, "__metadata__", ())
        if any(getattr(item, "tag", None) == tag for item in metadata):
            return member
    return None
