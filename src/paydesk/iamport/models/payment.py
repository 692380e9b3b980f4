"""The Payment object (reference §3) and the pages of payments i'mport lists.

The same object answers lookups, cancels, key-in and billing-key charges and
vbank issuance, so it is modelled once, with all its documented fields; what
i'mport adds later is kept in ``model_extra``.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from .money import Money
from .wire import Amount, Timestamp, WireModel

__all__ = ["CancelEntry", "Payment", "PaymentBatch", "PaymentPage", "Promotion", "VbankDeposit"]


class CancelEntry(WireModel):
    """One (partial) cancellation (``PaymentCancelAnnotation``)."""

    pg_tid: str | None = None
    amount: Amount
    cancelled_at: Timestamp = None
    reason: str | None = None
    cancellation_id: str | None = None
    receipt_url: str | None = None


class VbankDeposit(WireModel):
    """One deposit into a fixed vbank (``VbankDepositAnnotation``)."""

    pg_tid: str | None = None
    amount: Amount
    depositor_name: str | None = None
    deposited_at: Timestamp = None


class Promotion(WireModel):
    """A console promotion applied to the payment."""

    id: str | None = None
    discount: Amount = 0


class Payment(WireModel):
    """A payment attempt as i'mport reports it (``PaymentAnnotation``).

    ``status`` is ``ready`` (window open or vbank awaiting deposit), ``paid``,
    ``cancelled`` (fully *or partly*: compare ``cancel_amount``) or ``failed``.
    """

    imp_uid: str
    merchant_uid: str
    pay_method: str | None = None
    channel: str | None = None
    pg_provider: str | None = None
    emb_pg_provider: str | None = None
    pg_tid: str | None = None
    pg_id: str | None = None
    sandbox: bool = False
    escrow: bool | None = None
    apply_num: str | None = None
    bank_code: str | None = None
    bank_name: str | None = None
    card_code: str | None = None
    card_name: str | None = None
    card_issuer_code: str | None = None
    card_issuer_name: str | None = None
    card_publisher_code: str | None = None
    card_publisher_name: str | None = None
    card_quota: int | None = None
    card_number: str | None = None
    card_type: int | None = None
    vbank_code: str | None = None
    vbank_name: str | None = None
    vbank_num: str | None = None
    vbank_holder: str | None = None
    vbank_date: Timestamp = None
    vbank_issued_at: Timestamp = None
    name: str | None = None
    amount: Amount
    cancel_amount: Amount = 0
    currency: str = "KRW"
    buyer_name: str | None = None
    buyer_email: str | None = None
    buyer_tel: str | None = None
    buyer_addr: str | None = None
    buyer_postcode: str | None = None
    custom_data: str | None = None
    user_agent: str | None = None
    status: str
    started_at: Timestamp = None
    paid_at: Timestamp = None
    failed_at: Timestamp = None
    cancelled_at: Timestamp = None
    fail_reason: str | None = None
    cancel_reason: str | None = None
    receipt_url: str | None = None
    cancel_history: list[CancelEntry] = Field(default_factory=list)
    deposit_history: list[VbankDeposit] = Field(default_factory=list)
    cancel_receipt_urls: list[str] = Field(default_factory=list)
    cash_receipt_issued: bool | None = None
    customer_uid: str | None = None
    customer_uid_usage: str | None = None
    promotion: Promotion | None = None

    @property
    def price(self) -> Money:
        """The order amount with its currency."""
        return Money(self.amount, self.currency)

    @property
    def balance(self) -> int | Decimal:
        """What is left to refund (``amount - cancel_amount``): the cancel ``checksum``."""
        return (self.price - Money(self.cancel_amount, self.currency)).amount

    @property
    def refundable(self) -> Money:
        """``balance`` with its currency."""
        return Money(self.balance, self.currency)

    @property
    def awaiting_deposit(self) -> bool:
        """A virtual account was issued and nothing is deposited yet."""
        return self.status == "ready" and self.pay_method == "vbank" and bool(self.vbank_num)


class PaymentPage(WireModel):
    """One page of a payment listing (``PagedPaymentAnnotation``); 0 = no such page."""

    total: int = 0
    previous: int = 0
    next: int = 0
    payments: list[Payment] = Field(default_factory=list, alias="list")


class PaymentBatch(WireModel):
    """The answer of a multi-lookup: what was found and which ids were not.

    ``partial`` is True when some ids were not found (i'mport answers 207 or 404).
    """

    found: list[Payment] = Field(default_factory=list)
    missing_imp_uids: list[str] = Field(default_factory=list)
    missing_merchant_uids: list[str] = Field(default_factory=list)
    partial: bool = False
