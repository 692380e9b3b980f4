"""Escrow end to end: an order asks for escrow and is paid in the window with it; the
delivery is registered at the emulator, then the buyer confirms or refuses and the
``Inicis.Escrow.Changed`` webhook reaches our books. Escrow asked of a PG without it is
refused before the order is stored or i'mport asked; a payment whose ``escrow`` is not
what the order asked is flagged and refunded; a payment that is not escrow ships
nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support.emulator import DEMO_CODE, EmulatorClient, seed
from tests.support.window_http import WindowClient

from .harness import Shop, delivered

pytestmark = pytest.mark.asyncio
PERSON = {"name": "홍길동", "tel": "010-1234-5678", "addr": "서울시 중구 세종대로 110",
          "postcode": "04524"}  # fmt: skip


def delivery(invoice: str = "123456789012", company: str = "CJGLS") -> dict[str, Any]:
    return {"sender": PERSON, "receiver": PERSON,
            "logis": {"company": company, "invoice": invoice,
                      "sent_at": datetime.now(UTC).isoformat()}}  # fmt: skip


async def paid(shop: Shop, emu: EmulatorClient, sku: str, **payment: Any) -> str:
    """A paid order of ours (escrow as the payment is) whose webhooks come to the shop."""
    values = {"pg": "html5_inicis", "escrow": True, "notice_url": shop.notice_url} | payment
    product = await shop.product(sku, stock=5, price=50_000)
    placed = await shop.order((product["id"], 1), pg=values["pg"], escrow=values["escrow"])
    merchant_uid = placed["request_pay"]["merchant_uid"]
    made = seed(emu, merchant_uid=merchant_uid, amount=50_000, **values)
    await delivered(emu, made["imp_uid"])
    assert (await shop.order_state(merchant_uid))["status"] == "paid"
    imp_uid: str = made["imp_uid"]
    return imp_uid


async def escrow_state(shop: Shop, imp_uid: str, status: str) -> dict[str, Any]:
    """Our record once the webhook's job has run (inline; the worker as a fallback)."""
    await shop.run_worker()
    found: dict[str, Any] = (await shop.http.get(f"/api/escrows/{imp_uid}")).json()
    assert found.get("status") == status, found
    return found


async def test_register_then_the_buyer_confirms(shop: Shop, emu: EmulatorClient) -> None:
    imp_uid = await paid(shop, emu, "e1")
    answer = await shop.http.post(f"/api/escrows/{imp_uid}", json=delivery())
    assert answer.status_code == 201, answer.text
    made = answer.json()
    assert made["shipment"]["company"] == "CJGLS" and made["order_id"] is not None
    at_iamport = emu.get(f"/escrows/logis/{imp_uid}").json()["response"]
    assert at_iamport["invoice"] == "123456789012"
    # KG Inicis announces the registration itself (escrow_status 2)
    await delivered(emu, imp_uid, count=2)
    registered = await escrow_state(shop, imp_uid, "delivery_registered")
    assert registered["status_code"] == "2" and registered["shipment"]["invoice"] == "123456789012"

    changed = await shop.http.put(f"/api/escrows/{imp_uid}", json=delivery("999", "EPOST"))
    assert changed.status_code == 200, changed.text
    assert emu.get(f"/escrows/logis/{imp_uid}").json()["response"]["company"] == "EPOST"

    decided = emu.control("POST", f"/escrows/{imp_uid}/confirm", json={})
    assert decided["escrow_status"] == "3" and len(decided["webhooks"]) == 1
    await delivered(emu, imp_uid, count=3)
    confirmed = await escrow_state(shop, imp_uid, "purchase_confirmed")
    assert confirmed["shipment"]["invoice"] == "999"
    looked = await shop.http.get(f"/api/escrows/{imp_uid}", params={"at_iamport": "true"})
    assert looked.json()["at_iamport"]["company"] == "EPOST"
    payload = emu.webhooks(imp_uid)[-1]["payload"]
    assert payload["event"] == "Inicis.Escrow.Changed" and payload["extra"]["escrow_status"] == "3"


async def test_the_buyer_refuses_over_a_form_webhook(
    shop: Shop, emu: EmulatorClient, merchant_defaults: None
) -> None:
    emu.control("PUT", f"/merchants/{DEMO_CODE}/settings",
                json={"webhook_content_type": "form"})  # fmt: skip
    imp_uid = await paid(shop, emu, "e2")
    assert (await shop.http.post(f"/api/escrows/{imp_uid}", json=delivery())).status_code == 201
    await delivered(emu, imp_uid, count=2)
    emu.control("POST", f"/escrows/{imp_uid}/refuse", json={"reason": "상품 파손"})
    await delivered(emu, imp_uid, count=3)
    refused = await escrow_state(shop, imp_uid, "purchase_refused")
    assert (refused["status_code"], refused["denied_reason"]) == ("4", "상품 파손")
    again = emu.http.post(f"/_emulator/escrows/{imp_uid}/confirm", json={})
    assert again.status_code == 409  # the buyer decided already


