"""What an order may cost: something, and no more than ``MAX_ORDER_AMOUNT``."""

from __future__ import annotations

import pytest

from paydesk.core.errors import AmountOutOfRange
from paydesk.core.money import Money
from paydesk.core.orders import MAX_ORDER_AMOUNT, price
from paydesk.core.stock import Line


def test_the_most_an_order_may_cost_is_accepted() -> None:
    assert price([Line(1, 1)], {1: Money(MAX_ORDER_AMOUNT)}) == Money(MAX_ORDER_AMOUNT)


@pytest.mark.parametrize(
    ("unit", "quantity"),
    [(MAX_ORDER_AMOUNT + 1, 1), (2**53, 10_000), (2**63, 1), (0, 5)],
    ids=["one-won-over", "past-int64", "huge-price", "free"],
)
def test_anything_else_is_out_of_range(unit: int, quantity: int) -> None:
    with pytest.raises(AmountOutOfRange):
        price([Line(1, quantity)], {1: Money(unit)})
