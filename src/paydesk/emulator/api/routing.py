"""How the REST API is routed: handler tables in, Starlette routes out.

A group module owns a ``RouteTable`` and decorates plain functions::

    routes = RouteTable()

    @routes.op("GET", "/payments/{imp_uid}")
    def get_payment(call: Call) -> object:
        return call.gateway.require_payment(call.merchant, call.path["imp_uid"]).wire()

A handler returns the envelope's ``response`` (or a ``Reply`` for another
status/code) and raises ``ApiFault`` to refuse.  ``rest_routes`` wraps each
handler in an endpoint that authenticates, parses parameters, wraps the
envelope and saves state; handlers only decide.  Every documented operation
without a handler answers 501, and ``fallback`` answers an unknown path (404)
or method (405) in the envelope too, never with a bare router page.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from inspect import isawaitable
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.routing import Route as StarletteRoute
from starlette.types import Receive, Scope, Send

from ..envelope import Encoded, envelope
from ..gateway import Gateway
from ..gateway.errors import ApiFault, Messages
from ..gateway.merchants import Merchant
from ..gateway.params import Params, decode_pairs
from .operations import OPERATIONS, Operation

__all__ = ["Call", "Handler", "Reply", "RouteTable", "fallback", "rest_routes", "run_handler"]

Endpoint = Callable[[Request], Awaitable[Response]]
#: A call's token, whether a body follows, its content type and its ``Tier`` (see ``_head``).
Head = tuple[str | None, bool, str, str | None]
#: What handlers return directly; anything else may be awaitable and is asked.
_ANSWERS = frozenset({dict, list, Encoded, type(None)})
#: The decoder's own scanner (C): one value from a position, no whitespace skipped
#: (set by ``JSONDecoder.__init__``, absent from the stubs).
_SCAN: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


@dataclass(slots=True)
class Call:
    """One authenticated API call as a handler sees it."""

    gateway: Gateway
    merchant: Merchant
    params: Params
    path: dict[str, str]
    request: Request
    operation: Operation | None = None

    @property
    def now(self) -> int:
        return self.gateway.now()


@dataclass(slots=True)
class Reply:
    response: Any = None
    status: int = 200
    code: int = 0
    message: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Call], Any | Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    handler: Handler
    auth: bool


class RouteTable:
    """A group's handlers, keyed by method and i'mport path template."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def op(self, method: str, path: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(Route(method.upper(), path, handler, auth))
            return handler

        return register


async def run_handler(handler: Handler, call: Call) -> Reply:
    result = handler(call)
    if type(result) not in _ANSWERS and isawaitable(result):
        result = await result
    return result if isinstance(result, Reply) else Reply(result)


def bearer(request: Request) -> str | None:
    """``Authorization: Bearer X``, a bare ``Authorization: X``, or ``X-ImpTokenHeader``."""
    return _head(request.scope)[0]


def _head(scope: Scope) -> Head:
    """What a call needs of its headers, in one pass over the raw list (no ``Headers``):

    - the caller's token: the first ``Authorization`` if it is not empty (``Bearer X``
      or a bare ``X``), else the first ``X-ImpTokenHeader``;
    - whether a body follows: the first ``Content-Length`` says above 0, or
      ``Transfer-Encoding`` comes first;
    - the first ``Content-Type``, lower-cased (``""`` if none);
    - the first ``Tier``: the agency's sub-merchant the call is made for (None if none).
    """
    authorization: bytes | None = None
    imp_token: bytes | None = None
    has_body: bool | None = None
    content_type: bytes | None = None
    tier: bytes | None = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            if authorization is None:
                authorization = value
        elif name == b"x-imptokenheader":
            if imp_token is None:
                imp_token = value
        elif name == b"content-type":
            if content_type is None:
                content_type = value
        elif name == b"tier":
            if tier is None:
                tier = value
        elif has_body is None:
            if name == b"content-length":
                has_body = value.strip() not in (b"0", b"")
            elif name == b"transfer-encoding":
                has_body = True
    token: str | None = None
    if authorization:
        header = authorization.decode("latin-1")
        scheme, _, rest = header.strip().partition(" ")
        token = rest.strip() if scheme.lower() == "bearer" and rest else header.strip()
    elif imp_token:
        token = imp_token.decode("latin-1")
    kind = content_type.decode("latin-1").lower() if content_type else ""
    named = tier.decode("latin-1").strip() if tier else ""
    return token, bool(has_body), kind, named or None


async def read_params(
    request: Request, bad_status: int, head: Head | None = None
) -> dict[str, Any]:
    query = request.scope.get("query_string")
    data: dict[str, Any] = decode_pairs(request.query_params.multi_items()) if query else {}
    _, has_body, content_type, _ = head or _head(request.scope)
    if not has_body:  # a GET: nothing to wait for
        return data
    body = await _body(request)
    if not body.strip():
        return data
    if "json" in content_type or (not content_type and body.lstrip()[:1] in (b"{", b"[")):
        try:
            parsed = json_body(body)
        except ValueError:  # UnicodeDecodeError too
            raise ApiFault(bad_status, "요청 본문이 올바른 JSON이 아닙니다.", code=1) from None
        if not isinstance(parsed, dict):
            raise ApiFault(bad_status, "요청 본문은 JSON 객체여야 합니다.", code=1)
        data.update(parsed)
    else:
        form = await request.form()
        data.update(decode_pairs((k, v) for k, v in form.multi_items() if isinstance(v, str)))
    return data


