"""Making the refunds we owe, without ever refunding twice.

A refund is owed when a paid payment cannot be kept (wrong amount, no stock,
a second payment for a paid order). i'mport V1 has no idempotency key, so:

- every cancel carries ``checksum`` = the balance left by our books; if a
  refund happened that we did not hear of, i'mport refuses instead of
  refunding again;
- a cancel whose answer was lost leaves the refund ``unknown``; the next try
  first re-reads the payment and books its cancel history, which settles the
  refund if it went through;
- a refusal that means "the books differ" (checksum mismatch, already
  cancelled, amount exceeded) is answered the same way: re-read, then decide.

The cancellation i'mport returns is booked by ``Settlement`` like any other,
matched to our refund by amount, so the order's refund state moves through
the state machine.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ..core.clock import Clock
from ..core.money import Money
from ..iamport import (
    AlreadyCancelled,
    ApiError,
    CancelAmountExceeded,
    ChecksumMismatch,
    IamportError,
    Payment,
)
from ..store import UnitsOfWork
from ..store.ledger_records import RefundRecord
from ..store.refund_book import OPEN_STATES
from .errors import RefundPending
from .iamport_port import PaymentsApi
from .settlement import Settlement

__all__ = ["AutoRefunds", "RefundPending"]

log = logging.getLogger(__name__)
REASON_PREFIX = "paydesk auto refund: "


@dataclass(frozen=True)
class _Books:
    refund: RefundRecord
    balance: Money | None  # by our books; None when the payment is not on them


class AutoRefunds:
    """Runs owed refunds (one call per job attempt)."""

    def __init__(
        self, database: UnitsOfWork, clock: Clock, api: PaymentsApi, settlement: Settlement
    ) -> None:
        self._db = database
        self._clock = clock
        self._api = api
        self._settlement = settlement

    async def run(self, refund_id: int) -> str:
        """Make refund ``refund_id`` unless it is settled already.

        Returns the refund's state afterwards (``succeeded`` or ``failed``).
        Raises ``RefundPending`` when it must be tried again (no answer, i'mport
        unreachable, books that differed), so the job backs off.
        """
        books = await self._books(refund_id)
        if books.refund.state not in OPEN_STATES:
            return books.refund.state
        if books.refund.state == "unknown" or books.balance is None:
            books = await self._reconcile(refund_id)
            if books.refund.state not in OPEN_STATES:
                return books.refund.state
        assert books.balance is not None
        return await self._send(books.refund, books.balance)

    async def _send(self, refund: RefundRecord, balance: Money) -> str:
        if not balance.is_positive():
            await self._mark(refund.id, "failed", error="nothing left to refund")
            return "failed"
        amount = min(refund.amount, balance)  # others may have refunded part of it already
        await self._mark(refund.id, "requested", checksum=balance.amount, amount=amount)
        try:
            answer = await self._api.refund(
                refund.imp_uid, amount=amount, checksum=balance,
                reason=REASON_PREFIX + refund.reason,
            )  # fmt: skip
        except (ChecksumMismatch, AlreadyCancelled, CancelAmountExceeded) as refused:
            return await self._after_refusal(refund.id, refused)
        except ApiError as refused:
            if refused.reconcile:  # a 5xx on a write: the PG may have acted
                return await self._lost(refund.id, refused)
            await self._mark(refund.id, "failed", error=str(refused))
            log.error("refund %d refused by i'mport: %s", refund.id, refused)
            return "failed"
        except IamportError as trouble:
            if trouble.reconcile:
                return await self._lost(refund.id, trouble)
            raise RefundPending(str(trouble)) from trouble
        return await self._booked(refund.id, answer)

    async def _booked(self, refund_id: int, answer: Payment) -> str:
        await self._settlement.apply(answer)
        books = await self._books(refund_id)
        if books.refund.state in OPEN_STATES:  # i'mport's entry did not match ours
            raise RefundPending("the cancellation was not matched to this refund")
        return books.refund.state

    async def _lost(self, refund_id: int, error: IamportError) -> str:
        await self._mark(refund_id, "unknown", error=str(error))
        raise RefundPending(f"outcome unknown: {error}") from error

    async def _after_refusal(self, refund_id: int, refused: ApiError) -> str:
        books = await self._reconcile(refund_id)
        if books.refund.state not in OPEN_STATES:
            return books.refund.state
        if isinstance(refused, ChecksumMismatch):
            raise RefundPending(f"books differed: {refused}") from refused
        await self._mark(refund_id, "failed", error=str(refused))
        log.error("refund %d cannot be made: %s", refund_id, refused)
        return "failed"

    async def _reconcile(self, refund_id: int) -> _Books:
        """Re-read the payment and book its cancel history (may settle the refund)."""
        refund = (await self._books(refund_id)).refund
        try:
            payment = await self._api.fetch(refund.imp_uid)
        except IamportError as trouble:
            raise RefundPending(f"cannot reconcile: {trouble}") from trouble
        await self._settlement.apply(payment)
        return await self._books(refund_id)

    async def _books(self, refund_id: int) -> _Books:
        async with self._db.reading() as uow:
            refund = await uow.refunds.get(refund_id)
            if refund is None:
                raise LookupError(f"no refund {refund_id}")
            payment = await uow.payments.get(refund.imp_uid)
        return _Books(refund, payment.balance if payment else None)

    async def _mark(
        self,
        refund_id: int,
        state: str,
        *,
        checksum: int | None = None,
        error: str | None = None,
        amount: Money | None = None,
    ) -> None:
        async with self._db.transaction() as uow:
            book, now = uow.refunds, self._clock.now()
            if amount is not None:
                await book.resize(refund_id, amount, now)
            await book.mark(refund_id, state, now, checksum=checksum, error=error)
