"""The one place that builds real things: gateways, apps, servers.

Everything else takes its collaborators as arguments.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.applications import Starlette

from .core.clock import SystemClock
from .emulator import DEFAULT_MERCHANTS, Gateway, create_app, load_merchants, load_state
from .settings import Settings
from .store import Database
from .web.app import create_app as create_merchant_app

__all__ = ["build_emulator", "build_merchant_app"]


def build_emulator(
    *,
    state_file: Path | None = None,
    merchants_file: Path | None = None,
    public_url: str = "http://127.0.0.1:8099",
) -> Starlette:
    """The emulator app: in-memory state, or ``state_file`` kept across restarts."""
    merchants = load_merchants(merchants_file) if merchants_file else list(DEFAULT_MERCHANTS)
    state = load_state(state_file) if state_file else None
    gateway = Gateway(
        [m.model_copy(deep=True) for m in merchants],
        state=state,
        state_path=state_file,
        public_url=public_url,
    )
    return create_app(gateway)


def build_merchant_app(settings: Settings | None = None) -> FastAPI:
    """The merchant server on ``settings`` (default: read from ``PAYDESK_*`` variables).

    Also a uvicorn factory: ``uvicorn --factory paydesk.bootstrap:build_merchant_app``.
    """
    settings = settings or Settings()
    database = Database(settings.database_url)
    return create_merchant_app(settings=settings, database=database, clock=SystemClock())
