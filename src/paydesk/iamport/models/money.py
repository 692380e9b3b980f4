"""Money as an exact amount plus its currency.

i'mport sends amounts as bare JSON numbers next to a ``currency`` field; the
client pairs them again so no caller compares a KRW amount with a USD one or
ever holds money in a float.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

__all__ = ["Money"]


@dataclass(frozen=True, order=False)
class Money:
    """An exact amount (``int``, or ``Decimal`` for fractional non-KRW money) and a currency.

    Raises:
        TypeError: when built from a float or a boolean.
    """

    amount: int | Decimal
    currency: str = "KRW"

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int | Decimal):
            raise TypeError("Money needs an int or Decimal amount, never a float")

    def __sub__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValueError(f"cannot subtract {other.currency} from {self.currency}")
        return Money(_normal(self.amount - other.amount), self.currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def _normal(value: int | Decimal) -> int | Decimal:
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return value
