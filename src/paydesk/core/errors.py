"""The domain's errors, under one root: a broken rule, never a broken program.

Each keeps the built-in base it always had (``ValueError`` for a bad value,
``LookupError`` for something missing), so ``except ValueError`` still works.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: errors.py is imported by the modules it names
    from .lifecycle import Fact
    from .money import Money
    from .orders import Order

__all__ = [
    "AmountOutOfRange",
    "CurrencyMismatch",
    "DomainError",
    "IllegalTransition",
    "RefundTooLarge",
    "UnknownProduct",
]


class DomainError(Exception):
    """Root of every error a rule of ``paydesk.core`` raises."""


class CurrencyMismatch(DomainError, ValueError):
    """Two amounts in different currencies were combined or compared."""


class AmountOutOfRange(DomainError, ValueError):
    """An order would cost nothing, or more than any order may (``orders.MAX_ORDER_AMOUNT``)."""


class UnknownProduct(DomainError, LookupError):
    """A line names a product that has no price."""


class RefundTooLarge(DomainError, ValueError):
    """The requested refund exceeds what is left to refund."""

    def __init__(self, requested: Money, left: Money) -> None:
        super().__init__(f"refund of {requested} exceeds the refundable {left}")
        self.requested = requested
        self.left = left


class IllegalTransition(DomainError):
    """The fact makes no sense for the order's current state."""

    def __init__(self, order: Order, fact: Fact) -> None:
        super().__init__(f"{type(fact).__name__} is not allowed for a {order.status} order")
        self.order = order
        self.fact = fact
