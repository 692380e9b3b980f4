"""Domain rules of the merchant server: money, orders, stock, refunds, confirms.

Pure functions and immutable values only — no I/O, no framework (import-linter
enforces it). Shells in ``paydesk.services`` load state, call these, and store
what they return.
"""

from .clock import Clock, FixedClock, SystemClock
from .confirm import ConfirmCall, Decision, Guards, Refusal, decide, precheck
from .errors import DomainError
from .lifecycle import (
    Effect,
    Fact,
    HoldGranted,
    IllegalTransition,
    OrderCancelled,
    PaymentFailed,
    PaymentPaid,
    PaymentPending,
    RefundOwed,
    RefundRecorded,
    ReleaseHeldStock,
    SellHeldStock,
    SellStock,
    Transition,
    VerificationFailed,
    apply,
    can_hold,
)
from .money import CurrencyMismatch, Money
from .orders import Order, OrderStatus, UnknownProduct, new_merchant_uid, price
from .refunds import RefundTooLarge, checksum, refund_amount, refundable
from .stock import Line, StockCount, allocate, merge_lines, shortages

__all__ = [
    "Clock",
    "ConfirmCall",
    "CurrencyMismatch",
    "Decision",
    "DomainError",
    "Effect",
    "Fact",
    "FixedClock",
    "Guards",
    "HoldGranted",
    "IllegalTransition",
    "Line",
    "Money",
    "Order",
    "OrderCancelled",
    "OrderStatus",
    "PaymentFailed",
    "PaymentPaid",
    "PaymentPending",
    "RefundOwed",
    "RefundRecorded",
    "RefundTooLarge",
    "Refusal",
    "ReleaseHeldStock",
    "SellHeldStock",
    "SellStock",
    "StockCount",
    "SystemClock",
    "Transition",
    "UnknownProduct",
    "VerificationFailed",
    "allocate",
    "apply",
    "can_hold",
    "checksum",
    "decide",
    "merge_lines",
    "new_merchant_uid",
    "precheck",
    "price",
    "refund_amount",
    "refundable",
    "shortages",
]
