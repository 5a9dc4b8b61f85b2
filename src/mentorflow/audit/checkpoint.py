"""Checkpoints: a statement of every chain head, kept outside the database, that later proves nothing was removed.

A hash chain shows an edit inside it, but not its own end being cut off, nor a whole relationship deleted: what is
gone leaves nothing to check. A checkpoint written somewhere else (a nightly copy to other storage) remembers each
chain's head, so ``verify --checkpoint`` can prove that every relationship it names still exists and that the
event at each recorded position still has its hash.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping

from pydantic import ValidationError

from mentorflow import store
from mentorflow.canonical import canonical_json, sha256_hex
from mentorflow.errors import CheckpointInvalid
from mentorflow.keys import Keyring
from mentorflow.store.heads import event_count, hashes_at, heads
from mentorflow.types import ChainHead, Checkpoint

__all__ = ["parse", "problems_since", "root_of", "take"]

HINT = "Use a file written by `mentorflow checkpoint`, unchanged; keep a second copy of each one elsewhere."


def root_of(heads: Iterable[ChainHead]) -> str:
    """The hex SHA-256 of the canonical JSON of ``heads``, sorted by id."""
    listed = sorted((head.model_dump() for head in heads), key=lambda head: str(head["id"]))
    return sha256_hex(canonical_json(listed))


def take(session: store.Executor, at: dt.datetime, keys: Keyring | None = None) -> Checkpoint:
    """The checkpoint of the log as ``session`` sees it; with ``keys``, its root is signed."""
    found = [ChainHead(id=id_, seq=seq, hash=hash_) for id_, seq, hash_ in heads(session)]
    root = root_of(found)
    return Checkpoint(
        at=at,
        relationships=len(found),
        events=event_count(session),
        heads=found,
        root=root,
        mac=None if keys is None else keys.sign(root),
    )


def parse(text: str, source: str = "the checkpoint", keys: Keyring | None = None) -> Checkpoint:
    """A checkpoint read back from its JSON, refused unless it is whole, its root matches its heads and, when both
    it and this reader are keyed, its MAC verifies under one of ``keys``."""
    try:
        checkpoint = Checkpoint.model_validate(json.loads(text))
    except (ValueError, ValidationError, RecursionError) as exc:  # RecursionError: nested past the JSON reader
        first = exc.errors()[0] if isinstance(exc, ValidationError) else None
        where = "" if first is None else " (at " + ".".join(str(part) for part in first["loc"]) + ")"
        raise CheckpointInvalid(f"{source} is not a mentorflow checkpoint{where}", hint=HINT) from None
    if root_of(checkpoint.heads) != checkpoint.root:
        raise CheckpointInvalid(
            f"{source} does not match its own root: it was edited or damaged after it was written", hint=HINT
        )
    if keys is not None and checkpoint.mac is not None and not keys.verifies_any(checkpoint.root, checkpoint.mac):
        raise CheckpointInvalid(
            f"{source} has a MAC that does not verify under the key: it was not written with this key", hint=HINT
        )
    if len({head.id for head in checkpoint.heads}) != len(checkpoint.heads):
        raise CheckpointInvalid(f"{source} names a relationship twice", hint=HINT)
    return checkpoint


def problems_since(session: store.Executor, checkpoint: Checkpoint) -> Iterator[tuple[str, str]]:
    """(relationship, problem) for each chain the log no longer holds as ``checkpoint`` recorded it."""
    recorded: Mapping[tuple[str, int], str] = {(head.id, head.seq): head.hash for head in checkpoint.heads}
    found = {(id_, seq): hash_ for id_, seq, hash_ in hashes_at(session, recorded)}
    current = {id_: seq for id_, seq, _ in heads(session)} if len(found) < len(recorded) else {}
    taken = checkpoint.at.isoformat()
    for (id_, seq), hash_ in recorded.items():
        now = found.get((id_, seq))
        if now == hash_:
            continue
        if now is not None:
            yield id_, f"event {seq} was rewritten after the checkpoint of {taken} (it had another hash then)"
        elif id_ not in current:
            yield id_, f"the relationship was deleted after the checkpoint of {taken} (its log is gone)"
        else:
            yield (
                id_,
                (
                    f"its chain was cut after the checkpoint of {taken}: it reached event {seq} then, "
                    f"and now ends at event {current[id_]}"
                ),
            )
