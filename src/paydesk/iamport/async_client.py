"""``AsyncIamport``: the asyncio client — only the I/O around ``ClientCore``.

The same flows as ``Iamport``, driven over an ``httpx.AsyncClient``: one token
refresh at a time (an asyncio lock), one resend after a 401, bounded retries
of reads.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import Any, TypeVar, Unpack

import httpx

from .core import TOKEN_TROUBLE, ClientCore, ClientOptions
from .errors import IamportError, Unauthorized
from .exchange import ApiRequest, Envelope, Flow
from .mapping import read_envelope, translate
from .paging import Pager
from .surface import Operations

__all__ = ["AsyncIamport"]

T = TypeVar("T")


class AsyncIamport(ClientCore, Operations):
    """Asyncio i'mport V1 client; every method of ``Operations`` returns an awaitable.

    Arguments are those of ``Iamport``, except ``http`` (an ``httpx.AsyncClient``),
    ``transport`` (an ``httpx.AsyncBaseTransport``) and ``sleep`` (a coroutine
    function, ``asyncio.sleep`` by default).
    """

    def __init__(
        self,
        imp_key: str,
        imp_secret: str,
        *,
        http: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(imp_key, imp_secret, **options)
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(transport=transport)
        self._sleep = sleep

    async def call(self, flow: Flow[T]) -> T:
        """Run an operation flow to its result (the methods do this for you)."""
        try:
            request = next(flow)
            while True:
                try:
                    envelope = await self._send(request)
                except IamportError as error:
                    request = flow.throw(error)
                else:
                    request = flow.send(envelope)
        except StopIteration as stop:
            result: T = stop.value
            return result

    async def iterate(self, pager: Pager[Any, T]) -> AsyncIterator[T]:
        """Yield every item of a paged listing (the ``iter_*`` methods do this)."""
        flow = pager.next_flow()
        while flow is not None:
            for item in pager.accept(await self.call(flow)):
                yield item
            flow = pager.next_flow()

    async def _send(self, request: ApiRequest) -> Envelope:
        cached = self.cached(request)
        if cached is not None:
            return cached
        started, attempt = self.clock(), 0
        while True:
            attempt += 1
            try:
                return self.remember(request, await self._authorized(request))
            except IamportError as error:
                delay = self.retry_after(request, error, attempt, started)
                if delay is None:
                    raise
                await self._sleep(delay)

    async def _authorized(self, request: ApiRequest) -> Envelope:
        if not request.auth:
            return await self._exchange(request, None)
        token = await self._token(request)
        try:
            return await self._exchange(request, token)
        except Unauthorized:  # refused, so not executed: refresh once and resend once
            self.drop_token(token)
            return await self._exchange(request, await self._token(request))

    async def _token(self, request: ApiRequest) -> str:
        try:
            token = self.usable_token()
            if token is not None:
                return token
            async with self.tokens.async_lock(self.token_key):
                token = self.usable_token()
                if token is not None:
                    return token
                sent_at = self.clock()
                return self.store_token(await self._exchange(self.token_request, None), sent_at)
        except TOKEN_TROUBLE as error:
            raise self.not_sent(request, error) from error

    async def _exchange(self, request: ApiRequest, token: str | None) -> Envelope:
        try:
            response = await self._http.request(**self.http_arguments(request, token))
        except httpx.HTTPError as exc:
            raise translate(exc, request) from exc
        return read_envelope(request, response.status_code, response.headers, response.content)

    async def aclose(self) -> None:
        """Close the HTTP client if this client created it."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncIamport:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
