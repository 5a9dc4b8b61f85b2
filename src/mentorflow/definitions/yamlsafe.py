"""A YAML loader safe for files written by people we do not control, that remembers where each value came from.

PyYAML's ``safe_load`` is safe from code execution but not from the rest: it turns ``on``/``off``/``yes``/``no``
into booleans (YAML 1.1), lets a later duplicate key silently win, and expands aliases without bound (the "billion
laughs"). It also forgets positions, while a workflow author needs ``file:line:col`` for every error. So we compose
the node graph with PyYAML and build plain Python values ourselves, recording the position of every path.
"""

from __future__ import annotations

import bisect
import math
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import yaml

from mentorflow.errors import DefinitionError, DefinitionProblem

__all__ = ["MAX_BYTES", "MAX_NODES", "Located", "Position", "dump_text", "load_text", "open_to_read", "read_file"]

MAX_BYTES = 1024 * 1024
"""Files larger than this are refused before parsing."""
MAX_NODES = 50_000
"""The most values a document may expand to, aliases counted each time they are used."""
MAX_DEPTH = 64

Position = tuple[int, int]
PathKey = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans: only true/false, so ``on`` and ``no`` stay strings."""


# PyYAML resolves a bare `=` to the YAML 1.1 value type, then has no constructor for it: keep it a string.
_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp) for tag, regexp in resolvers if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:value")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


@dataclass
class Located:
    """A loaded document and the position (line, column; 1-based) of every path in it."""

    value: Any
    file: str
    positions: dict[PathKey, Position] = field(default_factory=dict)
    keys: dict[PathKey, Any] = field(default_factory=dict)
    """The mapping keys that are no text (``~:``, ``1.5:``, ``true:``), by the name a validator gives them: their
    ``repr`` (and a boolean's number)."""

    def where(self, path: PathKey) -> Position:
        """The position of ``path``, or of its nearest ancestor that has one (skipping unknown elements)."""
        best: PathKey = ()
        current: PathKey = ()
        for element in path:
            candidate = (*current, element)
            if candidate not in self.positions:
                candidate = (*current, self.key(current, element))
            if candidate in self.positions:
                current = candidate
                best = current
        return self.positions.get(best, (1, 1))

    def key(self, parent: PathKey, element: str | int) -> Any:
        """The key of the mapping at ``parent`` that a validator names ``element``: the key itself, or one that is
        no text, which pydantic names by its ``repr``."""
        return self.keys.get((*parent, element), element)

    def problem(self, code: str, message: str, path: PathKey = (), hint: str = "") -> DefinitionProblem:
        line, column = self.where(path)
        return DefinitionProblem(code, message, self.file, line, column, hint)


def read_file(path: Path) -> Located:
    """Load one YAML file, refusing oversized or undecodable files."""
    name = str(path)
    try:
        # Read one byte past the limit and no further, whatever the file is: a device such as /dev/zero or a
        # pipe has no size to ask for beforehand, and would otherwise be read until memory runs out.
        with open_to_read(path) as stream:
            status = os.fstat(stream.fileno())
            size = status.st_size if stat.S_ISREG(status.st_mode) else None  # a regular file says its size
            raw = b"" if size is not None and size > MAX_BYTES else stream.read(MAX_BYTES + 1)
    except OSError as exc:
        raise _fail(
            name,
            "definition.unreadable",
            f"cannot read the file: {exc.strerror or exc}",
            hint="Check the path and its permissions.",
        ) from exc
    if len(raw) > MAX_BYTES or (size is not None and size > MAX_BYTES):
        raise _fail(
            name,
            "definition.too_large",
            f"the file is {size} bytes; the limit is {MAX_BYTES}"
            if size is not None
            else f"the file is larger than {MAX_BYTES} bytes, the limit",
            hint="Split the file: one workflow or artifact kind per file.",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = len(raw[raw.rfind(b"\n", 0, exc.start) + 1 : exc.start].decode("utf-8")) + 1
        raise DefinitionError(
            [
                DefinitionProblem(
                    "definition.encoding",
                    f"the file is not UTF-8 (byte {exc.start}: {raw[exc.start]:#04x})",
                    name,
                    line,
                    column,
                    "Save the file as UTF-8.",
                )
            ]
        ) from exc
    return load_text(text, name)


def _nonblocking(path: str, flags: int) -> int:
    descriptor = os.open(path, flags | os.O_NONBLOCK)
    os.set_blocking(descriptor, True)
    return descriptor


def open_to_read(path: Path) -> BinaryIO:
    """``path`` opened for reading bytes, without waiting.

    Opening a named pipe for reading otherwise blocks until a writer comes, for ever. Once open, reads block as
    usual: a pipe with no writer reads as empty, one with a writer as what it sends. Every file mentorflow reads on
    a person's say-so (``--file``, a checkpoint, an archive, a workflow) is opened so.
    """
    return open(path, "rb", opener=_nonblocking)


def dump_text(value: Any) -> str:
    """Plain values as block YAML, keys in their order, that ``load_text`` reads back to the same values: text that
    YAML would read as something else (``yes``, ``2026-09-01``, ``1.0``) is quoted."""
    text = yaml.safe_dump(value, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
    if "\x85" in text:  # PyYAML writes NEL as it is, and reads it back as a line break: escape it (``\N``)
        text = yaml.safe_dump(value, sort_keys=False, allow_unicode=False, default_flow_style=False, width=100)
    return text


def load_text(text: str, file: str = "<string>") -> Located:
    """Load YAML text into plain values (dict, list, str, int, float, bool, None, date) with positions."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise _fail(
            file, "definition.too_large", f"the document is larger than {MAX_BYTES} bytes", hint="Split the document."
        )
    lines = _Lines(text)
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:  # the reader refuses control characters before parsing starts
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - text.rfind("\n", 0, exc.position)
        raise DefinitionError(
            [
                DefinitionProblem(
                    "definition.syntax",
                    f"invalid YAML: {exc.reason} (character #x{exc.character:04x})",
                    file,
                    line,
                    column,
                    "Remove the control character, or write it as an escape in a double-quoted string.",
                )
            ]
        ) from exc
    try:
        node = loader.get_single_node()
    except RecursionError as exc:  # PyYAML composes nested collections recursively
        raise _fail(
            file,
            "definition.too_complex",
            f"the document nests deeper than {MAX_DEPTH} levels",
            hint="Flatten the structure.",
        ) from exc
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = lines.of(mark) if mark else (1, 1)
        context = exc.context or ""
        if context and exc.context_mark is not None and exc.context_mark is not mark:  # e.g. an unclosed bracket
            opened, at = lines.of(exc.context_mark)
            context += f" that starts at line {opened}, column {at}"
        message = ", ".join(part for part in (context, exc.problem or "") if part)
        raise DefinitionError(
            [
                DefinitionProblem(
                    "definition.syntax",
                    f"invalid YAML: {message}",
                    file,
                    line,
                    column,
                    "Fix the YAML syntax at this position.",
                )
            ]
        ) from exc
    except yaml.YAMLError as exc:  # pragma: no cover - once the reader accepted the text, PyYAML's errors are marked
        raise _fail(file, "definition.syntax", f"invalid YAML: {exc}", hint="Fix the YAML syntax.") from exc
    finally:
        loader.dispose()
    located = Located(None, file)
    if node is not None:
        builder = _Builder(loader, located, lines)
        located.value = builder.build(node, (), 0)
    return located


class _Lines:
    """Positions as an editor counts them. PyYAML also breaks lines at NEL, U+2028 and U+2029 (YAML 1.1), which
    editors and ``grep -n`` do not, so a file holding one would have every later position off; only such a file
    pays for counting lines again."""

    def __init__(self, text: str) -> None:
        self.starts = [0, *(i + 1 for i, c in enumerate(text) if c == "\n")] if _BREAKS.search(text) else None

    def of(self, mark: yaml.Mark) -> Position:
        """The (line, column), 1-based, of a PyYAML mark."""
        if self.starts is None:
            return mark.line + 1, mark.column + 1
        line = bisect.bisect_right(self.starts, mark.index)
        return line, mark.index - self.starts[line - 1] + 1


_BREAKS = re.compile("[\x85\u2028\u2029]")


class _Builder:
    """Builds values from composed nodes, bounding expansion and refusing duplicate keys and cycles."""

    def __init__(self, loader: _Loader, located: Located, lines: _Lines) -> None:
        self.loader = loader
        self.located = located
        self.lines = lines
        self.nodes = 0
        self.stack: set[int] = set()

    def _error(self, node: yaml.Node, code: str, message: str, hint: str) -> DefinitionError:
        line, column = self.lines.of(node.start_mark)
        return DefinitionError([DefinitionProblem(code, message, self.located.file, line, column, hint)])

    def build(self, node: yaml.Node, path: PathKey, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self._error(
                node,
                "definition.too_complex",
                f"the document expands to more than {MAX_NODES} values (aliases included)",
                "Use fewer aliases; a definition never needs this many values.",
            )
        if depth > MAX_DEPTH:
            raise self._error(
                node,
                "definition.too_complex",
                f"the document nests deeper than {MAX_DEPTH} levels",
                "Flatten the structure.",
            )
        self.located.positions.setdefault(path, self.lines.of(node.start_mark))
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if id(node) in self.stack:
            raise self._error(
                node,
                "definition.too_complex",
                "an alias refers to a node that contains it",
                "Remove the recursive alias.",
            )
        self.stack.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(child, (*path, index), depth + 1) for index, child in enumerate(node.value)]
            return self._mapping(node, path, depth)
        finally:
            self.stack.discard(id(node))

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag == "tag:yaml.org,2002:binary":  # bytes are no JSON value: a bundle holding them cannot be hashed
            raise self._error(
                node, "definition.syntax", "binary values (!!binary) are not allowed", "Write the value as text."
            )
        try:
            value = self.loader.construct_object(node, deep=True)
        # PyYAML's constructors fail on malformed explicitly tagged scalars (`!!int ''`, `!!bool x`) with bare
        # lookup and index errors, not only with YAMLError.
        except (yaml.YAMLError, ValueError, OverflowError, LookupError, AttributeError) as exc:
            raise self._error(
                node,
                "definition.syntax",
                f"invalid value {node.value!r}: {_unconstructed(node.tag, exc)}",
                "Quote the value if it is meant as text.",
            ) from exc
        if isinstance(value, float) and not math.isfinite(value):  # `.inf`, `.nan`, `1e400`: no JSON value
            raise self._error(
                node,
                "definition.invalid_value",
                f"invalid value {node.value!r}: a definition's numbers must be finite",
                "Write a finite number, or quote the value if it is meant as text.",
            )
        return value

    def _mapping(self, node: yaml.Node, path: PathKey, depth: int) -> dict[Any, Any]:
        # Merge keys are resolved here rather than by PyYAML's flatten_mapping, which rewrites the shared node
        # in place (so a second use of an anchor saw merged keys as duplicates) and copies merged keys eagerly
        # (so nested merges grew exponentially before any value was counted).
        seen: dict[Any, yaml.Node] = {}
        merge: yaml.Node | None = None
        explicit: list[tuple[Any, yaml.Node, yaml.Node]] = []
        for key_node, value_node in node.value:
            is_merge = key_node.tag == "tag:yaml.org,2002:merge"
            key = _MERGE if is_merge else self._key(key_node)
            if not isinstance(key, str) and not is_merge:
                self.located.keys[(*path, repr(key))] = key
                if isinstance(key, bool):
                    self.located.keys[(*path, int(key))] = key
            if key in seen:
                first, _ = self.lines.of(seen[key].start_mark)
                raise self._error(
                    key_node,
                    "definition.duplicate_key",
                    f"duplicate key {'<<' if is_merge else key!r} (first defined at line {first})",
                    "Keep one of the two entries.",
                )
            seen[key] = key_node
            if is_merge:
                merge = value_node
            else:
                explicit.append((key, key_node, value_node))
        result = {} if merge is None else self._merge(merge, path, depth)
        for key, key_node, value_node in explicit:
            child = (*path, key)
            self.located.positions[child] = self.lines.of(key_node.start_mark)
            result[key] = self.build(value_node, child, depth + 1)
        return result

    def _merge(self, node: yaml.Node, path: PathKey, depth: int) -> dict[Any, Any]:
        """The mappings of ``<<: *a`` or ``<<: [*a, *b]``; the earlier one wins, as in YAML's merge type."""
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        if not all(isinstance(source, yaml.MappingNode) for source in sources):
            raise self._error(
                node,
                "definition.syntax",
                "invalid merge: `<<` takes a mapping or a list of mappings",
                "Merge only mappings with <<.",
            )
        merged: dict[Any, Any] = {}
        for source in reversed(sources):  # built last, the winning mapping also keeps its keys' positions
            merged.update(self.build(source, path, depth + 1))
        return merged

    def _key(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise self._error(
                node,
                "definition.syntax",
                "a mapping key must be a plain value, not a list or mapping",
                "Use a name as the key.",
            )
        return self._scalar(node)


_TAG_MEANINGS = {"int": "a whole number", "float": "a number", "bool": "true or false", "timestamp": "a date or time"}


def _unconstructed(tag: str, exc: Exception) -> str:
    """Why a scalar could not be built, in YAML's terms: PyYAML's own reasons are Python's (``invalid literal for
    int() with base 10``, or an ``AttributeError`` on a malformed ``!!timestamp``)."""
    name = tag.removeprefix("tag:yaml.org,2002:")
    written = f"!!{name}" if name != tag else tag
    if isinstance(exc, yaml.constructor.ConstructorError) and "constructor" in str(exc.problem):
        return f"the tag {written} is not allowed; use plain YAML values"
    meaning = _TAG_MEANINGS.get(name)
    if meaning is None:
        return f"it is not a valid {written} value"
    # a date that parses as one but does not exist keeps datetime's reason, which names the part that is wrong
    detail = f" ({exc})" if name == "timestamp" and type(exc) is ValueError else ""
    return f"it is not {meaning}{detail}"


_MERGE = object()
"""The key under which a mapping's merge (``<<``) is remembered while looking for duplicate keys."""


def _fail(file: str, code: str, message: str, *, hint: str) -> DefinitionError:
    return DefinitionError([DefinitionProblem(code, message, file, 1, 1, hint)])
