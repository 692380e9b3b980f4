"""Money as an integer amount of a currency's smallest unit, never a float.

KRW has no minor unit, so 1,000 won is ``Money(1000, "KRW")``. Currencies with
cents (USD, EUR) count cents; ``from_major``/``major`` convert at the wire edge.
Mixing currencies is an error rather than a silent wrong sum.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from .errors import CurrencyMismatch

__all__ = ["EXPONENTS", "CurrencyMismatch", "Money"]

#: Digits after the decimal point per ISO 4217 currency we know of.
EXPONENTS: Final[dict[str, int]] = {"KRW": 0, "JPY": 0, "VND": 0, "USD": 2, "EUR": 2}


@dataclass(frozen=True, order=False)
class Money:
    """An exact amount: ``amount`` units of the currency's smallest denomination."""

    amount: int
    currency: str = "KRW"

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise TypeError(f"Money amount must be an int, not {type(self.amount).__name__}")
        if self.currency not in EXPONENTS:
            raise ValueError(f"unknown currency: {self.currency!r}")

    @classmethod
    def zero(cls, currency: str = "KRW") -> Money:
        return cls(0, currency)

    @classmethod
    def from_major(cls, value: Decimal | int | str, currency: str = "KRW") -> Money:
        """Convert a wire amount (e.g. ``12.34`` USD) exactly; refuse sub-unit fractions."""
        scaled = Decimal(value).scaleb(EXPONENTS.get(currency, 0))
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more precision than {currency} allows")
        return cls(int(scaled), currency)

    def major(self) -> Decimal:
        """The amount in major units (won, dollars) for the wire."""
        return Decimal(self.amount).scaleb(-EXPONENTS[self.currency])

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency} vs {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, times: int) -> Money:
        return Money(self.amount * times, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def is_positive(self) -> bool:
        return self.amount > 0

    def __str__(self) -> str:
        return f"{self.major():,} {self.currency}"
