"""The payment side of the merchant server, wired from its collaborators in one call.

The web app and the worker need the same services over the same database,
clock and i'mport: ``PaymentServices.build`` assembles them so both (and the
tests) wire them identically. ``bootstrap`` passes the real collaborators.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.clock import Clock
from ..store import Database
from .auto_refunds import AutoRefunds
from .hold_sweep import HoldSweep, SweepPolicy
from .iamport_port import PaymentsApi
from .lookups import Lookups
from .settlement import Settlement, SettlementPolicy
from .verification import Verifier
from .webhooks import WebhookDesk

__all__ = ["PaymentServices"]


@dataclass(frozen=True)
class PaymentServices:
    """Every payment service, sharing one settlement."""

    settlement: Settlement
    verifier: Verifier
    webhooks: WebhookDesk
    refunds: AutoRefunds
    sweep: HoldSweep
    lookups: Lookups

    @classmethod
    def build(
        cls,
        database: Database,
        clock: Clock,
        api: PaymentsApi,
        *,
        settlement_policy: SettlementPolicy | None = None,
        sweep_policy: SweepPolicy | None = None,
    ) -> PaymentServices:
        """The services over ``database``, ``clock`` and i'mport behind ``api``."""
        settlement = Settlement(database, clock, settlement_policy)
        verifier = Verifier(api, settlement)
        return cls(
            settlement=settlement,
            verifier=verifier,
            webhooks=WebhookDesk(database, clock, verifier),
            refunds=AutoRefunds(database, clock, api, settlement),
            sweep=HoldSweep(database, clock, sweep_policy),
            lookups=Lookups(database),
        )
