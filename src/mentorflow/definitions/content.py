"""Content checked against its artifact kind: what makes a submission wrong, and what makes it merely unfinished.

It belongs to the language (a kind's YAML says what its content may be), so it lives beside the models and is
shared by the engine, which refuses bad content, and by anyone validating content without a database.

The two are kept apart on purpose. A value of the wrong shape (a number where a date belongs, a key the kind does
not know) is rejected outright with every bad path, because storing it would mislead everyone who reads it later.
A missing required value is normal for a draft: the revision is stored as incomplete, and ``missing`` says what is
left to fill in.

Before its shape, content is measured against the limits (``MAX_DEPTH`` levels, ``MAX_BYTES`` of canonical JSON)
by an iterative walk that stops as soon as a limit is passed: content from outside (an API call, a file) may be
nested deep enough to exhaust the interpreter's stack, or large enough to exhaust memory, and neither may reach the
recursive shape check or the JSON encoder. Messages quote values cut short, so that a refusal never echoes a
large submission back.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import reprlib
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any

from mentorflow.canonical import canonical_json, sha256_hex
from mentorflow.definitions.models import NAME_PATTERN, FieldSpec, Kind
from mentorflow.errors import ArtifactInvalid, ArtifactTooLarge, PathError

__all__ = ["MAX_BYTES", "MAX_DEPTH", "Checked", "check_content"]

MAX_DEPTH = 64
"""Levels of mappings and lists, the content's own mapping being the first."""
MAX_BYTES = 1024 * 1024
"""The size of the content as canonical JSON (UTF-8), as it is stored and hashed."""
_INT_RANGE = range(-(2**63), 2**63)
"""Integers a platform's database and JSON tools can hold: 64 bits, signed."""

_NAME = re.compile(NAME_PATTERN)
_NAME_LENGTH = 63
"""The longest name the language allows (``models.Name``); a longer key is quoted, cut short, like any other."""
_SURROGATE = re.compile("[\ud800-\udfff]")
_SHORT = reprlib.Repr()
_SHORT.maxstring = 40
_SHORT.maxother = 60
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = _SHORT.maxset = 4
_SHORT.maxlevel = 2


@cache
def _scalar(name: str) -> FieldSpec:
    """The spec of each item of a ``list`` of a scalar type (``of: text``).

    Made on first use: a model made at import builds its validator then, which every command would pay for.
    """
    return FieldSpec.model_validate({"type": name})


@dataclass(frozen=True)
class Checked:
    """Content that passed the shape check, normalised to JSON values, with the paths still missing."""

    content: dict[str, Any]
    missing: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing

    @cached_property
    def canonical(self) -> str:
        """The stored and hashed form of the content."""
        return canonical_json(self.content)

    @property
    def content_hash(self) -> str:
        return sha256_hex(self.canonical)


def check_content(kind: Kind, content: Any) -> Checked:
    """Check ``content`` against ``kind``: ``ArtifactTooLarge`` over the limits, else ``ArtifactInvalid`` listing
    every shape error, else the normalised content and what it still misses."""
    _check_limits(kind, content)
    walker = _Walker()
    if not isinstance(content, dict):
        raise ArtifactInvalid(
            f"{kind.kind} content must be a mapping of fields",
            [PathError("", f"expected a mapping, got {_type_name(content)}")],
        )
    normalised = walker.fields(kind.fields, content, "")
    if walker.errors:
        raise ArtifactInvalid(
            f"{kind.kind} content has {len(walker.errors)} invalid value{'s' if len(walker.errors) > 1 else ''}",
            walker.errors,
        )
    checked = Checked(normalised, walker.missing)
    try:
        size = len(checked.canonical.encode("utf-8"))
    except UnicodeEncodeError as exc:  # rare, so searched for only when encoding fails
        raise ArtifactInvalid(
            f"{kind.kind} content cannot be stored",
            [PathError(path, "text contains unpaired surrogate characters") for path in _unencodable(normalised)],
        ) from exc
    # `_check_limits` measured a lower bound; normalising (dates become text) and escaping can add a little.
    if size > MAX_BYTES:
        raise _too_large(kind, f"is larger than {MAX_BYTES} bytes as JSON ({size} bytes)")
    return checked


