"""Reading documents back: one revision with its content (``show``), the revisions of a slot, and what changed
between two revisions (``diff``), each refused or filtered by who reads (DESIGN §12).

The tables keep every revision's content as canonical JSON; until these reads, nothing gave it back, so a
platform had to keep a copy of its own. A diff addresses what changed with the paths ``missing`` uses
(``objectives[1].target_date``): list elements by position, fields by name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from mentorflow.audit.visibility import open_read
from mentorflow.canonical import canonical_json, sha256_hex
from mentorflow.definitions.models import FieldSpec
from mentorflow.engine.plans import slot_for
from mentorflow.engine.replay import ERASED_CONTENT
from mentorflow.engine.rules import Reader, check_readable, may_read
from mentorflow.engine.snapshot import PLAIN_ITEM, ItemView, Snapshot
from mentorflow.errors import ArtifactErased, ArtifactMissing, InvalidInput
from mentorflow.identifiers import Actor
from mentorflow.store import Executor, queries
from mentorflow.store.definitions import Bundles
from mentorflow.store.queries import StoredRevision
from mentorflow.types import Document, DocumentChange, DocumentRevision, SignatureInfo

__all__ = ["changes", "diff", "document", "revisions"]


def _slot(snapshot: Snapshot, slot: object) -> str:
    slot_for(snapshot, slot)
    return str(slot)


def _number(value: object, what: str) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
        return value
    raise InvalidInput(
        f"{what} must be a whole number of at least 1, got {value!r}", hint=f"Pass {what}=N, or omit it."
    )


def _item(snapshot: Snapshot, slot: str, item: int | None, reader: Reader) -> ItemView:
    """The item a read is about: the plain slot's document, the named item, or the newest item the reader may
    read; refused when there is none, or when the reader may not read it."""
    definition = snapshot.slot(slot)
    items = snapshot.items.get(slot, {})
    if not definition.repeatable:
        if item is not None:
            raise InvalidInput(f"slot {slot!r} holds one document; it has no items", hint="Leave out the item number.")
        found = items.get(PLAIN_ITEM)
    elif item is not None:
        found = items.get(item)
        if found is None:
            raise ArtifactMissing(
                f"slot {slot!r} of relationship {snapshot.id!r} has no item {item}",
                hint=f"Items: {', '.join(map(str, sorted(items))) or 'none yet'}.",
                relationship=snapshot.id,
                slot=slot,
            )
    else:
        readable = [number for number in sorted(items) if may_read(snapshot, slot, items[number], reader)]
        found = items[readable[-1]] if readable else (items[max(items)] if items else None)
    if found is None:
        raise ArtifactMissing(
            f"nothing has been submitted to {slot!r} of relationship {snapshot.id!r} yet",
            hint=f"Submit {slot!r} first.",
            relationship=snapshot.id,
            slot=slot,
        )
    check_readable(snapshot, slot, found, reader)
    return found


def _pick(stored: list[StoredRevision], number: int | None, snapshot: Snapshot, slot: str) -> StoredRevision:
    if number is None:
        return stored[-1]
    for revision in stored:
        if revision.number == number:
            return revision
    raise ArtifactMissing(
        f"{slot!r} of relationship {snapshot.id!r} has no revision {number}",
        hint=f"Its revisions are 1 to {stored[-1].number}.",
        relationship=snapshot.id,
        slot=slot,
    )


_BLANK_HASH = sha256_hex(ERASED_CONTENT)


def _blanked(revision: StoredRevision) -> bool:
    """Whether ``erase`` blanked the revision's content (its hash, of what was there, is kept)."""
    return revision.content == ERASED_CONTENT and revision.content_hash != _BLANK_HASH


def erased(session: Executor, relationship: str, slot: str, item: int, number: int) -> bool:
    """Whether revision ``number`` of ``slot`` (its ``item``, ``PLAIN_ITEM`` for a plain slot) was erased."""
    return any(
        _blanked(found) for found in queries.revisions_of(session, relationship, slot, item) if found.number == number
    )


def _content(revision: StoredRevision, snapshot: Snapshot, slot: str) -> Any:
    """A revision's content; one whose content ``erase`` blanked (its hash kept) is ``ArtifactErased``."""
    if _blanked(revision):
        raise ArtifactErased(
            f"revision {revision.number} of {slot!r} in relationship {snapshot.id!r} was erased at its author's "
            "request: only its hash, completeness and signatures remain",
            hint="Its history (`history`) records the erasure; `revisions` lists what is left of each revision.",
            relationship=snapshot.id,
            slot=slot,
        )
    return json.loads(revision.content)


def _stored(session: Executor, snapshot: Snapshot, slot: str, found: ItemView) -> list[StoredRevision]:
    return queries.revisions_of(session, snapshot.id, slot, found.item)


def _public_item(number: int) -> int | None:
    return None if number == PLAIN_ITEM else number


def _ordered(fields: Mapping[str, FieldSpec], value: Any) -> Any:
    """Content with its fields in the order the kind declares them (stored content is canonical, keys sorted): a
    person reads, and edits, a document in the order its author laid it out. Equal content, same hash."""
    if not isinstance(value, dict):
        return value
    ordered = {}
    for key in [*(key for key in fields if key in value), *(key for key in value if key not in fields)]:
        spec = fields.get(key)
        inner = value[key]
        if spec is not None and spec.type == "object" and spec.fields:
            inner = _ordered(spec.fields, inner)
        elif spec is not None and spec.type == "list" and isinstance(spec.of, dict) and isinstance(inner, list):
            inner = [_ordered(spec.of, element) for element in inner]
        ordered[key] = inner
    return ordered


