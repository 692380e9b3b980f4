"""The merchant server's ASGI application: one ``create_app`` that only mounts routers.

``bootstrap.build_server`` (or a test) builds the ``Services`` and passes them
with the ``Settings``; every router reads them from ``app.state`` (``deps``).
The services are closed when the app shuts down. OpenAPI is served at ``/docs``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from .. import __version__
from ..services.container import Services
from ..settings import Settings
from . import api, iamport
from .problems import install_problem_handlers

__all__ = ["create_app"]


def create_app(services: Services, settings: Settings) -> FastAPI:
    """The merchant server over ``services``, configured by ``settings``."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await services.aclose()

    app = FastAPI(title="paydesk merchant server", version=__version__, lifespan=lifespan)
    app.state.services = services
    app.state.settings = settings
    install_problem_handlers(app)
    app.include_router(iamport.router)
    app.include_router(api.router)
    return app