def json_body(body: bytes) -> Any:
    """``json.loads(body)``, the same answer or the same ``ValueError``, for less.

    ``json.loads`` on bytes first sniffs the encoding (BOMs, UTF-16/32 by their
    zero bytes), checks its arguments and skips whitespace around the value on
    every call.  Clients send UTF-8 JSON with the value first and last, so the
    body is decoded as that and scanned once; whatever that does not take whole
    (whitespace around it, a BOM, zero bytes, invalid UTF-8, bad JSON) goes to
    ``json.loads`` itself, which accepts what it always accepted and raises what
    it raised.
    """
    try:
        text = body.decode("utf-8")
        value, end = _SCAN(text, 0)
        if end == len(text):
            return value
    except (ValueError, StopIteration):
        pass
    return json.loads(body)


async def _body(request: Request) -> bytes:
    """``request.body()`` without its async generator: the same messages, the same
    ``ClientDisconnect``, and the body kept on the request for ``form()``."""
    chunks: list[bytes] = []
    receive = request.receive
    while True:
        message = await receive()
        if message["type"] == "http.request":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        elif message["type"] == "http.disconnect":
            raise ClientDisconnect()
    body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    request._body = body
    return body


def make_endpoint(handler: Handler, operation: Operation | None, auth: bool) -> Endpoint:
    """``handler`` as a Starlette endpoint on the app's ``state.gateway``."""
    bad_status = operation.bad_request_status if operation else 400

    async def endpoint(request: Request) -> Response:
        gateway: Gateway = request.scope["app"].state.gateway
        try:
            head = _head(request.scope)
            merchant = gateway.authenticate(head[0], head[3]) if auth else None
            params = Params(await read_params(request, bad_status, head), bad_status)
            path: dict[str, str] = request.scope.get("path_params", {})
            params.data.update(path)
            call = Call(gateway, merchant, params, dict(path), request, operation)  # type: ignore[arg-type]
            reply = await run_handler(handler, call)
        except ApiFault as fault:
            reply = Reply(
                fault.response, fault.http_status, fault.code, fault.message, fault.headers
            )
        if request.scope["method"] != "GET":
            gateway.flush()
        return envelope(
            reply.response,
            code=reply.code,
            message=reply.message,
            status=reply.status,
            headers=reply.headers or None,
        )

    return endpoint


def not_emulated(call: Call) -> Reply:
    op = call.operation
    method, path = (op.method, op.path) if op else (call.request.method, call.request.url.path)
    return Reply(None, 501, -1, Messages.NOT_EMULATED.format(method=method, path=path))


def _specificity(path: str) -> tuple[int, int]:
    segments = path.strip("/").split("/")
    return (sum(1 for s in segments if s.startswith("{")), -len(segments))


def rest_routes(tables: Iterable[RouteTable]) -> list[BaseRoute]:
    """One route per path (with and without a trailing slash), most specific first."""
    by_key: dict[tuple[str, str], tuple[Handler, bool]] = {}
    for table in tables:
        for route in table.routes:
            by_key[(route.method, route.path)] = (route.handler, route.auth)
    ops = {(op.method, op.path): op for op in OPERATIONS}
    for key in ops:
        by_key.setdefault(key, (not_emulated, True))
    grouped: dict[str, dict[str, Endpoint]] = {}
    for (method, path), (handler, auth) in by_key.items():
        endpoint = make_endpoint(handler, ops.get((method, path)), auth)
        grouped.setdefault(path, {})[method] = endpoint
    routes: list[BaseRoute] = []
    for path in sorted(grouped, key=_specificity):
        dispatch = _dispatcher(grouped[path])
        methods = [*grouped[path]]
        routes.append(RestRoute(path, dispatch, methods=methods))
        routes.append(RestRoute(path + "/", dispatch, methods=methods))
    return routes


class RestRoute(StarletteRoute):
    """A Starlette route whose endpoint runs without ``request_response``'s own exception
    wrapper: an endpoint answers every ``ApiFault`` itself, and anything else it raises
    (an ``HTTPException`` from a form it cannot parse) goes to the app's
    ``ExceptionMiddleware``, which applies the same handlers.  One closure and one
    ``send`` wrapper less per call.
    """

    def __init__(self, path: str, endpoint: Endpoint, *, methods: list[str]) -> None:
        super().__init__(path, endpoint, methods=methods)

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            response = await endpoint(Request(scope, receive, send))
            await response(scope, receive, send)

        self.app = app


def _dispatcher(by_method: dict[str, Endpoint]) -> Endpoint:
    async def dispatch(request: Request) -> Response:
        return await by_method[request.scope["method"]](request)

    return dispatch


async def fallback(request: Request) -> Response:
    """Unknown path or method: an i'mport envelope, never a bare router page."""
    known = {op.path for op in OPERATIONS}
    message = (
        Messages.METHOD_NOT_ALLOWED if _path_known(request.url.path, known) else Messages.NO_ROUTE
    )
    status = 405 if message is Messages.METHOD_NOT_ALLOWED else 404
    return envelope(
        None, code=-1, message=message.format(method=request.method, path=request.url.path),
        status=status,
    )  # fmt: skip


def _path_known(path: str, templates: set[str]) -> bool:
    parts = path.rstrip("/").split("/")
    for template in templates:
        tparts = template.split("/")
        if len(tparts) == len(parts) and all(
            t.startswith("{") or t == p for t, p in zip(tparts, parts, strict=True)
        ):
            return True
    return False
