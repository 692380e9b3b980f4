"""The merchant server's ASGI application, built from its collaborators.

``create_app`` wires nothing real by itself: ``bootstrap`` (or a test) passes
the settings, the database and the clock. OpenAPI is served at ``/docs``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from .. import __version__
from ..core.clock import Clock
from ..services.catalog import Catalog
from ..services.confirm import ConfirmDesk, ConfirmPolicy
from ..services.idempotency import IdempotencyKeys
from ..settings import Settings
from ..store import Database
from .confirm import confirm_router
from .problems import install_problem_handlers
from .products import products_router

__all__ = ["confirm_policy", "create_app"]


def confirm_policy(settings: Settings) -> ConfirmPolicy:
    """The confirm desk's knobs from ``settings``."""
    return ConfirmPolicy(
        sales_open=settings.sales_open,
        window_seconds=settings.confirm_batch_window_ms / 1000,
        max_batch=settings.confirm_batch_max,
        deadline_seconds=settings.confirm_deadline_seconds,
        hold_check_after=timedelta(seconds=settings.hold_check_after_seconds),
        group_commit=settings.confirm_group_commit,
    )


def create_app(
    *,
    settings: Settings,
    database: Database,
    clock: Clock,
    confirm_desk: ConfirmDesk | None = None,
) -> FastAPI:
    """The merchant server. ``database`` connections are closed when the app shuts down."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await database.dispose()

    app = FastAPI(title="paydesk merchant server", version=__version__, lifespan=lifespan)
    install_problem_handlers(app)
    desk = confirm_desk or ConfirmDesk(database, clock, confirm_policy(settings))
    app.state.confirm_desk = desk
    app.include_router(confirm_router(desk))
    app.include_router(products_router(Catalog(database, clock), IdempotencyKeys(database, clock)))
    return app
