"""``Iamport``: the synchronous client — only the I/O around ``ClientCore``.

It drives operation flows over an ``httpx.Client``: one token refresh at a
time (a threading lock), one resend after a 401, bounded retries of reads.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, TypeVar, Unpack

import httpx

from .core import TOKEN_TROUBLE, ClientCore, ClientOptions
from .errors import IamportError, Unauthorized
from .exchange import ApiRequest, Envelope, Flow
from .mapping import read_envelope, translate
from .paging import Pager
from .surface import Operations

__all__ = ["Iamport"]

T = TypeVar("T")


class Iamport(ClientCore, Operations):
    """Synchronous i'mport V1 client; every operation is a method (see ``Operations``).

    Args:
        imp_key: REST API key.
        imp_secret: REST API secret.
        base_url: ``https://api.iamport.kr`` by default (or an emulator's URL).
        timeout: ``httpx.Timeout`` with all four phases set, or one number for all.
        retry: bounds for retrying reads (``RetryPolicy``).
        token_margin: refresh tokens this many seconds before they expire.
        clock: monotonic seconds, for token deadlines and retry bounds.
        rng: jitter source.
        tokens: a ``TokenCache`` to share tokens between clients.
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
        self._http = http or httpx.Client(transport=transport)
        self._sleep = sleep

    def call(self, flow: Flow[T]) -> T:
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

    def iterate(self, pager: Pager[Any, T]) -> Iterator[T]:
        """Yield every item of a paged listing (the ``iter_*`` methods do this)."""
        flow = pager.next_flow()
        while flow is not None:
            yield from pager.accept(self.call(flow))
            flow = pager.next_flow()

    def _send(self, request: ApiRequest) -> Envelope:
        cached = self.cached(request)
        if cached is not None:
            return cached
        started, attempt = self.clock(), 0
        while True:
            attempt += 1
            try:
                return self.remember(request, self._authorized(request))
            except IamportError as error:
                delay = self.retry_after(request, error, attempt, started)
                if delay is None:
                    raise
                self._sleep(delay)

    def _authorized(self, request: ApiRequest) -> Envelope:
        if not request.auth:
            return self._exchange(request, None)
        token = self._token(request)
        try:
            return self._exchange(request, token)
        except Unauthorized:  # refused, so not executed: refresh once and resend once
            self.drop_token(token)
            return self._exchange(request, self._token(request))

    def _token(self, request: ApiRequest) -> str:
        try:
            token = self.usable_token()
            if token is not None:
                return token
            with self.tokens.lock(self.token_key):
                token = self.usable_token()
                if token is not None:
                    return token
                sent_at = self.clock()
                return self.store_token(self._exchange(self.token_request, None), sent_at)
        except TOKEN_TROUBLE as error:
            raise self.not_sent(request, error) from error

    def _exchange(self, request: ApiRequest, token: str | None) -> Envelope:
        try:
            response = self._http.request(**self.http_arguments(request, token))
        except httpx.HTTPError as exc:
            raise translate(exc, request) from exc
        return read_envelope(request, response.status_code, response.headers, response.content)

    def close(self) -> None:
        """Close the HTTP client if this client created it."""
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
