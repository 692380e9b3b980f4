"""Key-in (``onetime``/``foreign``) and billing-key (``again``) payments over real HTTP."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from paydesk.bootstrap import build_emulator
from tests.support.emulator import EmulatorClient
from tests.support.servers import serve

APPROVE = "4111-1111-1111-1111"
DECLINE = "4000-0000-0000-0002"
INSUFFICIENT = "4000-0000-0000-9995"
HANG = "4000-0000-0000-0259"


def order_id() -> str:
    return f"order_{uuid.uuid4().hex[:12]}"


def onetime(emu: EmulatorClient, path: str = "/subscribe/payments/onetime", **fields: Any) -> dict:
    body = {
        "merchant_uid": order_id(),
        "amount": 10000,
        "card_number": APPROVE,
        "expiry": "2030-12",
        "birth": "900101",
        "pwd_2digit": "00",
        "pg": "nice",
        "name": "테스트 상품",
        "buyer_name": "홍길동",
        **fields,
    }
    answer = emu.post(path, json={k: v for k, v in body.items() if v is not None})
    assert answer.status_code == 200, answer.text
    result: dict = answer.json()
    return result


def attempts(emu: EmulatorClient, merchant_uid: str) -> list[dict]:
    answer = emu.get(f"/payments/findAll/{merchant_uid}")
    if answer.status_code == 404:
        return []
    assert answer.status_code == 200, answer.text
    found: list[dict] = answer.json()["response"]["list"]
    return found


def test_approved_card_gives_a_paid_api_payment_and_a_paid_webhook(emu: EmulatorClient) -> None:
    body = onetime(emu, amount=15000, notice_url="http://127.0.0.1:9/hook")
    assert body["code"] == 0 and body["message"] is None
    payment = body["response"]
    assert payment["status"] == "paid"
    assert payment["amount"] == 15000
    assert payment["channel"] == "api" and payment["pay_method"] == "card"
    assert payment["pg_provider"] == "nice"
    assert payment["card_name"] == "신한카드" and payment["card_code"] == "366"
    assert payment["card_number"] == "411111******1111"
    assert payment["card_quota"] == 0
    assert payment["apply_num"] and payment["pg_tid"]
    assert payment["customer_uid"] is None and payment["customer_uid_usage"] is None
    assert payment["paid_at"] >= emu.now() - 5
    hooks = emu.webhooks(payment["imp_uid"])
    assert [(h["payload"]["status"], h["url"]) for h in hooks] == [
        ("paid", "http://127.0.0.1:9/hook")
    ]
    stored = emu.get(f"/payments/{payment['imp_uid']}").json()["response"]
    assert stored["status"] == "paid"


@pytest.mark.parametrize(
    ("card", "reason_part"),
    [(DECLINE, "승인 거절"), (INSUFFICIENT, "잔액이 부족")],
)
def test_refused_card_is_code_0_with_a_failed_payment_and_no_webhook(
    emu: EmulatorClient, card: str, reason_part: str
) -> None:
    body = onetime(emu, card_number=card)
    assert body["code"] == 0
    payment = body["response"]
    assert payment["status"] == "failed"
    assert reason_part in payment["fail_reason"]
    assert payment["failed_at"] > 0 and payment["paid_at"] == 0
    assert emu.webhooks(payment["imp_uid"]) == []


def test_expired_card_fails_the_payment_with_a_pg_reason(emu: EmulatorClient) -> None:
    payment = onetime(emu, expiry="2020-01")["response"]
    assert payment["status"] == "failed"
    assert "유효기간" in payment["fail_reason"]


@pytest.mark.parametrize("number", ["1234-1234-1234-1234", "4111-1111-1111-1112", "abcd"])
def test_invalid_card_number_is_code_minus_1_and_records_nothing(
    emu: EmulatorClient, number: str
) -> None:
    merchant_uid = order_id()
    body = onetime(emu, merchant_uid=merchant_uid, card_number=number)
    assert body["code"] == -1 and body["response"] is None
    assert "카드정보 인증에 실패하였습니다." in body["message"]
    assert "유효하지않은 카드번호를 입력하셨습니다." in body["message"]
    assert attempts(emu, merchant_uid) == []


def test_card_number_without_dashes_and_form_body(emu: EmulatorClient) -> None:
    data = {
        "merchant_uid": order_id(),
        "amount": "5000",
        "card_number": "5555555555554444",
        "expiry": "2031-01",
        "pg": "kcp",
    }
    answer = emu.post("/subscribe/payments/onetime/", data=data)
    payment = answer.json()["response"]
    assert payment["status"] == "paid" and payment["pg_provider"] == "kcp"
    assert payment["card_name"] == "KB국민카드" and payment["amount"] == 5000


def test_missing_or_malformed_parameters_are_code_1(emu: EmulatorClient) -> None:
    body = onetime(emu, card_number=None)
    assert body["code"] == 1 and "card_number" in body["message"]
    body = onetime(emu, expiry="12/30")
    assert body["code"] == 1 and "expiry" in body["message"]
    body = onetime(emu, merchant_uid="x" * 41)
    assert body["code"] == 1 and "merchant_uid" in body["message"]
    body = onetime(emu, amount=0)
    assert body["code"] == 1 and "amount" in body["message"]


def test_paid_merchant_uid_is_refused_but_failed_one_may_be_retried(emu: EmulatorClient) -> None:
    merchant_uid = order_id()
    failed = onetime(emu, merchant_uid=merchant_uid, card_number=DECLINE)["response"]
    assert failed["status"] == "failed"
    paid = onetime(emu, merchant_uid=merchant_uid)["response"]
    assert paid["status"] == "paid" and paid["imp_uid"] != failed["imp_uid"]
    again = onetime(emu, merchant_uid=merchant_uid)
    assert again["code"] == 1 and again["response"] is None
    assert merchant_uid in again["message"]
    assert len(attempts(emu, merchant_uid)) == 2


def test_prepared_amount_must_match(emu: EmulatorClient) -> None:
    merchant_uid = order_id()
    emu.post("/payments/prepare", json={"merchant_uid": merchant_uid, "amount": 20000})
    refused = onetime(emu, merchant_uid=merchant_uid, amount=19000)
    assert refused["code"] == 1 and "사전등록" in refused["message"]
    assert attempts(emu, merchant_uid) == []
    accepted = onetime(emu, merchant_uid=merchant_uid, amount=20000)
    assert accepted["response"]["status"] == "paid"


@pytest.mark.parametrize(
    ("pg", "missing"),
    [
        ("html5_inicis", "buyer_email"),
        ("ksnet", "product_type"),
        ("paymentwall", "cvc"),
    ],
)
def test_per_pg_required_fields(emu: EmulatorClient, pg: str, missing: str) -> None:
    body = onetime(emu, pg=pg, buyer_tel="010-1234-5678")
    assert body["code"] == 1 and missing in body["message"] and pg in body["message"]
    complete = {
        "html5_inicis": {"buyer_email": "a@b.kr"},
        "ksnet": {"product_type": "digital"},
        "paymentwall": {"cvc": "123", "browser_ip": "10.0.0.1"},
    }[pg]
    body = onetime(emu, pg=pg, buyer_tel="010-1234-5678", **complete)
    assert body["code"] == 0 and body["response"]["pg_provider"] == pg


def test_tax_split_is_checked_against_the_amount(emu: EmulatorClient) -> None:
    body = onetime(emu, amount=10000, tax_free=10001)
    assert body["code"] == 1 and "tax_free" in body["message"]
    body = onetime(emu, pg="welcome", amount=10000, vat_amount=1500)
    assert body["code"] == 1 and "vat_amount" in body["message"]
    body = onetime(emu, pg="welcome", amount=11000, tax_free=1000, vat_amount=900)
    assert body["response"]["status"] == "paid"


def test_installments_apply_from_50000_won(emu: EmulatorClient) -> None:
    assert onetime(emu, amount=60000, card_quota=3)["response"]["card_quota"] == 3
    assert onetime(emu, amount=10000, card_quota=3)["response"]["card_quota"] == 0


def test_custom_data_object_is_stored_as_json_string(emu: EmulatorClient) -> None:
    payment = onetime(emu, custom_data={"plan": "pro", "items": [1, 2], "이름": "홍길동"})[
        "response"
    ]
    # byte for byte what the JS SDK sends: JSON.stringify, compact, non-ASCII kept
    assert payment["custom_data"] == '{"plan":"pro","items":[1,2],"이름":"홍길동"}'
    assert json.loads(payment["custom_data"]) == {"plan": "pro", "items": [1, 2], "이름": "홍길동"}


def test_customer_uid_keeps_the_card_as_a_billing_key(emu: EmulatorClient) -> None:
    payment = onetime(
        emu, customer_uid="cust_onetime", buyer_email="hong@example.kr", buyer_tel="010-1"
    )["response"]
    assert payment["customer_uid"] == "cust_onetime"
    assert payment["customer_uid_usage"] == "issue"
    key = emu.get("/subscribe/customers/cust_onetime").json()["response"]
    assert key["pg_provider"] == "nice" and key["card_number"] == "411111******1111"
    assert key["customer_name"] == "홍길동" and key["customer_email"] == "hong@example.kr"


def test_customer_uid_is_ignored_on_ksnet(emu: EmulatorClient) -> None:
    payment = onetime(emu, pg="ksnet", product_type="real", customer_uid="cust_ksnet")
    assert payment["response"]["customer_uid"] is None
    assert emu.get("/subscribe/customers/cust_ksnet").status_code == 404


def test_super_billing_key_group_is_not_emulated(emu: EmulatorClient) -> None:
    answer = emu.post(
        "/subscribe/payments/onetime",
        json={"merchant_uid": order_id(), "amount": 1000, "card_number": APPROVE,
              "expiry": "2030-12", "channelGroupId": "group-1"},
    )  # fmt: skip
    assert answer.status_code == 501 and answer.json()["code"] != 0


def test_foreign_is_onetime_without_birth(emu: EmulatorClient) -> None:
    body = onetime(emu, path="/subscribe/payments/foreign", birth=None, pwd_2digit=None)
    assert body["code"] == 0 and body["response"]["status"] == "paid"


def test_hanging_card_commits_the_charge_but_withholds_the_answer(emu: EmulatorClient) -> None:
    previous = emu.control("POST", "/settings", json={"hang_seconds": 1.5})["hang_seconds"]
    merchant_uid = order_id()
    body = {"merchant_uid": merchant_uid, "amount": 7000, "card_number": HANG,
            "expiry": "2030-12", "pg": "nice"}  # fmt: skip
    try:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            emu.post("/subscribe/payments/onetime", json=body, timeout=0.5)
        assert time.monotonic() - started < 1.4
        found = attempts(emu, merchant_uid)  # answered while the charge call still hangs
        assert [p["status"] for p in found] == ["paid"]
        assert found[0]["card_name"] == "롯데카드"
        hooks = emu.webhooks(found[0]["imp_uid"])
        assert [h["payload"]["status"] for h in hooks] == ["paid"]
        assert onetime(emu, merchant_uid=merchant_uid, amount=7000)["code"] == 1
    finally:
        time.sleep(1.2)  # let the withheld answer finish before the next test
        emu.control("POST", "/settings", json={"hang_seconds": previous})


# -- again -------------------------------------------------------------------------
def issue_key(emu: EmulatorClient, customer_uid: str, card: str = APPROVE, **fields: Any) -> dict:
    body = {"card_number": card, "expiry": "2030-12", "birth": "900101", "pwd_2digit": "00",
            "pg": "nice", **fields}  # fmt: skip
    answer = emu.post(f"/subscribe/customers/{customer_uid}", json=body)
    assert answer.json()["code"] == 0, answer.text
    key: dict = answer.json()["response"]
    return key


def again(emu: EmulatorClient, **fields: Any) -> dict:
    body = {"merchant_uid": order_id(), "amount": 9900, "name": "월 구독", **fields}
    answer = emu.post("/subscribe/payments/again", json=body)
    assert answer.status_code == 200, answer.text
    result: dict = answer.json()
    return result


def test_again_charges_the_key_on_its_pg(emu: EmulatorClient) -> None:
    issue_key(emu, "cust_again", pg="kcp", card="5555-5555-5555-4444")
    payment = again(emu, customer_uid="cust_again", buyer_name="김구독")["response"]
    assert payment["status"] == "paid" and payment["pg_provider"] == "kcp"
    assert payment["customer_uid"] == "cust_again"
    assert payment["customer_uid_usage"] == "payment"
    assert payment["card_number"] == "555555******4444"
    assert payment["buyer_name"] == "김구독"


def test_again_with_unknown_key_is_code_minus_1(emu: EmulatorClient) -> None:
    body = again(emu, customer_uid="nobody")
    assert body["code"] == -1 and "등록되지 않은 구매자입니다." in body["message"]


def test_again_needs_name_and_checks_merchant_uid(emu: EmulatorClient) -> None:
    issue_key(emu, "cust_rules")
    body = again(emu, customer_uid="cust_rules", name=None)
    assert body["code"] == 1 and "name" in body["message"]
    paid = again(emu, customer_uid="cust_rules")["response"]
    duplicate = again(emu, customer_uid="cust_rules", merchant_uid=paid["merchant_uid"])
    assert duplicate["code"] == 1


def test_again_with_a_declining_key_fails_the_payment(emu: EmulatorClient) -> None:
    issue_key(emu, "cust_decline", card=DECLINE)
    body = again(emu, customer_uid="cust_decline")
    assert body["code"] == 0 and body["response"]["status"] == "failed"
    assert body["response"]["fail_reason"]


def test_again_per_pg_required_fields(emu: EmulatorClient) -> None:
    issue_key(emu, "cust_ks", pg="ksnet")
    body = again(emu, customer_uid="cust_ks", buyer_name="홍길동")
    assert body["code"] == 1 and "product_type" in body["message"]


# -- a merchant without any API channel -----------------------------------------------
def test_merchant_without_api_channel_gets_no_api_pg_error(tmp_path: Path) -> None:
    merchants = [{
        "imp_code": "imp99999999", "imp_key": "win_key", "imp_secret": "win_secret",
        "channels": [{"pg_provider": "html5_inicis", "pg_id": "INIwin", "type": "payment",
                      "channel_key": "channel-key-win"}],
    }]  # fmt: skip
    path = tmp_path / "merchants.json"
    path.write_text(json.dumps(merchants), encoding="utf-8")
    with serve(build_emulator(merchants_file=path)) as url:
        client = EmulatorClient(url)
        try:
            token = client.token("win_key", "win_secret")
            answer = client.http.post(
                "/subscribe/payments/onetime",
                headers={"Authorization": token},
                json={"merchant_uid": "m1", "amount": 1000, "card_number": APPROVE,
                      "expiry": "2030-12"},
            )  # fmt: skip
            assert answer.status_code == 200
            assert answer.json()["code"] == 1
            assert answer.json()["message"] == "비인증결제모듈 사용정보를 찾을 수 없습니다."
        finally:
            client.close()


# -- an API cancel's webhook follows whether the payment used webhooks (§4.8) --------------
def _cancel_hooks(emu: EmulatorClient, imp_uid: str, **cancel: Any) -> list[dict]:
    answer = emu.post(
        "/payments/cancel", json={"imp_uid": imp_uid, "enable_webhook": True, **cancel}
    )
    assert answer.status_code == 200 and answer.json()["code"] == 0, answer.text
    return [h for h in emu.webhooks(imp_uid) if h["payload"]["status"] == "cancelled"]


def _set_webhook_url(emu: EmulatorClient, url: str | None) -> None:
    emu.control("PUT", "/merchants/imp00000001/settings", json={"webhook_url": url})


@pytest.fixture
def webhook_url_restored(emu: EmulatorClient) -> Iterator[None]:
    """Merchant settings outlive ``reset``: put the demo merchant's URL back afterwards."""
    merchants = emu.control("GET", "/merchants")
    before = next(m["webhook_url"] for m in merchants if m["imp_code"] == "imp00000001")
    yield
    _set_webhook_url(emu, before)


