"""What the sync and async clients share: configuration and every decision without I/O.

Like httpx's ``BaseClient``: building the HTTP request, reading the answer,
deciding about tokens, deadlines and retries all live here; ``client.py`` and
``async_client.py`` only move bytes, hold locks and sleep.  Nothing here is
public API: the clients' public surface is their operations (``surface.py``)
plus ``close``/``aclose``.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypedDict

import httpx

from .errors import IamportError, NotSent, OutcomeUnknown, ServerError
from .exchange import (
    LOG_HIDDEN_FIELDS,
    REDACTED,
    ApiRequest,
    Envelope,
    Timeout,
    encode_body,
    redacted,
)
from .mapping import request_id
from .observers import CallObserver, notify, record_of
from .operations.auth import read_token, token_request
from .retry import RetryPolicy, retry_delay
from .tokens import DEFAULT_MARGIN, TokenCache, grant_for

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "TOKEN_TROUBLE",
    "ClientClosed",
    "ClientCore",
    "ClientOptions",
    "check_timeout",
    "log",
]

DEFAULT_BASE_URL = "https://api.iamport.kr"
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=10.0, pool=5.0)
#: The pool of a client made here: every connection it may open is kept alive between
#: calls (httpx keeps only 20 of its 100), so 50 calls in flight do not reconnect (and,
#: against i'mport, redo a TLS handshake) on every call.
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=100)
USER_AGENT = "paydesk-iamport/0.1"
#: Headers of every request (the token, tier and content type are added per request).
BASE_HEADERS = {"Accept": "application/json", "User-Agent": USER_AGENT}
# A getToken failing like this leaves the request it was for unsent (NotSent);
# rejected credentials (Unauthorized) and other refusals are raised as they are.
TOKEN_TROUBLE = (NotSent, OutcomeUnknown, ServerError)
TIER = re.compile(r"[A-Z0-9]{3}")

log = logging.getLogger("paydesk.iamport")
"""DEBUG: every request (secrets and buyer data redacted), answer, retry and token fetch."""


class ClientClosed(RuntimeError):
    """The client was closed (``close()``/``aclose()``); make a new one."""


def check_timeout(timeout: Timeout) -> httpx.Timeout:
    """A complete ``httpx.Timeout``: a number applies to all four phases.

    Raises:
        ValueError: any phase is None (no timeout) or not positive.
    """
    value = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
    phases = (value.connect, value.read, value.write, value.pool)
    if any(phase is None or phase <= 0 for phase in phases):
        raise ValueError("every timeout phase (connect/read/write/pool) must be set and > 0")
    return value


def _capped(timeout: httpx.Timeout, left: float) -> httpx.Timeout:
    def cap(phase: float | None) -> float:
        return left if phase is None else min(phase, left)

    return httpx.Timeout(
        connect=cap(timeout.connect),
        read=cap(timeout.read),
        write=cap(timeout.write),
        pool=cap(timeout.pool),
    )


class ClientOptions(TypedDict, total=False):
    """The options both clients accept besides credentials and I/O (see ``ClientCore``)."""

    base_url: str
    timeout: Timeout
    retry: RetryPolicy | None
    tier: str | None
    token_margin: float
    clock: Callable[[], float]
    rng: random.Random | None
    tokens: TokenCache | None
    observers: Sequence[CallObserver]


class ClientCore:
    """Configuration and pure steps shared by ``Iamport`` and ``AsyncIamport``."""

    def __init__(
        self,
        imp_key: str,
        imp_secret: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        tier: str | None = None,
        token_margin: float = DEFAULT_MARGIN,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        tokens: TokenCache | None = None,
        observers: Sequence[CallObserver] = (),
    ) -> None:
        if not imp_key or not imp_secret:
            raise ValueError("imp_key and imp_secret are required")
        if tier is not None and not TIER.fullmatch(tier):
            raise ValueError("tier must be 3 uppercase letters or digits (reference §1.1)")
        self._base_url = base_url.rstrip("/")
        self._timeout = check_timeout(timeout)
        self._retry = retry or RetryPolicy()
        self._tier = tier
        self._token_margin = token_margin
        self._clock = clock
        self._rng = rng or random.Random()
        self._tokens = tokens or TokenCache()
        self._imp_key = imp_key
        self._token_key = (self._base_url, imp_key)
        self._token_request = token_request(imp_key, imp_secret)
        self._answers: dict[tuple[str, str], Envelope] = {}
        self._observers: list[CallObserver] = list(observers)
        self._closed = False

    def __repr__(self) -> str:
        tier = f", tier={self._tier!r}" if self._tier else ""
        closed = ", closed" if self._closed else ""
        return (
            f"{type(self).__name__}({self._imp_key!r}, base_url={self._base_url!r}{tier}{closed})"
        )

    def add_observer(self, observer: CallObserver) -> None:
        """Also give every later exchange's ``CallRecord`` to ``observer`` (see ``observers``)."""
        self._observers.append(observer)

    def forget_cached(self) -> None:
        """Drop kept answers (the bank and card code tables are read again on next use)."""
        self._answers.clear()

    # -- requests ---------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise ClientClosed(f"{type(self).__name__} is closed; make a new client")

    def _deadline(self) -> float:
        return self._clock() + self._retry.total

    def _attempt_timeout(self, request: ApiRequest, deadline: float) -> httpx.Timeout:
        """This attempt's timeouts: the call's (or the client's), cut to the deadline's rest.

        Raises:
            NotSent: the deadline has passed: the request is not sent at all.
        """
        left = deadline - self._clock()
        if left <= 0:
            raise NotSent(
                f"deadline of {self._retry.total:g}s reached before sending", **request.context()
            )
        timeout = check_timeout(request.timeout) if request.timeout is not None else self._timeout
        return _capped(timeout, left)

    def _request_headers(self, request: ApiRequest, token: str | None) -> dict[str, str]:
        """The headers of ``request`` besides ``BASE_HEADERS`` (token, tier, content type)."""
        headers: dict[str, str] = {}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
            if self._tier is not None:
                headers["Tier"] = self._tier
        if request.body is not None:
            headers["Content-Type"] = "application/json; charset=utf-8"
        return headers

    def _http_arguments(
        self, request: ApiRequest, token: str | None, deadline: float
    ) -> dict[str, Any]:
        """Keyword arguments for ``httpx.Client.request`` (timeouts cut to the deadline).

        Raises:
            NotSent: the deadline has passed: the request is not sent at all.
        """
        timeout = self._attempt_timeout(request, deadline)
        headers = {**BASE_HEADERS, **self._request_headers(request, token)}
        arguments: dict[str, Any] = {
            "method": request.method,
            "url": self._base_url + request.path,
            "params": list(request.query),
            "headers": headers,
            "timeout": timeout,
        }
        if request.body is not None:
            arguments["content"] = encode_body(request.body)
        self._log_request(request)
        return arguments

    def _direct_request(
        self,
        request: ApiRequest,
        token: str | None,
        deadline: float,
        client_headers: list[tuple[bytes, bytes]],
    ) -> httpx.Request:
        """The ``httpx.Request`` that ``build_request`` of our own client would make.

        ``client_headers`` are that client's headers merged with ``BASE_HEADERS``
        (``direct_headers``): the same URL, headers in the same order, body and timeouts
        as ``_http_arguments`` through the client, without the client's per-request
        merging of URL, cookies and query (see ``paydesk.iamport.direct``).

        Raises:
            NotSent: the deadline has passed: the request is not sent at all.
        """
        timeout = self._attempt_timeout(request, deadline)
        extra = self._request_headers(request, token)
        headers = [*client_headers]
        # ASCII, as httpx encodes header values given as text
        headers += [(k.encode("ascii"), v.encode("ascii")) for k, v in extra.items()]
        content = encode_body(request.body) if request.body is not None else None
        self._log_request(request)
        return httpx.Request(
            request.method,
            self._base_url + request.path,
            params=list(request.query),
            headers=headers,
            content=content,
            extensions={"timeout": timeout.as_dict()},
        )

    def _log_request(self, request: ApiRequest) -> None:
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "-> %s %s%s (%s) query=%s body=%s",
                request.method,
                self._base_url,
                request.path,
                request.operation,
                [(k, REDACTED if k in LOG_HIDDEN_FIELDS else v) for k, v in request.query],
                redacted(request.body, LOG_HIDDEN_FIELDS),
            )

    @staticmethod
    def _log_answer(
        request: ApiRequest, status: int, headers: Mapping[str, str], began: float
    ) -> None:
        """DEBUG: the answer's status, request id and time since ``began`` (monotonic)."""
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "<- %s %s: HTTP %d request_id=%s in %.3fs",
                request.method,
                request.path,
                status,
                request_id(headers),
                time.monotonic() - began,
            )

    def _observe(
        self,
        request: ApiRequest,
        started: float,
        attempts: int,
        *,
        envelope: Envelope | None = None,
        error: BaseException | None = None,
    ) -> None:
        """Tell the observers how ``request`` ended (never raises)."""
        if not self._observers:
            return
        try:
            took = self._clock() - started
            record = record_of(
                request, envelope=envelope, error=error, duration=took, attempts=attempts
            )
        except Exception:  # a record we cannot build must not break the call either
            log.exception("could not describe %s for the observers", request.operation)
            return
        notify(tuple(self._observers), record)

    # -- answers cache (code tables) -------------------------------------------------
    def _cached(self, request: ApiRequest) -> Envelope | None:
        return self._answers.get((request.path, str(request.query))) if request.cache else None

    def _remember(self, request: ApiRequest, envelope: Envelope) -> Envelope:
        if request.cache:
            self._answers[(request.path, str(request.query))] = envelope
        return envelope

    # -- tokens --------------------------------------------------------------------
    def _usable_token(self) -> str | None:
        grant = self._tokens.get(self._token_key)
        if grant is not None and grant.usable(self._clock(), self._token_margin):
            return grant.access_token
        return None

    def _lock_wait(self, deadline: float) -> float:
        """Seconds this call may wait for another caller's token refresh (the deadline's rest).

        Raises:
            NotSent: the deadline has passed already.
        """
        left = deadline - self._clock()
        if left <= 0:
            raise self._lock_expired()
        return left

    def _lock_expired(self) -> NotSent:
        return NotSent(
            f"deadline of {self._retry.total:g}s reached waiting for another caller's "
            "token refresh",
            **self._token_request.context(),
        )

    def _store_token(self, envelope: Envelope, sent_at: float) -> str:
        grant = grant_for(read_token(envelope), sent_at)
        self._tokens.put(self._token_key, grant)
        log.debug("access token for %s cached until monotonic %.0f", self._imp_key, grant.deadline)
        return grant.access_token

    def _drop_token(self, access_token: str) -> None:
        log.debug("access token refused by i'mport; fetching a new one")
        self._tokens.invalidate(self._token_key, access_token)

    @staticmethod
    def _not_sent(request: ApiRequest, error: IamportError) -> NotSent:
        """What a token fetch lost to ``TOKEN_TROUBLE`` means for ``request``: not sent."""
        return NotSent(f"no access token: {error}", **request.context())

    # -- retries -------------------------------------------------------------------
    def _retry_after(
        self, request: ApiRequest, error: IamportError, attempt: int, started: float
    ) -> float | None:
        """Seconds to wait before resending ``request``, or None to raise ``error``."""
        delay = retry_delay(
            self._retry,
            request,
            error,
            attempt=attempt,
            elapsed=self._clock() - started,
            rng=self._rng,
        )
        if delay is None:
            log.debug("%s failed (attempt %d): %s", request.operation, attempt, error)
        else:
            log.debug(
                "%s attempt %d failed (%s); retrying in %.2fs",
                request.operation,
                attempt,
                type(error).__name__,
                delay,
            )
        return delay
