"""One HTTP exchange with i'mport, described as data: the request and the envelope.

Operations are written once, without I/O, as *flows*: generators that yield
``ApiRequest`` values and receive ``Envelope`` values (or have an error thrown
in).  The sync and async clients only drive them, so request building and
response parsing are shared and testable without a socket.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

__all__ = [
    "LOG_HIDDEN_FIELDS",
    "SECRET_FIELDS",
    "ApiRequest",
    "Envelope",
    "Flow",
    "Timeout",
    "decode_json",
    "encode_body",
    "merged",
    "query_pairs",
    "redacted",
    "segment",
    "timed",
]

T = TypeVar("T")

QueryValue = str | int | bool | Decimal | None
Timeout = float | httpx.Timeout
"""A per-call timeout: seconds for every phase, or an ``httpx.Timeout``."""

SECRET_FIELDS = frozenset(
    {
        "imp_secret",
        "access_token",
        "card_number",
        "expiry",
        "pwd_2digit",
        "birth",
        "cvc",
        "identifier",
        "pg_api_key",
    }
)
"""Body fields never shown in a ``repr``, a log line or an error text."""
REDACTED = "<redacted>"


#: Besides the secrets, what the DEBUG log of a request never shows: the buyer's personal
#: data, a refund or virtual account, and KG Inicis' API key (sent in the query string).
LOG_HIDDEN_FIELDS = SECRET_FIELDS | frozenset(
    {
        "buyer_name",
        "buyer_email",
        "buyer_tel",
        "buyer_addr",
        "buyer_postcode",
        "refund_holder",
        "refund_account",
        "refund_tel",
        "bank_num",
        "vbank_num",
        "customer_name",
        "customer_tel",
        "customer_email",
        "customer_addr",
        "customer_postcode",
    }
)


def redacted(value: Any, hidden: frozenset[str] = SECRET_FIELDS) -> Any:
    """``value`` with every ``hidden`` entry (at any depth) replaced."""
    if isinstance(value, Mapping):
        return {
            k: REDACTED if k in hidden and v is not None else redacted(v, hidden)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redacted(v, hidden) for v in value]
    return value


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
        timeout: this call's timeout (``timeout=`` of a method), else the client's.

    Its ``repr`` hides secrets (``SECRET_FIELDS``): card data, ``imp_secret``.
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
    timeout: Timeout | None = None

    def __repr__(self) -> str:
        body = None if self.body is None else redacted(self.body)
        return (
            f"ApiRequest({self.operation!r}, {self.method!r}, {self.path!r}, "
            f"query={_hidden_query(self.query)!r}, body={body!r}, keys={dict(self.keys)!r})"
        )

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

    def __repr__(self) -> str:
        return (
            f"Envelope({self.request!r}, http_status={self.http_status}, code={self.code!r}, "
            f"message={self.message!r}, response={redacted(self.response)!r}, "
            f"request_id={self.request_id!r})"
        )


Flow = Generator[ApiRequest, Envelope, T]
"""An operation: yields requests, receives their envelopes, returns the result."""


def timed(flow: Flow[T], timeout: Timeout | None) -> Flow[T]:
    """``flow`` with ``timeout`` set on every request it makes (None: unchanged)."""
    if timeout is None:
        return flow
    return _timed(flow, timeout)


def _timed(flow: Flow[T], timeout: Timeout) -> Flow[T]:
    try:
        request = next(flow)
        while True:
            try:
                envelope = yield replace(request, timeout=timeout)
            except GeneratorExit:
                flow.close()
                raise
            except Exception as error:  # a client error thrown in: the inner flow decides
                request = flow.throw(error)
            else:
                request = flow.send(envelope)
    except StopIteration as stop:
        result: T = stop.value
        return result


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


def merged(body: Mapping[str, Any], extra: Mapping[str, Any] | None) -> dict[str, Any]:
    """``body`` plus the caller's ``extra={}`` fields (for fields without a parameter).

    Raises:
        ValueError: ``extra`` repeats a field the operation has a parameter for.
    """
    if not extra:
        return dict(body)
    clash = sorted(set(extra) & set(body))
    if clash:
        raise ValueError(f"give {', '.join(clash)} as keyword argument(s), not in extra")
    return {**body, **extra}


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


def _hidden_query(query: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    return [(k, REDACTED if k in SECRET_FIELDS else v) for k, v in query]
