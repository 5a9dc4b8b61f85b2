"""The key of a keyed log: a secret kept outside the database that makes events impossible to forge without it.

A hash chain proves that nothing inside it was edited, but anyone who can write to the database can also append
an event with a correct hash. With a key, each event also stores an HMAC-SHA256 of its hash and the id of the key
that made it, never the key. Keys rotate: the first key of a ``Keyring`` signs new events, and every key in it
verifies the events written under it, so old events keep verifying after a rotation.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Sequence

from mentorflow.errors import InvalidInput

__all__ = ["ENV", "MIN_LENGTH", "Keyring", "key_id"]

ENV = "MENTORFLOW_KEY"
"""The environment variable the library and the CLI read keys from: one key, or several separated by commas."""
MIN_LENGTH = 32
"""Characters a key must have at least: 32 random URL-safe characters carry about 190 bits."""
_HINT = "Make a key with secrets.token_urlsafe(32); keep it out of the database."
_CLI_HINT = "Make a key with `openssl rand -base64 32` (set it in MENTORFLOW_KEY); keep it out of the database."


def key_id(secret: str) -> str:
    """The public name of a key: stored with each event it signs, and useless to forge with."""
    return "k" + hashlib.sha256(b"mentorflow key id:" + secret.encode("utf-8")).hexdigest()[:15]


class Keyring:
    """The keys one ``Mentorflow`` instance signs with (the first) and verifies with (all), by id."""

    __slots__ = ("_by_id", "signing_id")

    def __init__(self, secrets: Sequence[str]) -> None:
        if not secrets:
            raise InvalidInput("a keyring needs at least one key", hint=_HINT, cli_hint=_CLI_HINT)
        for secret in secrets:
            if len(secret) < MIN_LENGTH or not secret.isascii() or not secret.isprintable() or "," in secret:
                raise InvalidInput(
                    f"a key must be at least {MIN_LENGTH} printable ASCII characters, without commas",
                    hint=_HINT,
                    cli_hint=_CLI_HINT,
                )
        self._by_id = {key_id(secret): secret.encode("ascii") for secret in secrets}
        self.signing_id = key_id(secrets[0])
        """The id stored with each new event: the first key's."""

    @classmethod
    def of(cls, key: str | Sequence[str] | None) -> Keyring | None:
        """The keyring ``key`` names (a key, keys separated by commas, or a list), or None for no key: an empty
        list or text says so explicitly, and None reads ``MENTORFLOW_KEY`` (unset or empty: no key either)."""
        if key is None:
            key = os.environ.get(ENV, "")
        if not isinstance(key, str) and not (isinstance(key, Sequence) and all(isinstance(k, str) for k in key)):
            raise InvalidInput(
                f"key must be text or a list of texts, got {type(key).__name__}", hint=_HINT, cli_hint=_CLI_HINT
            )
        parts = [part.strip() for part in (key.split(",") if isinstance(key, str) else key)]
        return cls(parts) if any(parts) else None

    def __repr__(self) -> str:  # never the secrets
        return f"Keyring(signing={self.signing_id}, keys={len(self._by_id)})"

    def sign(self, event_hash: str) -> str:
        """The MAC of an event's hash under the signing key."""
        return _mac(self._by_id[self.signing_id], event_hash)

    def knows(self, identifier: str) -> bool:
        return identifier in self._by_id

    def verifies_any(self, text: str, mac: str) -> bool:
        """Whether ``mac`` is the MAC of ``text`` under any key of the ring (a checkpoint's, which names none)."""
        return any(hmac.compare_digest(_mac(secret, text), mac) for secret in self._by_id.values())

    def verifies(self, identifier: str, event_hash: str, mac: str) -> bool:
        """Whether ``mac`` is the MAC of ``event_hash`` under the key named ``identifier`` (False if unknown)."""
        secret = self._by_id.get(identifier)
        return secret is not None and hmac.compare_digest(_mac(secret, event_hash), mac)


def _mac(secret: bytes, event_hash: str) -> str:
    return hmac.digest(secret, event_hash.encode("ascii"), "sha256").hex()
