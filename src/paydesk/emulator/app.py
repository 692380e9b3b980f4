"""Assembles the emulator's ASGI app: REST API, control API, fault injection.

``create_app`` is the only constructor; it takes a built ``Gateway`` so tests
and the CLI decide where state lives and what the clock is.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from .api.operations import OPERATIONS, Operation
from .api.routing import Call, Handler, Reply, RouteTable, run_handler
from .delivery.outbound import Outbound
from .envelope import envelope
from .faults import FaultBook, FaultMiddleware
from .gateway.errors import ApiFault, Messages
from .gateway.gateway import Gateway
from .gateway.params import Params, decode_pairs

__all__ = ["CONTROL_PREFIX", "create_app", "route_tables"]

log = logging.getLogger("paydesk.emulator")
CONTROL_PREFIX = "/_emulator"
Ticker = Callable[[Gateway], None]


def route_tables() -> list[RouteTable]:
    """Every group's handlers.  Imported here, so no module has import-time effects."""
    from .api import (
        auth,
        cancel,
        certifications,
        codes,
        customers,
        escrows,
        others,
        payments,
        prepare,
        receipts,
        schedules,
        subscribe,
        vbanks,
    )  # fmt: skip

    groups = (auth, payments, prepare, cancel, subscribe, customers, schedules, vbanks,
              receipts, certifications, escrows, codes, others)  # fmt: skip
    return [group.routes for group in groups]


def bearer(request: Request) -> str | None:
    """``Authorization: Bearer X``, a bare ``Authorization: X``, or ``X-ImpTokenHeader``."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, rest = header.strip().partition(" ")
        return rest.strip() if scheme.lower() == "bearer" and rest else header.strip()
    return request.headers.get("x-imptokenheader") or None


async def read_params(request: Request, bad_status: int) -> dict[str, Any]:
    data: dict[str, Any] = decode_pairs(request.query_params.multi_items())
    body = await request.body()
    if not body.strip():
        return data
    content_type = request.headers.get("content-type", "").lower()
    if "json" in content_type or (not content_type and body.lstrip()[:1] in (b"{", b"[")):
        try:
            parsed = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise ApiFault(bad_status, "요청 본문이 올바른 JSON이 아닙니다.", code=1) from None
        if not isinstance(parsed, dict):
            raise ApiFault(bad_status, "요청 본문은 JSON 객체여야 합니다.", code=1)
        data.update(parsed)
    else:
        form = await request.form()
        data.update(decode_pairs((k, v) for k, v in form.multi_items() if isinstance(v, str)))
    return data


def make_endpoint(
    gateway: Gateway, handler: Handler, operation: Operation | None, auth: bool
) -> Callable[[Request], Any]:
    bad_status = operation.bad_request_status if operation else 400

    async def endpoint(request: Request) -> Response:
        try:
            merchant = gateway.authenticate(bearer(request)) if auth else None
            params = Params(await read_params(request, bad_status), bad_status)
            params.data.update(request.path_params)
            call = Call(
                gateway=gateway,
                merchant=merchant,  # type: ignore[arg-type]
                params=params,
                path=dict(request.path_params),
                request=request,
                operation=operation,
            )
            reply = await run_handler(handler, call)
        except ApiFault as fault:
            reply = Reply(
                fault.response, fault.http_status, fault.code, fault.message, fault.headers
            )
        if request.method != "GET":
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


def api_routes(gateway: Gateway, tables: Iterable[RouteTable]) -> list[BaseRoute]:
    by_key: dict[tuple[str, str], tuple[Handler, bool]] = {}
    for table in tables:
        for route in table.routes:
            by_key[(route.method, route.path)] = (route.handler, route.auth)
    ops = {(op.method, op.path): op for op in OPERATIONS}
    for key in ops:
        by_key.setdefault(key, (not_emulated, True))
    grouped: dict[str, dict[str, Callable[[Request], Any]]] = {}
    for (method, path), (handler, auth) in by_key.items():
        endpoint = make_endpoint(gateway, handler, ops.get((method, path)), auth)
        grouped.setdefault(path, {})[method] = endpoint
    routes: list[BaseRoute] = []
    for path in sorted(grouped, key=_specificity):
        dispatch = _dispatcher(grouped[path])
        methods = [*grouped[path]]
        routes.append(Route(path, dispatch, methods=methods))
        routes.append(Route(path + "/", dispatch, methods=methods))
    return routes


def _dispatcher(by_method: dict[str, Callable[[Request], Any]]) -> Callable[[Request], Any]:
    async def dispatch(request: Request) -> Response:
        return await by_method[request.method](request)  # type: ignore[no-any-return]

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


async def _run_tickers(gateway: Gateway, tickers: list[Ticker], interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        tick(gateway, tickers)


def tick(gateway: Gateway, tickers: Iterable[Ticker]) -> None:
    for ticker in tickers:
        try:
            ticker(gateway)
        except Exception:  # a broken ticker must not stop the others
            log.exception("emulator ticker %s failed", getattr(ticker, "__name__", ticker))
    gateway.flush()


def default_tickers() -> list[Ticker]:
    """Work the gateway does on its own clock: due scheduled payments."""
    from .gateway.scheduler import run_due_schedules

    return [run_due_schedules]


def create_app(
    gateway: Gateway,
    *,
    faults: FaultBook | None = None,
    tick_interval: float = 0.25,
    extra_routes: Iterable[BaseRoute] = (),
    outbound: Outbound | None = None,
) -> Starlette:
    """Build the emulator app around ``gateway``.

    ``outbound`` carries the HTTP client and waits for calls to merchant
    servers (Confirm Process, webhooks); by default one is built at startup.
    """
    from .console.endpoints import CONSOLE_PREFIX, console_routes
    from .control.delivery import delivery_control_routes
    from .control.endpoints import control_routes
    from .delivery.courier import Courier
    from .window.endpoints import window_routes
    from .window.session import WindowDesk

    book = faults or FaultBook()
    tickers = default_tickers()
    out = outbound or Outbound()
    courier = Courier(gateway, out)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await out.open()
        courier.start()
        task = asyncio.create_task(_run_tickers(gateway, tickers, tick_interval))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await courier.stop()
            await out.close()
            gateway.flush()

    def run_tick() -> None:
        tick(gateway, tickers)

    routes: list[BaseRoute] = [
        *control_routes(gateway, book, run_tick, CONTROL_PREFIX),
        *delivery_control_routes(gateway, courier, CONTROL_PREFIX),
        *window_routes(gateway, WindowDesk(gateway, courier, out)),
        *console_routes(gateway, courier, book, run_tick),
        *extra_routes,
        *api_routes(gateway, route_tables()),
        Route("/{rest:path}", fallback, methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    exclude = (CONTROL_PREFIX, "/v1/", "/window", "/js/", CONSOLE_PREFIX)
    app.add_middleware(FaultMiddleware, book=book, exclude=exclude)
    app.state.gateway = gateway
    app.state.faults = book
    app.state.courier = courier
    app.state.outbound = out
    return app
