"""Tiers and the PG-specific operations over real HTTP, and what is left not emulated."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.emulator import OTHER_KEY, OTHER_SECRET, EmulatorClient, seed


def business_refusal(answer: httpx.Response) -> str:
    """Operations documenting only 200/401 refuse with HTTP 200 and a non-zero code."""
    assert answer.status_code == 200, answer.text
    assert answer.json()["code"] != 0 and answer.json()["response"] is None, answer.text
    message: str = answer.json()["message"]
    return message


# -- tiers ------------------------------------------------------------------------------


def test_known_tier(emu: EmulatorClient) -> None:
    answer = emu.get("/tiers/ABC")
    assert answer.status_code == 200
    assert answer.json()["response"] == {"tier_code": "ABC", "tier_name": "demo tier"}


@pytest.mark.parametrize("code", ["XYZ", "abc", "ABCD", "A-C"])
def test_unknown_or_malformed_tier_is_404(emu: EmulatorClient, code: str) -> None:
    answer = emu.get(f"/tiers/{code}")
    assert answer.status_code == 404 and answer.json()["code"] != 0


def test_tiers_belong_to_their_merchant(emu: EmulatorClient) -> None:
    headers = {"Authorization": f"Bearer {emu.token(OTHER_KEY, OTHER_SECRET)}"}
    assert emu.http.get("/tiers/ABC", headers=headers).status_code == 404


# The Tier header: the agency's token, calls made for one of its sub-merchants (§1.1).
TIER = {"Tier": "ABC"}


@pytest.mark.parametrize("tier", ["XYZ", "abc", "ABCD"])
def test_a_tier_the_agency_does_not_have_is_refused_as_unauthorised(
    emu: EmulatorClient, tier: str
) -> None:
    imp_uid = seed(emu)["imp_uid"]
    for answer in (
        emu.get(f"/payments/{imp_uid}", headers={"Tier": tier}),
        emu.post("/payments/cancel", json={"imp_uid": imp_uid}, headers={"Tier": tier}),
    ):
        assert answer.status_code == 401 and "WWW-Authenticate" in answer.headers
        assert answer.json() == {
            "code": -1, "message": f"등록되지 않은 하위 가맹점(Tier)입니다. ({tier})",
            "response": None}  # fmt: skip
    assert emu.get(f"/payments/{imp_uid}").json()["response"]["status"] == "paid"  # not cancelled
    other = {"Authorization": f"Bearer {emu.token(OTHER_KEY, OTHER_SECRET)}", **TIER}
    assert emu.http.get("/users/pg", headers=other).status_code == 401  # ABC is not theirs
    assert emu.get("/users/pg", headers={"Tier": ""}).status_code == 200  # empty: no tier


def test_a_sub_merchant_keeps_its_own_books(emu: EmulatorClient) -> None:
    own, tiered = seed(emu), seed(emu, tier="ABC")
    assert emu.get(f"/payments/{tiered['imp_uid']}", headers=TIER).status_code == 200
    assert emu.get(f"/payments/{tiered['imp_uid']}").status_code == 404
    assert emu.get(f"/payments/{own['imp_uid']}", headers=TIER).status_code == 404
    found = emu.get(f"/payments/find/{tiered['merchant_uid']}", headers=TIER).json()["response"]
    assert found["imp_uid"] == tiered["imp_uid"]
    listed = emu.get("/payments/status/all", headers=TIER).json()["response"]["list"]
    assert [p["imp_uid"] for p in listed] == [tiered["imp_uid"]]
    missing = emu.post("/payments/cancel", json={"imp_uid": tiered["imp_uid"]})
    assert missing.json()["code"] != 0  # the agency's own books have no such payment
    cancelled = emu.post("/payments/cancel", json={"imp_uid": tiered["imp_uid"]}, headers=TIER)
    assert cancelled.json()["response"]["status"] == "cancelled"
    assert emu.get(f"/payments/{own['imp_uid']}").json()["response"]["status"] == "paid"


def test_a_sub_merchants_billing_keys_and_charges_are_its_own(emu: EmulatorClient) -> None:
    card = {"card_number": "4111-1111-1111-1111", "expiry": "2030-12", "birth": "900101",
            "pwd_2digit": "00", "pg": "nice"}  # fmt: skip
    issued = emu.post("/subscribe/customers/tier_buyer", json=card, headers=TIER)
    assert issued.json()["code"] == 0, issued.text
    assert emu.get("/subscribe/customers/tier_buyer").status_code == 404
    again = {"customer_uid": "tier_buyer", "merchant_uid": "tier_again_1", "amount": 3000,
             "name": "정기결제"}  # fmt: skip
    refused = emu.post("/subscribe/payments/again", json=again)
    assert refused.json()["code"] != 0  # the agency has no such billing key
    paid = emu.post("/subscribe/payments/again", json=again, headers=TIER).json()["response"]
    assert paid["status"] == "paid"
    assert emu.get(f"/payments/{paid['imp_uid']}").status_code == 404
    onetime = {**card, "merchant_uid": "tier_onetime_1", "amount": 1000}
    made = emu.post("/subscribe/payments/onetime", json=onetime, headers=TIER).json()["response"]
    assert (
        emu.get(f"/payments/{made['imp_uid']}", headers=TIER).json()["response"]["amount"] == 1000
    )
    assert emu.get("/payments/find/tier_onetime_1").status_code == 404
    assert [w["event"] for w in emu.webhooks(made["imp_uid"])] == ["paid"]  # the agency's URL


def test_a_sub_merchants_schedule_is_charged_in_its_books(emu: EmulatorClient) -> None:
    card = {"card_number": "4111-1111-1111-1111", "expiry": "2030-12", "birth": "900101",
            "pg": "nice"}  # fmt: skip
    assert emu.post("/subscribe/customers/tier_plan", json=card, headers=TIER).json()["code"] == 0
    plan = {"customer_uid": "tier_plan", "schedules": [
        {"merchant_uid": "tier_plan_1", "schedule_at": emu.now() + 60, "amount": 9900}]}  # fmt: skip
    assert emu.post("/subscribe/payments/schedule", json=plan, headers=TIER).json()["code"] == 0
    emu.advance(61)
    done = emu.get("/subscribe/payments/schedule/tier_plan_1", headers=TIER).json()["response"]
    assert (done["schedule_status"], done["payment_status"]) == ("executed", "paid")
    assert emu.get(f"/payments/{done['imp_uid']}", headers=TIER).status_code == 200
    assert emu.get(f"/payments/{done['imp_uid']}").status_code == 404


# -- PAYCO ------------------------------------------------------------------------------


def test_payco_order_status(emu: EmulatorClient) -> None:
    payment = seed(emu, pg="payco")
    answer = emu.post(
        f"/payco/orders/status/{payment['imp_uid']}", json={"status": "DELIVERY_START"}
    )
    assert answer.status_code == 200 and answer.json() == {
        "code": 0,
        "message": None,
        "response": {"status": "DELIVERY_START"},
    }


def test_payco_order_status_refusals(emu: EmulatorClient) -> None:
    payco = seed(emu, pg="payco")["imp_uid"]
    assert "status" in business_refusal(
        emu.post(f"/payco/orders/status/{payco}", json={"status": "SHIPPED"})
    )
    business_refusal(emu.post(f"/payco/orders/status/{payco}", json={}))
    card = seed(emu, pg="kcp")["imp_uid"]
    business_refusal(emu.post(f"/payco/orders/status/{card}", json={"status": "CANCELED"}))
    unknown = emu.post("/payco/orders/status/imp_000000000000", json={"status": "CANCELED"})
    assert business_refusal(unknown) == "존재하지 않는 결제정보입니다."


# -- Paymentwall ------------------------------------------------------------------------


def paymentwall_body(payment: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    body = {
        "imp_uid": payment["imp_uid"],
        "merchant_uid": payment["merchant_uid"],
        "type": "digital",
        "status": "delivered",
        "estimated_delivery_datetime": 1_700_000_000,
        "estimated_update_datetime": 1_700_000_000,
        "refundable": "yes",
        "shipping_address_email": "buyer@example.com",
        **overrides,
    }
    return {k: v for k, v in body.items() if v is not None}


def test_paymentwall_delivery_of_digital_goods(emu: EmulatorClient) -> None:
    payment = seed(emu, pg="paymentwall")
    answer = emu.post("/paymentwall/delivery", json=paymentwall_body(payment))
    assert answer.status_code == 200 and answer.json()["code"] == 0, answer.text
    assert answer.json()["response"] == {"success": 1}


def test_paymentwall_physical_goods_need_address_and_carrier(emu: EmulatorClient) -> None:
    payment = seed(emu, pg="paymentwall")
    physical = paymentwall_body(payment, type="physical", status="order_shipped")
    assert "shipping_address" in business_refusal(emu.post("/paymentwall/delivery", json=physical))
    address = {
        f"shipping_address_{k}": v
        for k, v in {
            "country": "KR", "city": "Seoul", "zip": "04524", "state": "N/A",
            "street": "Sejong-daero 110", "phone": "01012345678", "firstname": "Gildong",
            "lastname": "Hong",
        }.items()
    }  # fmt: skip
    answer = emu.post("/paymentwall/delivery", json={**physical, **address})
    assert "carrier" in business_refusal(answer)
    carrier = {"carrier_tracking_id": "1234", "carrier_type": "CJ"}
    answer = emu.post("/paymentwall/delivery", json={**physical, **address, **carrier})
    assert answer.json()["code"] == 0, answer.text


@pytest.mark.parametrize(
    "overrides",
    [
        {"imp_uid": None},
        {"type": "service"},
        {"status": "lost"},
        {"refundable": "maybe"},
        {"shipping_address_email": None},
        {"estimated_delivery_datetime": None},
        {"merchant_uid": "someone_else"},
    ],
)
def test_paymentwall_delivery_refusals(emu: EmulatorClient, overrides: dict) -> None:
    payment = seed(emu, pg="paymentwall")
    business_refusal(emu.post("/paymentwall/delivery", json=paymentwall_body(payment, **overrides)))


def test_paymentwall_delivery_for_another_pg_is_refused(emu: EmulatorClient) -> None:
    payment = seed(emu, pg="kcp")
    business_refusal(emu.post("/paymentwall/delivery", json=paymentwall_body(payment)))


# -- Naver Pay cash amount --------------------------------------------------------------


def test_naver_cash_amount(emu: EmulatorClient) -> None:
    payment = seed(emu, pg="naverpay", amount=11000)
    answer = emu.get(f"/payments/{payment['imp_uid']}/naver/cash-amount")
    assert answer.status_code == 200, answer.text
    assert answer.json()["response"] == {
        "amount_total": 11000,
        "amount_by_npoint": 0,
        "amount_by_primary": 11000,
        "amount_supply": 10000,
        "amount_vat": 1000,
    }
    mixed = seed(emu, pg="naverpay", amount=11000, tax_free=1000)
    amounts = emu.get(f"/payments/{mixed['imp_uid']}/naver/cash-amount").json()["response"]
    assert amounts["amount_vat"] == 909 and amounts["amount_supply"] == 10091


def test_naver_cash_amount_of_other_payments_is_400(emu: EmulatorClient) -> None:
    assert emu.get(f"/payments/{seed(emu)['imp_uid']}/naver/cash-amount").status_code == 400
    assert emu.get("/payments/imp_000000000000/naver/cash-amount").status_code == 400


# -- KG Inicis partner receipts ---------------------------------------------------------


def partners(amount: int = 4000) -> dict[str, Any]:
    return {
        "data": [
            {
                "business_registration_number": "123-45-67890",
                "company_name": "입점사",
                "amount": amount,
            }
        ]
    }


def test_partner_receipts(emu: EmulatorClient) -> None:
    payment = seed(emu, pg="html5_inicis", amount=10000)
    answer = emu.post(f"/partners/receipts/{payment['imp_uid']}", json=partners())
    assert answer.status_code == 200, answer.text
    assert answer.json()["response"]["receipt_url"].startswith("http")


def test_partner_receipts_refusals(emu: EmulatorClient) -> None:
    payment = seed(emu, pg="html5_inicis", amount=10000)["imp_uid"]
    assert emu.post(f"/partners/receipts/{payment}", json={}).status_code == 400
    assert emu.post(f"/partners/receipts/{payment}", json=partners(20000)).status_code == 400
    broken = {"data": [{"company_name": "입점사", "amount": 1000}]}
    answer = emu.post(f"/partners/receipts/{payment}", json=broken)
    assert answer.status_code == 400 and "business_registration_number" in answer.json()["message"]
    ready = seed(emu, pg="html5_inicis", status="ready")["imp_uid"]
    assert emu.post(f"/partners/receipts/{ready}", json=partners()).status_code == 400
    kcp = seed(emu, pg="kcp")["imp_uid"]
    assert emu.post(f"/partners/receipts/{kcp}", json=partners()).status_code == 501
    assert emu.post("/partners/receipts/imp_000000000000", json=partners()).status_code == 404


# -- left to the "not emulated" answer -------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/cvs"),
        ("DELETE", "/cvs/imp_123412341234"),
        ("POST", "/benepia/point"),
        ("POST", "/kcpquick/payment/money"),
        ("DELETE", "/kcpquick/members/memberID"),
        ("POST", "/payments/imp_123412341234/naver/ship"),
        ("GET", "/naver/reviews"),
        ("GET", "/kakao/payment/orders"),
    ],
)
def test_pg_specific_operations_not_emulated_answer_501(
    emu: EmulatorClient, method: str, path: str
) -> None:
    answer = emu.call(method, path)
    assert answer.status_code == 501
    body = answer.json()
    assert body["code"] == -1 and body["response"] is None
    assert "지원하지 않는" in body["message"]
