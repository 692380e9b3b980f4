"""Window rules that need no browser, over the same HTTP requests a browser makes.

Billing keys by PG kind, the hanging test card, vbank deadlines, tiers,
the API cancel webhook of a window payment, and the SDK script itself.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.support.emulator import EmulatorClient
from tests.support.window_http import WindowClient, card_params, order_id


@pytest.fixture
def window(emulator_url: str) -> Iterator[WindowClient]:
    client = WindowClient(emulator_url)
    yield client
    client.close()


def stored(emu: EmulatorClient, imp_uid: str) -> dict:
    return emu.get(f"/payments/{imp_uid}").json()["response"]


def test_the_sdk_script_is_served_for_both_urls(emu: EmulatorClient) -> None:
    for path in ("/v1/iamport.js", "/js/iamport.payment-1.2.0.js"):
        answer = emu.http.get(path)
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("application/javascript")
        assert "request_pay" in answer.text and "certification" in answer.text


def test_phone_billing_key_charges_at_once(emu: EmulatorClient, window: WindowClient) -> None:
    customer_uid = f"cust_{order_id()}"
    params = card_params(pg="danal", pay_method="phone", customer_uid=customer_uid, amount=9900)
    sid = window.sid(window.open(params))
    done = window.submit(sid, carrier="SKT", phone="01012345678", code="123456")
    rsp = window.rsp(done)
    assert rsp["status"] == "paid" and rsp["paid_amount"] == 9900
    key = emu.get(f"/subscribe/customers/{customer_uid}").json()["response"]
    assert key["pg_provider"] == "danal" and key["card_number"] is None
    assert stored(emu, rsp["imp_uid"])["customer_uid_usage"] == "issue"


def test_a_pg_without_issue_and_pay_only_issues_the_key(
    emu: EmulatorClient, window: WindowClient
) -> None:
    customer_uid = f"cust_{order_id()}"
    params = card_params(pg="tosspayments", customer_uid=customer_uid, amount=5000)
    rsp = window.pay_card(params, "4000-0000-0000-0002")
    payment = stored(emu, rsp["imp_uid"])
    assert payment["status"] == "paid" and payment["amount"] == 0
    key = emu.get(f"/subscribe/customers/{customer_uid}").json()["response"]
    assert key["card_number"] == "400000******0002"
    again = emu.post(
        "/subscribe/payments/again",
        json={
            "customer_uid": customer_uid,
            "merchant_uid": order_id(),
            "amount": 1000,
            "name": "정기결제",
        },
    ).json()
    assert again["response"]["status"] == "failed", "the key remembers the declining card"


def test_billing_key_on_a_pg_without_window_issuance_is_refused(window: WindowClient) -> None:
    refused = window.rsp(window.open(card_params(pg="kcp", customer_uid="cust_x")))
    assert refused["imp_uid"] is None and "빌링키" in refused["error_msg"]


def test_the_hanging_card_commits_but_answers_late(
    emu: EmulatorClient, window: WindowClient
) -> None:
    emu.control("POST", "/settings", json={"hang_seconds": 1.0})
    try:
        started = time.monotonic()
        rsp = window.pay_card(card_params(), "4000-0000-0000-0259")
        assert time.monotonic() - started >= 1.0
    finally:
        emu.control("POST", "/settings", json={"hang_seconds": 120})
    assert rsp["status"] == "paid" and stored(emu, rsp["imp_uid"])["status"] == "paid"


def test_vbank_deadline_and_holder(emu: EmulatorClient, window: WindowClient) -> None:
    params = card_params(pay_method="vbank", vbank_due="20991231")
    rsp = window.rsp(window.submit(window.sid(window.open(params)), bank_code="088"))
    payment = stored(emu, rsp["imp_uid"])
    assert payment["status"] == "ready" and payment["vbank_name"] == "신한은행"
    assert payment["vbank_date"] == 4102412399  # 2099-12-31 23:59:59 KST
    assert payment["vbank_holder"] == "paydesk demo shop"
    toss = window.rsp(
        window.submit(
            window.sid(window.open({**params, "merchant_uid": order_id(), "pg": "tosspayments"})),
            bank_code="004",
        )
    )
    assert stored(emu, toss["imp_uid"])["vbank_holder"] is None


def test_unknown_merchant_and_tier_are_refused(window: WindowClient) -> None:
    unknown = window.rsp(window.open(card_params(), imp_code="imp99999999"))
    assert unknown["imp_uid"] is None and "imp99999999" in unknown["error_msg"]
    form = {"imp_code": "imp00000001", "tier": "ZZZ", "params": '{"merchant_uid":"m","amount":1}'}
    tiered = window.rsp(window.http.post("/window/pay", data=form))
    assert "ZZZ" in tiered["error_msg"]


def test_a_window_opened_for_a_sub_merchant_pays_into_its_books(
    emu: EmulatorClient, window: WindowClient
) -> None:
    opened = window.open(card_params(), tier="ABC")  # IMP.agency("imp00000001", "ABC")
    done = window.submit(window.sid(opened), card_number="4111-1111-1111-1111", expiry="12/30")
    rsp = window.rsp(done)
    assert rsp["success"] is True, rsp
    assert emu.get(f"/payments/{rsp['imp_uid']}", headers={"Tier": "ABC"}).status_code == 200
    assert emu.get(f"/payments/{rsp['imp_uid']}").status_code == 404


def test_api_cancel_with_enable_webhook_notifies_window_payments(
    emu: EmulatorClient, window: WindowClient
) -> None:
    with_hook = window.pay_card(card_params(notice_url="http://127.0.0.1:9/hook"))
    without = window.pay_card(card_params())
    for rsp in (with_hook, without):
        answer = emu.post(
            "/payments/cancel", json={"imp_uid": rsp["imp_uid"], "enable_webhook": True}
        )
        assert answer.json()["code"] == 0
    assert [w["event"] for w in emu.webhooks(with_hook["imp_uid"])] == ["paid", "cancelled"]
    assert [w["event"] for w in emu.webhooks(without["imp_uid"])] == ["paid"]


def test_window_custom_data_is_stored_as_the_sdk_sends_it(
    emu: EmulatorClient, window: WindowClient
) -> None:
    custom = {"cart": [1, 2], "memo": "문 앞에"}
    rsp = window.pay_card(card_params(custom_data=custom))
    assert rsp["custom_data"] == custom  # the callback gives the object back
    assert stored(emu, rsp["imp_uid"])["custom_data"] == '{"cart":[1,2],"memo":"문 앞에"}'
