"""Escrow end to end: register the delivery at the emulator, then the buyer confirms or
refuses and the ``Inicis.Escrow.Changed`` webhook reaches our books; a payment that is
not escrow is refused before i'mport is asked."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from tests.support.emulator import DEMO_CODE, EmulatorClient, seed

from .harness import Shop, delivered

pytestmark = pytest.mark.asyncio
PERSON = {"name": "홍길동", "tel": "010-1234-5678", "addr": "서울시 중구 세종대로 110",
          "postcode": "04524"}  # fmt: skip


def delivery(invoice: str = "123456789012", company: str = "CJGLS") -> dict[str, Any]:
    return {"sender": PERSON, "receiver": PERSON,
            "logis": {"company": company, "invoice": invoice,
                      "sent_at": datetime.now(UTC).isoformat()}}  # fmt: skip


async def paid(shop: Shop, emu: EmulatorClient, sku: str, **payment: Any) -> str:
    """A paid order of ours whose webhooks come to the shop."""
    product = await shop.product(sku, stock=5, price=50_000)
    placed = await shop.order((product["id"], 1))
    merchant_uid = placed["request_pay"]["merchant_uid"]
    values = {"pg": "html5_inicis", "escrow": True, "notice_url": shop.notice_url} | payment
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
