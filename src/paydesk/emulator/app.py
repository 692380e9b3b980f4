"""Assembles the emulator's ASGI app from its rooms, with fault injection around them.

``create_app`` is the only constructor; it takes a built ``Gateway`` so tests
and the CLI decide where state lives and what the clock is.  It puts the
collaborators every endpoint reads on ``app.state`` (``gateway``, ``faults``,
``courier``, ``outbound``, ``window_desk``, ``templates``) and the rooms'
route lists in order of precedence: control API, window, console, any
``extra_routes``, the REST API, and last the envelope for unknown paths.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Iterable

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from . import api, console, control, window
from .console import CONSOLE_PREFIX
from .control import CONTROL_PREFIX
from .delivery import Courier, Outbound
from .dispatch import SegmentRouter
from .faults import SERVER_LOGGER, FaultBook, FaultMiddleware, QuietDrops
from .gateway import Gateway
from .gateway.scheduler import TICKERS, run_tickers
from .templating import Templates
from .window.session import WindowDesk

__all__ = ["CONTROL_PREFIX", "create_app"]


def create_app(
    gateway: Gateway,
    *,
    faults: FaultBook | None = None,
    tick_interval: float = 0.25,
    extra_routes: Iterable[BaseRoute] = (),
    outbound: Outbound | None = None,
    seed: int | None = None,
) -> Starlette:
    """Build the emulator app around ``gateway``.

    ``outbound`` carries the HTTP client and waits for calls to merchant
    servers (Confirm Process, webhooks); by default one is built at startup.
    ``seed`` seeds the random draws of fault injection and webhook delivery
    (duplicates, jitter), so a chaos run replays the same draws.
    """
    book = faults or FaultBook(None if seed is None else random.Random(seed))
    out = outbound or Outbound()
    courier = Courier(gateway, out, None if seed is None else random.Random(seed + 1))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        quiet = QuietDrops()
        logging.getLogger(SERVER_LOGGER).addFilter(quiet)
        await out.open()
        courier.start()
        task = asyncio.create_task(run_tickers(gateway, TICKERS, tick_interval))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await courier.stop()
            await out.close()
            gateway.close()
            logging.getLogger(SERVER_LOGGER).removeFilter(quiet)

    routes: list[BaseRoute] = [
        *control.routes,
        *window.routes,
        *console.routes,
        *extra_routes,
        *api.routes,
        api.catch_all,
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.router = SegmentRouter(routes, lifespan=lifespan)  # Starlette's order, fewer tries
    exclude = (CONTROL_PREFIX, "/v1/", "/window", "/js/", CONSOLE_PREFIX)
    app.add_middleware(FaultMiddleware, book=book, exclude=exclude)
    app.state.gateway = gateway
    app.state.faults = book
    app.state.courier = courier
    app.state.outbound = out
    app.state.window_desk = WindowDesk(gateway, courier, out)
    app.state.templates = Templates()
    return app
