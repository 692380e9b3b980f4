"""Read-only lookups for the merchant API: orders with their payments and refunds, payments.

A support desk is handed whatever id the buyer has — an order number, the
merchant_uid, the card approval number, the PG's transaction id — so each of
them finds the payment. Nothing here asks i'mport: these are our books, as
last verified.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..store import OrderRecord, UnitOfWork, UnitsOfWork
from ..store.escrows import EscrowRecord
from ..store.ledger_records import PaymentRecord, RefundRecord
from ..store.orders import OrderQuery
from ..store.payment_book import PaymentQuery
from .errors import NotOnRecord

__all__ = ["Lookups", "NotOnRecord", "OrderView", "PaymentPage"]


@dataclass(frozen=True)
class OrderView:
    """An order with every payment attempt and refund we know of, and an escrow order's
    delivery (``None`` until it is registered, and for an order without escrow)."""

    record: OrderRecord
    payments: list[PaymentRecord]
    refunds: list[RefundRecord]
    escrow: EscrowRecord | None = None


@dataclass(frozen=True)
class PaymentPage:
    """One page of a payment search."""

    items: list[PaymentRecord]
    total: int
    limit: int
    offset: int


class Lookups:
    """Lookups over our books."""

    def __init__(self, database: UnitsOfWork) -> None:
        self._db = database

    async def order(
        self, *, order_id: int | None = None, merchant_uid: str | None = None
    ) -> OrderView:
        """The order with ``order_id`` or ``merchant_uid``. Raises ``NotOnRecord``."""
        async with self._db.reading() as uow:
            if merchant_uid is None and order_id is not None:
                merchant_uid = await uow.orders.merchant_uid_of(order_id)
            record = await uow.orders.get(merchant_uid) if merchant_uid else None
            if record is None:
                raise NotOnRecord(order_id or merchant_uid)
            return await _view(uow, record)

    async def orders(self, query: OrderQuery) -> list[OrderRecord]:
        """Orders matching ``query``, newest first, one page (keyed by id) at a time."""
        async with self._db.reading() as uow:
            return await uow.orders.search(query)

    async def payment(self, imp_uid: str) -> PaymentRecord:
        """The payment ``imp_uid`` as last verified. Raises ``NotOnRecord``."""
        async with self._db.reading() as uow:
            found = await uow.payments.get(imp_uid)
        if found is None:
            raise NotOnRecord(imp_uid)
        return found

    async def payments(self, query: PaymentQuery) -> PaymentPage:
        """Payments matching ``query``, newest first, one page at a time."""
        async with self._db.reading() as uow:
            items, total = await uow.payments.search(query)
        return PaymentPage(items, total, query.limit, query.offset)

    async def refunds(self, imp_uid: str) -> list[RefundRecord]:
        """Every refund of payment ``imp_uid`` (ours and those seen at i'mport)."""
        async with self._db.reading() as uow:
            return await uow.refunds.of_payment(imp_uid)


async def _view(uow: UnitOfWork, record: OrderRecord) -> OrderView:
    payments, _ = await uow.payments.search(PaymentQuery(order_id=record.id, limit=1000))
    refunds = await uow.refunds.of_order(record.id)
    order, escrow = record.order, None
    if order.escrow and order.imp_uid is not None:
        escrow = await uow.escrows.get(order.imp_uid)
    return OrderView(record, payments, refunds, escrow)