def _unencodable(content: dict[str, Any]) -> list[str]:
    """The paths of the texts in normalised content that UTF-8 cannot encode (unpaired surrogates)."""
    found = []
    stack: list[tuple[str, Any]] = [("", content)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            stack.extend((_join(path, key), child) for key, child in value.items())
        elif isinstance(value, list):
            stack.extend((f"{path}[{index}]", child) for index, child in enumerate(value))
        elif isinstance(value, str) and _SURROGATE.search(value):
            found.append(path)
    return sorted(found)


def _too_large(kind: Kind, what: str) -> ArtifactTooLarge:
    return ArtifactTooLarge(
        f"{kind.kind} content {what}; the limits are {MAX_BYTES} bytes ({MAX_BYTES // 1024 // 1024} MiB) of JSON and "
        f"{MAX_DEPTH} levels of nesting",
        hint="Submit less: split long records into items, or keep large documents in the platform and submit a link.",
    )


def _check_limits(kind: Kind, content: Any) -> None:
    """Refuse content nested deeper than ``MAX_DEPTH`` or surely larger than ``MAX_BYTES`` as canonical JSON.

    Iterative (one level of nesting at a time), and it stops as soon as a limit is passed: a container's members
    are counted before they are visited, so that its cost is bounded by the limits and not by the content. Sizes
    are lower bounds of the JSON encoding (a character takes at least a byte, an integer at least the digits its
    bits need), so that nothing within the limits is refused here; ``check_content`` measures exactly afterwards.
    """
    size = 0
    depth = 0
    level: list[Any] = [content]
    while level:
        depth += 1
        below: list[Any] = []
        for value in level:
            if isinstance(value, dict | list | tuple):
                if depth > MAX_DEPTH:
                    raise _too_large(kind, f"is nested more than {MAX_DEPTH} levels deep")
                size += 1 + max(len(value), 1)  # the brackets, and a comma between members
                if size <= MAX_BYTES:
                    if isinstance(value, dict):
                        size += sum(len(key) + 3 if isinstance(key, str) else 3 for key in value)
                        below.extend(value.values())
                    else:
                        below.extend(value)
            else:
                size += _scalar_size(value)
            if size > MAX_BYTES:
                raise _too_large(kind, f"is larger than {MAX_BYTES} bytes as JSON")
        level = below


def _scalar_size(value: Any) -> int:
    """At least the bytes of ``value`` in JSON."""
    if isinstance(value, str):
        return len(value) + 2
    if isinstance(value, bool) or value is None:
        return 4
    if isinstance(value, int):
        return 1 + (value.bit_length() * 3) // 10
    return 1


def _shown(value: Any) -> str:
    """A submitted value as a message quotes it: its repr, cut short."""
    return _SHORT.repr(value)


def _type_name(value: Any) -> str:
    return {
        dict: "a mapping",
        list: "a list",
        str: "text",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        type(None): "nothing",
    }.get(type(value), type(value).__name__)


def _join(base: str, key: str) -> str:
    return f"{base}.{key}" if base else key


def _key_path(base: str, key: Any) -> str:
    """The path of an unknown key; one that is not a plain name is quoted, so that `""` or `"a.b"` stay visible."""
    plain = isinstance(key, str) and len(key) <= _NAME_LENGTH and _NAME.fullmatch(key)
    return _join(base, key) if plain else f"{base}[{_shown(key)}]"


class _Walker:
    def __init__(self) -> None:
        self.errors: list[PathError] = []
        self.missing: list[str] = []

    def bad(self, path: str, message: str) -> None:
        self.errors.append(PathError(path, message))

    def fields(self, specs: dict[str, FieldSpec], content: dict[Any, Any], base: str) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key in content:
            if key not in specs:
                self.bad(_key_path(base, key), f"unknown field; known fields: {', '.join(specs)}")
        for name, spec in specs.items():
            path = _join(base, name)
            value = content.get(name)
            if _is_empty(value):
                if spec.required:
                    self.missing.append(path)
                if value is not None:
                    result[name] = value
                continue
            checked = self.value(spec, value, path)
            if checked is not None:
                result[name] = checked
        return result

    def value(self, spec: FieldSpec, value: Any, path: str) -> Any:  # noqa: C901, PLR0911, PLR0912 - one case per type
        kind = spec.type
        if kind == "text":
            if not isinstance(value, str):
                return self.bad(path, f"expected text, got {_type_name(value)}")
            if spec.max_length is not None and len(value) > spec.max_length:
                return self.bad(path, f"text is longer than {spec.max_length} characters")
            if spec.min_length is not None and len(value) < spec.min_length:
                return self.bad(path, f"text is shorter than {spec.min_length} characters")
            return value
        if kind in ("int", "number"):
            ok = isinstance(value, int) or (kind == "number" and isinstance(value, float) and math.isfinite(value))
            if isinstance(value, bool) or not ok:
                got = repr(value) if isinstance(value, float) and not math.isfinite(value) else _type_name(value)
                return self.bad(path, f"expected {'an integer' if kind == 'int' else 'a finite number'}, got {got}")
            if isinstance(value, int) and value not in _INT_RANGE:
                return self.bad(path, "the number has too many digits to store: integers must fit in 64 bits")
            if (spec.min is not None and value < spec.min) or (spec.max is not None and value > spec.max):
                return self.bad(path, f"{value} is outside {_bounds(spec)}")
            return value
        if kind == "bool":
            return (
                value if isinstance(value, bool) else self.bad(path, f"expected true or false, got {_type_name(value)}")
            )
        if kind in ("date", "datetime"):
            return self.temporal(kind, value, path)
        if kind == "choice":
            choices = spec.choices or []
            if not isinstance(value, str) or value not in choices:
                return self.bad(path, f"{_shown(value)} is not one of: {', '.join(choices)}")
            return value
        if kind == "list":
            return self.list(spec, value, path)
        return self.object(spec.fields or {}, value, path)

    def list(self, spec: FieldSpec, value: Any, path: str) -> Any:
        if not isinstance(value, list):
            return self.bad(path, f"expected a list, got {_type_name(value)}")
        if spec.max_items is not None and len(value) > spec.max_items:
            return self.bad(path, f"has {len(value)} items; at most {spec.max_items} are allowed")
        if spec.min_items is not None and len(value) < spec.min_items:
            self.missing.append(path)
        of = spec.of
        items = []
        for index, item in enumerate(value):
            item_path = f"{path}[{index}]"
            if _is_empty(item):  # kept in place, so that the paths in `missing` index the stored list
                self.missing.append(item_path)
                items.append(item)
            elif isinstance(of, dict):
                items.append(self.object(of, item, item_path))
            else:
                items.append(self.value(_scalar(of or "text"), item, item_path))
        return items

    def object(self, specs: dict[str, FieldSpec], value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            return self.bad(path, f"expected a mapping, got {_type_name(value)}")
        return self.fields(specs, value, path)

    def temporal(self, kind: str, value: Any, path: str) -> Any:
        if kind == "date":
            if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                return value.isoformat()
            if isinstance(value, str):
                try:
                    return dt.date.fromisoformat(value).isoformat()
                except ValueError:
                    pass
            return self.bad(path, f"expected a date such as 2026-09-01, got {_shown(value)}")
        if isinstance(value, dt.date):  # a YAML `2026-09-01` means midnight, as the string "2026-09-01" does
            return (value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())).isoformat()
        if isinstance(value, str):
            try:
                return dt.datetime.fromisoformat(value).isoformat()
            except ValueError:
                pass
        return self.bad(path, f"expected a date and time such as 2026-09-01T14:00:00Z, got {_shown(value)}")


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _bounds(spec: FieldSpec) -> str:
    def show(number: float) -> str:
        return str(int(number)) if float(number).is_integer() else str(number)

    if spec.min is not None and spec.max is not None:
        return f"{show(spec.min)}..{show(spec.max)}"
    if spec.min is not None:
        return f"at least {show(spec.min)}"
    return f"at most {show(spec.max or 0)}"
