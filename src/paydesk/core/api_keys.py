"""Merchant API keys: their scopes, their printed form, and what is kept of them.

A key reads ``pdk_<prefix>_<secret>``. The prefix (12 hex digits) is public:
it finds the stored key and may be shown in lists and logs. The secret is 32
random bytes, URL-safe base64, shown once when the key is made. Only a SHA-256
digest of the whole key is stored: the secret has 256 bits of entropy, so a
plain hash cannot be brute-forced and needs no salt or slow KDF (those protect
passwords people chose). Digests are compared in constant time.

Scopes do not imply each other: ``read`` reads, ``write`` changes the catalog
and places orders, ``refund`` gives money back.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from enum import StrEnum

from .errors import DomainError

__all__ = [
    "KEY_PREFIX",
    "KeyToken",
    "MalformedKey",
    "Scope",
    "digest",
    "parse_scopes",
]

KEY_PREFIX = "pdk"
_TOKEN = re.compile(r"pdk_(?P<prefix>[0-9a-f]{12})_(?P<secret>[A-Za-z0-9_-]{43})", re.ASCII)


class Scope(StrEnum):
    """What a key may do."""

    READ = "read"
    WRITE = "write"
    REFUND = "refund"


class MalformedKey(DomainError, ValueError):
    """The text is not a paydesk API key."""


def parse_scopes(names: str | list[str] | tuple[str, ...]) -> frozenset[Scope]:
    """Scopes from names (a list, or one space- or comma-separated string).

    Raises ``ValueError`` naming the first unknown scope.
    """
    parts = names.replace(",", " ").split() if isinstance(names, str) else list(names)
    scopes = set()
    for name in parts:
        try:
            scopes.add(Scope(name.strip().lower()))
        except ValueError:
            known = ", ".join(s.value for s in Scope)
            raise ValueError(f"unknown scope {name!r} (known: {known})") from None
    return frozenset(scopes)


def digest(token: str) -> str:
    """The hex SHA-256 of the whole key: what the database keeps."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class KeyToken:
    """A key as the caller sends it, split into its lookup prefix and its secret."""

    prefix: str
    secret: str

    @classmethod
    def parse(cls, text: str) -> KeyToken:
        """Split ``pdk_<prefix>_<secret>``. Raises ``MalformedKey``."""
        found = _TOKEN.fullmatch(text)
        if found is None:
            raise MalformedKey("not a paydesk API key")
        return cls(found["prefix"], found["secret"])

    @classmethod
    def make(cls, prefix_bytes: bytes, secret: str) -> KeyToken:
        """A new key from 6 random bytes (the prefix) and a ``token_urlsafe(32)`` secret."""
        token = cls(prefix_bytes.hex(), secret)
        cls.parse(str(token))  # the parts must round-trip
        return token

    def __str__(self) -> str:
        return f"{KEY_PREFIX}_{self.prefix}_{self.secret}"

    def __repr__(self) -> str:  # never show the secret
        return f"KeyToken(prefix={self.prefix!r}, secret=...)"

    def digest(self) -> str:
        return digest(str(self))

    def matches(self, stored_digest: str) -> bool:
        """Whether this key is the one ``stored_digest`` was made from (constant time)."""
        return hmac.compare_digest(self.digest(), stored_digest)
