"""The window's pure rules: request reading, installments, callback shapes, webhook schedule."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from paydesk.emulator.delivery.schedule import after_attempt, first_due
from paydesk.emulator.gateway.merchants import DeliveryPolicy
from paydesk.emulator.gateway.records import AttemptRecord, Payment, WebhookRecord
from paydesk.emulator.window.confirm import refusal_reason
from paydesk.emulator.window.pay_request import (
    RequestError,
    emb_provider,
    installment_choices,
    page_kind,
    parse_vbank_due,
    read_request,
    stored_pay_method,
)
from paydesk.emulator.window.reply import Failure, pay_rsp, redirect_target

KST = timezone(timedelta(hours=9))


def test_request_defaults_and_unknown_keys_are_kept() -> None:
    request = read_request({"merchant_uid": "m1", "amount": 1000, "whatever": [1]})
    assert request.pay_method == "card" and request.currency == "KRW"
    assert request.raw["whatever"] == [1]
    assert read_request({"merchant_uid": "m", "amount": 5, "pg": "danal"}).pay_method == "phone"
    assert read_request({"merchant_uid": "m", "amount": 5, "pg": "paypal_v2"}).currency == "USD"


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"amount": 1000}, "merchant_uid"),
        ({"merchant_uid": "x" * 41, "amount": 1}, "40자"),
        ({"merchant_uid": "m"}, "amount"),
        ({"merchant_uid": "m", "amount": "1000"}, "숫자"),
        ({"merchant_uid": "m", "amount": True}, "숫자"),
        ({"merchant_uid": "m", "amount": -1}, "0 이상"),
    ],
)
def test_request_errors(data: dict, fragment: str) -> None:
    with pytest.raises(RequestError) as caught:
        read_request(data)
    assert fragment in caught.value.message


def test_notice_url_string_or_list() -> None:
    one = read_request({"merchant_uid": "m", "amount": 1, "notice_url": "http://a"})
    two = read_request({"merchant_uid": "m", "amount": 1, "notice_url": ["http://a", "http://b"]})
    assert one.notice_urls == ("http://a",) and two.notice_urls == ("http://a", "http://b")


def test_installment_choices() -> None:
    assert installment_choices(49999, None) == [0]
    assert installment_choices(50000, None) == [0, *range(2, 13)]
    assert installment_choices(50000, ()) == [0]
    request = read_request({"merchant_uid": "m", "amount": 1, "display": {"card_quota": [6, 3, 1]}})
    assert installment_choices(80000, request.card_quota) == [0, 3, 6]


def test_pages_and_stored_methods() -> None:
    assert page_kind("html5_inicis", "card") == "card"
    assert page_kind("kakaopay", "card") == "easy"
    assert page_kind("html5_inicis", "naverpay") == "easy"
    assert page_kind("mobilians", "card") == "phone"
    assert page_kind("html5_inicis", "cultureland") == "generic"
    assert emb_provider("html5_inicis", "naverpay_card") == "naverpay"
    assert emb_provider("kakaopay", "card") is None
    assert stored_pay_method("paypal_v2", "card") == "paypal"
    assert stored_pay_method("kcp", "samsungpay") == "samsung"


def test_vbank_due_formats() -> None:
    end_of_day = datetime(2030, 1, 2, 23, 59, 59, tzinfo=KST).timestamp()
    assert parse_vbank_due("2030-01-02", 0) == end_of_day
    assert parse_vbank_due("20300102", 0) == end_of_day
    at = datetime(2030, 1, 2, 15, 30, tzinfo=KST).timestamp()
    assert parse_vbank_due("2030-01-02 15:30:00", 0) == at
    assert parse_vbank_due("20300102153000", 0) == at
    now = int(datetime(2030, 1, 1, 10, 0, tzinfo=KST).timestamp())
    assert parse_vbank_due(None, now) == datetime(2030, 1, 4, 23, 59, 59, tzinfo=KST).timestamp()


def _payment(**fields: object) -> Payment:
    base = {"imp_uid": "imp_1", "merchant_uid": "m1", "amount": 1000, "imp_code": "imp00000001"}
    return Payment.model_validate({**base, **fields})


def test_rsp_for_paid_failed_and_refused() -> None:
    paid = pay_rsp(
        _payment(status="paid", pg_provider="kcp", custom_data='{"a": 1}'), merchant_uid="m1"
    )
    assert paid["success"] is True and paid["paid_amount"] == 1000
    assert paid["custom_data"] == {"a": 1} and paid["error_code"] is None
    failed = pay_rsp(_payment(status="failed", fail_reason="거절"), merchant_uid="m1")
    assert failed["success"] is False and failed["error_msg"] == "거절"
    assert failed["paid_amount"] == 0
    refused = pay_rsp(None, merchant_uid="m1", failure=Failure("F1", "no"))
    assert refused == {
        "success": False,
        "imp_success": False,
        "error_code": "F1",
        "error_msg": "no",
        "imp_uid": None,
        "merchant_uid": "m1",
    }
    vbank = pay_rsp(_payment(status="ready", vbank_num="123"), merchant_uid="m1")
    assert vbank["success"] is True and vbank["status"] == "ready"


def test_new_module_pgs_get_the_slim_rsp() -> None:
    ok = pay_rsp(_payment(status="paid", pg_provider="nice_v2"), merchant_uid="m1")
    assert ok == {"imp_uid": "imp_1", "merchant_uid": "m1"}
    bad = pay_rsp(
        _payment(status="failed", pg_provider="welcome", fail_reason="x"), merchant_uid="m1"
    )
    assert set(bad) == {"imp_uid", "merchant_uid", "error_code", "error_msg"}


def test_redirect_target_keeps_the_merchant_query() -> None:
    ok = redirect_target("https://shop.test/done?x=1", {"imp_uid": "imp_1", "merchant_uid": "m"})
    assert ok == "https://shop.test/done?x=1&imp_uid=imp_1&merchant_uid=m&imp_success=true"
    bad = redirect_target(
        "https://shop.test/done",
        {"imp_uid": None, "merchant_uid": "m", "error_code": "F1", "error_msg": "안 됨"},
    )
    assert bad == (
        "https://shop.test/done?merchant_uid=m&imp_success=false&error_code=F1"
        "&error_msg=%EC%95%88+%EB%90%A8"
    )


def test_confirm_refusal_reason() -> None:
    assert refusal_reason(200, "anything") is None
    assert (
        refusal_reason(409, '{"reason": "품절"}')
        == "고객사 요청에 의해 결제를 중단합니다. (상세사유 : 품절)"
    )
    unknown = "고객사 요청에 의해 결제를 중단합니다. (상세사유 : 알 수 없음)"
    assert refusal_reason(500, "not json") == unknown
    assert refusal_reason(None, None) == unknown
    assert refusal_reason(400, '{"reason": ""}') == unknown


def _record(*attempts: AttemptRecord) -> WebhookRecord:
    return WebhookRecord(
        id="wh_1",
        imp_code="imp00000001",
        url="http://x",
        payload={},
        event="paid",
        created_at=0,
        attempts=list(attempts),
    )


def test_schedule_once_and_retry() -> None:
    rng = random.Random(1)
    once = DeliveryPolicy()
    assert (
        after_attempt(once, _record(AttemptRecord(at=0, status=500)), 500, None, 10, rng).state
        == "failed"
    )
    retry = DeliveryPolicy(mode="retry", max_retries=2, retry_interval=60)
    step = after_attempt(retry, _record(AttemptRecord(at=0, status=503)), 503, None, 10, rng)
    assert step.state == "pending" and step.next_at == 70
    network = after_attempt(retry, _record(AttemptRecord(at=0, error="x")), None, "x", 10, rng)
    assert network.state == "pending"
    assert (
        after_attempt(retry, _record(AttemptRecord(at=0, status=404)), 404, None, 10, rng).state
        == "failed"
    )
    three = _record(*(AttemptRecord(at=0, status=500) for _ in range(3)))
    assert after_attempt(retry, three, 500, None, 10, rng).state == "failed"
    assert (
        after_attempt(retry, _record(AttemptRecord(at=0, status=204)), 204, None, 10, rng).state
        == "delivered"
    )


def test_schedule_delay_jitter_and_duplicates() -> None:
    rng = random.Random(7)
    policy = DeliveryPolicy(delay=5, jitter=2, duplicate_probability=1)
    due = first_due(policy, 100, rng)
    assert 105 <= due <= 107
    step = after_attempt(policy, _record(AttemptRecord(at=0, status=200)), 200, None, 10, rng)
    assert step.state == "delivered" and step.duplicate_at is not None
    again = _record(
        AttemptRecord(at=0, status=200), AttemptRecord(at=1, status=200, duplicate=True)
    )
    assert after_attempt(policy, again, 200, None, 10, rng).duplicate_at is None
