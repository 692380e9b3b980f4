"""Checking a payment result with i'mport before believing it.

A webhook, the browser's completion call, a hold check: each only names an
``imp_uid`` (and claims a ``merchant_uid``). None of it is proof — V1 webhooks
carry no signature. So the payment is re-read with ``GET /payments/{imp_uid}``
and the answer, not the claim, is applied (``Settlement``): it names the real
order, amount, currency and status, and the state machine compares them with
the order.

Unknown means pending: when i'mport cannot be asked (not sent, no answer, a
5xx), nothing is concluded. For a result that arrived (webhook, completion)
the order becomes ``unverified`` and a job asks again later; for background
checks the error is raised so the job backs off and retries.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from ..iamport import IamportError, NotFound, Payment
from .errors import Unreachable
from .iamport_port import PaymentsApi
from .settlement import Settled, Settlement

__all__ = ["Checked", "Outcome", "PaymentLedger", "Unreachable", "Verifier"]

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    """What a check concluded."""

    SETTLED = "settled"  # i'mport answered; the answer was applied to its order
    UNVERIFIED = "unverified"  # i'mport could not be asked; a re-verification is queued
    UNKNOWN_PAYMENT = "unknown_payment"  # i'mport does not know the imp_uid
    BILLING = "billing"  # a payment of ours that is no order's: a billing key or subscription


@dataclass(frozen=True)
class Checked:
    """The outcome, and the settled order when there is one."""

    outcome: Outcome
    settled: Settled | None = None
    detail: str | None = None  # what a ``BILLING`` payment meant, e.g. ``charge:paid``


class PaymentLedger(Protocol):
    """Payments of ours that pay no order (subscription charges, billing key issuances).

    The verifier asks each ledger whether it owns a payment's merchant_uid
    before settling it as an order's, so such a payment is never taken for
    an unknown order's.
    """

    async def owns(self, merchant_uid: str) -> bool: ...

    async def apply_payment(self, payment: Payment) -> str: ...


class Verifier:
    """Re-reads payments at i'mport and applies the answers."""

    def __init__(
        self, api: PaymentsApi, settlement: Settlement, ledgers: Sequence[PaymentLedger] = ()
    ) -> None:
        self._api = api
        self._settlement = settlement
        self._ledgers = tuple(ledgers)

    async def result_arrived(self, imp_uid: str, merchant_uid: str | None) -> Checked:
        """Check a result someone reported (webhook, completion call).

        Args:
            imp_uid: the payment the result is about.
            merchant_uid: the order it claims to be for (used only when i'mport
                cannot be asked, to mark that order unverified).

        Returns:
            ``SETTLED`` with the order, ``UNVERIFIED`` or ``UNKNOWN_PAYMENT``.

        Raises:
            OrderNotFound: i'mport's answer names an order we do not have (yet).
            UnreadablePayment: a status or currency the domain does not know.
        """
        try:
            payment = await self._fetch(imp_uid)
        except NotFound:
            await self._settlement.unknown(imp_uid, merchant_uid)
            return Checked(Outcome.UNKNOWN_PAYMENT)
        except Unreachable as trouble:
            log.warning("payment %s could not be verified: %s", imp_uid, trouble)
            await self._settlement.unverified(imp_uid, merchant_uid)
            return Checked(Outcome.UNVERIFIED)
        return await self._checked(payment, merchant_uid)

    async def recheck(self, imp_uid: str, merchant_uid: str | None) -> Checked:
        """Ask i'mport again in the background (re-verification, hold check).

        Returns ``SETTLED`` or ``UNKNOWN_PAYMENT`` (then an order waiting for
        ``imp_uid`` stops waiting). Raises ``Unreachable`` when i'mport could
        not be asked, ``OrderNotFound`` and ``UnreadablePayment`` as above.
        """
        try:
            payment = await self._fetch(imp_uid)
        except NotFound:
            await self._settlement.unknown(imp_uid, merchant_uid)
            return Checked(Outcome.UNKNOWN_PAYMENT)
        return await self._checked(payment, merchant_uid)

    async def _checked(self, payment: Payment, claimed: str | None) -> Checked:
        """Hand ``payment`` to the ledger that owns it, else settle it as an order's."""
        for ledger in self._ledgers:
            if await ledger.owns(payment.merchant_uid):
                return Checked(Outcome.BILLING, detail=await ledger.apply_payment(payment))
        return Checked(Outcome.SETTLED, await self._settle(payment, claimed))

    async def _settle(self, payment: Payment, claimed: str | None) -> Settled:
        """Apply ``payment`` to its own order; an order it was falsely claimed for is freed."""
        settled = await self._settlement.apply(payment)
        if claimed and claimed != payment.merchant_uid:
            await self._settlement.disowned(payment.imp_uid, claimed)
        return settled

    async def _fetch(self, imp_uid: str) -> Payment:
        """The payment; ``NotFound`` passes through, every other client error is ``Unreachable``."""
        try:
            return await self._api.fetch(imp_uid)
        except NotFound:
            raise
        except IamportError as error:
            raise Unreachable(f"{type(error).__name__}: {error}") from error
