"""Cash receipts end to end: the merchant server against the emulator over HTTP.

Receipts of i'mport payments and external receipts, issued, looked up,
searched and cancelled; a second cancel is refused (409, naming the rule) and
changes nothing here or at i'mport; the identifier never reaches the database.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from tests.support.emulator import EmulatorClient, seed

from .harness import Shop

pytestmark = pytest.mark.asyncio
PHONE = "010-9876-5432"
PROBLEM = "application/problem+json"


async def paid(shop: Shop, emu: EmulatorClient, sku: str, **payment: Any) -> str:
    """A paid order of ours (seeded at the emulator, settled by the completion call)."""
    product = await shop.product(sku, stock=5, price=33_000)
    placed = await shop.order((product["id"], 1))
    merchant_uid = placed["request_pay"]["merchant_uid"]
    values = {"pay_method": "trans", "pg": "html5_inicis"} | payment
    made = seed(emu, merchant_uid=merchant_uid, amount=33_000, **values)
    done = await shop.complete(made["imp_uid"], merchant_uid)
    assert done.json()["order"]["status"] == "paid", done.text
    imp_uid: str = made["imp_uid"]
    return imp_uid


def refused(answer: Any, status: int, rule: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM)
    problem: dict[str, Any] = answer.json()
    assert problem["rule"] == rule, problem
    return problem


async def test_a_receipt_issued_looked_up_and_cancelled_twice(
    shop: Shop, emu: EmulatorClient
) -> None:
    imp_uid = await paid(shop, emu, "r1")
    answer = await shop.http.post("/api/receipts", json={
        "imp_uid": imp_uid, "identifier_type": "phone", "identifier": PHONE})  # fmt: skip
    assert answer.status_code == 201, answer.text
    made = answer.json()
    at_iamport = emu.get(f"/receipts/{imp_uid}").json()["response"]
    assert (made["state"], made["amount"], made["vat"]) == ("issued", 33_000, 3_000)
    assert made["apply_num"] == at_iamport["apply_num"] and made["type"] == "person"
    assert made["identifier"] == "*******5432" and answer.headers["location"].endswith(
        f"/api/receipts/{made['id']}")  # fmt: skip

    cancelled = await shop.http.post(f"/api/receipts/{made['id']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["state"] == "cancelled"
    gateway = emu.get(f"/receipts/{imp_uid}").json()["response"]
    assert gateway["cancelled_at"] > 0

    again = await shop.http.post(f"/api/receipts/{made['id']}/cancel")
    problem = refused(again, 409, "receipt_already_cancelled")
    assert "already cancelled" in problem["detail"]
    assert emu.get(f"/receipts/{imp_uid}").json()["response"] == gateway  # i'mport untouched
    assert (await shop.http.get(f"/api/receipts/{made['id']}")).json() == cancelled.json()

    listed = (await shop.http.get("/api/receipts", params={"imp_uid": imp_uid})).json()
    assert [r["id"] for r in listed["items"]] == [made["id"]]
    assert (await shop.http.get("/api/external-receipts")).json()["items"] == []
    # a new receipt after the cancel, for a business
    business = await shop.http.post("/api/receipts", json={
        "imp_uid": imp_uid, "identifier_type": "business", "identifier": "123-45-67890"})  # fmt: skip
    assert business.status_code == 201 and business.json()["type"] == "company"


async def test_receipts_are_refused_before_i_mport_when_a_rule_says_no(
    shop: Shop, emu: EmulatorClient
) -> None:
    card = await paid(shop, emu, "r2", pay_method="card")
    body = {"identifier_type": "phone", "identifier": PHONE}
    refused(await shop.http.post("/api/receipts", json={"imp_uid": card, **body}), 422,
            "not_cash_payment")  # fmt: skip
    missing = await shop.http.post("/api/receipts", json={"imp_uid": "imp_000000000001", **body})
    assert missing.status_code == 404, missing.text
    bad = await shop.http.post("/api/receipts", json={
        "imp_uid": card, "identifier_type": "phone", "identifier": "02-123-4567"})  # fmt: skip
    problem = refused(bad, 422, "invalid_identifier")
    assert "02-123-4567" not in bad.text and problem["status"] == 422
    trans = await paid(shop, emu, "r3")
    first = await shop.http.post("/api/receipts", json={"imp_uid": trans, **body})
    assert first.status_code == 201
    refused(await shop.http.post("/api/receipts", json={"imp_uid": trans, **body}), 409,
            "receipt_exists")  # fmt: skip
    for path in ("/api/receipts/0", f"/api/receipts/{2**63}", "/api/receipts?limit=0"):
        assert (await shop.http.get(path)).status_code in (404, 422)


async def test_external_receipts_kept_apart(shop: Shop, emu: EmulatorClient) -> None:
    body = {"name": "매장 판매", "amount": 11_000, "identifier_type": "card",
            "identifier": "1234-5678-9012-3456", "pg": "html5_inicis", "pay_method": "trans"}  # fmt: skip
    answer = await shop.http.post("/api/external-receipts",
                                  json={**body, "merchant_uid": "store_0001"})  # fmt: skip
    assert answer.status_code == 201, answer.text
    made = answer.json()
    assert (made["kind"], made["merchant_uid"], made["imp_uid"]) == ("external", "store_0001", None)
    assert (made["amount"], made["vat"], made["identifier"]) == (11_000, 1_000, "************3456")
    gateway = emu.get("/receipts/external/store_0001").json()["response"]
    assert gateway["apply_num"] == made["apply_num"]

    product = await shop.product("r4", stock=1)
    order = await shop.order((product["id"], 1))
    mixed = await shop.http.post("/api/external-receipts", json={
        **body, "merchant_uid": order["request_pay"]["merchant_uid"]})  # fmt: skip
    refused(mixed, 409, "merchant_uid_is_an_order")
    assert (await shop.http.get("/api/receipts")).json()["items"] == []
    found = (await shop.http.get("/api/external-receipts",
                                 params={"identifier_type": "card"})).json()  # fmt: skip
    assert [r["merchant_uid"] for r in found["items"]] == ["store_0001"]

    assert (await shop.http.post(f"/api/external-receipts/{made['id']}/cancel")).status_code == 200
    refused(await shop.http.post(f"/api/external-receipts/{made['id']}/cancel"), 409,
            "receipt_already_cancelled")  # fmt: skip
    assert emu.get("/receipts/external/store_0001").json()["response"]["cancelled_at"] > 0


async def test_a_lost_answer_is_settled_by_looking_the_receipt_up(
    shop: Shop, emu: EmulatorClient
) -> None:
    imp_uid = await paid(shop, emu, "r5")
    emu.fault(path="/receipts/*", method="POST", kind="no_answer", mode="drop", times=1)
    answer = await shop.http.post("/api/receipts", json={
        "imp_uid": imp_uid, "identifier_type": "phone", "identifier": PHONE})  # fmt: skip
    assert answer.status_code == 201, answer.text
    assert answer.json()["state"] == "issued"
    assert answer.json()["apply_num"] == emu.get(f"/receipts/{imp_uid}").json()["response"][
        "apply_num"]  # fmt: skip


async def test_the_identifier_is_never_stored(shop: Shop, emu: EmulatorClient) -> None:
    imp_uid = await paid(shop, emu, "r6")
    key = {"Idempotency-Key": "receipt-r6"}
    for _ in range(2):  # the replay answers the stored answer
        answer = await shop.http.post("/api/receipts", headers=key, json={
            "imp_uid": imp_uid, "identifier_type": "phone", "identifier": PHONE})  # fmt: skip
        assert answer.status_code == 201, answer.text
    assert answer.headers.get("idempotent-replayed") == "true"
    digits = PHONE.replace("-", "")
    async with shop.database.reading() as uow:
        for table in ("cash_receipts", "idempotency_keys", "jobs", "webhook_inbox"):
            rows = (await uow.connection.execute(text(f"SELECT * FROM {table}"))).all()
            dumped = repr(rows)
            assert digits not in dumped and PHONE not in dumped, table
