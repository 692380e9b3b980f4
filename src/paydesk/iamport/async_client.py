"""``AsyncIamport``: the asyncio client — only the I/O around ``ClientCore``.

The same flows as ``Iamport``, driven over an ``httpx.AsyncClient``: one token
refresh at a time (an asyncio lock), one resend after a 401, bounded retries
of reads.  A client made here (no ``http=``, no proxy in the environment) sends
through ``http11.AsyncHTTP11Transport``, not httpx's own async transport, whose
layers cost more CPU per call than the whole rest of the call (see ``http11``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import Any, TypeVar, Unpack

import httpx

from .core import BASE_HEADERS, DEFAULT_LIMITS, TOKEN_TROUBLE, ClientCore, ClientOptions
from .direct import answer_deadline, answered_by, direct_headers, direct_transport, send_async
from .errors import IamportError, Unauthorized
from .exchange import ApiRequest, Envelope, Flow
from .http11 import http11_transport
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

    A client belongs to the event loop it is first used on (its connections and
    locks do): using it from another loop raises ``RuntimeError`` at once, on
    the first call, not only under contention.  Make one client per loop; to
    share the access token between them, pass them one ``TokenCache``.
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
        chosen = transport or (http11_transport(DEFAULT_LIMITS) if http is None else None)
        self._http = http or httpx.AsyncClient(transport=chosen, limits=DEFAULT_LIMITS)
        # Our own client: requests go straight to its transport (see ``direct``).
        self._direct = direct_transport(chosen) if http is None else None
        self._direct_headers = direct_headers(self._http, BASE_HEADERS)
        self._sleep = sleep
        self._loop: asyncio.AbstractEventLoop | None = None

    async def _call(self, flow: Flow[T]) -> T:
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

    async def _iterate(self, pager: Pager[Any, T]) -> AsyncIterator[T]:
        """Yield every item of a paged listing (the ``iter_*`` methods do this)."""
        flow = pager.next_flow()
        while flow is not None:
            for item in pager.accept(await self._call(flow)):
                yield item
            flow = pager.next_flow()

    def _check_loop(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop = loop
        elif self._loop is not loop:
            raise RuntimeError(
                "this AsyncIamport was first used on another event loop; its connections "
                "belong to that loop: make one AsyncIamport per event loop (share a "
                "TokenCache between them to share the access token)"
            )

    async def _send(self, request: ApiRequest) -> Envelope:
        self._check_open()
        self._check_loop()
        cached = self._cached(request)
        if cached is not None:
            return cached
        started, attempt = self._clock(), 0
        deadline = started + self._retry.total
        try:
            while True:
                attempt += 1
                try:
                    envelope = await self._authorized(request, deadline)
                    break
                except IamportError as error:
                    delay = self._retry_after(request, error, attempt, started)
                    if delay is None:
                        raise
                    await self._sleep(delay)
        except BaseException as error:  # cancelled mid-call too: the observers hear of it
            self._observe(request, started, attempt, error=error)
            raise
        self._observe(request, started, attempt, envelope=envelope)
        return self._remember(request, envelope)

    async def _authorized(self, request: ApiRequest, deadline: float) -> Envelope:
        if not request.auth:
            return await self._exchange(request, None, deadline)
        token = await self._token(request, deadline)
        try:
            return await self._exchange(request, token, deadline)
        except Unauthorized:  # refused, so not executed: refresh once and resend once
            self._drop_token(token)
            return await self._exchange(request, await self._token(request, deadline), deadline)

    async def _token(self, request: ApiRequest, deadline: float) -> str:
        try:
            token = self._usable_token()
            if token is not None:
                return token
            lock = self._tokens.async_lock(self._token_key)
            try:
                async with asyncio.timeout(
                    self._lock_wait(deadline)
                ):  # the deadline holds here too
                    await lock.acquire()
            except TimeoutError:
                raise self._lock_expired() from None
            try:
                token = self._usable_token()
                if token is not None:
                    return token
                sent_at = self._clock()
                answer = await self._exchange(self._token_request, None, deadline)
                return self._store_token(answer, sent_at)
            finally:
                lock.release()
        except TOKEN_TROUBLE as error:
            raise self._not_sent(request, error) from error

    async def _exchange(self, request: ApiRequest, token: str | None, deadline: float) -> Envelope:
        direct = self._direct
        if direct is not None and not self._http.is_closed and not self._http.cookies:
            outgoing = self._direct_request(request, token, deadline, self._direct_headers)
            began = time.monotonic()
            try:
                response, content = await send_async(
                    direct, outgoing, within=deadline - self._clock()
                )
            except httpx.HTTPError as exc:
                raise translate(exc, request) from exc
            if "set-cookie" in response.headers:  # kept and sent back, as httpx does
                self._http.cookies.extract_cookies(response)
        else:
            arguments = self._http_arguments(request, token, deadline)
            began = time.monotonic()
            try:
                async with answered_by(answer_deadline(deadline - self._clock()), None):
                    response = await self._http.request(**arguments)
            except httpx.HTTPError as exc:
                raise translate(exc, request) from exc
            content = response.content
        self._log_answer(request, response.status_code, response.headers, began)
        return read_envelope(request, response.status_code, response.headers, content)

    async def aclose(self) -> None:
        """Close the HTTP client if this client created it; later calls raise ``ClientClosed``."""
        self._closed = True
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
