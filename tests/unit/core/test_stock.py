"""Stock: all-or-nothing allocation and counts that never lose a unit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paydesk.core.stock import Line, StockCount, allocate, merge_lines, shortages


def test_allocation_takes_every_line_or_nothing() -> None:
    available = {1: 3, 2: 1}
    assert allocate([Line(1, 2), Line(2, 1)], available) == {1: 1, 2: 0}
    assert allocate([Line(1, 2), Line(2, 2)], available) is None
    assert available == {1: 3, 2: 1}  # never modified


def test_repeated_lines_of_one_product_are_summed() -> None:
    assert merge_lines([Line(2, 1), Line(1, 1), Line(2, 2)]) == (Line(1, 1), Line(2, 3))
    assert allocate([Line(1, 2), Line(1, 2)], {1: 3}) is None
    assert shortages([Line(1, 2), Line(1, 2), Line(5, 1)], {1: 3}) == (1, 5)


def test_unknown_product_and_empty_order_allocate_nothing() -> None:
    assert allocate([Line(9, 1)], {1: 5}) is None
    assert allocate([], {1: 5}) is None


def test_line_needs_positive_quantity() -> None:
    with pytest.raises(ValueError, match="positive"):
        Line(1, 0)


def test_counts_move_between_buckets() -> None:
    count = StockCount(available=5)
    count = count.hold(3).release(1).sell_held(2).sell(1)
    assert count == StockCount(available=2, held=0, sold=3)
    assert count.total == 5
    with pytest.raises(ValueError, match="available"):
        count.hold(3)
    with pytest.raises(ValueError, match="held"):
        count.release(1)
    with pytest.raises(ValueError, match="held"):
        count.sell_held(1)
    with pytest.raises(ValueError, match="available"):
        count.sell(3)


orders = st.lists(
    st.lists(st.builds(Line, st.integers(1, 3), st.integers(1, 4)), min_size=1, max_size=3),
    max_size=30,
)


@given(orders=orders, stock=st.dictionaries(st.integers(1, 3), st.integers(0, 10)))
def test_allocating_in_turn_never_oversells(
    orders: list[list[Line]], stock: dict[int, int]
) -> None:
    left = dict(stock)
    granted: list[list[Line]] = []
    for lines in orders:
        after = allocate(lines, left)
        if after is None:
            # refused only when some product really is short
            assert shortages(lines, left)
            continue
        granted.append(lines)
        left = after
    assert all(units >= 0 for units in left.values())
    for product, initial in stock.items():
        taken = sum(
            line.quantity for lines in granted for line in lines if line.product_id == product
        )
        assert initial == left[product] + taken
