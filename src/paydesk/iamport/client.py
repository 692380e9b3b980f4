"""``Iamport``: the synchronous client — only the I/O around ``ClientCore``.

It drives operation flows over an ``httpx.Client``: one token refresh at a
time (a threading lock), one resend after a 401, bounded retries of reads,
all within the deadline ``retry.total``.  Safe to share between threads.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, TypeVar, Unpack

import httpx

from .core import BASE_HEADERS, DEFAULT_LIMITS, TOKEN_TROUBLE, ClientCore, ClientOptions
from .direct import direct_headers, direct_transport, read_by, send
from .errors import IamportError, Unauthorized
from .exchange import ApiRequest, Envelope, Flow
from .mapping import read_envelope, translate
from .paging import Pager
from .pool import lean_transport
from .surface import Operations

__all__ = ["Iamport"]

T = TypeVar("T")


class Iamport(ClientCore, Operations):
    """Synchronous i'mport V1 client; every operation is a method (see ``Operations``).

    Args:
        imp_key: REST API key.
        imp_secret: REST API secret.
        base_url: ``https://api.iamport.kr`` by default (or an emulator's URL).
        timeout: ``httpx.Timeout`` with all four phases set, or one number for all
            (every method also takes ``timeout=`` for one call).
        retry: bounds for retrying reads and the deadline of a call (``RetryPolicy``).
        tier: a sub-merchant's tier code, sent as the ``Tier`` header (agency accounts).
        token_margin: refresh tokens this many seconds before they expire.
        clock: monotonic seconds, for token deadlines and retry bounds.
        rng: jitter source.
        tokens: a ``TokenCache`` to share tokens between clients.
        observers: callables given a ``CallRecord`` after every exchange (journal,
            metrics; see ``observers.py``; ``add_observer`` adds one later). One that
            raises is logged and ignored: it never breaks a call.
        http: an ``httpx.Client`` to use (not closed by this client).
        transport: an ``httpx.BaseTransport`` for a client made here.
        sleep: how to wait between retries.
    """

    def __init__(
        self,
        imp_key: str,
        imp_secret: str,
        *,
        http: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(imp_key, imp_secret, **options)
        self._owns_http = http is None
        chosen = transport or (lean_transport(DEFAULT_LIMITS) if http is None else None)
        self._http = http or httpx.Client(transport=chosen, limits=DEFAULT_LIMITS)
        # Our own client: requests go straight to its transport (see ``direct``).
        self._direct = direct_transport(chosen) if http is None else None
        self._direct_headers = direct_headers(self._http, BASE_HEADERS)
        self._sleep = sleep

    def _call(self, flow: Flow[T]) -> T:
        """Run an operation flow to its result (the methods do this for you)."""
        try:
            request = next(flow)
            while True:
                try:
                    envelope = self._send(request)
                except IamportError as error:
                    request = flow.throw(error)
                else:
                    request = flow.send(envelope)
        except StopIteration as stop:
            result: T = stop.value
            return result

    def _iterate(self, pager: Pager[Any, T]) -> Iterator[T]:
        """Yield every item of a paged listing (the ``iter_*`` methods do this)."""
        flow = pager.next_flow()
        while flow is not None:
            yield from pager.accept(self._call(flow))
            flow = pager.next_flow()

    def _send(self, request: ApiRequest) -> Envelope:
        self._check_open()
        cached = self._cached(request)
        if cached is not None:
            return cached
        started, attempt = self._clock(), 0
        deadline = started + self._retry.total
        try:
            while True:
                attempt += 1
                try:
                    envelope = self._authorized(request, deadline)
                    break
                except IamportError as error:
                    delay = self._retry_after(request, error, attempt, started)
                    if delay is None:
                        raise
                    self._sleep(delay)
        except BaseException as error:  # cancelled mid-call too: the observers hear of it
            self._observe(request, started, attempt, error=error)
            raise
        self._observe(request, started, attempt, envelope=envelope)
        return self._remember(request, envelope)

    def _authorized(self, request: ApiRequest, deadline: float) -> Envelope:
        if not request.auth:
            return self._exchange(request, None, deadline)
        token = self._token(request, deadline)
        try:
            return self._exchange(request, token, deadline)
        except Unauthorized:  # refused, so not executed: refresh once and resend once
            self._drop_token(token)
            return self._exchange(request, self._token(request, deadline), deadline)

    def _token(self, request: ApiRequest, deadline: float) -> str:
        try:
            token = self._usable_token()
            if token is not None:
                return token
            lock = self._tokens.lock(self._token_key)
            if not lock.acquire(timeout=self._lock_wait(deadline)):  # the deadline holds here too
                raise self._lock_expired()
            try:
                token = self._usable_token()
                if token is not None:
                    return token
                sent_at = self._clock()
                answer = self._exchange(self._token_request, None, deadline)
                return self._store_token(answer, sent_at)
            finally:
                lock.release()
        except TOKEN_TROUBLE as error:
            raise self._not_sent(request, error) from error

    def _exchange(self, request: ApiRequest, token: str | None, deadline: float) -> Envelope:
        direct = self._direct
        if direct is not None and not self._http.is_closed and not self._http.cookies:
            outgoing = self._direct_request(request, token, deadline, self._direct_headers)
            began = time.monotonic()
            try:
                response, content = send(direct, outgoing, within=deadline - self._clock())
            except httpx.HTTPError as exc:
                raise translate(exc, request) from exc
            if "set-cookie" in response.headers:  # kept and sent back, as httpx does
                self._http.cookies.extract_cookies(response)
        else:
            arguments = self._http_arguments(request, token, deadline)
            began = time.monotonic()
            until = time.monotonic() + (deadline - self._clock())
            try:
                with self._http.stream(**arguments) as response:
                    content = read_by(response, until)
            except httpx.HTTPError as exc:
                raise translate(exc, request) from exc
        self._log_answer(request, response.status_code, response.headers, began)
        return read_envelope(request, response.status_code, response.headers, content)

    def close(self) -> None:
        """Close the HTTP client if this client created it; later calls raise ``ClientClosed``."""
        self._closed = True
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Iamport:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