@pytest.mark.usefixtures("webhook_url_restored")
def test_key_in_cancel_webhook_only_when_the_payment_used_webhooks(emu: EmulatorClient) -> None:
    _set_webhook_url(emu, None)
    quiet = onetime(emu)["response"]  # neither a notice_url nor a console URL when it was made
    assert _cancel_hooks(emu, quiet["imp_uid"], amount=1000) == []
    noticed = onetime(emu, notice_url="http://127.0.0.1:9/hook")["response"]
    [hook] = _cancel_hooks(emu, noticed["imp_uid"], amount=1000)
    assert hook["url"] == "http://127.0.0.1:9/hook"
    _set_webhook_url(emu, "http://127.0.0.1:9/console")
    console = onetime(emu)["response"]
    assert len(_cancel_hooks(emu, console["imp_uid"])) == 1
    # a URL set after the payment was made does not make it a webhook payment
    assert _cancel_hooks(emu, quiet["imp_uid"]) == []


@pytest.mark.usefixtures("webhook_url_restored")
def test_again_cancel_webhook_only_when_the_payment_used_webhooks(emu: EmulatorClient) -> None:
    _set_webhook_url(emu, None)
    onetime(emu, customer_uid="cust_hooks")

    def again(**fields: Any) -> dict:
        body = {"customer_uid": "cust_hooks", "merchant_uid": order_id(), "amount": 5000,
                "name": "정기결제", **fields}  # fmt: skip
        answer = emu.post("/subscribe/payments/again", json=body)
        assert answer.status_code == 200 and answer.json()["code"] == 0, answer.text
        payment: dict = answer.json()["response"]
        assert payment["status"] == "paid"
        return payment

    assert _cancel_hooks(emu, again()["imp_uid"]) == []
    assert len(_cancel_hooks(emu, again(notice_url="http://127.0.0.1:9/h")["imp_uid"])) == 1
