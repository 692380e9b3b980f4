"""Assembles the emulator's ASGI app: REST API, control API, fault injection.

``create_app`` is the only constructor; it takes a built ``Gateway`` so tests
and the CLI decide where state lives and what the clock is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterable

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from . import api
from .delivery.outbound import Outbound
from .faults import FaultBook, FaultMiddleware
from .gateway.gateway import Gateway

__all__ = ["CONTROL_PREFIX", "create_app"]

log = logging.getLogger("paydesk.emulator")
CONTROL_PREFIX = "/_emulator"
Ticker = Callable[[Gateway], None]


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
        *api.routes,
        api.catch_all,
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    exclude = (CONTROL_PREFIX, "/v1/", "/window", "/js/", CONSOLE_PREFIX)
    app.add_middleware(FaultMiddleware, book=book, exclude=exclude)
    app.state.gateway = gateway
    app.state.faults = book
    app.state.courier = courier
    app.state.outbound = out
    return app