def document(
    session: Executor,
    bundles: Bundles,
    relationship: str,
    slot: str,
    item: int | None,
    revision: int | None,
    actor: Actor | None,
) -> Document:
    """One revision (the latest by default) of a document or item, with its content and signatures."""
    snapshot, reader = open_read(session, bundles, relationship, actor)
    name = _slot(snapshot, slot)
    found = _item(snapshot, name, _number(item, "item"), reader)
    chosen = _pick(_stored(session, snapshot, name, found), _number(revision, "revision"), snapshot, name)
    kind = snapshot.bundle.kinds[snapshot.slot(name).kind]
    return Document(
        relationship=snapshot.id,
        slot=name,
        item=_public_item(chosen.item),
        revision=chosen.number,
        content=_ordered(kind.fields, _content(chosen, snapshot, name)),
        complete=chosen.complete,
        missing=chosen.missing,
        content_hash=chosen.content_hash,
        submitted_by=chosen.submitted_by,
        submitted_at=chosen.submitted_at,
        signatures=[SignatureInfo(person=p, role=r, at=at) for p, r, at in chosen.signatures],
        kind=kind.kind,
        title=kind.title,
    )


def revisions(
    session: Executor, bundles: Bundles, relationship: str, slot: str, item: int | None, actor: Actor | None
) -> list[DocumentRevision]:
    """Every revision of a slot (or of one item), oldest first; items the reader may not read are left out."""
    snapshot, reader = open_read(session, bundles, relationship, actor)
    name = _slot(snapshot, slot)
    number = _number(item, "item")
    if number is not None or not snapshot.slot(name).repeatable:
        try:
            wanted: int | None = _item(snapshot, name, number, reader).item
        except ArtifactMissing:
            if number is not None:
                raise
            return []  # a plain slot nothing was submitted to yet has no revisions
    else:
        wanted = None
    items = snapshot.items.get(name, {})
    return [
        DocumentRevision(
            item=_public_item(stored.item),
            revision=stored.number,
            complete=stored.complete,
            content_hash=stored.content_hash,
            submitted_by=stored.submitted_by,
            submitted_at=stored.submitted_at,
            signed_by=[person for person, _, _ in stored.signatures],
        )
        for stored in queries.revisions_of(session, snapshot.id, name, wanted)
        if wanted is not None or may_read(snapshot, name, items.get(stored.item), reader)
    ]


def diff(
    session: Executor,
    bundles: Bundles,
    relationship: str,
    slot: str,
    item: int | None,
    old: int | None,
    new: int | None,
    actor: Actor | None,
) -> list[DocumentChange]:
    """What changed from revision ``old`` to revision ``new`` (default: from the one before the latest to the
    latest; the first revision is compared with an empty document)."""
    snapshot, reader = open_read(session, bundles, relationship, actor)
    name = _slot(snapshot, slot)
    found = _item(snapshot, name, _number(item, "item"), reader)
    stored = _stored(session, snapshot, name, found)
    after = _pick(stored, _number(new, "new revision"), snapshot, name)
    older = _number(old, "old revision")
    if older is None:
        previous = [revision for revision in stored if revision.number < after.number]
        before: Any = _content(previous[-1], snapshot, name) if previous else {}
    else:
        before = _content(_pick(stored, older, snapshot, name), snapshot, name)
    fields = snapshot.bundle.kinds[snapshot.slot(name).kind].fields
    return changes(_ordered(fields, before), _ordered(fields, _content(after, snapshot, name)))


# -- the difference of two contents -----------------------------------------------------------------------------


def _same(before: Any, after: Any) -> bool:
    """Equal as JSON: ``1`` and ``True`` differ, as do ``1`` and ``1.5``; key order does not matter."""
    return canonical_json(before) == canonical_json(after)


def changes(before: Any, after: Any, path: str = "") -> list[DocumentChange]:
    """Every difference from ``before`` to ``after``: fields by name, list elements by position; applying them to
    ``before`` (removals from the end of a list first) gives ``after``."""
    if isinstance(before, dict) and isinstance(after, dict):
        found: list[DocumentChange] = []
        for key in [*before, *(key for key in after if key not in before)]:
            where = f"{path}.{key}" if path else str(key)
            if key not in after:
                found.append(DocumentChange(path=where, change="removed", before=before[key]))
            elif key not in before:
                found.append(DocumentChange(path=where, change="added", after=after[key]))
            else:
                found += changes(before[key], after[key], where)
        return found
    if isinstance(before, list) and isinstance(after, list):
        found = []
        for index in range(max(len(before), len(after))):
            where = f"{path}[{index}]"
            if index >= len(after):
                found.append(DocumentChange(path=where, change="removed", before=before[index]))
            elif index >= len(before):
                found.append(DocumentChange(path=where, change="added", after=after[index]))
            else:
                found += changes(before[index], after[index], where)
        return found
    if _same(before, after):
        return []
    return [DocumentChange(path=path, change="changed", before=before, after=after)]
