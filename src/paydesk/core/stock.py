"""Stock holds: all-or-nothing allocation of an order's lines against what is left.

A confirm turns available stock into a hold for one order. A multi-item order
gets every line or nothing, so a buyer never pays for half a basket. When many
confirms are decided together, ``allocate`` is applied in arrival order, each
call taking from what the previous one left — one snapshot, one transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Line", "StockCount", "allocate", "merge_lines", "shortages"]


@dataclass(frozen=True)
class Line:
    """``quantity`` units of one product."""

    product_id: int
    quantity: int

    def __post_init__(self) -> None:
        if self.quantity <= 0:
            raise ValueError("a line needs a positive quantity")


@dataclass(frozen=True)
class StockCount:
    """Where a product's units are: free to sell, held for a payment, or sold.

    The three always add up to what was ever stocked; no transition loses a unit.
    """

    available: int
    held: int = 0
    sold: int = 0

    @property
    def total(self) -> int:
        return self.available + self.held + self.sold

    def hold(self, quantity: int) -> StockCount:
        if quantity > self.available:
            raise ValueError("cannot hold more than is available")
        return StockCount(self.available - quantity, self.held + quantity, self.sold)

    def release(self, quantity: int) -> StockCount:
        if quantity > self.held:
            raise ValueError("cannot release more than is held")
        return StockCount(self.available + quantity, self.held - quantity, self.sold)

    def sell_held(self, quantity: int) -> StockCount:
        if quantity > self.held:
            raise ValueError("cannot sell more than is held")
        return StockCount(self.available, self.held - quantity, self.sold + quantity)

    def sell(self, quantity: int) -> StockCount:
        """Sell straight from available stock (a payment that had no hold)."""
        if quantity > self.available:
            raise ValueError("cannot sell more than is available")
        return StockCount(self.available - quantity, self.held, self.sold + quantity)


def merge_lines(lines: Iterable[Line]) -> tuple[Line, ...]:
    """One line per product, quantities summed, ordered by product id."""
    totals: Counter[int] = Counter()
    for line in lines:
        totals[line.product_id] += line.quantity
    return tuple(Line(pid, qty) for pid, qty in sorted(totals.items()))


def shortages(lines: Sequence[Line], available: Mapping[int, int]) -> tuple[int, ...]:
    """Product ids whose available stock cannot cover the order's lines."""
    return tuple(
        line.product_id
        for line in merge_lines(lines)
        if available.get(line.product_id, 0) < line.quantity
    )


def allocate(lines: Sequence[Line], available: Mapping[int, int]) -> dict[int, int] | None:
    """Take every line from ``available`` or nothing.

    Returns the stock left per product after the allocation, or ``None`` when
    any line is short (``available`` is never modified).
    """
    if not lines or shortages(lines, available):
        return None
    left = dict(available)
    for line in merge_lines(lines):
        left[line.product_id] -= line.quantity
    return left
