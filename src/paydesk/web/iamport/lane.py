"""``GatewayLane``: i'mport's two hot callbacks, straight to their endpoints.

In a rush every confirm, and in a flood every webhook, would otherwise walk the
route table and have FastAPI solve its dependencies: more work than the
endpoint itself. This ASGI middleware sits inside the app's own middleware
(request ids, CORS, body limits: ``create_app`` adds it first, so innermost)
and hands ``POST /iamport/confirm`` and ``POST /iamport/webhook`` to the very
endpoint functions the routes name, which read everything from ``app.state``.
The routes stay for the OpenAPI document; behaviour is the same either way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from . import confirm, webhooks

__all__ = ["GatewayLane"]

Endpoint = Callable[[Request], Awaitable[Response]]

LANES: dict[str, Endpoint] = {
    "/iamport/confirm": confirm.confirm,
    "/iamport/webhook": webhooks.webhook,
}


class GatewayLane:
    """ASGI middleware (see the module)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            endpoint = LANES.get(scope["path"])
            if endpoint is not None:
                response = await endpoint(Request(scope, receive, send))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
