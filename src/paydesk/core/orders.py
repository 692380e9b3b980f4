"""The order as the domain sees it: what was bought, for how much, and where it stands.

The amount is always computed here from catalog prices, never taken from the
buyer; the ``merchant_uid`` we hand to i'mport is made here too (≤ 40 chars,
unique per order, roughly time-ordered so it sorts well in consoles and logs).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .errors import AmountOutOfRange, UnknownProduct
from .money import Money
from .stock import Line

__all__ = [
    "MAX_ORDER_AMOUNT",
    "MERCHANT_UID_MAX",
    "Order",
    "OrderStatus",
    "UnknownProduct",
    "new_merchant_uid",
    "price",
]

MERCHANT_UID_MAX = 40
#: The most an order may cost, in the currency's smallest unit (10^12: a trillion won).
#: Far beyond any real basket, far below what a 64-bit column holds — so a total
#: that would overflow the database is refused as a rule, not crashed into.
MAX_ORDER_AMOUNT = 10**12


class OrderStatus(StrEnum):
    """Where an order stands; see ``paydesk.core.lifecycle`` for the moves between them."""

    PENDING = "pending"  # created, amount registered, no payment decided yet
    HELD = "held"  # a confirm was approved: stock held, payment outcome not known yet
    PAID = "paid"  # i'mport says paid, amount matches, stock sold
    FAILED = "failed"  # the last attempt failed; stock released; the buyer may retry
    CANCELLED = "cancelled"  # given up before payment; never payable again
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    UNVERIFIED = "unverified"  # a result arrived but could not be checked with i'mport yet
    FLAGGED = "flagged"  # paid but not fulfillable (no stock, wrong amount): refund owed


@dataclass(frozen=True)
class Order:
    """An order and its payment state, as one immutable value."""

    merchant_uid: str
    amount: Money
    lines: tuple[Line, ...]
    expires_at: datetime
    paid: Money  # what the kept payment paid (zero until then), in its own currency
    refunded: Money  # what was refunded of ``paid``
    status: OrderStatus = OrderStatus.PENDING
    imp_uid: str | None = None  # the payment attempt this order follows
    holding: bool = False  # stock is held for this order
    escrow: bool = False  # asked for an escrow (구매안전) payment; the payment must be one

    @classmethod
    def open(
        cls,
        merchant_uid: str,
        amount: Money,
        lines: Sequence[Line],
        expires_at: datetime,
        *,
        escrow: bool = False,
    ) -> Order:
        """A new pending order with nothing paid."""
        zero = Money.zero(amount.currency)
        return cls(merchant_uid, amount, tuple(lines), expires_at, paid=zero, refunded=zero,
                   escrow=escrow)  # fmt: skip

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at


def price(lines: Sequence[Line], prices: Mapping[int, Money]) -> Money:
    """The order amount: the sum of quantity × unit price.

    Raises ``UnknownProduct``, and ``AmountOutOfRange`` for nothing to pay (i'mport
    takes no payment of 0) or more than ``MAX_ORDER_AMOUNT``.
    """
    if not lines:
        raise ValueError("an order needs at least one line")
    missing = [line.product_id for line in lines if line.product_id not in prices]
    if missing:
        raise UnknownProduct(f"no such product: {missing}")
    first = prices[lines[0].product_id]
    total = Money.zero(first.currency)
    for line in lines:
        total += prices[line.product_id] * line.quantity
    if total.amount > MAX_ORDER_AMOUNT:
        raise AmountOutOfRange(f"{total} is more than an order may cost")
    if total.amount <= 0:
        raise AmountOutOfRange("an order must cost something: i'mport takes no payment of 0")
    return total


def new_merchant_uid(now: datetime, entropy: bytes) -> str:
    """``ord_<utc timestamp>_<hex entropy>``: sortable by creation, unique by entropy."""
    uid = f"ord_{now:%Y%m%d%H%M%S}_{entropy.hex()}"
    if len(uid) > MERCHANT_UID_MAX:
        raise ValueError("too much entropy for a 40-character merchant_uid")
    return uid
