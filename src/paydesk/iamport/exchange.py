"""One HTTP exchange with i'mport, described as data: the request and the envelope.

Operations are written once, without I/O, as *flows*: generators that yield
``ApiRequest`` values and receive ``Envelope`` values (or have an error thrown
in).  The sync and async clients only drive them, so request building and
response parsing are shared and testable without a socket.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import quote

__all__ = [
    "ApiRequest",
    "Envelope",
    "Flow",
    "decode_json",
    "encode_body",
    "query_pairs",
    "segment",
]

T = TypeVar("T")

QueryValue = str | int | bool | Decimal | None


@dataclass(frozen=True)
class ApiRequest:
    """What to send, and what it is (for retries, errors and reconciliation).

    Attributes:
        operation: stable operation name, e.g. ``"payments.get"``.
        method: HTTP method.
        path: path below the base URL, already percent-encoded.
        query: query pairs (PHP-style ``name[]`` keys repeat).
        body: JSON body, or None.
        keys: identifying keys carried into errors (imp_uid, merchant_uid, ...).
        auth: whether the request needs an access token.
        cache: whether the answer may be cached for the client's lifetime.
        idempotent: a non-GET that may be resent all the same (getToken).
    """

    operation: str
    method: str
    path: str
    query: tuple[tuple[str, str], ...] = ()
    body: Mapping[str, Any] | None = None
    keys: Mapping[str, Any] = field(default_factory=dict)
    auth: bool = True
    cache: bool = False
    idempotent: bool = False

    @property
    def safe(self) -> bool:
        """A GET (or an idempotent call) changes nothing twice, so it may be resent."""
        return self.method == "GET" or self.idempotent

    def context(self) -> dict[str, Any]:
        """The keyword arguments every error about this request carries."""
        return {
            "operation": self.operation,
            "method": self.method,
            "path": self.path,
            "keys": dict(self.keys),
        }


@dataclass(frozen=True)
class Envelope:
    """An i'mport answer ``{code, message, response}`` with its HTTP status."""

    request: ApiRequest
    http_status: int
    code: int | None
    message: str | None
    response: Any
    request_id: str | None = None


Flow = Generator[ApiRequest, Envelope, T]
"""An operation: yields requests, receives their envelopes, returns the result."""


def segment(value: str) -> str:
    """Percent-encode one path segment (an id chosen by the merchant may hold ``/``).

    Raises:
        ValueError: for an empty value, which would silently hit another route.
    """
    if not value:
        raise ValueError("path segment must not be empty")
    return quote(value, safe="")


def _text(value: QueryValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def query_pairs(
    single: Mapping[str, QueryValue] | None = None,
    repeated: Mapping[str, Sequence[str]] | None = None,
) -> tuple[tuple[str, str], ...]:
    """Query pairs, dropping None values; ``repeated`` keys get a ``[]`` suffix."""
    pairs = [(k, _text(v)) for k, v in (single or {}).items() if v is not None]
    for name, values in (repeated or {}).items():
        pairs.extend((f"{name}[]", str(value)) for value in values)
    return tuple(pairs)


def _plain(value: Any) -> Any:
    """Decimals become int when whole, else their exact text (i'mport parses both)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, float):
        raise TypeError("money must not be a float; use int or Decimal")
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def encode_body(body: Mapping[str, Any]) -> bytes:
    """JSON bytes of a request body; None values are left out, never sent as null.

    Raises:
        TypeError: a float anywhere in the body (money must be exact).
    """
    return json.dumps(_plain(body), ensure_ascii=False, separators=(",", ":")).encode()


def decode_json(content: bytes) -> Any:
    """Parse an answer; every non-integral number becomes an exact ``Decimal``.

    Raises:
        ValueError: the content is not JSON.
    """
    return json.loads(content, parse_float=Decimal)
