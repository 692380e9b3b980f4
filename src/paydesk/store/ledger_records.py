"""Rows ↔ values for the payment ledger: payments as verified, refunds, webhook deliveries.

The companion of ``records`` for the tables the verification side writes
(``payments``, ``refunds``, ``webhook_inbox``); repositories return these
records and never raw rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row

from ..core.money import Money

__all__ = ["InboxRecord", "PaymentRecord", "RefundRecord", "VbankAccount"]


@dataclass(frozen=True)
class VbankAccount:
    """The virtual account i'mport issued for a payment."""

    bank_code: str | None
    bank_name: str | None
    number: str
    holder: str | None
    due: datetime | None


@dataclass(frozen=True)
class PaymentRecord:
    """A payment as we last verified it with i'mport."""

    imp_uid: str
    merchant_uid: str
    order_id: int | None
    status: str
    amount: Money
    cancelled: Money
    pay_method: str | None
    pg_provider: str | None
    apply_num: str | None
    pg_tid: str | None
    paid_at: datetime | None
    failed_at: datetime | None
    cancelled_at: datetime | None
    fail_reason: str | None
    vbank: VbankAccount | None
    verified_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @property
    def balance(self) -> Money:
        """What is left to refund, by our books."""
        return self.amount - self.cancelled

    @classmethod
    def from_row(cls, row: Row[Any]) -> PaymentRecord:
        m = row._mapping
        vbank = None
        if m["vbank_num"]:
            vbank = VbankAccount(m["vbank_code"], m["vbank_name"], m["vbank_num"],
                                 m["vbank_holder"], m["vbank_date"])  # fmt: skip
        return cls(
            imp_uid=m["imp_uid"], merchant_uid=m["merchant_uid"], order_id=m["order_id"],
            status=m["status"], amount=Money(m["amount"], m["currency"]),
            cancelled=Money(m["cancel_amount"], m["currency"]), pay_method=m["pay_method"],
            pg_provider=m["pg_provider"], apply_num=m["apply_num"], pg_tid=m["pg_tid"],
            paid_at=m["paid_at"], failed_at=m["failed_at"], cancelled_at=m["cancelled_at"],
            fail_reason=m["fail_reason"], vbank=vbank, verified_at=m["verified_at"],
            created_at=m["created_at"], updated_at=m["updated_at"],
        )  # fmt: skip


@dataclass(frozen=True)
class RefundRecord:
    """A refund: one we owe (``origin`` auto) or one i'mport reported (``external``)."""

    id: int
    order_id: int | None
    imp_uid: str
    amount: Money
    checksum: int | None
    reason: str
    state: str  # requested | unknown | succeeded | failed
    origin: str | None
    cancellation_id: str | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> RefundRecord:
        m = row._mapping
        return cls(
            id=m["id"], order_id=m["order_id"], imp_uid=m["imp_uid"],
            amount=Money(m["amount"], m["currency"]), checksum=m["checksum"], reason=m["reason"],
            state=m["state"], origin=m["origin"], cancellation_id=m["cancellation_id"],
            last_error=m["last_error"], created_at=m["created_at"], updated_at=m["updated_at"],
        )  # fmt: skip


@dataclass(frozen=True)
class InboxRecord:
    """One webhook delivery, stored verbatim, and what became of it."""

    id: int
    received_at: datetime
    source_ip: str
    headers: dict[str, str]
    body: bytes
    imp_uid: str | None
    merchant_uid: str | None
    status: str | None
    processed_at: datetime | None
    outcome: str | None
    error: str | None
    body_size: int | None = None  # None for rows stored before migration 0003

    @classmethod
    def from_row(cls, row: Row[Any]) -> InboxRecord:
        m = row._mapping
        return cls(
            id=m["id"], received_at=m["received_at"], source_ip=m["source_ip"],
            headers=dict(m["headers"]), body=bytes(m["body"]), imp_uid=m["imp_uid"],
            merchant_uid=m["merchant_uid"], status=m["status"], processed_at=m["processed_at"],
            outcome=m["outcome"], error=m["error"], body_size=m["body_size"],
        )  # fmt: skip
