"""Cash receipts: issue, look up and cancel them at i'mport, and keep our own book of them.

Two kinds, kept apart end to end (tables, methods, API): receipts of **i'mport
payments** (by imp_uid; the payment must be ours, paid, by transfer or virtual
account, on a PG that issues receipts) and **external** receipts of sales made
elsewhere (by merchant_uid; never the merchant_uid of one of our orders).

Every issue and cancel is recorded before i'mport is asked (``issuing``,
``cancelling``), so a lost answer is never forgotten: it is looked up at once,
and if that fails too the receipt is ``unknown`` (or stays ``cancelling``)
until ``refresh`` settles it from i'mport's own record. Rules are checked first
and a refusal names its rule (``Refused``): a second cancel is refused with
``receipt_already_cancelled`` and changes nothing.

The identifier (phone, business or cash-receipt card number) is sent to
i'mport and stored only masked; it never appears in a log or an error text.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from ..core.clock import Clock
from ..core.money import Money
from ..core.receipts import (
    CASH_METHODS,
    EXTERNAL_RECEIPT_PGS,
    RECEIPT_CANCEL_PGS,
    RECEIPT_PGS,
    ReceiptState,
    Recipient,
)
from ..iamport import ApiError, ExternalReceipt, IamportError, NotFound, NotSent, Receipt
from ..store import Conflict, UnitOfWork, UnitsOfWork
from ..store.receipts import NewReceipt, ReceiptKind, ReceiptQuery, ReceiptRecord
from .errors import NotOnRecord, Unreachable
from .iamport_methods import ReceiptsApi
from .iamport_port import wire_amount
from .refusals import Refused

__all__ = ["CashReceipts", "ExternalAsk", "ReceiptAsk"]

log = logging.getLogger(__name__)
S = ReceiptState
_Call = Callable[[], Awaitable[Receipt | ExternalReceipt]]


@dataclass(frozen=True)
class ReceiptAsk:
    """A receipt for one of our payments."""

    recipient: Recipient
    tax_free: Money | None = None
    requested_by: str | None = None


@dataclass(frozen=True)
class ExternalAsk:
    """A receipt for a sale made outside i'mport; ``merchant_uid`` None: one is made."""

    name: str
    amount: Money
    recipient: Recipient
    merchant_uid: str | None = None
    pg: str | None = None
    pay_method: Literal["trans", "vbank"] | None = None
    tax_free: Money | None = None
    requested_by: str | None = None


def _issued(answer: Receipt | ExternalReceipt, currency: str) -> dict[str, object]:
    """The columns i'mport's record of a receipt fills in."""
    return {
        "amount": Money.from_major(answer.amount, currency).amount,
        "vat": Money.from_major(answer.vat, currency).amount,
        "apply_num": answer.apply_num, "receipt_tid": answer.receipt_tid,
        "receipt_url": answer.receipt_url, "applied_at": answer.applied_at,
        "cancelled_at": answer.cancelled_at, "last_error": None,
    }  # fmt: skip


