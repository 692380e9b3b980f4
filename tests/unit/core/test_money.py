"""Money: exact integer arithmetic, currency checks, wire conversion."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paydesk.core.money import CurrencyMismatch, Money


def test_arithmetic_stays_in_integers() -> None:
    price = Money(12_900)
    assert price * 3 + Money(100) - Money(1_000) == Money(37_800)
    assert (price * 3).amount == 38_700


def test_mixing_currencies_is_refused() -> None:
    with pytest.raises(CurrencyMismatch):
        Money(1000, "KRW") + Money(1000, "USD")
    with pytest.raises(CurrencyMismatch):
        assert Money(1, "KRW") < Money(2, "USD")
    assert Money(1000, "KRW") != Money(1000, "USD")


def test_amounts_must_be_int_and_currency_known() -> None:
    with pytest.raises(TypeError):
        Money(10.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown currency"):
        Money(1, "XXX")


@pytest.mark.parametrize(
    ("wire", "currency", "units"),
    [("1000", "KRW", 1000), ("12.34", "USD", 1234), (5, "USD", 500), ("0.10", "EUR", 10)],
)
def test_from_major_is_exact(wire: str | int, currency: str, units: int) -> None:
    money = Money.from_major(wire, currency)
    assert money == Money(units, currency)
    assert money.major() == Decimal(str(wire))


def test_from_major_refuses_sub_unit_precision() -> None:
    with pytest.raises(ValueError, match="precision"):
        Money.from_major("1000.5", "KRW")
    with pytest.raises(ValueError, match="precision"):
        Money.from_major("1.001", "USD")


def test_ordering_and_str() -> None:
    assert Money(1) < Money(2) <= Money(2) < Money(3)
    assert Money(3) > Money(2) >= Money(2)
    assert str(Money(1_234_000)) == "1,234,000 KRW"
    assert str(Money(1234, "USD")) == "12.34 USD"
