"""Content validation for artifact kinds: what makes a submission wrong, and what makes it merely unfinished.

The two are kept apart on purpose. A value of the wrong shape (a number where a date belongs, a key the kind does
not know) is rejected outright with every bad path, because storing it would mislead everyone who reads it later.
A missing required value is normal for a draft: the revision is stored as incomplete, and ``missing`` says what is
left to fill in.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any

from mentorflow.definitions.models import NAME_PATTERN, FieldSpec, Kind
from mentorflow.errors import ArtifactInvalid, PathError

__all__ = ["Checked", "check_content"]

_NAME = re.compile(NAME_PATTERN)


@dataclass(frozen=True)
class Checked:
    """Content that passed the shape check, normalised to JSON values, with the paths still missing."""

    content: dict[str, Any]
    missing: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.missing


def check_content(kind: Kind, content: Any) -> Checked:
    """Check ``content`` against ``kind``; raise ``ArtifactInvalid`` listing every shape error."""
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
    return Checked(normalised, walker.missing)


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
    return _join(base, key) if isinstance(key, str) and _NAME.fullmatch(key) else f"{base}[{key!r}]"


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
                return self.bad(path, f"{value!r} is not one of: {', '.join(choices)}")
            return value
        if kind == "list":
            return self.list(spec, value, path)
        if not isinstance(value, dict):
            return self.bad(path, f"expected a mapping, got {_type_name(value)}")
        return self.fields(spec.fields or {}, value, path)

    def list(self, spec: FieldSpec, value: Any, path: str) -> Any:
        if not isinstance(value, list):
            return self.bad(path, f"expected a list, got {_type_name(value)}")
        if spec.max_items is not None and len(value) > spec.max_items:
            return self.bad(path, f"has {len(value)} items; at most {spec.max_items} are allowed")
        if spec.min_items is not None and len(value) < spec.min_items:
            self.missing.append(path)
        item_spec = (
            FieldSpec(type="object", fields=spec.of) if isinstance(spec.of, dict) else FieldSpec(type=spec.of or "text")
        )
        items = []
        for index, item in enumerate(value):
            item_path = f"{path}[{index}]"
            if _is_empty(item):  # kept in place, so that the paths in `missing` index the stored list
                self.missing.append(item_path)
                items.append(item)
                continue
            items.append(self.value(item_spec, item, item_path))
        return items

    def temporal(self, kind: str, value: Any, path: str) -> Any:
        if kind == "date":
            if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                return value.isoformat()
            if isinstance(value, str):
                try:
                    return dt.date.fromisoformat(value).isoformat()
                except ValueError:
                    pass
            return self.bad(path, f"expected a date such as 2026-09-01, got {value!r}")
        if isinstance(value, dt.date):  # a YAML `2026-09-01` means midnight, as the string "2026-09-01" does
            return (value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())).isoformat()
        if isinstance(value, str):
            try:
                return dt.datetime.fromisoformat(value).isoformat()
            except ValueError:
                pass
        return self.bad(path, f"expected a date and time such as 2026-09-01T14:00:00Z, got {value!r}")


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