class CashReceipts:
    """Receipts of our payments and external receipts, over the store and i'mport."""

    def __init__(self, database: UnitsOfWork, clock: Clock, api: ReceiptsApi) -> None:
        self._db = database
        self._clock = clock
        self._api = api

    # -- issuing ----------------------------------------------------------------------
    async def issue(self, imp_uid: str, ask: ReceiptAsk) -> ReceiptRecord:
        """Issue a receipt for payment ``imp_uid``; returns it ``issued`` (or ``unknown``).

        Raises ``NotOnRecord`` (not our payment), ``Refused`` (a rule, or
        i'mport's refusal, recorded as ``failed``).
        """
        async with self._db.transaction() as uow:
            payment = await uow.payments.get(imp_uid)
            if payment is None:
                raise NotOnRecord(f"payment {imp_uid}")
            if payment.pay_method not in CASH_METHODS:
                raise Refused("not_cash_payment", "Cash receipts are only issued for account "
                              f"transfers and virtual accounts, not {payment.pay_method}.")  # fmt: skip
            if payment.pg_provider not in RECEIPT_PGS:
                raise Refused("pg_without_receipts",
                              f"{payment.pg_provider} does not issue cash receipts through i'mport.")  # fmt: skip
            if payment.status not in ("paid", "cancelled") or payment.balance.amount <= 0:
                raise Refused("payment_not_paid", "Only a paid payment with an amount left gets "
                              "a cash receipt.", status=409)  # fmt: skip
            new = NewReceipt(
                "payment", imp_uid, ask.recipient.kind.receipt_type, ask.recipient.kind.value,
                ask.recipient.masked, payment.amount.currency,
                tax_free=ask.tax_free.amount if ask.tax_free else None,
                requested_by=ask.requested_by, order_id=payment.order_id,
            )  # fmt: skip
            record = await self._add(uow, new)
        tax_free = wire_amount(ask.tax_free) if ask.tax_free else None
        kind = ask.recipient.kind
        return await self._issue(record, lambda: self._api.issue_receipt(
            imp_uid, identifier=ask.recipient.digits, identifier_type=kind.iamport_name,
            receipt_type=kind.receipt_type, tax_free=int(tax_free) if tax_free else None))  # fmt: skip

    async def issue_external(self, ask: ExternalAsk) -> ReceiptRecord:
        """Issue a receipt for a sale made outside i'mport.

        Raises ``Refused`` for a merchant_uid that is one of our orders (they
        are never mixed), a PG without external receipts, a live receipt of the
        same sale, or i'mport's refusal.
        """
        provider = (ask.pg or "").partition(".")[0]
        if ask.pg is not None and provider not in EXTERNAL_RECEIPT_PGS:
            raise Refused("pg_without_receipts",
                          f"{provider} does not issue external cash receipts.")  # fmt: skip
        now = self._clock.now()
        merchant_uid = ask.merchant_uid or f"ext_{now:%Y%m%d}_{secrets.token_hex(8)}"
        async with self._db.transaction() as uow:
            if await uow.orders.get(merchant_uid) is not None:
                raise Refused("merchant_uid_is_an_order", "That merchant_uid is one of our orders: "
                              "receipts of i'mport payments go through /api/receipts.",
                              status=409)  # fmt: skip
            new = NewReceipt(
                "external", merchant_uid, ask.recipient.kind.receipt_type,
                ask.recipient.kind.value, ask.recipient.masked, ask.amount.currency,
                tax_free=ask.tax_free.amount if ask.tax_free else None,
                requested_by=ask.requested_by, name=ask.name, requested_amount=ask.amount.amount,
                pg=ask.pg, pay_method=ask.pay_method,
            )  # fmt: skip
            record = await self._add(uow, new)
        kind = ask.recipient.kind
        tax_free = wire_amount(ask.tax_free) if ask.tax_free else None
        return await self._issue(record, lambda: self._api.issue_external_receipt(
            merchant_uid, name=ask.name, amount=wire_amount(ask.amount),
            identifier=ask.recipient.digits, identifier_type=kind.iamport_name,
            receipt_type=kind.receipt_type, pg=ask.pg, pay_method=ask.pay_method,
            tax_free=int(tax_free) if tax_free else None))  # fmt: skip

    async def _add(self, uow: UnitOfWork, new: NewReceipt) -> ReceiptRecord:
        live = await uow.receipts.live(new.kind, new.key)
        if live is not None:
            raise _live_refusal(live)
        try:
            record = await uow.receipts.add(new, self._clock.now())
        except Conflict as taken:  # another request made one meanwhile
            raise Refused("receipt_exists", "A cash receipt is already issued (or being "
                          "issued) for it; cancel it first.", status=409) from taken  # fmt: skip
        return record

    async def _issue(self, record: ReceiptRecord, call: _Call) -> ReceiptRecord:
        try:
            answer = await call()
        except NotSent as error:
            await self._move(record, (S.ISSUING,), S.FAILED, {"last_error": _text(error)})
            raise Unreachable("i'mport could not be reached; nothing was issued") from error
        except ApiError as error:
            await self._move(record, (S.ISSUING,), S.FAILED, {"last_error": _text(error)})
            raise Refused("iamport_refused", f"i'mport refused the receipt: {error}",
                          status=_status(error)) from error  # fmt: skip
        except IamportError as error:  # sent, no answer: did it issue? ask.
            log.warning("receipt %s (%s): issue answer lost (%s); looking it up",
                        record.id, record.kind, type(error).__name__)  # fmt: skip
            await self._move(record, (S.ISSUING,), S.UNKNOWN, {"last_error": _text(error)})
            return await self.refresh(record.kind, record.id)
        await self._move(record, (S.ISSUING,), S.ISSUED, _issued(answer, record.currency))
        return await self.get(record.kind, record.id)

    # -- cancelling ---------------------------------------------------------------------
    async def cancel(self, kind: ReceiptKind, receipt_id: int) -> ReceiptRecord:
        """Cancel an issued receipt at i'mport.

        Raises ``Refused`` — ``receipt_already_cancelled`` for a cancelled one,
        ``receipt_not_issued``/``receipt_in_progress`` for the rest — before
        anything is sent; ``Refused(iamport_refused)`` when i'mport refuses
        (the receipt stays ``issued``); ``Unreachable`` when the outcome is not
        known yet (``cancelling``: ``refresh`` settles it).
        """
        async with self._db.transaction() as uow:
            record = await uow.receipts.get(kind, receipt_id)
            if record is None:
                raise NotOnRecord(f"receipt {receipt_id}")
            if record.state != S.ISSUED:
                raise _cancel_refusal(record)
            pg = record.pg.partition(".")[0] if kind == "external" and record.pg else None
            if kind == "payment":
                payment = await uow.payments.get(record.key)
                pg = payment.pg_provider if payment else None
            allowed = RECEIPT_CANCEL_PGS if kind == "payment" else EXTERNAL_RECEIPT_PGS
            if pg is not None and pg not in allowed:
                raise Refused("pg_cannot_cancel_receipts",
                              f"{pg} does not cancel cash receipts through i'mport.")  # fmt: skip
            now = self._clock.now()
            if not await uow.receipts.move(kind, receipt_id, record.key, [S.ISSUED],
                                           S.CANCELLING, {}, now):  # fmt: skip
                raise Refused("receipt_in_progress", "The receipt is changing; try again.",
                              status=409)  # fmt: skip
        call = self._api.cancel_receipt if kind == "payment" else self._api.cancel_external_receipt
        try:
            answer = await call(record.key)
        except NotSent as error:
            await self._move(record, (S.CANCELLING,), S.ISSUED, {"last_error": _text(error)})
            raise Unreachable("i'mport could not be reached; the receipt stays issued") from error
        except ApiError as error:
            settled = await self._settle_cancel(record)
            if settled is not None:
                return settled
            await self._move(record, (S.CANCELLING,), S.ISSUED, {"last_error": _text(error)})
            raise Refused("iamport_refused", f"i'mport refused the cancel: {error}",
                          status=_status(error)) from error  # fmt: skip
        except IamportError as error:
            settled = await self._settle_cancel(record)
            if settled is not None:
                return settled
            raise Unreachable("no answer from i'mport; the cancel is being checked") from error
        values = {**_issued(answer, record.currency), "cancelled_at": answer.cancelled_at or now}
        await self._move(record, (S.CANCELLING,), S.CANCELLED, values)
        return await self.get(kind, receipt_id)

    async def _settle_cancel(self, record: ReceiptRecord) -> ReceiptRecord | None:
        """After a failed cancel: if i'mport shows the receipt cancelled, record that."""
        try:
            found = await self._lookup(record)
        except IamportError:
            return None
        if found is None or not found.cancelled_at:
            return None
        await self._move(record, (S.CANCELLING,), S.CANCELLED, _issued(found, record.currency))
        return await self.get(record.kind, record.id)

    # -- reading --------------------------------------------------------------------------
    async def refresh(self, kind: ReceiptKind, receipt_id: int) -> ReceiptRecord:
        """Bring a receipt in line with i'mport's record of it (settles ``unknown``/``cancelling``).

        Raises ``NotOnRecord``, ``Unreachable`` (i'mport could not tell).
        """
        record = await self.get(kind, receipt_id)
        if record.state in (S.FAILED, S.CANCELLED, S.ISSUING):
            return record
        try:
            found = await self._lookup(record)
        except IamportError as error:
            raise Unreachable("i'mport could not be asked about the receipt") from error
        if found is None:
            # i'mport has no receipt: an unknown issue did not happen
            if record.state == S.UNKNOWN:
                await self._move(record, (S.UNKNOWN,), S.FAILED,
                                 {"last_error": "not issued at i'mport"})  # fmt: skip
            return await self.get(kind, receipt_id)
        if _older_than(found.applied_at, record.created_at):
            # an earlier receipt of the same payment/sale, cancelled before ours was asked
            if record.state == S.UNKNOWN and found.cancelled_at:
                await self._move(record, (S.UNKNOWN,), S.FAILED,
                                 {"last_error": "not issued at i'mport"})  # fmt: skip
            return await self.get(kind, receipt_id)
        target = S.CANCELLED if found.cancelled_at else S.ISSUED
        await self._move(record, (S.UNKNOWN, S.ISSUED, S.CANCELLING), target,
                         _issued(found, record.currency))  # fmt: skip
        return await self.get(kind, receipt_id)

    async def get(self, kind: ReceiptKind, receipt_id: int) -> ReceiptRecord:
        """One receipt; raises ``NotOnRecord``."""
        async with self._db.reading() as uow:
            record = await uow.receipts.get(kind, receipt_id)
        if record is None:
            raise NotOnRecord(f"receipt {receipt_id}")
        return record

    async def search(self, kind: ReceiptKind, query: ReceiptQuery) -> list[ReceiptRecord]:
        """Receipts of one kind matching ``query``, newest first."""
        async with self._db.reading() as uow:
            return await uow.receipts.search(kind, query)

    async def _lookup(self, record: ReceiptRecord) -> Receipt | ExternalReceipt | None:
        try:
            if record.kind == "payment":
                return await self._api.receipt(record.key)
            return await self._api.external_receipt(record.key)
        except NotFound:
            return None

    async def _move(
        self,
        record: ReceiptRecord,
        sources: tuple[ReceiptState, ...],
        target: ReceiptState,
        values: dict[str, object],
    ) -> bool:
        async with self._db.transaction() as uow:
            return bool(await uow.receipts.move(record.kind, record.id, record.key, sources,
                                                target, values, self._clock.now()))  # fmt: skip


