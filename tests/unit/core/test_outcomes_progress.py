"""Snapshot progress: a later snapshot of one payment never compares less than an earlier one."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from paydesk.core.money import Money
from paydesk.core.outcomes import ReportStatus, progress

S = ReportStatus


def test_the_lifecycle_of_a_payment_only_moves_forward() -> None:
    path = [
        progress(S.READY, Money(0), 0),
        progress(S.FAILED, Money(0), 0),  # declined, then approved late (Paymentwall)
        progress(S.PAID, Money(0), 0),
        progress(S.PAID, Money(1_000), 1),  # a partial cancel some PGs report as still paid
        progress(S.CANCELLED, Money(1_000), 1),
        progress(S.CANCELLED, Money(3_000), 2),
    ]
    assert path == sorted(path)
    assert len(set(path)) == len(path)


@given(st.lists(st.integers(min_value=1, max_value=10_000), max_size=8))
def test_more_cancels_always_compare_greater(amounts: list[int]) -> None:
    snapshots = [
        progress(S.CANCELLED if i else S.PAID, Money(sum(amounts[:i])), i)
        for i in range(len(amounts) + 1)
    ]
    assert snapshots == sorted(snapshots)
