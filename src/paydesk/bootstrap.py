"""The one place that builds real things: from ``Settings`` to services, apps and workers.

Everything else takes its collaborators as arguments:

    Settings ──build_services──▶ Services ──create_app──▶ the server (build_server)
                                    └──────build_worker──▶ the worker

Tests build the same way, passing their own clock or i'mport client.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from .core.clock import Clock, SystemClock
from .core.launch_rules import parse_offers
from .core.staff import LoginLimit, SessionPolicy
from .iamport import AsyncIamport
from .iamport.core import DEFAULT_LIMITS
from .iamport.http11 import http11_transport
from .logs import RequestIdTransport
from .services.admin_actions import AdminActions
from .services.admission import AdmissionPolicy
from .services.api_keys import ApiKeys
from .services.backoffice import Backoffice
from .services.billing_keys import BillingKeys
from .services.billing_port import IamportBilling
from .services.call_journal import CallJournal, JournalPolicy
from .services.card_options import CardDefaults
from .services.catalog import Catalog
from .services.confirm import ConfirmDesk, ConfirmPolicy
from .services.container import Services
from .services.doctor import Doctor, DoctorConfig
from .services.doctor_ports import IamportCheck, SelfProbe
from .services.escrow import Escrows
from .services.hold_sweep import HoldSweep, SweepPolicy
from .services.iamport_methods import IamportMethods
from .services.iamport_port import IamportPayments
from .services.idempotency import IdempotencyKeys
from .services.identity import Identities
from .services.lookups import Lookups
from .services.ordering import OrderDesk
from .services.receipts import CashReceipts
from .services.reconciliation import ReconcilePolicy, Reconciler
from .services.refunds import Refunds
from .services.retries import Retries
from .services.settlement import Settlement, SettlementPolicy
from .services.staff import StaffAccess
from .services.subscriptions import Subscriptions
from .services.telemetry import Telemetry
from .services.vbank_notices import (
    AccountNotifier,
    LogNotifier,
    Notifiers,
    SmtpNotifier,
    SmtpSettings,
)
from .services.vbank_port import IamportVbanks
from .services.verification import Verifier
from .services.virtual_accounts import VbankPolicy, VirtualAccounts
from .services.webhooks import WebhookDesk
from .settings import IAMPORT_WEBHOOK_IPS, Settings
from .store import Database
from .store.migrate import head

if TYPE_CHECKING:  # the web app, the emulator and the worker are loaded by who builds them
    from fastapi import FastAPI  # (a command like ``paydesk reconcile`` starts without them)

    from .emulator_factory import build_emulator
    from .jobs.runner import JobRunner
    from .jobs.worker import Worker, WorkerPolicy

__all__ = [
    "build_api_keys",
    "build_doctor",
    "build_emulator",
    "build_iamport",
    "build_retries",
    "build_runner",
    "build_server",
    "build_services",
    "build_staff",
    "build_staff_access",
    "build_worker",
    "confirm_policy",
    "log_secrets",
    "vbank_policy",
    "worker_policy",
]


def build_iamport(settings: Settings) -> AsyncIamport:
    """The async i'mport client for ``settings``, which sends each call the id of the
    request it serves (``X-Request-ID``), through the transport ``AsyncIamport``
    picks for itself (httpx's own when the environment names a proxy).
    Raises ``ValueError`` without credentials."""
    if settings.iamport_key is None or settings.iamport_secret is None:
        raise ValueError("set PAYDESK_IAMPORT_KEY and PAYDESK_IAMPORT_SECRET")
    return AsyncIamport(
        settings.iamport_key.get_secret_value(),
        settings.iamport_secret.get_secret_value(),
        base_url=settings.iamport_base_url,
        transport=RequestIdTransport(http11_transport(DEFAULT_LIMITS)),
    )


def log_secrets(settings: Settings) -> list[str]:
    """The secret values of ``settings``, for the log redactor to mask wherever they appear."""
    values = (settings.secret_key, settings.iamport_secret, settings.metrics_token,
              settings.inicis_pg_api_key, settings.smtp_password)  # fmt: skip
    return [value.get_secret_value() for value in values if value is not None]


def confirm_policy(settings: Settings) -> ConfirmPolicy:
    """The confirm desk's knobs from ``settings``."""
    return ConfirmPolicy(
        sales_open=settings.sales_open,
        window_seconds=settings.confirm_batch_window_ms / 1000,
        max_batch=settings.confirm_batch_max,
        deadline_seconds=settings.confirm_deadline_seconds,
        hold_check_after=timedelta(seconds=settings.hold_check_after_seconds),
        group_commit=settings.confirm_group_commit,
        admission=AdmissionPolicy(
            wait_seconds=settings.confirm_admit_wait_seconds,
            floor=settings.confirm_admit_floor,
            cap=settings.confirm_max_in_flight,
        ),
    )


def vbank_policy(settings: Settings) -> VbankPolicy:
    """The virtual-account desk's choices from ``settings``."""
    return VbankPolicy(
        due_after=timedelta(seconds=settings.vbank_due_seconds),
        grace=timedelta(seconds=settings.vbank_expiry_grace_seconds),
        revoke_on_expiry=settings.vbank_revoke_on_expiry, holder=settings.vbank_holder,
        pg=settings.vbank_pg, channel_key=settings.vbank_channel_key,
        notice_url=settings.notice_url(), sales_open=settings.sales_open,
    )  # fmt: skip


def account_notifier(settings: Settings) -> AccountNotifier:
    """The log, then e-mail when ``PAYDESK_SMTP_HOST`` is set."""
    if settings.smtp_host is None:
        return LogNotifier()
    smtp = SmtpSettings(
        host=settings.smtp_host, port=settings.smtp_port, sender=settings.smtp_sender,
        sender_name=settings.smtp_sender_name, username=settings.smtp_username,
        password=settings.smtp_password, starttls=settings.smtp_starttls,
    )  # fmt: skip
    return Notifiers([LogNotifier(), SmtpNotifier(smtp)])


def build_services(
    settings: Settings,
    *,
    clock: Clock | None = None,
    iamport: AsyncIamport | None = None,
    sweep: SweepPolicy | None = None,
) -> Services:
    """Every service over the database and i'mport that ``settings`` name.

    ``clock`` and ``iamport`` replace the system clock and the client built
    from the settings (tests move time, or retry faster); the services close
    the client they were given. Raises ``ValueError`` without i'mport credentials.
    """
    clock = clock or SystemClock()
    client = iamport or build_iamport(settings)
    database = Database(settings.database_url)
    telemetry = Telemetry()
    journal = CallJournal(
        database, clock, JournalPolicy(keep=timedelta(days=settings.call_journal_days))
    )
    client.add_observer(journal.record)
    client.add_observer(
        lambda call: telemetry.observe_call(call.operation, call.outcome, call.duration)
    )
    api = IamportPayments(client)
    settlement = Settlement(
        database, clock, SettlementPolicy(accept_test_payments=settings.accept_test_payments)
    )
    billing = IamportBilling(client)
    subscriptions = Subscriptions(database, clock, billing, notice_url=settings.notice_url())
    billing_keys = BillingKeys(database, clock, billing, subscriptions)
    verifier = Verifier(api, settlement, ledgers=(billing_keys, subscriptions))
    check_after = timedelta(seconds=settings.hold_check_after_seconds)
    grace = timedelta(seconds=settings.vbank_expiry_grace_seconds)
    reconcile_every = timedelta(seconds=settings.reconcile_every_seconds)
    confirm = ConfirmDesk(database, clock, confirm_policy(settings))
    vbanks = VirtualAccounts(
        database, clock, IamportVbanks(client, pg_api_key=settings.inicis_pg_api_key),
        confirm, settlement, account_notifier(settings), vbank_policy(settings),
    )  # fmt: skip
    methods = IamportMethods(client)
    escrows = Escrows(database, clock, api, methods)
    webhooks = WebhookDesk(
        database, clock, verifier, escrows, on_processed=telemetry.webhook_processed
    )
    return Services(
        store=database,
        clock=clock,
        catalog=Catalog(database, clock),
        idempotency=IdempotencyKeys(database, clock),
        orders=OrderDesk(
            database,
            clock,
            api,
            ttl=timedelta(seconds=settings.order_ttl_seconds),
            card=CardDefaults(settings.card_quota, settings.explicit_vat),
        ),
        confirm=confirm,
        settlement=settlement,
        verifier=verifier,
        webhooks=webhooks,
        refunds=Refunds(database, clock, api, settlement),
        sweep=HoldSweep(
            database,
            clock,
            replace(
                sweep or SweepPolicy(check_after=check_after, reconcile_every=reconcile_every),
                vbank_grace=grace,
            ),
            parts=(subscriptions, journal),
        ),
        lookups=Lookups(database),
        retries=Retries(database, clock),
        vbanks=vbanks,
        reconciler=Reconciler(
            database,
            clock,
            api,
            settlement,
            ReconcilePolicy(accept_test_payments=settings.accept_test_payments),
            ledgers=(billing_keys, subscriptions),
        ),
        receipts=CashReceipts(database, clock, methods),
        identities=Identities(database, clock, methods),
        escrows=escrows,
        subscriptions=subscriptions,
        billing_keys=billing_keys,
        api_keys=ApiKeys(database, clock),
        journal=journal,
        backoffice=Backoffice(database, clock),
        actions=AdminActions(database, clock, webhooks),
        staff=build_staff_access(settings, database, clock),
        doctor=doctor(settings, database, clock, client),
        closers=(client.aclose, journal.aclose, database.dispose),
        telemetry=telemetry,
        inline_limit=settings.webhook_inline_jobs,
    )


def doctor_config(settings: Settings, credentials_error: str | None = None) -> DoctorConfig:
    """What the launch doctor judges, from ``settings``."""
    base = settings.public_base_url.rstrip("/")
    key = settings.secret_key.get_secret_value().encode() if settings.secret_key else None
    offers = parse_offers(settings.shop_methods) if settings.shop_methods is not None else None
    return DoctorConfig(
        iamport_base_url=settings.iamport_base_url, notice_url=settings.notice_url(),
        confirm_url=settings.confirm_url(), m_redirect_url=f"{base}/iamport/complete",
        secret_key=key, webhook_allowed_ips=settings.webhook_allowed_ips,
        trusted_proxies=settings.trusted_proxies, confirm_allowed_ips=settings.confirm_allowed_ips,
        official_webhook_ips=IAMPORT_WEBHOOK_IPS, card_quota=settings.card_quota, offers=offers,
        vbank_pg=settings.vbank_pg, reconcile_every_seconds=settings.reconcile_every_seconds,
        app_scheme=settings.app_scheme, smtp_host=settings.smtp_host,
        credentials_error=credentials_error,
    )  # fmt: skip


def doctor(
    settings: Settings,
    database: Database,
    clock: Clock,
    client: AsyncIamport | None,
    probe: SelfProbe | None = None,
) -> Doctor:
    """The launch doctor over ``database`` and ``client`` (None: no i'mport credentials)."""
    error = None
    gateway = None
    if client is None:
        error = "PAYDESK_IAMPORT_KEY and PAYDESK_IAMPORT_SECRET are not set"
    elif settings.iamport_key is not None and settings.iamport_secret is not None:
        gateway = IamportCheck(client, settings.iamport_key.get_secret_value(),
                               settings.iamport_secret.get_secret_value())  # fmt: skip
    return Doctor(database, clock, gateway, probe or SelfProbe(), doctor_config(settings, error),
                  head)  # fmt: skip


def build_doctor(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    iamport: AsyncIamport | None = None,
    probe: SelfProbe | None = None,
) -> tuple[Doctor, Callable[[], Awaitable[None]]]:
    """The launch doctor alone (``paydesk doctor``): it runs without i'mport credentials too
    (and says so); and the coroutine function that closes its connections."""
    settings = settings or Settings()
    database = Database(settings.database_url)
    try:
        client = iamport or build_iamport(settings)
    except ValueError:
        client = None

    async def close() -> None:
        if client is not None:
            await client.aclose()
        await database.dispose()

    return doctor(settings, database, clock or SystemClock(), client, probe), close


def __getattr__(name: str) -> Any:
    if name == "build_emulator":
        from .emulator_factory import build_emulator

        return build_emulator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def build_runner(services: Services, role: str, settings: Settings | None = None) -> JobRunner:
    """A job runner over ``services``, named after this host and process, with the lease
    of ``settings`` (``PAYDESK_JOB_LEASE_SECONDS``; without settings, its default)."""
    from .jobs.handlers import job_handlers
    from .jobs.runner import DEFAULT_LEASE, JobRunner

    name = f"{role}:{socket.gethostname()}:{os.getpid()}"[:64]
    lease = timedelta(seconds=settings.job_lease_seconds) if settings else DEFAULT_LEASE
    return JobRunner(services.store, services.clock, job_handlers(services), name=name,
                     lease=lease, role=role)  # fmt: skip


def build_server(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """The merchant server, which also does a stored webhook's job inline.

    Also a uvicorn factory: ``uvicorn --factory paydesk.bootstrap:build_server``
    (settings from ``PAYDESK_*``). Raises ``ValueError`` without i'mport credentials.
    """
    settings = settings or Settings()
    services = services or build_services(settings)
    services.run_job = build_runner(services, "web", settings).run_keyed
    from .web.app import create_app

    return create_app(services, settings)


def worker_policy(
    settings: Settings, *, poll: float = 1.0, sweep_every: float = 60.0
) -> WorkerPolicy:
    """The worker's knobs: ``poll`` and ``sweep_every`` from the command line, the rest
    from ``settings``."""
    from .jobs.worker import WorkerPolicy

    return WorkerPolicy(poll=poll, sweep_every=sweep_every,
                        concurrency=settings.worker_concurrency,
                        grace=settings.worker_grace_seconds)  # fmt: skip


def build_worker(
    settings: Settings | None = None,
    policy: WorkerPolicy | None = None,
    services: Services | None = None,
) -> tuple[Worker, Callable[[], Awaitable[None]]]:
    """The worker, and the coroutine function that releases its resources."""
    settings = settings or Settings()
    services = services or build_services(settings)
    runner = build_runner(services, "worker", settings)
    from .jobs.worker import Worker

    worker = Worker(runner, services.sweep, policy or worker_policy(settings))
    return worker, services.aclose


def build_api_keys(settings: Settings | None = None) -> tuple[ApiKeys, Database]:
    """The API key service alone (no i'mport client needed: ``paydesk keys``), and its database."""
    settings = settings or Settings()
    database = Database(settings.database_url)
    return ApiKeys(database, SystemClock()), database


def build_staff_access(settings: Settings, database: Database, clock: Clock) -> StaffAccess:
    """The admin console's staff service, with the session and login limits of ``settings``."""
    sessions = SessionPolicy(lifetime=timedelta(hours=settings.admin_session_hours),
                             idle=timedelta(minutes=settings.admin_idle_minutes))  # fmt: skip
    limit = LoginLimit(max_failures=settings.admin_login_max_failures,
                       window=timedelta(seconds=settings.admin_login_window_seconds))  # fmt: skip
    return StaffAccess(database, clock, sessions=sessions, limit=limit)


def build_staff(settings: Settings | None = None) -> tuple[StaffAccess, Database]:
    """The staff service alone (no i'mport client needed: ``paydesk admin``), and its database."""
    settings = settings or Settings()
    database = Database(settings.database_url)
    return build_staff_access(settings, database, SystemClock()), database


def build_retries(
    settings: Settings | None = None, *, clock: Clock | None = None
) -> tuple[Retries, Callable[[], Awaitable[None]]]:
    """The dead-letter list over ``settings``' database alone (no i'mport credentials
    needed), and the coroutine function that closes its connections."""
    settings = settings or Settings()
    database = Database(settings.database_url)
    return Retries(database, clock or SystemClock()), database.dispose
