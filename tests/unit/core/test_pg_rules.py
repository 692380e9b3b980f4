"""PG rules checked before a cancel: quiet hours name when they end; refund accounts and
the holder's phone (refund_tel) where a PG needs them."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paydesk.core.money import Money
from paydesk.core.pg_rules import KST, REFUND_TEL_PATTERN, RefundCase, domestic_tel, refund_refusal


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


def refund(pg: str, pay_method: str, *, account: bool = False, tel: bool = False) -> RefundCase:
    return RefundCase(pg=pg, pay_method=pay_method, paid_at=datetime(2030, 1, 1, tzinfo=KST),
                      amount=Money(1_000), balance=Money(1_000), cancels_so_far=0, reason="r",
                      now=datetime(2030, 1, 2, 12, tzinfo=KST), has_refund_account=account,
                      has_refund_tel=tel)  # fmt: skip


def rule(case: RefundCase) -> str | None:
    refused = refund_refusal(case)
    assert refused is None or refused.needs_input, refused
    return None if refused is None else refused.rule


@pytest.mark.parametrize("pay_method", ["card", "trans", "vbank", "phone"])
def test_smartro_needs_refund_tel_with_every_cancel(pay_method: str) -> None:
    """The spec's per-PG note: refund_tel is required for smartro (old module), whatever
    was paid; a virtual account's refund needs its account first."""
    account = pay_method == "vbank"
    assert rule(refund("smartro", pay_method, account=account)) == "refund_tel"
    assert rule(refund("smartro", pay_method, account=account, tel=True)) is None
    if account:
        assert rule(refund("smartro", pay_method, tel=True)) == "refund_account"


@pytest.mark.parametrize("pay_method", ["trans", "vbank"])
def test_smartro_v2_pays_transfer_and_vbank_refunds_into_an_account_with_a_phone(
    pay_method: str,
) -> None:
    assert rule(refund("smartro_v2", pay_method)) == "refund_account"
    assert rule(refund("smartro_v2", pay_method, account=True)) == "refund_tel"
    assert rule(refund("smartro_v2", pay_method, account=True, tel=True)) is None
    assert rule(refund("smartro_v2", "card")) is None


def test_elsewhere_only_a_virtual_account_needs_an_account_and_no_phone() -> None:
    assert rule(refund("nice", "trans")) is None and rule(refund("kcp", "card")) is None
    assert rule(refund("nice", "vbank")) == "refund_account"
    assert rule(refund("nice", "vbank", account=True)) is None


@pytest.mark.parametrize(("raw", "domestic"), [
    ("010-1234-5678", "010-1234-5678"), (" 010 1234 5678 ", "01012345678"),
    ("+82-10-1234-5678", "010-1234-5678"), ("+821012345678", "01012345678"),
    ("+82 2-123-4567", "02-123-4567"), ("0082 31 1234 5678", "03112345678"),
    ("+82 (0)10-1234-5678", "010-1234-5678"), ("+82-010-1234-5678", "010-1234-5678"),
    ("+1-212-555-0100", "+1-212-555-0100"), ("1588-1234", "1588-1234"), ("", ""),
])  # fmt: skip
def test_a_phone_is_written_the_domestic_way(raw: str, domestic: str) -> None:
    assert domestic_tel(raw) == domestic


@given(
    st.from_regex(REFUND_TEL_PATTERN, fullmatch=True),
    st.sampled_from(["+82", "+82-", "+82 ", "0082-", "+82 (0)"]),
)
def test_a_korean_phone_reads_the_same_with_the_country_code(tel: str, code: str) -> None:
    """A phone that passes the pattern is left as it is, and written after the country
    code (its leading 0 dropped, or kept after "(0)") it comes back the same. (No area
    code or mobile prefix starts 00: after +82 a 0 is the leading 0 written twice.)"""
    assert domestic_tel(tel) == tel
    if tel.startswith("0") and tel[1] not in "0-":
        assert domestic_tel(code + (tel if code.endswith("(0)") else tel[1:])) == tel
