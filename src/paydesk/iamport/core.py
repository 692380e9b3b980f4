"""What the sync and async clients share: configuration and every decision without I/O.

Like httpx's ``BaseClient``: building the HTTP request, reading the answer,
deciding about tokens and retries all live here; ``client.py`` and
``async_client.py`` only move bytes, hold locks and sleep.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, TypedDict

import httpx

from .errors import IamportError, NotSent, OutcomeUnknown, ServerError
from .exchange import ApiRequest, Envelope, encode_body
from .operations.auth import read_token, token_request
from .retry import RetryPolicy, retry_delay
from .tokens import DEFAULT_MARGIN, TokenCache, grant_for

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "TOKEN_TROUBLE",
    "ClientCore",
    "ClientOptions",
    "check_timeout",
]

DEFAULT_BASE_URL = "https://api.iamport.kr"
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=10.0, pool=5.0)
USER_AGENT = "paydesk-iamport/0.1"
# A getToken failing like this leaves the request it was for unsent (NotSent);
# rejected credentials (Unauthorized) and other refusals are raised as they are.
TOKEN_TROUBLE = (NotSent, OutcomeUnknown, ServerError)


def check_timeout(timeout: httpx.Timeout | float) -> httpx.Timeout:
    """A complete ``httpx.Timeout``: a number applies to all four phases.

    Raises:
        ValueError: any phase is None (no timeout) or not positive.
    """
    value = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
    phases = (value.connect, value.read, value.write, value.pool)
    if any(phase is None or phase <= 0 for phase in phases):
        raise ValueError("every timeout phase (connect/read/write/pool) must be set and > 0")
    return value


class ClientOptions(TypedDict, total=False):
    """The options both clients accept besides credentials and I/O (see ``ClientCore``)."""

    base_url: str
    timeout: httpx.Timeout | float
    retry: RetryPolicy | None
    token_margin: float
    clock: Callable[[], float]
    rng: random.Random | None
    tokens: TokenCache | None


class ClientCore:
    """Configuration and pure steps shared by ``Iamport`` and ``AsyncIamport``."""

    def __init__(
        self,
        imp_key: str,
        imp_secret: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        token_margin: float = DEFAULT_MARGIN,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        tokens: TokenCache | None = None,
    ) -> None:
        if not imp_key or not imp_secret:
            raise ValueError("imp_key and imp_secret are required")
        self.base_url = base_url.rstrip("/")
        self.timeout = check_timeout(timeout)
        self.retry = retry or RetryPolicy()
        self.token_margin = token_margin
        self.clock = clock
        self.rng = rng or random.Random()
        self.tokens = tokens or TokenCache()
        self.token_key = (self.base_url, imp_key)
        self._token_request = token_request(imp_key, imp_secret)
        self._answers: dict[tuple[str, str], Envelope] = {}

    # -- requests ---------------------------------------------------------------
    def http_arguments(self, request: ApiRequest, token: str | None) -> dict[str, Any]:
        """Keyword arguments for ``httpx.Client.request`` (timeouts always set)."""
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        arguments: dict[str, Any] = {
            "method": request.method,
            "url": self.base_url + request.path,
            "params": list(request.query),
            "headers": headers,
            "timeout": self.timeout,
        }
        if request.body is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
            arguments["content"] = encode_body(request.body)
        return arguments

    # -- answers cache (code tables) -------------------------------------------------
    def cached(self, request: ApiRequest) -> Envelope | None:
        """A kept answer for a cacheable request."""
        return self._answers.get((request.path, str(request.query))) if request.cache else None

    def remember(self, request: ApiRequest, envelope: Envelope) -> Envelope:
        """Keep the answer of a cacheable request; returns it."""
        if request.cache:
            self._answers[(request.path, str(request.query))] = envelope
        return envelope

    def forget_cached(self) -> None:
        """Drop kept answers (the code tables are read again on next use)."""
        self._answers.clear()

    # -- tokens --------------------------------------------------------------------
    @property
    def token_request(self) -> ApiRequest:
        """The getToken request for these credentials."""
        return self._token_request

    def usable_token(self) -> str | None:
        """The cached token if more than ``token_margin`` seconds are left."""
        grant = self.tokens.get(self.token_key)
        if grant is not None and grant.usable(self.clock(), self.token_margin):
            return grant.access_token
        return None

    def store_token(self, envelope: Envelope, sent_at: float) -> str:
        """Cache the token of a getToken answer; returns the access token."""
        grant = grant_for(read_token(envelope), sent_at)
        self.tokens.put(self.token_key, grant)
        return grant.access_token

    def drop_token(self, access_token: str) -> None:
        """Forget a token i'mport refused (only if it is still the cached one)."""
        self.tokens.invalidate(self.token_key, access_token)

    @staticmethod
    def not_sent(request: ApiRequest, error: IamportError) -> NotSent:
        """What a token fetch lost to ``TOKEN_TROUBLE`` means for ``request``: not sent."""
        return NotSent(f"no access token: {error}", **request.context())

    # -- retries -------------------------------------------------------------------
    def retry_after(
        self, request: ApiRequest, error: IamportError, attempt: int, started: float
    ) -> float | None:
        """Seconds to wait before resending ``request``, or None to raise ``error``."""
        return retry_delay(
            self.retry,
            request,
            error,
            attempt=attempt,
            elapsed=self.clock() - started,
            rng=self.rng,
        )
