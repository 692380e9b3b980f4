"""Every service of the merchant server, built once and shared.

``bootstrap.build_services`` fills this from ``Settings``; the web app
(``web.create_app``), the worker and the CLI take it whole. Nothing here
builds anything: tests that want one service over a fake store build that
service directly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from ..core.clock import Clock
from ..store import UnitsOfWork
from .admin_actions import AdminActions
from .api_keys import ApiKeys
from .backoffice import Backoffice
from .billing_keys import BillingKeys
from .call_journal import CallJournal
from .catalog import Catalog
from .confirm import ConfirmDesk
from .doctor import Doctor
from .escrow import Escrows
from .hold_sweep import HoldSweep
from .idempotency import IdempotencyKeys
from .identity import Identities
from .lookups import Lookups
from .ordering import OrderDesk
from .receipts import CashReceipts
from .reconciliation import Reconciler
from .refunds import Refunds
from .retries import Retries
from .settlement import Settlement
from .staff import StaffAccess
from .subscriptions import Subscriptions
from .telemetry import Telemetry
from .verification import Verifier
from .virtual_accounts import VirtualAccounts
from .webhooks import WebhookDesk

__all__ = ["Closer", "RunJob", "Services"]

log = logging.getLogger(__name__)

#: Runs the queued job with this dedupe key now, if nobody claimed it; True if it ran.
RunJob = Callable[[str], Awaitable[bool]]
Closer = Callable[[], Awaitable[None]]


@dataclass
class Services:
    """The use cases, over one store, one clock and one i'mport."""

    store: UnitsOfWork
    clock: Clock
    catalog: Catalog
    idempotency: IdempotencyKeys
    orders: OrderDesk
    confirm: ConfirmDesk
    settlement: Settlement
    verifier: Verifier
    webhooks: WebhookDesk
    refunds: Refunds
    sweep: HoldSweep
    lookups: Lookups
    vbanks: VirtualAccounts
    reconciler: Reconciler
    receipts: CashReceipts
    identities: Identities
    escrows: Escrows
    subscriptions: Subscriptions
    billing_keys: BillingKeys
    api_keys: ApiKeys
    retries: Retries  # the dead-letter list of jobs
    journal: CallJournal  # every i'mport call and its outcome class (the client's observer)
    backoffice: Backoffice  # the admin console's read-only queries
    actions: AdminActions  # the admin console's webhook replay and reconcile-now
    staff: StaffAccess  # the admin console's users, sessions and login limit
    #: The launch doctor (``paydesk doctor``; the admin's launch-checklist page).
    doctor: Doctor | None = None
    #: Set by ``bootstrap`` for the web app: do a just-stored webhook's job inline.
    run_job: RunJob | None = None
    closers: Sequence[Closer] = field(default_factory=tuple)
    #: The app's metrics (its own registry); ``bootstrap`` shares it with the services.
    telemetry: Telemetry = field(default_factory=Telemetry)
    #: How many jobs ``try_soon`` runs at once in this process; more are left to the worker.
    inline_limit: int = 8
    _inline: asyncio.Semaphore = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._inline = asyncio.Semaphore(self.inline_limit)

    async def try_soon(self, job_key: str, seconds: float = 10.0) -> None:
        """``try_now`` for work done after the answer went out (a webhook's job): while
        ``inline_limit`` such jobs run here, the worker takes the rest, so a flood of
        deliveries is stored and answered at full speed."""
        if self.inline_limit == 0 or self._inline.locked():
            return
        async with self._inline:
            await self.try_now(job_key, seconds)

    async def try_now(self, job_key: str, seconds: float = 10.0) -> None:
        """Do a just-queued job at once, if this process may; any trouble leaves it to the worker."""
        if self.run_job is None:
            return
        try:
            async with asyncio.timeout(seconds):
                await self.run_job(job_key)
        except Exception:
            log.exception("job %s: inline run failed; the worker will retry", job_key)

    async def aclose(self) -> None:
        """Let confirms in flight finish, then release what the services hold (the i'mport
        client, database connections)."""
        await self.confirm.drain()
        for close in self.closers:
            await close()
