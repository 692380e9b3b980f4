"""The one place that builds real things: gateways, apps, servers.

Everything else takes its collaborators as arguments.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from starlette.applications import Starlette

from .core.clock import SystemClock
from .emulator import DEFAULT_MERCHANTS, Gateway, create_app, load_merchants, load_state
from .iamport import AsyncIamport
from .jobs.handlers import NOT_YET, job_handlers
from .jobs.runner import JobRunner
from .jobs.worker import Worker, WorkerPolicy
from .services.api_keys import ApiKeys
from .services.hold_sweep import SweepPolicy
from .services.iamport_port import IamportPayments
from .services.payment_services import PaymentServices
from .services.settlement import SettlementPolicy
from .settings import Settings
from .store import Database
from .web.app import create_app as create_merchant_app
from .web.server import create_server

__all__ = [
    "build_api_keys",
    "build_emulator",
    "build_iamport",
    "build_merchant_app",
    "build_server",
    "build_worker",
]


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


def build_iamport(settings: Settings) -> AsyncIamport:
    """The async i'mport client for ``settings``; raises ``ValueError`` without credentials."""
    if settings.iamport_key is None or settings.iamport_secret is None:
        raise ValueError("set PAYDESK_IAMPORT_KEY and PAYDESK_IAMPORT_SECRET")
    return AsyncIamport(
        settings.iamport_key.get_secret_value(),
        settings.iamport_secret.get_secret_value(),
        base_url=settings.iamport_base_url,
    )


def _services(
    settings: Settings, database: Database, clock: SystemClock, client: AsyncIamport
) -> PaymentServices:
    check_after = timedelta(seconds=settings.hold_check_after_seconds)
    return PaymentServices.build(
        database, clock, IamportPayments(client),
        sweep_policy=SweepPolicy(check_after=check_after),
        settlement_policy=SettlementPolicy(accept_test_payments=settings.accept_test_payments),
    )  # fmt: skip


def _runner_name(role: str) -> str:
    return f"{role}:{socket.gethostname()}:{os.getpid()}"[:64]


def build_server(settings: Settings | None = None) -> FastAPI:
    """The whole merchant server (confirm, catalog, orders, webhooks, completion, lookups).

    Also a uvicorn factory: ``uvicorn --factory paydesk.bootstrap:build_server``.
    Raises ``ValueError`` without i'mport credentials.
    """
    settings = settings or Settings()
    client = build_iamport(settings)
    database, clock = Database(settings.database_url), SystemClock()
    services = _services(settings, database, clock, client)
    runner = JobRunner(database, clock, job_handlers(services), name=_runner_name("web"),
                       expected=NOT_YET)  # fmt: skip
    return create_server(
        settings=settings, database=database, clock=clock, services=services,
        registrar=IamportPayments(client), runner=runner, closing=[client.aclose],
    )  # fmt: skip


def build_worker(
    settings: Settings | None = None, policy: WorkerPolicy | None = None
) -> tuple[Worker, Callable[[], Awaitable[None]]]:
    """The worker on ``settings``, and the coroutine function that releases its resources."""
    settings = settings or Settings()
    client = build_iamport(settings)
    database, clock = Database(settings.database_url), SystemClock()
    services = _services(settings, database, clock, client)
    runner = JobRunner(database, clock, job_handlers(services), name=_runner_name("worker"),
                       expected=NOT_YET)  # fmt: skip

    async def close() -> None:
        await client.aclose()
        await database.dispose()

    return Worker(runner, services.sweep, policy or WorkerPolicy()), close


def build_api_keys(settings: Settings | None = None) -> tuple[ApiKeys, Database]:
    """The API key service on ``settings`` (no i'mport client needed), and its database."""
    settings = settings or Settings()
    database = Database(settings.database_url)
    return ApiKeys(database, SystemClock()), database
