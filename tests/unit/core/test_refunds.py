"""Refund limits and the cancel checksum."""

from __future__ import annotations

import pytest

from paydesk.core.money import Money
from paydesk.core.refunds import RefundTooLarge, checksum, refund_amount, refundable


def test_refundable_is_paid_minus_refunded() -> None:
    assert refundable(Money(10_000), Money(3_000)) == Money(7_000)
    assert checksum(Money(10_000), Money(3_000)) == Money(7_000)
    with pytest.raises(ValueError, match="exceeds"):
        refundable(Money(1_000), Money(2_000))


def test_full_refund_takes_everything_left() -> None:
    assert refund_amount(Money(10_000), Money(4_000), None) == Money(6_000)


def test_partial_refund_within_limit() -> None:
    assert refund_amount(Money(10_000), Money(4_000), Money(6_000)) == Money(6_000)
    assert refund_amount(Money(10_000), Money(0), Money(1)) == Money(1)


def test_refund_beyond_limit_is_refused_with_context() -> None:
    with pytest.raises(RefundTooLarge) as caught:
        refund_amount(Money(10_000), Money(4_000), Money(6_001))
    assert caught.value.left == Money(6_000)
    assert caught.value.requested == Money(6_001)


def test_nothing_left_or_non_positive_request_is_refused() -> None:
    with pytest.raises(ValueError, match="nothing to refund"):
        refund_amount(Money(10_000), Money(10_000), None)
    with pytest.raises(ValueError, match="positive"):
        refund_amount(Money(10_000), Money(0), Money(0))