async def test_the_buyers_order_page_follows_the_delivery(shop: Shop, emu: EmulatorClient) -> None:
    """Paid, shipped, confirmed: the steps, the courier and the invoice number; never the
    sender's or the receiver's name, phone or address."""
    imp_uid = await paid(shop, emu, "e5")
    merchant_uid = emu.get(f"/payments/{imp_uid}").json()["response"]["merchant_uid"]

    async def stage() -> tuple[str, str]:
        page = (await shop.http.get(f"/shop/orders/{merchant_uid}")).text
        assert all(value not in page for value in PERSON.values()), "buyer PII on the page"
        current = page.split('aria-current="step">', 1)[1].split("<", 1)[0]
        return page.split('id="escrow-stage">', 1)[1].split("<", 1)[0], current

    assert await stage() == ("상품 준비 중", "결제 완료")
    assert (await shop.http.post(f"/api/escrows/{imp_uid}", json=delivery())).status_code == 201
    assert await stage() == ("배송 중", "배송 중")
    page = (await shop.http.get(f"/shop/orders/{merchant_uid}")).text
    assert 'id="escrow-courier">CJ대한통운<' in page and 'id="escrow-invoice">123456789012<' in page
    await delivered(emu, imp_uid, count=2)
    emu.control("POST", f"/escrows/{imp_uid}/confirm", json={})
    await delivered(emu, imp_uid, count=3)
    await escrow_state(shop, imp_uid, "purchase_confirmed")
    assert await stage() == ("구매 확정", "구매 확정")

    plain = await paid(shop, emu, "e6", escrow=False)
    plain_uid = emu.get(f"/payments/{plain}").json()["response"]["merchant_uid"]
    assert 'id="escrow-delivery"' not in (await shop.http.get(f"/shop/orders/{plain_uid}")).text


async def test_an_escrow_update_for_a_payment_that_is_not_escrow(
    shop: Shop, emu: EmulatorClient
) -> None:
    imp_uid = await paid(shop, emu, "e3", escrow=False)
    for method in ("POST", "PUT"):
        answer = await shop.http.request(method, f"/api/escrows/{imp_uid}", json=delivery())
        assert answer.status_code == 409, answer.text
        assert answer.json()["rule"] == "not_escrow" and "not an escrow payment" in answer.json()[
            "detail"]  # fmt: skip
    nothing = emu.get(f"/escrows/logis/{imp_uid}")  # i'mport was never asked to register it
    assert nothing.status_code == 400 and nothing.json()["response"] is None
    assert (await shop.http.get(f"/api/escrows/{imp_uid}")).status_code == 404
    unknown = await shop.http.post("/api/escrows/imp_000000000001", json=delivery())
    assert unknown.status_code == 404
    courier = await shop.http.post(f"/api/escrows/{imp_uid}", json=delivery(company="NOPE"))
    assert (courier.status_code, courier.json()["rule"]) == (422, "unknown_courier")


async def test_escrow_is_only_offered_by_pgs_with_escrow(shop: Shop, emu: EmulatorClient) -> None:
    refused = emu.http.post("/_emulator/payments",
                            json={"amount": 1000, "pg": "kakaopay", "escrow": True})  # fmt: skip
    assert refused.status_code == 400 and "에스크로" in refused.json()["message"]
    imp_uid = await paid(shop, emu, "e4", pg="nice")  # escrow, but no delivery API
    answer = await shop.http.post(f"/api/escrows/{imp_uid}", json=delivery())
    assert (answer.status_code, answer.json()["rule"]) == (422, "pg_without_escrow_api")


# -- an order that asks for escrow ---------------------------------------------------------
def window_paid(
    window: WindowClient, request_pay: dict[str, Any], bank_code: str = "088"
) -> dict[str, Any]:
    """Pay ``request_pay`` in the emulator's window (transfer or virtual account)."""
    params = {k: v for k, v in request_pay.items() if v is not None}
    rsp = window.rsp(window.submit(window.sid(window.open(params)), bank_code=bank_code))
    assert rsp.get("imp_uid"), rsp
    return rsp