def _live_refusal(live: ReceiptRecord) -> Refused:
    if live.state == S.ISSUED:
        return Refused("receipt_exists", f"Cash receipt {live.id} is already issued for it; "
                       "cancel it first.", status=409)  # fmt: skip
    return Refused("receipt_in_progress", f"Cash receipt {live.id} is being issued or cancelled "
                   "for it; refresh it first.", status=409)  # fmt: skip


def _cancel_refusal(record: ReceiptRecord) -> Refused:
    if record.state == S.CANCELLED:
        when = f" at {record.cancelled_at:%Y-%m-%d %H:%M} UTC" if record.cancelled_at else ""
        return Refused("receipt_already_cancelled",
                       f"Cash receipt {record.id} was already cancelled{when}.", status=409)  # fmt: skip
    if record.state == S.FAILED:
        return Refused("receipt_not_issued", f"Cash receipt {record.id} was never issued.",
                       status=409)  # fmt: skip
    return Refused("receipt_in_progress", f"Cash receipt {record.id} is {record.state}; "
                   "refresh it first.", status=409)  # fmt: skip


def _older_than(applied_at: datetime | None, created_at: datetime) -> bool:
    """i'mport's receipt was applied before ours was asked for (by more than clock slack)."""
    return applied_at is not None and (created_at - applied_at).total_seconds() > 60


def _status(error: ApiError) -> int:
    """The status our API answers i'mport's refusal with: 409 for conflicts, else 422."""
    return 409 if error.http_status == 409 else 422


def _text(error: IamportError) -> str:
    return f"{type(error).__name__}: {error}"[:500]
