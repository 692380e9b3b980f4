"""PG rules checked before a cancel: quiet hours name when they end."""

from __future__ import annotations

from datetime import datetime

import pytest

from paydesk.core.money import Money
from paydesk.core.pg_rules import KST, RefundCase, refund_refusal


def vbank_refund(now: datetime, pg: str = "ksnet") -> RefundCase:
    return RefundCase(pg=pg, pay_method="vbank", paid_at=datetime(2030, 1, 1, tzinfo=KST),
                      amount=Money(1_000), balance=Money(1_000), cancels_so_far=0,
                      reason="r", now=now, has_refund_account=True)  # fmt: skip


@pytest.mark.parametrize(
    ("now", "until"),
    [
        (datetime(2030, 1, 5, 23, 30, tzinfo=KST), datetime(2030, 1, 6, 6, tzinfo=KST)),
        (datetime(2030, 1, 5, 2, 15, tzinfo=KST), datetime(2030, 1, 5, 6, tzinfo=KST)),
        (datetime(2030, 1, 31, 23, 0, tzinfo=KST), datetime(2030, 2, 1, 6, tzinfo=KST)),
    ],
)
def test_ksnet_vbank_quiet_hours_hold_until_six(now: datetime, until: datetime) -> None:
    refused = refund_refusal(vbank_refund(now))
    assert refused is not None and refused.rule == "vbank_quiet_hours" and refused.later
    assert refused.until == until


def test_outside_the_quiet_hours_or_on_another_pg_nothing_holds() -> None:
    assert refund_refusal(vbank_refund(datetime(2030, 1, 5, 6, 0, tzinfo=KST))) is None
    assert refund_refusal(vbank_refund(datetime(2030, 1, 5, 22, 59, tzinfo=KST))) is None
    assert refund_refusal(vbank_refund(datetime(2030, 1, 5, 23, 30, tzinfo=KST), "nice")) is None


def card_refund(paid_at: datetime, now: datetime, pg: str = "ksnet") -> RefundCase:
    return RefundCase(pg=pg, pay_method="card", paid_at=paid_at, amount=Money(1_000),
                      balance=Money(1_000), cancels_so_far=0, reason="r", now=now)  # fmt: skip


def test_ksnet_cancels_only_within_six_months_of_the_payment() -> None:
    paid = datetime(2030, 1, 15, 10, 0, tzinfo=KST)
    within = [datetime(2030, 7, 15, 9, 59, tzinfo=KST), datetime(2030, 6, 30, tzinfo=KST)]
    for now in within:
        assert refund_refusal(card_refund(paid, now)) is None, now
    for now in (datetime(2030, 7, 15, 10, 0, tzinfo=KST), datetime(2030, 8, 1, tzinfo=KST)):
        refused = refund_refusal(card_refund(paid, now))
        assert refused is not None and refused.rule == "cancel_period" and not refused.later
    assert refund_refusal(card_refund(paid, datetime(2031, 1, 1, tzinfo=KST), "nice")) is None
