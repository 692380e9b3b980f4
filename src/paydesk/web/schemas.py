"""Our API's view of orders, payments and refunds, converted from the store's records here.

Money is an integer in the currency's smallest unit (won, cents) with its
currency, as everywhere in ``/api``; instants are ISO 8601 UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from ..services.lookups import OrderView, PaymentPage
from ..store import OrderRecord
from ..store.ledger_records import CardUsed, PaymentRecord, RefundRecord

__all__ = [
    "MAX_ID",
    "BankOut",
    "LineOut",
    "OrderDetail",
    "OrderOut",
    "OrderPageOut",
    "PaymentOut",
    "PaymentPageOut",
    "RefundOut",
    "VbankOut",
]


#: The largest id a 64-bit column holds: bigger ones are refused before any query.
MAX_ID = 2**63 - 1


class LineOut(BaseModel):
    product_id: int
    quantity: int
    unit_price: int


class OrderOut(BaseModel):
    """An order and where its payment stands."""

    id: int
    merchant_uid: str
    name: str
    status: str = Field(description="pending, held, paid, failed, cancelled, unverified, "
                        "flagged, partially_refunded or refunded")  # fmt: skip
    amount: int
    currency: str
    paid_amount: int
    refunded_amount: int
    imp_uid: str | None
    holding: bool = Field(description="Stock is held for the payment in progress.")
    pay_method: str | None
    pg: str | None
    expires_at: datetime
    lines: list[LineOut]
    escrow: bool = Field(default=False, description="Asked for an escrow (구매안전) payment.")

    @classmethod
    def of(cls, record: OrderRecord) -> OrderOut:
        order = record.order
        lines = [
            LineOut(product_id=line.product_id, quantity=line.quantity,
                    unit_price=record.unit_prices[line.product_id].amount)
            for line in order.lines
        ]  # fmt: skip
        return cls(
            id=record.id, merchant_uid=order.merchant_uid, name=record.name,
            status=order.status.value, amount=order.amount.amount,
            currency=order.amount.currency, paid_amount=order.paid.amount,
            refunded_amount=order.refunded.amount, imp_uid=order.imp_uid, holding=order.holding,
            pay_method=record.pay_method, pg=record.pg, expires_at=order.expires_at, lines=lines,
            escrow=order.escrow,
        )  # fmt: skip


class VbankOut(BaseModel):
    """The virtual account the buyer must pay into."""

    bank_code: str | None
    bank_name: str | None
    number: str
    holder: str | None
    due: datetime | None


class BankOut(BaseModel):
    """The bank an account transfer came from."""

    code: str | None
    name: str | None = Field(description="From i'mport's bank code table when it knows the code.")


class CardOut(BaseModel):
    """The card of a card payment, as its PG reported it."""

    code: str | None = Field(description="KFTC card company code")
    name: str | None
    number: str | None = Field(description="Masked by the PG")
    kind: Literal["credit", "check"] | None = Field(description="null when the PG does not say")
    quota: int | None = Field(description="Installment months, 0 = lump sum")

    @classmethod
    def of(cls, card: CardUsed) -> CardOut:
        kind: Literal["credit", "check"] | None = None
        if card.type == 0:
            kind = "credit"
        elif card.type == 1:
            kind = "check"
        return cls(code=card.code, name=card.name, number=card.number, kind=kind,
                   quota=card.quota)  # fmt: skip


class PaymentOut(BaseModel):
    """A payment attempt as last verified with i'mport."""

    imp_uid: str
    merchant_uid: str
    order_id: int | None
    status: str = Field(description="ready, paid, cancelled or failed (i'mport's status)")
    amount: int
    cancel_amount: int
    currency: str
    pay_method: str | None
    pg_provider: str | None
    apply_num: str | None
    pg_tid: str | None
    paid_at: datetime | None
    failed_at: datetime | None
    cancelled_at: datetime | None
    fail_reason: str | None
    vbank: VbankOut | None
    bank: BankOut | None = None
    card: CardOut | None = None
    verified_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, record: PaymentRecord, banks: Mapping[str, str] | None = None) -> PaymentOut:
        """``banks``: bank names by code (i'mport's table) to prefer over the payment's own."""
        names = banks or {}
        vbank = bank = None
        if record.vbank is not None:
            v = record.vbank
            vbank = VbankOut(bank_code=v.bank_code,
                             bank_name=names.get(v.bank_code or "") or v.bank_name,
                             number=v.number, holder=v.holder, due=v.due)  # fmt: skip
        if record.bank_code or record.bank_name:
            bank = BankOut(code=record.bank_code,
                           name=names.get(record.bank_code or "") or record.bank_name)  # fmt: skip
        return cls(
            imp_uid=record.imp_uid, merchant_uid=record.merchant_uid, order_id=record.order_id,
            status=record.status, amount=record.amount.amount,
            cancel_amount=record.cancelled.amount, currency=record.amount.currency,
            pay_method=record.pay_method, pg_provider=record.pg_provider,
            apply_num=record.apply_num, pg_tid=record.pg_tid, paid_at=record.paid_at,
            failed_at=record.failed_at, cancelled_at=record.cancelled_at,
            fail_reason=record.fail_reason, vbank=vbank, bank=bank,
            card=CardOut.of(record.card) if record.card else None,
            verified_at=record.verified_at, created_at=record.created_at,
        )  # fmt: skip


class RefundOut(BaseModel):
    """A refund: ``origin`` auto (we could not keep the payment) or external (seen at i'mport)."""

    id: int
    imp_uid: str
    amount: int
    currency: str
    state: str = Field(description="requested, unknown, succeeded or failed")
    origin: str | None
    reason: str
    checksum: int | None = Field(description="The balance sent as `checksum` with our cancel.")
    cancellation_id: str | None
    created_at: datetime

    @classmethod
    def of(cls, record: RefundRecord) -> RefundOut:
        return cls(id=record.id, imp_uid=record.imp_uid, amount=record.amount.amount,
                   currency=record.amount.currency, state=record.state, origin=record.origin,
                   reason=record.reason, checksum=record.checksum,
                   cancellation_id=record.cancellation_id,
                   created_at=record.created_at)  # fmt: skip


class OrderDetail(OrderOut):
    """An order with every payment attempt and refund."""

    payments: list[PaymentOut]
    refunds: list[RefundOut]

    @classmethod
    def of_view(cls, view: OrderView, banks: Mapping[str, str] | None = None) -> OrderDetail:
        base = OrderOut.of(view.record).model_dump()
        return cls(**base, payments=[PaymentOut.of(p, banks) for p in view.payments],
                   refunds=[RefundOut.of(r) for r in view.refunds])  # fmt: skip


class OrderPageOut(BaseModel):
    """One page of an order search, newest first."""

    items: list[OrderOut]
    next_before: int | None = Field(
        description="Pass as `before` for the next page; null on the last page."
    )

    @classmethod
    def of(cls, records: list[OrderRecord], limit: int) -> OrderPageOut:
        next_before = records[-1].id if len(records) == limit else None
        return cls(items=[OrderOut.of(r) for r in records], next_before=next_before)


class PaymentPageOut(BaseModel):
    """One page of a payment search."""

    items: list[PaymentOut]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, page: PaymentPage) -> PaymentPageOut:
        return cls(items=[PaymentOut.of(p) for p in page.items], total=page.total,
                   limit=page.limit, offset=page.offset)  # fmt: skip