@pytest.mark.parametrize("pay_method", ["trans", "vbank"])
async def test_an_escrow_order_is_paid_in_the_window_ships_and_is_confirmed(
    shop: Shop, emu: EmulatorClient, window: WindowClient, pay_method: str
) -> None:
    product = await shop.product(f"escrow-{pay_method}", stock=3, price=45_000)
    placed = await shop.order((product["id"], 1), pay_method=pay_method, escrow=True)
    pay = placed["request_pay"]
    assert pay["escrow"] is True and placed["order"]["escrow"] is True
    rsp = window_paid(window, pay)
    imp_uid = rsp["imp_uid"]
    webhooks = 1
    if pay_method == "vbank":
        assert rsp["status"] == "ready"
        await delivered(emu, imp_uid)
        emu.control("POST", f"/vbanks/{imp_uid}/deposit", json={})
        webhooks += 1
    await delivered(emu, imp_uid, count=webhooks)
    at_iamport = emu.get(f"/payments/{imp_uid}").json()["response"]
    assert (at_iamport["status"], at_iamport["escrow"]) == ("paid", True)
    order = await shop.order_state(pay["merchant_uid"])
    assert (order["status"], order["escrow"], order["imp_uid"]) == ("paid", True, imp_uid)

    answer = await shop.http.post(f"/api/escrows/{imp_uid}", json=delivery())
    assert answer.status_code == 201, answer.text
    await delivered(emu, imp_uid, count=webhooks + 1)  # KG Inicis: escrow_status 2
    await escrow_state(shop, imp_uid, "delivery_registered")
    emu.control("POST", f"/escrows/{imp_uid}/confirm", json={})
    await delivered(emu, imp_uid, count=webhooks + 2)
    confirmed = await escrow_state(shop, imp_uid, "purchase_confirmed")
    assert confirmed["status_code"] == "3" and confirmed["order_id"] == order["id"]


@pytest.mark.parametrize(
    ("fields", "rule"),
    [({"pg": "kakaopay"}, "pg_without_escrow"), ({"pg": "danal", "pay_method": "phone"},
     "pg_without_escrow"), ({"pg": None}, "pg_without_escrow"),
     ({"pg": "html5_inicis", "pay_method": "phone"}, "escrow_pay_method")],
)  # fmt: skip
async def test_escrow_on_a_pg_or_method_without_it_is_refused_before_anything(
    shop: Shop, fields: dict[str, Any], rule: str
) -> None:
    product = await shop.product("no-escrow", stock=3)
    body = {"items": [{"product_id": product["id"], "quantity": 1}], "pay_method": "trans",
            "escrow": True, **fields}  # fmt: skip
    answer = await shop.http.post("/api/orders", json=body)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["rule"] == rule
    assert (await shop.http.get("/api/orders")).json()["items"] == []  # nothing stored
    bad = await shop.http.post(
        "/api/orders", json={**body, "pg": "html5_inicis", "pay_method": "trans", "escrow": "yes"}
    )
    assert bad.status_code == 422 and "rule" not in bad.json()  # not a boolean


@pytest.mark.parametrize("asked", [True, False], ids=["escrow-dropped", "escrow-added"])
async def test_a_payment_whose_escrow_is_not_the_orders_is_flagged_and_refunded(
    shop: Shop, emu: EmulatorClient, window: WindowClient, asked: bool
) -> None:
    """The browser sends request_pay: a buyer who drops (or adds) ``escrow`` pays, but not
    for what was ordered. Like a tampered amount: flagged, stock released, refunded."""
    product = await shop.product("tamper", stock=1, price=30_000)
    placed = await shop.order((product["id"], 1), pay_method="trans", escrow=asked)
    forged = {k: v for k, v in placed["request_pay"].items() if k != "escrow"}
    if not asked:
        forged["escrow"] = True
    rsp = window_paid(window, forged)
    imp_uid = rsp["imp_uid"]
    assert emu.get(f"/payments/{imp_uid}").json()["response"]["escrow"] is (not asked)
    await delivered(emu, imp_uid)
    order = await shop.order_state(rsp["merchant_uid"])
    assert (order["status"], order["paid_amount"]) == ("flagged", 30_000)
    [owed] = order["refunds"]
    assert (owed["amount"], owed["origin"], owed["reason"]) == (30_000, "auto", "escrow mismatch")
    assert await shop.stock(product["id"]) == {"available": 1, "held": 0, "sold": 0}
    await shop.run_worker()
    at_iamport = emu.get(f"/payments/{imp_uid}").json()["response"]
    assert (at_iamport["status"], at_iamport["cancel_amount"]) == ("cancelled", 30_000)
    assert (await shop.order_state(rsp["merchant_uid"]))["status"] == "refunded"
