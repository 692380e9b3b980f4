"""``GatewayLane``: i'mport's two hot callbacks, outside FastAPI's stack.

In a rush every confirm, and in a flood every webhook, would otherwise pass
through Starlette's error middleware, FastAPI's own telemetry and body-limit
middleware, our request-id, CORS, body-limit and JSON-depth middleware, walk
the route table and have FastAPI solve its dependencies: several times the
work of the endpoint itself (a profile of a sold-out flood put half the
server's time there). ``PaydeskApp.__call__`` hands ``POST /iamport/confirm``
and ``POST /iamport/webhook`` to a lane instead: the very endpoint functions
the routes name (they read everything from ``app.state``), behind only what
those two paths need of the stack:

- a request id (``RequestIds``), as on every other path;
- the gateway's body limit (``BodyLimit`` with that one surface): 413 before
  the body is read;
- a last guard in place of Starlette's 500 page: an endpoint that raises
  (it should not: both catch their own failures) is answered with the lane's
  own 4xx/5xx that i'mport understands (confirm: 429 "temporarily
  unavailable", which fails the payment without approving it; webhook: 503,
  which i'mport delivers again).

The confirm, which a rush sends by the ten thousand, has a lane of its own
(``confirm.ConfirmLane``): the same three things done inline, off the raw ASGI
scope, with prebuilt answers.

CORS does not apply to these paths (``cors.CORS_PATHS``), and the JSON-depth
limit is the endpoints' own (``load_json``: they store a body first). The
routes stay for the OpenAPI document and the route walk; behaviour is the
same either way (``tests/integration/web/test_gateway_lane.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..limits import BodyLimit, BodyTooLarge, Surface
from ..problems import problem_response
from ..request_ids import RequestIds
from . import confirm, webhooks

__all__ = ["GatewayLane", "PaydeskApp"]

log = logging.getLogger(__name__)

Endpoint = Callable[[Request], Awaitable[Response]]


def _webhook_fallback() -> Response:
    return problem_response(503, "Service Unavailable", "The delivery was not stored.")


#: path -> (endpoint, the answer when it raises), for the lanes built of an endpoint
LANES: Mapping[str, tuple[Endpoint, Callable[[], Response]]] = {
    "/iamport/webhook": (webhooks.webhook, _webhook_fallback),
}
#: The confirm's own lane, which does all of the above inline (``confirm.ConfirmLane``).
CONFIRM = "/iamport/confirm"


class _Endpoint:
    """One endpoint as an ASGI app, with the lane's last guard (see the module)."""

    def __init__(self, endpoint: Endpoint, fallback: Callable[[], Response]) -> None:
        self.endpoint, self.fallback = endpoint, fallback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            response = await self.endpoint(Request(scope, receive, send))
            await response(scope, receive, tracked)
        except BodyTooLarge:  # BodyLimit's own signal: it answers 413
            raise
        except Exception:
            log.exception("%s %s: unexpected error", scope["method"], scope["path"])
            if not started:
                await self.fallback()(scope, receive, send)


class GatewayLane:
    """The lanes of ``LANES``, each behind a request id and its surface's body limit, and
    the confirm's own (``CONFIRM``)."""

    def __init__(self, surfaces: Mapping[str, Surface]) -> None:
        self.lanes: dict[str, ASGIApp] = {CONFIRM: confirm.ConfirmLane(surfaces[CONFIRM].max_body)}
        for path, (endpoint, fallback) in LANES.items():
            limited = BodyLimit(_Endpoint(endpoint, fallback), [surfaces[path]],
                                default=surfaces[path].max_body)  # fmt: skip
            self.lanes[path] = RequestIds(limited)

    def get(self, path: str) -> ASGIApp | None:
        return self.lanes.get(path)


class PaydeskApp(FastAPI):
    """FastAPI, with i'mport's two hot callbacks taken before its stack (see the module)."""

    gateway_lane: GatewayLane | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and self.gateway_lane:
            lane = self.gateway_lane.get(scope["path"])
            if lane is not None:
                scope["app"] = self
                await lane(scope, receive, send)
                return
        await super().__call__(scope, receive, send)
