"""The merchant server's ASGI application: one ``create_app`` that only mounts routers.

``bootstrap.build_server`` (or a test) builds the ``Services`` and passes them
with the ``Settings``; every router reads them from ``app.state`` (``deps``).
The services are closed when the app shuts down. OpenAPI is served at
``/docs``, with no asset from another host.

Around the routers, outermost first: the request id (``request_ids``), CORS for
the two cross-origin paths (only when ``PAYDESK_CORS_ORIGINS`` is set), then the
body limit of each surface (``/iamport/*``, ``/api/*``, everything else), then
the JSON depth limit (every path but ``/iamport/*``, whose endpoints store a
body before they limit its nesting). i'mport's two hot callbacks (``POST
/iamport/confirm`` and ``/iamport/webhook``) are taken before all of that, with
only a request id and their body limit (``iamport.lane``).
``/metrics`` is for operators (``metrics``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig

from .. import __version__
from ..services.container import Services
from ..settings import Settings
from . import admin, api, iamport, metrics, ops, shop
from .confirm_guard import ConfirmGuard
from .cors import ScopedCors
from .docs import install_docs
from .iamport.lane import GatewayLane, PaydeskApp
from .limits import BodyLimit, JsonDepth, Surface
from .pages import install_static
from .problems import install_problem_handlers
from .request_ids import RequestIds

__all__ = ["create_app"]


def create_app(services: Services, settings: Settings) -> FastAPI:
    """The merchant server over ``services``, configured by ``settings``.

    Raises ``ValueError`` without ``PAYDESK_SECRET_KEY`` (it signs confirm URLs).
    """
    guard = ConfirmGuard.from_settings(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await services.aclose()

    app = PaydeskApp(title="paydesk merchant server", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None, telemetry=_telemetry(settings))  # fmt: skip
    app.state.services = services
    app.state.settings = settings
    app.state.confirm_guard = guard
    app.state.shop_limiter = shop.write_limiter(settings)
    install_problem_handlers(app)
    admin.install_admin_errors(app)
    install_docs(app)
    app.include_router(iamport.router)
    app.include_router(api.router)
    app.include_router(shop.router)
    app.include_router(admin.router)
    app.include_router(metrics.router)
    app.include_router(ops.router)
    install_static(app)
    surfaces = _surfaces(settings)
    app.gateway_lane = GatewayLane({s.prefix: s for s in surfaces})
    app.add_middleware(JsonDepth, skip="/iamport/")  # the callbacks store first, then limit
    app.add_middleware(BodyLimit, surfaces=surfaces,
                       default=settings.max_body_bytes_default)  # fmt: skip
    if settings.cors_origins:
        app.add_middleware(ScopedCors, origins=settings.cors_origins)
    app.add_middleware(RequestIds)
    return app


def _surfaces(settings: Settings) -> list[Surface]:
    gateway = settings.max_body_bytes_gateway
    return [
        Surface("/iamport/", gateway),
        Surface("/iamport/confirm", gateway, reason_shape=True),
        Surface("/iamport/webhook", gateway),
        Surface("/api/", settings.max_body_bytes_api),
        Surface("/shop/", shop.MAX_BODY),
    ]


def _telemetry(settings: Settings) -> TelemetryConfig | None:
    """FastAPI's native OpenTelemetry, when ``PAYDESK_OPENTELEMETRY`` asks for it.

    Left on, it looks for configured providers (three environment lookups)
    on every request, about 30 µs each, even with none configured.
    """
    if settings.opentelemetry:
        return None  # FastAPI's defaults: the global providers
    return {"tracing": False, "metrics": False, "logs": False}
