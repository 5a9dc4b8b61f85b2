"""Canonical JSON and content hashes, shared by definitions, revisions and the event chain.

One encoding everywhere means a hash computed today can be recomputed by ``verify`` years later: keys sorted, no
insignificant whitespace, UTF-8 kept as is.

Reading it back: what mentorflow itself wrote (event payloads, missing lists, origins, caches, the feed) decodes
with ``orjson``, several times faster than ``json``; submitted content and definitions decode with ``json``, which
keeps an integer of any size exact, where ``orjson`` makes one beyond 64 bits a float. (An archive's lines, which
carry content, decode with ``pydantic_core.from_json``, exact too and faster.)
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any

__all__ = ["GENESIS", "canonical_json", "event_hash", "event_hash_of_text", "sha256_hex"]


_ENCODE = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode
"""One encoder for every call: ``json.dumps`` with options builds a new ``JSONEncoder`` each time it is called."""


def canonical_json(value: Any) -> str:
    """The one JSON spelling of ``value``: sorted keys, compact separators, no NaN."""
    return _ENCODE(value)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


GENESIS = ""
"""The ``prev_hash`` of a relationship's first event."""


def event_hash(prev_hash: str, relationship: str, seq: int, kind: str, actor: str, at: str, payload: Any) -> str:
    """The chain link of one event: sha256 of the previous hash and the event's canonical JSON."""
    body = {"relationship": relationship, "seq": seq, "kind": kind, "actor": actor, "at": at, "payload": payload}
    return sha256_hex(prev_hash + canonical_json(body))


_quoted = json.JSONEncoder(ensure_ascii=False).encode
"""A string's JSON spelling, as ``canonical_json`` writes it."""
_name = functools.lru_cache(maxsize=1024)(_quoted)
"""The same, kept for the few names (relationships, kinds, actors) that recur from event to event."""


def event_hash_of_text(
    prev_hash: str, relationship: str, seq: int, kind: str, actor: str, at: str, payload_text: str
) -> str:
    """``event_hash`` of the payload whose canonical JSON is ``payload_text``, without decoding and encoding it again.

    The log stores each payload as its canonical JSON, so ``verify`` hashes the stored text as it is; for any other
    text this is not the hash ``event_hash`` gives, and the caller falls back to it.
    """
    return sha256_hex(
        f'{prev_hash}{{"actor":{_name(actor)},"at":{_quoted(at)},"kind":{_name(kind)},"payload":{payload_text},'
        f'"relationship":{_name(relationship)},"seq":{seq:d}}}'
    )
