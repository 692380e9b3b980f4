"""The cancel rules as pure functions: which rule refuses, why, and what gets booked."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from paydesk.emulator.gateway import Gateway
from paydesk.emulator.gateway.clock import Clock
from paydesk.emulator.gateway.errors import ApiFault
from paydesk.emulator.gateway.merchants import DEFAULT_MERCHANTS
from paydesk.emulator.gateway.records import Payment
from paydesk.emulator.gateway.refunds import (
    CancelRequest,
    cancel_payment,
    plan_cancel,
    refusal,
    remaining_tax_free,
    remaining_vat,
)

SEOUL = timezone(timedelta(hours=9))  # written out, so a wrong KST in the code shows


def kst(*parts: int) -> int:
    return int(datetime(*parts, tzinfo=SEOUL).timestamp())


PAID_AT = kst(2025, 3, 10, 12, 0)
SAME_MONTH = kst(2025, 3, 20, 12, 0)
ACCOUNT = {"refund_holder": "홍길동", "refund_bank": "04", "refund_account": "1234567890"}


def paid(**fields: Any) -> Payment:
    base: dict[str, Any] = {
        "imp_uid": "imp_100000000001",
        "merchant_uid": "order_1",
        "amount": 10000,
        "status": "paid",
        "paid_at": PAID_AT,
        "started_at": PAID_AT,
        "pg_provider": "html5_inicis",
        "pg_tid": "tid_1",
        "pay_method": "card",
        "imp_code": "imp00000001",
    }
    return Payment(**{**base, **fields})


def refused_by(payment: Payment, now: int = SAME_MONTH, **request: Any) -> str | None:
    found = refusal(payment, CancelRequest(**request), now)
    return None if found is None else found.rule


# -- amounts -------------------------------------------------------------------------
def test_absent_or_zero_amount_means_the_whole_remaining_balance() -> None:
    payment = paid(cancel_amount=4000)
    for request in (CancelRequest(), CancelRequest(amount=0)):
        plan = plan_cancel(payment, request)
        assert plan.amount == 6000 and plan.empties and plan.partial


def test_partial_cancel_plan_takes_no_tax_free_and_one_eleventh_as_vat() -> None:
    plan = plan_cancel(paid(tax_free=2000), CancelRequest(amount=1100))
    assert (plan.amount, plan.tax_free, plan.vat_amount) == (1100, 0, 100)
    assert not plan.empties and plan.partial


def test_full_cancel_plan_takes_what_is_left_of_tax_free_and_vat() -> None:
    plan = plan_cancel(paid(amount=12000, tax_free=1000), CancelRequest())
    assert (plan.amount, plan.tax_free, plan.vat_amount) == (12000, 1000, 1000)
    assert plan.empties and not plan.partial


def test_remaining_tax_parts_follow_the_cancel_history() -> None:
    gateway, payment = booked(amount=12000, tax_free=1000)
    cancel_payment(gateway, payment, CancelRequest(amount=5400, tax_free=500, vat_amount=400))
    assert remaining_tax_free(payment) == 500
    assert remaining_vat(payment) == 1000 - 400


# -- which rule refuses --------------------------------------------------------------------
def test_a_plain_card_cancel_is_allowed() -> None:
    assert refused_by(paid()) is None
    assert refused_by(paid(), amount=1000, checksum=10000, reason="고객 요청") is None


def test_fully_cancelled_payment_is_refused_with_the_server_text() -> None:
    payment = paid(status="cancelled", cancel_amount=10000)
    found = refusal(payment, CancelRequest(), SAME_MONTH)
    assert found is not None and found.message == "이미 전액취소된 주문입니다."


def test_partly_cancelled_payment_can_be_cancelled_further() -> None:
    assert refused_by(paid(status="cancelled", cancel_amount=3000), amount=7000) is None


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"status": "failed", "paid_at": 0}, "결제실패"),
        ({"status": "ready", "paid_at": 0}, "결제완료되지 않은"),
        ({"status": "ready", "paid_at": 0, "pay_method": "vbank", "vbank_num": "T123"}, "가상계좌"),
    ],
)
def test_unpaid_payments_cannot_be_cancelled(fields: dict[str, Any], needle: str) -> None:
    found = refusal(paid(**fields), CancelRequest(), SAME_MONTH)
    assert found is not None and found.rule == "not_paid"
    assert found.message.startswith("결제취소에 실패하였습니다.(") and needle in found.message


def test_naverpay_needs_a_reason_and_a_known_requester() -> None:
    naver = paid(pg_provider="naverpay", pay_method="naverpay")
    assert refused_by(naver) == "reason"
    assert refused_by(naver, reason="단순 변심") is None
    assert refused_by(naver, reason="단순 변심", extra={"requester": "customer"}) is None
    assert refused_by(naver, reason="단순 변심", extra={"requester": "robot"}) == "reason"


def test_checksum_must_equal_the_refundable_balance() -> None:
    payment = paid(status="cancelled", cancel_amount=1000)
    assert refused_by(payment, checksum=10000) == "checksum"
    assert refused_by(payment, checksum=9000) is None
    assert refused_by(payment, checksum=None) is None


def test_amount_above_the_refundable_balance_is_refused() -> None:
    payment = paid(status="cancelled", cancel_amount=3000)
    assert refused_by(payment, amount=7001) == "amount"
    assert refused_by(payment, amount=7000) is None


def test_tax_free_is_bounded_by_what_is_left_and_by_the_cancel() -> None:
    payment = paid(tax_free=2000)
    assert refused_by(payment, amount=5000, tax_free=2001) == "tax_free"
    assert refused_by(paid(tax_free=9000), amount=1000, tax_free=1500) == "tax_free"
    assert refused_by(payment, amount=5000, tax_free=2000) is None


def test_taxable_part_of_a_cancel_cannot_exceed_the_taxable_part_left() -> None:
    fully_tax_free = paid(tax_free=10000)
    assert refused_by(fully_tax_free, amount=1000) == "tax_free"
    assert refused_by(fully_tax_free, amount=1000, tax_free=1000) is None
    assert refused_by(paid(tax_free=3000), tax_free=1000) == "tax_free"  # full, tax-free short


def test_pgs_that_do_not_zero_tax_free_require_it_for_tax_free_payments() -> None:
    assert refused_by(paid(pg_provider="kcp", tax_free=1000), amount=500) == "tax_free"
    assert refused_by(paid(pg_provider="kcp", tax_free=1000), amount=500, tax_free=0) is None
    assert refused_by(paid(pg_provider="kcp"), amount=500) is None
    smartro = paid(pg_provider="smartro_v2", tax_free=1000)
    assert refused_by(smartro, amount=500) == "tax_free"
    assert refused_by(smartro) is None  # the full cancel takes all tax-free money


def test_vat_amount_is_ignored_where_the_pg_does_not_take_it() -> None:
    # §2.3 lists the PGs that take it; elsewhere the parameter is unused, never refused
    kcp = paid(pg_provider="kcp")
    assert refused_by(kcp, amount=1100, vat_amount=100) is None
    assert refused_by(kcp, amount=1100, vat_amount=5000) is None  # not even bounded
    plan = plan_cancel(kcp, CancelRequest(amount=1100, vat_amount=7))
    assert plan.vat_amount == 100  # 1/11 of the cancelled part, as without it
    assert refused_by(paid(pg_provider="nice"), amount=1100, vat_amount=100) is None
    assert refused_by(paid(pg_provider="nice"), amount=1100, vat_amount=5000) == "vat_amount"


def test_vat_amount_is_required_when_the_payment_set_vat_explicitly() -> None:
    explicit = paid(vat_amount=500, vat_explicit=True)
    assert refused_by(explicit, amount=1100) == "vat_amount"
    assert refused_by(explicit, amount=1100, vat_amount=50) is None
    assert refused_by(explicit, amount=1100, vat_amount=501) == "vat_amount"
    assert refused_by(explicit, amount=100, vat_amount=200) == "vat_amount"
    toss = paid(pg_provider="tosspay_v2", vat_amount=500, vat_explicit=True)
    assert refused_by(toss, amount=1100) == "vat_amount"
    assert refused_by(toss) is None  # only partial cancels need it there


def test_vbank_refunds_need_the_refund_account() -> None:
    vbank = paid(pay_method="vbank", vbank_num="T1234")
    assert refused_by(vbank) == "refund_account"
    assert refused_by(vbank, refund_holder="홍길동", refund_bank="04") == "refund_account"
    assert refused_by(vbank, **ACCOUNT) is None
    assert refused_by(paid(pay_method="trans")) is None


def test_smartro_needs_refund_tel_and_smartro_v2_also_for_transfers() -> None:
    assert refused_by(paid(pg_provider="smartro")) == "refund_tel"
    assert refused_by(paid(pg_provider="smartro"), refund_tel="01012345678") is None
    trans = paid(pg_provider="smartro_v2", pay_method="trans")
    assert refused_by(trans) == "refund_account"
    assert refused_by(trans, **ACCOUNT) == "refund_tel"
    assert refused_by(trans, **ACCOUNT, refund_tel="01012345678") is None


def test_phone_payments_only_in_the_month_paid_in_korean_time() -> None:
    phone = paid(pg_provider="danal", pay_method="phone", paid_at=kst(2025, 3, 31, 22, 0))
    assert refused_by(phone, now=kst(2025, 3, 31, 23, 59)) is None
    # 2025-04-01 00:30 KST is still March 31 in UTC: the Korean month counts.
    assert refused_by(phone, now=kst(2025, 4, 1, 0, 30)) == "phone_month"


def test_kcp_phone_refund_next_month_needs_a_refund_account() -> None:
    phone = paid(pg_provider="kcp", pay_method="phone")
    next_month = kst(2025, 4, 2, 10, 0)
    assert refused_by(phone, now=next_month) == "phone_month"
    assert refused_by(phone, now=next_month, **ACCOUNT) is None


def test_phone_partial_cancel_only_on_inicis_and_kcp() -> None:
    assert refused_by(paid(pg_provider="danal", pay_method="phone"), amount=1000) == (
        "phone_partial"
    )
    assert refused_by(paid(pg_provider="danal", pay_method="phone")) is None
    assert refused_by(paid(pg_provider="html5_inicis", pay_method="phone"), amount=1000) is None
    assert refused_by(paid(pg_provider="kcp", pay_method="phone"), amount=1000) is None
    assert refused_by(paid(pg_provider="ksnet", pay_method="phone"), amount=1000) == (
        "phone_partial"
    )


def test_ksnet_allows_at_most_nine_partial_cancels() -> None:
    gateway, payment = booked(pg="ksnet")
    for _ in range(9):
        cancel_payment(gateway, payment, CancelRequest(amount=100))
    assert refused_by(payment, now=gateway.now(), amount=100) == "partial_limit"
    # what is left is a tenth partial cancel too (less than the amount paid): refused
    assert refused_by(payment, now=gateway.now()) == "partial_limit"
    assert refused_by(payment, now=gateway.now(), amount=payment.balance) == "partial_limit"


def test_ksnet_takes_a_whole_cancel_with_no_partial_before() -> None:
    gateway, payment = booked(pg="ksnet")
    assert refused_by(payment, now=gateway.now()) is None


def test_ksnet_cancels_only_within_six_months() -> None:
    ksnet = paid(pg_provider="ksnet")
    assert refused_by(ksnet, now=kst(2025, 9, 10, 11, 0)) is None
    assert refused_by(ksnet, now=kst(2025, 9, 10, 12, 0)) == "cancel_period"
    assert refused_by(ksnet, now=kst(2025, 10, 1, 0, 0)) == "cancel_period"


def test_ksnet_vbank_refunds_not_at_night() -> None:
    vbank = paid(pg_provider="ksnet", pay_method="vbank", vbank_num="T1")
    assert refused_by(vbank, now=kst(2025, 3, 20, 23, 30), **ACCOUNT) == "vbank_quiet_hours"
    assert refused_by(vbank, now=kst(2025, 3, 20, 5, 59), **ACCOUNT) == "vbank_quiet_hours"
    assert refused_by(vbank, now=kst(2025, 3, 20, 6, 0), **ACCOUNT) is None


# -- the shell on an in-memory gateway -----------------------------------------------------------
def booked(pg: str = "html5_inicis", **fields: Any) -> tuple[Gateway, Payment]:
    gateway = Gateway(
        [m.model_copy(deep=True) for m in DEFAULT_MERCHANTS], clock=Clock(lambda: SAME_MONTH)
    )
    merchant = gateway.merchant("imp00000001")
    channel = merchant.pick(pg, "payment")
    assert channel is not None
    payment = gateway.start_payment(
        merchant, channel, merchant_uid="order_1", amount=fields.pop("amount", 10000), **fields
    )
    gateway.approve(payment)
    return gateway, payment


def cancel_webhooks(gateway: Gateway) -> list[dict[str, Any]]:
    return [w.payload for w in gateway.state.webhooks if w.payload["status"] == "cancelled"]


def test_cancel_books_an_entry_and_marks_the_payment_cancelled_even_when_partial() -> None:
    gateway, payment = booked()
    cancel_payment(gateway, payment, CancelRequest(amount=3000, reason="부분 환불"))
    assert payment.status == "cancelled" and payment.cancel_amount == 3000
    assert payment.cancelled_at == SAME_MONTH and payment.cancel_reason == "부분 환불"
    [entry] = payment.cancel_history
    assert entry.amount == 3000 and entry.source == "api" and entry.reason == "부분 환불"
    assert entry.cancellation_id.startswith("cancel_") and entry.pg_tid != payment.pg_tid


def test_refused_cancel_changes_nothing() -> None:
    gateway, payment = booked()
    before = payment.model_dump()
    with pytest.raises(ApiFault) as caught:
        cancel_payment(gateway, payment, CancelRequest(amount=1000, checksum=9999))
    assert caught.value.http_status == 200 and caught.value.code == 1
    assert payment.model_dump() == before


def test_console_cancels_always_announce() -> None:
    gateway, payment = booked()
    payment.uses_webhook = False
    cancel_payment(gateway, payment, CancelRequest(amount=1000), source="console")
    [payload] = cancel_webhooks(gateway)
    assert payload["cancellation_id"] == payment.cancel_history[0].cancellation_id
    assert payment.cancel_history[0].source == "console"


def test_api_cancels_announce_only_when_asked_and_the_payment_used_webhooks() -> None:
    gateway, payment = booked()
    cancel_payment(gateway, payment, CancelRequest(amount=1000))
    assert cancel_webhooks(gateway) == []
    cancel_payment(gateway, payment, CancelRequest(amount=1000, enable_webhook=True))
    assert len(cancel_webhooks(gateway)) == 1
    payment.uses_webhook = False
    cancel_payment(gateway, payment, CancelRequest(amount=1000, enable_webhook=True))
    assert len(cancel_webhooks(gateway)) == 1
