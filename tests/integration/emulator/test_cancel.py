"""POST /payments/cancel over real HTTP: targets, partial and full refunds, every refusal."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.support.emulator import EmulatorClient, seed

SEOUL = timezone(timedelta(hours=9))
ACCOUNT = {"refund_holder": "홍길동", "refund_bank": "04", "refund_account": "1234567890"}
FAILED = "결제취소에 실패하였습니다.("


def body(answer: Any) -> dict[str, Any]:
    payload: dict[str, Any] = answer.json()
    return payload


def cancel(emu: EmulatorClient, **request: Any) -> dict[str, Any]:
    answer = emu.post("/payments/cancel", json=request)
    assert answer.status_code == 200, answer.text  # every cancel answer is HTTP 200 (§4.10)
    return body(answer)


def refused(emu: EmulatorClient, needle: str = FAILED, **request: Any) -> str:
    payload = cancel(emu, **request)
    assert payload["code"] == 1 and payload["response"] is None, payload
    assert needle in payload["message"], payload["message"]
    message: str = payload["message"]
    return message


def current(emu: EmulatorClient, imp_uid: str) -> dict[str, Any]:
    payment: dict[str, Any] = body(emu.get(f"/payments/{imp_uid}"))["response"]
    return payment


def cancel_hooks(emu: EmulatorClient, imp_uid: str) -> list[dict[str, Any]]:
    return [w for w in emu.webhooks(imp_uid) if w["payload"]["status"] == "cancelled"]


# -- target ---------------------------------------------------------------------------------
def test_without_target_the_message_asks_for_one(emu: EmulatorClient) -> None:
    message = refused(emu, needle="지정해주셔야합니다.", amount=1000)
    assert message.endswith("지정해주셔야합니다.")


def test_unknown_target_is_code_1(emu: EmulatorClient) -> None:
    for request in ({"imp_uid": "imp_999999999999"}, {"merchant_uid": "no_such_order"}):
        payload = cancel(emu, **request)
        assert payload == {
            "code": 1,
            "message": "취소할 결제건이 존재하지 않습니다.",
            "response": None,
        }


def test_unknown_imp_uid_fails_even_with_a_valid_merchant_uid(emu: EmulatorClient) -> None:
    payment = seed(emu, merchant_uid="order_real")
    refused(
        emu, needle="취소할 결제건이 존재하지 않습니다.", imp_uid="imp_999999999999",
        merchant_uid="order_real",
    )  # fmt: skip
    assert current(emu, payment["imp_uid"])["status"] == "paid"


def test_another_merchants_payment_cannot_be_cancelled(emu: EmulatorClient) -> None:
    theirs = seed(emu, imp_code="imp00000002")
    refused(emu, needle="취소할 결제건이 존재하지 않습니다.", imp_uid=theirs["imp_uid"])


def test_merchant_uid_picks_the_paid_attempt(emu: EmulatorClient) -> None:
    now = emu.now()
    seed(emu, merchant_uid="order_m", status="failed", started_at=now - 30)
    paid = seed(emu, merchant_uid="order_m", started_at=now - 20)
    seed(emu, merchant_uid="order_m", status="ready", started_at=now - 10)
    payload = cancel(emu, merchant_uid="order_m", amount=1000)
    assert payload["code"] == 0 and payload["response"]["imp_uid"] == paid["imp_uid"]
    payload = cancel(emu, merchant_uid="order_m")
    assert payload["response"]["imp_uid"] == paid["imp_uid"]
    refused(emu, needle="이미 전액취소된 주문입니다.", merchant_uid="order_m")


# -- amounts ---------------------------------------------------------------------------------
def test_full_cancel(emu: EmulatorClient) -> None:
    payment = seed(emu, amount=25000)
    payload = cancel(emu, imp_uid=payment["imp_uid"], reason="주문 취소")
    assert payload["code"] == 0 and payload["message"] is None
    refunded = payload["response"]
    assert refunded["status"] == "cancelled" and refunded["cancel_amount"] == 25000
    assert refunded["cancel_reason"] == "주문 취소" and refunded["cancelled_at"] > 0
    [entry] = refunded["cancel_history"]
    assert entry["amount"] == 25000 and entry["reason"] == "주문 취소"
    assert entry["cancellation_id"] and entry["pg_tid"] and entry["receipt_url"]
    assert refunded["cancel_receipt_urls"] == [entry["receipt_url"]]
    assert current(emu, payment["imp_uid"]) == refunded


def test_partial_then_full_cancel(emu: EmulatorClient) -> None:
    payment = seed(emu, amount=10000)
    first = cancel(emu, imp_uid=payment["imp_uid"], amount=3000, checksum=10000)["response"]
    assert first["status"] == "cancelled" and first["cancel_amount"] == 3000
    second = cancel(emu, imp_uid=payment["imp_uid"], amount=0, checksum=7000)["response"]
    assert second["cancel_amount"] == 10000
    assert [e["amount"] for e in second["cancel_history"]] == [3000, 7000]
    ids = {e["cancellation_id"] for e in second["cancel_history"]}
    assert len(ids) == 2
    payload = cancel(emu, imp_uid=payment["imp_uid"])
    assert payload == {"code": 1, "message": "이미 전액취소된 주문입니다.", "response": None}


def test_amount_above_balance_is_refused(emu: EmulatorClient) -> None:
    payment = seed(emu, amount=10000)
    cancel(emu, imp_uid=payment["imp_uid"], amount=4000)
    refused(emu, imp_uid=payment["imp_uid"], amount=6001)
    assert current(emu, payment["imp_uid"])["cancel_amount"] == 4000


def test_checksum_mismatch_cancels_nothing(emu: EmulatorClient) -> None:
    payment = seed(emu, amount=10000)
    cancel(emu, imp_uid=payment["imp_uid"], amount=1000)
    before = current(emu, payment["imp_uid"])
    message = refused(emu, imp_uid=payment["imp_uid"], amount=1000, checksum=10000)
    assert "9000" in message
    assert current(emu, payment["imp_uid"]) == before
    ok = cancel(emu, imp_uid=payment["imp_uid"], amount=1000, checksum=9000)
    assert ok["code"] == 0 and ok["response"]["cancel_amount"] == 2000


def test_invalid_parameters_are_code_1_on_http_200(emu: EmulatorClient) -> None:
    payment = seed(emu)
    refused(emu, needle="amount", imp_uid=payment["imp_uid"], amount="lots")
    refused(emu, needle="amount", imp_uid=payment["imp_uid"], amount=-5)
    refused(emu, needle="refund_bank", imp_uid=payment["imp_uid"], refund_bank="12345")


# -- states ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"status": "failed"}, "결제실패"),
        ({"status": "ready"}, "결제완료되지 않은"),
        ({"status": "ready", "pay_method": "vbank"}, "가상계좌"),
    ],
)
def test_unpaid_payments_cannot_be_cancelled(
    emu: EmulatorClient, fields: dict[str, Any], needle: str
) -> None:
    payment = seed(emu, **fields)
    refused(emu, needle=needle, imp_uid=payment["imp_uid"])
    assert current(emu, payment["imp_uid"])["status"] == fields["status"]


# -- tax split -------------------------------------------------------------------------------
def test_tax_free_is_bounded_by_what_is_left(emu: EmulatorClient) -> None:
    payment = seed(emu, amount=10000, tax_free=1500)
    ok = cancel(emu, imp_uid=payment["imp_uid"], amount=2000, tax_free=1000)
    assert ok["code"] == 0
    refused(emu, needle="면세", imp_uid=payment["imp_uid"], amount=2000, tax_free=1000)
    assert cancel(emu, imp_uid=payment["imp_uid"], amount=2000, tax_free=500)["code"] == 0


def test_vat_amount_only_where_the_pg_takes_it(emu: EmulatorClient) -> None:
    kcp = seed(emu, pg="kcp", amount=11000)
    ignored = cancel(emu, imp_uid=kcp["imp_uid"], amount=1100, vat_amount=100)
    assert ignored["code"] == 0 and ignored["response"]["cancel_amount"] == 1100
    nice = seed(emu, pg="nice", amount=11000)
    assert cancel(emu, imp_uid=nice["imp_uid"], amount=1100, vat_amount=100)["code"] == 0


def test_vat_amount_required_after_explicit_vat_and_bounded(emu: EmulatorClient) -> None:
    payment = seed(emu, pg="html5_inicis", amount=11000, vat_amount=1000)
    refused(emu, needle="vat_amount", imp_uid=payment["imp_uid"], amount=5500)
    assert cancel(emu, imp_uid=payment["imp_uid"], amount=5500, vat_amount=600)["code"] == 0
    refused(emu, needle="부가세", imp_uid=payment["imp_uid"], amount=5500, vat_amount=401)
    assert cancel(emu, imp_uid=payment["imp_uid"], amount=5500, vat_amount=400)["code"] == 0


# -- refund accounts and PG rules ------------------------------------------------------------
def test_vbank_refund_needs_the_refund_account(emu: EmulatorClient) -> None:
    payment = seed(emu, pay_method="vbank", amount=30000)
    assert payment["status"] == "paid"
    message = refused(emu, imp_uid=payment["imp_uid"], refund_holder="홍길동")
    assert "refund_bank" in message and "refund_account" in message
    payload = cancel(emu, imp_uid=payment["imp_uid"], **ACCOUNT)
    assert payload["code"] == 0 and payload["response"]["cancel_amount"] == 30000


def test_smartro_needs_refund_tel(emu: EmulatorClient) -> None:
    payment = seed(emu, pg="smartro")
    refused(emu, needle="refund_tel", imp_uid=payment["imp_uid"])
    assert cancel(emu, imp_uid=payment["imp_uid"], refund_tel="01012345678")["code"] == 0


def test_naverpay_needs_a_reason_and_takes_extra_as_form(emu: EmulatorClient) -> None:
    payment = seed(emu, pg="naverpay")
    refused(emu, needle="reason", imp_uid=payment["imp_uid"])
    form = {"imp_uid": payment["imp_uid"], "reason": "단순 변심", "extra[requester]": "customer"}
    answer = emu.post("/payments/cancel/", data=form)
    assert answer.status_code == 200 and body(answer)["code"] == 0


def test_ksnet_allows_nine_partial_cancels(emu: EmulatorClient) -> None:
    payment = seed(emu, pg="ksnet", amount=10000)
    for _ in range(9):
        assert cancel(emu, imp_uid=payment["imp_uid"], amount=100)["code"] == 0
    refused(emu, needle="9회", imp_uid=payment["imp_uid"], amount=100)
    # the remaining 9,100 cannot be cancelled either: it would be the tenth partial cancel
    refused(emu, needle="9회", imp_uid=payment["imp_uid"])


def test_phone_payments_only_in_the_month_paid(emu: EmulatorClient) -> None:
    april_first = datetime(2025, 4, 1, 1, 0, tzinfo=SEOUL).timestamp()
    emu.control("POST", "/clock/set", json={"timestamp": april_first})
    march = int(datetime(2025, 3, 31, 22, 0, tzinfo=SEOUL).timestamp())
    last_month = seed(emu, pay_method="phone", pg="danal", paid_at=march)
    this_month = seed(emu, pay_method="phone", pg="danal")
    refused(emu, needle="휴대폰", imp_uid=last_month["imp_uid"])
    refused(emu, needle="부분취소", imp_uid=this_month["imp_uid"], amount=1000)
    assert cancel(emu, imp_uid=this_month["imp_uid"])["code"] == 0
    kcp = seed(emu, pay_method="phone", pg="kcp", paid_at=march)
    refused(emu, needle="refund_account", imp_uid=kcp["imp_uid"])
    assert cancel(emu, imp_uid=kcp["imp_uid"], **ACCOUNT)["code"] == 0


# -- webhooks ------------------------------------------------------------------------------
def test_api_cancel_sends_no_webhook_by_default(emu: EmulatorClient) -> None:
    payment = seed(emu)
    assert [w["payload"]["status"] for w in emu.webhooks(payment["imp_uid"])] == ["paid"]
    cancel(emu, imp_uid=payment["imp_uid"], amount=1000)
    assert cancel_hooks(emu, payment["imp_uid"]) == []


def test_enable_webhook_announces_the_cancellation(emu: EmulatorClient) -> None:
    payment = seed(emu)
    refunded = cancel(emu, imp_uid=payment["imp_uid"], amount=1000, enable_webhook=True)
    [hook] = cancel_hooks(emu, payment["imp_uid"])
    assert hook["payload"] == {
        "imp_uid": payment["imp_uid"],
        "merchant_uid": payment["merchant_uid"],
        "status": "cancelled",
        "cancellation_id": refunded["response"]["cancel_history"][0]["cancellation_id"],
    }


def test_enable_webhook_is_silent_for_payments_without_webhooks(emu: EmulatorClient) -> None:
    payment = seed(emu, uses_webhook=False)
    cancel(emu, imp_uid=payment["imp_uid"], amount=1000, enable_webhook=True)
    assert cancel_hooks(emu, payment["imp_uid"]) == []
