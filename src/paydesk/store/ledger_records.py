"""Rows ↔ values for the payment ledger: payments as verified, refunds, webhook deliveries.

The companion of ``records`` for the tables the verification side writes
(``payments``, ``refunds``, ``webhook_inbox``); repositories return these
records and never raw rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row

from ..core.money import Money

__all__ = [
    "AttemptRecord",
    "InboxRecord",
    "PaymentRecord",
    "PaymentState",
    "RefundAccount",
    "RefundRecord",
    "VbankAccount",
]


@dataclass(frozen=True)
class VbankAccount:
    """The virtual account i'mport issued for a payment."""

    bank_code: str | None
    bank_name: str | None
    number: str
    holder: str | None
    due: datetime | None


@dataclass(frozen=True)
class CardUsed:
    """The card of a card payment, as its PG reported it (the number comes masked)."""

    code: str | None
    name: str | None
    number: str | None  # masked by the PG, e.g. 941000******0005
    type: int | None  # 0 credit, 1 check/debit, None when the PG does not say
    quota: int | None  # installment months, 0 = lump sum

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> CardUsed | None:
        if not (raw.get("card_name") or raw.get("card_code") or raw.get("card_number")):
            return None
        return cls(raw.get("card_code"), raw.get("card_name"), raw.get("card_number"),
                   raw.get("card_type"), raw.get("card_quota"))  # fmt: skip


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
    cancellations: int = 0  # entries of i'mport's cancel history
    bank_code: str | None = None  # an account transfer's bank (from the payment as reported)
    bank_name: str | None = None
    card: CardUsed | None = None

    @property
    def balance(self) -> Money:
        """What is left to refund, by our books."""
        return self.amount - self.cancelled

    @classmethod
    def from_row(cls, row: Row[Any]) -> PaymentRecord:
        return cls.from_mapping(row._mapping)

    @classmethod
    def from_mapping(cls, m: Mapping[Any, Any]) -> PaymentRecord:
        """From the ``payments`` columns (``raw`` decoded)."""
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
            cancellations=len((m["raw"] or {}).get("cancel_history") or []),
            bank_code=(m["raw"] or {}).get("bank_code"),
            bank_name=(m["raw"] or {}).get("bank_name"),
            card=CardUsed.of(m["raw"] or {}),
        )  # fmt: skip


@dataclass(frozen=True)
class PaymentState:
    """Of a stored payment, what a comparison with i'mport needs (``PaymentBook.states``)."""

    status: str
    cancelled: Money
    cancellations: int  # entries of i'mport's cancel history


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
    tax_free: Money | None = None
    vat_amount: Money | None = None
    account: RefundAccount | None = None  # where a virtual account's refund goes
    requested_by: str | None = None
    attempts: int = 0
    #: The holder's phone (``refund_tel``), with or without an account: old smartro needs
    #: it on a card's cancel too. PII: kept out of ``repr`` and forgotten once final.
    tel: str | None = field(default=None, repr=False)

    @classmethod
    def from_row(cls, row: Row[Any]) -> RefundRecord:
        m = row._mapping
        currency = m["currency"]

        def money(column: str) -> Money | None:
            value = m.get(column)
            return None if value is None else Money(value, currency)

        account = None
        if m.get("refund_account"):
            account = RefundAccount(m["refund_holder"] or "", m["refund_bank"] or "",
                                    m["refund_account"], m.get("refund_tel"))  # fmt: skip
        return cls(
            id=m["id"], order_id=m["order_id"], imp_uid=m["imp_uid"],
            amount=Money(m["amount"], currency), checksum=m["checksum"], reason=m["reason"],
            state=m["state"], origin=m["origin"], cancellation_id=m["cancellation_id"],
            last_error=m["last_error"], created_at=m["created_at"], updated_at=m["updated_at"],
            tax_free=money("tax_free"), vat_amount=money("vat_amount"), account=account,
            requested_by=m.get("requested_by"), attempts=m.get("attempts") or 0,
            tel=m.get("refund_tel"),
        )  # fmt: skip


@dataclass(frozen=True)
class RefundAccount:
    """The buyer's account a virtual account's refund is paid into (PII: never logged)."""

    holder: str
    bank: str
    account: str
    tel: str | None = None

    def __repr__(self) -> str:
        return f"RefundAccount(bank={self.bank!r}, account='***{self.account[-3:]}')"


@dataclass(frozen=True)
class AttemptRecord:
    """One cancel sent for a refund: what, the answer, and what it meant."""

    id: int
    refund_id: int
    number: int
    amount: Money
    checksum: Money
    request: dict[str, Any]
    response: dict[str, Any] | None
    classification: str | None
    error: str | None
    started_at: datetime
    finished_at: datetime | None

    @classmethod
    def from_row(cls, row: Row[Any], currency: str) -> AttemptRecord:
        m = row._mapping
        return cls(
            id=m["id"], refund_id=m["refund_id"], number=m["number"],
            amount=Money(m["amount"], currency), checksum=Money(m["checksum"], currency),
            request=dict(m["request"]), response=m["response"],
            classification=m["classification"], error=m["error"],
            started_at=m["started_at"], finished_at=m["finished_at"],
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
    body_size: int | None = None  # None for rows stored before migration 0004

    @classmethod
    def from_row(cls, row: Row[Any]) -> InboxRecord:
        m = row._mapping
        return cls(
            id=m["id"], received_at=m["received_at"], source_ip=m["source_ip"],
            headers=dict(m["headers"]), body=bytes(m["body"]), imp_uid=m["imp_uid"],
            merchant_uid=m["merchant_uid"], status=m["status"], processed_at=m["processed_at"],
            outcome=m["outcome"], error=m["error"], body_size=m["body_size"],
        )  # fmt: skip
