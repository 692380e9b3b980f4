"""The whole merchant server: the confirm and catalog app plus the payment endpoints.

``create_app`` (confirm endpoint, products) is extended here with orders,
payment lookups, the webhook and the completion endpoints, all over the same
database and clock. ``bootstrap`` passes the real collaborators; tests pass
theirs. Anything given in ``closing`` (the i'mport client) is closed when the
app shuts down.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from fastapi import FastAPI

from ..core.clock import Clock
from ..jobs.runner import JobRunner
from ..services.confirm import ConfirmDesk
from ..services.ordering import AmountRegistrar, OrderDesk
from ..services.payment_services import PaymentServices
from ..settings import Settings
from ..store import Database
from .app import create_app
from .completion import completion_router
from .orders import orders_router
from .payments import payments_router
from .webhooks import WebhookGate, webhook_router

__all__ = ["create_server", "webhook_gate"]

Closer = Callable[[], Awaitable[None]]


def webhook_gate(settings: Settings) -> WebhookGate:
    """The webhook allow-list and proxies from ``settings`` (empty allow-list: no check)."""
    return WebhookGate(settings.webhook_allowed_ips, settings.trusted_proxies)


def create_server(
    *,
    settings: Settings,
    database: Database,
    clock: Clock,
    services: PaymentServices,
    registrar: AmountRegistrar,
    runner: JobRunner | None = None,
    confirm_desk: ConfirmDesk | None = None,
    closing: Sequence[Closer] = (),
) -> FastAPI:
    """The merchant server. ``runner`` does webhook jobs inline (None: the worker only)."""
    app = create_app(settings=settings, database=database, clock=clock, confirm_desk=confirm_desk)
    orders = OrderDesk(
        database, clock, registrar, ttl=timedelta(seconds=settings.order_ttl_seconds)
    )
    app.include_router(orders_router(orders, services.lookups, settings))
    app.include_router(payments_router(services.lookups))
    run_job = runner.run_keyed if runner is not None else None
    app.include_router(webhook_router(services.webhooks, clock, webhook_gate(settings), run_job))
    app.include_router(completion_router(services.verifier, services.lookups))
    _close_on_shutdown(app, closing)
    return app


def _close_on_shutdown(app: FastAPI, closing: Sequence[Closer]) -> None:
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        try:
            async with inner(application) as state:
                yield state
        finally:
            for close in closing:
                await close()

    app.router.lifespan_context = lifespan
