"""One id per HTTP request: the caller's ``X-Request-ID`` if it is safe, else a new one.

It is echoed in the answer's ``X-Request-ID``, and every log record made while
the request is served carries it (``paydesk.logs.request_scope``), as does
every call to i'mport made for it (``RequestIdTransport``). Outermost of the
middleware, so even a refusal by another one has an id.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..logs import REQUEST_ID_HEADER, accepted_request_id, request_scope

__all__ = ["RequestIds"]


class RequestIds:
    """ASGI middleware: a request id per HTTP request (see the module)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = accepted_request_id(Headers(scope=scope).get(REQUEST_ID_HEADER))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
            await send(message)

        with request_scope(request_id):
            await self.app(scope, receive, send_with_id)
