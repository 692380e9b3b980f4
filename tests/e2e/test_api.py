"""The merchant API around payments: placing orders, the completion page, lookups.

Errors are problem documents; the amount is always the server's; a browser
cannot complete an order with another order's payment.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from paydesk.store.inbox import WebhookInbox
from tests.support.emulator import EmulatorClient, seed

from .harness import Shop

pytestmark = pytest.mark.asyncio
PROBLEM = "application/problem+json"


async def test_the_amount_is_computed_on_the_server_and_registered(
    shop: Shop, emu: EmulatorClient
) -> None:
    a = await shop.product("a", stock=5, price=1_500)
    b = await shop.product("b", stock=5, price=2_000)

    items = [{"product_id": a["id"], "quantity": 1}]
    priced_by_buyer = await shop.http.post("/api/orders", json={"items": items, "amount": 1})
    assert priced_by_buyer.status_code == 422  # the buyer has no say in the amount

    placed = await shop.order((a["id"], 2), (b["id"], 1), (a["id"], 1))

    assert placed["order"]["amount"] == 3 * 1_500 + 2_000
    pay = placed["request_pay"]
    assert pay["amount"] == 6_500 and pay["name"] == "상품 a 외 1건"
    assert pay["notice_url"] == shop.notice_url and placed["imp_code"] == "imp00000001"
    registered = emu.get(f"/payments/prepare/{pay['merchant_uid']}").json()["response"]
    assert registered["amount"] == 6_500


async def test_order_errors_are_problem_documents(shop: Shop, emu: EmulatorClient) -> None:
    product = await shop.product("c", stock=1)
    unknown = await shop.http.post(
        "/api/orders", json={"items": [{"product_id": 999, "quantity": 1}]}
    )
    assert (unknown.status_code, unknown.headers["content-type"]) == (422, PROBLEM)
    empty = await shop.http.post("/api/orders", json={"items": []})
    assert empty.status_code == 422 and empty.json()["errors"]

    emu.fault(path="/payments/prepare", method="POST", kind="error", status=500)
    unregistered = await shop.http.post(
        "/api/orders", json={"items": [{"product_id": product["id"], "quantity": 1}]}
    )
    assert (unregistered.status_code, unregistered.json()["title"]) == (
        502,
        "Amount registration failed",
    )
    missing = await shop.http.get("/api/orders/424242")
    assert (missing.status_code, missing.headers["content-type"]) == (404, PROBLEM)
    assert (await shop.http.get("/api/payments/imp_000000000000")).status_code == 404


async def test_the_redirect_lands_on_a_result_page(shop: Shop, emu: EmulatorClient) -> None:
    product = await shop.product("d", stock=1, price=3_000)
    placed = await shop.order((product["id"], 1))
    merchant_uid = placed["request_pay"]["merchant_uid"]
    payment = seed(emu, merchant_uid=merchant_uid, amount=3_000)

    page = await shop.http.get(
        "/iamport/complete",
        params={"imp_uid": payment["imp_uid"], "merchant_uid": merchant_uid, "imp_success": "true"},
    )

    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'data-status="paid"' in page.text and merchant_uid in page.text
    assert (await shop.order_state(merchant_uid))["status"] == "paid"


async def test_a_payment_of_another_order_does_not_complete_this_one(
    shop: Shop, emu: EmulatorClient
) -> None:
    product = await shop.product("e", stock=2, price=3_000)
    mine = (await shop.order((product["id"], 1)))["request_pay"]["merchant_uid"]
    theirs = (await shop.order((product["id"], 1)))["request_pay"]["merchant_uid"]
    payment = seed(emu, merchant_uid=theirs, amount=3_000)

    answer = await shop.complete(payment["imp_uid"], mine)

    assert answer.status_code == 409
    assert (await shop.order_state(mine))["status"] == "pending"
    assert (await shop.order_state(theirs))["status"] == "paid"  # i'mport's word, applied


async def test_payments_are_searched_with_filters_and_pages(
    shop: Shop, emu: EmulatorClient
) -> None:
    product = await shop.product("f", stock=10, price=1_000)
    for method in ("card", "card", "trans"):
        merchant_uid = (await shop.order((product["id"], 1)))["request_pay"]["merchant_uid"]
        payment = seed(emu, merchant_uid=merchant_uid, amount=1_000, pay_method=method)
        await shop.complete(payment["imp_uid"], merchant_uid)

    cards = (await shop.http.get("/api/payments", params={"pay_method": "card"})).json()
    assert (cards["total"], len(cards["items"])) == (2, 2)
    page = (await shop.http.get("/api/payments", params={"limit": 2, "offset": 2})).json()
    assert (page["total"], len(page["items"])) == (3, 1)
    paid = (await shop.http.get("/api/payments", params={"status": "paid"})).json()
    assert paid["total"] == 3
    now = shop.clock.now()
    window = {"since": (now - timedelta(hours=1)).isoformat(), "until": now.isoformat()}
    assert (await shop.http.get("/api/payments", params=window)).json()["total"] == 3
    later = {"since": (now + timedelta(hours=1)).isoformat()}
    assert (await shop.http.get("/api/payments", params=later)).json()["total"] == 0
    naive = {"since": datetime.now(UTC).replace(tzinfo=None).isoformat()}
    assert (await shop.http.get("/api/payments", params=naive)).status_code == 422
    bad = await shop.http.get("/api/payments", params={"status": "lost"})
    assert (bad.status_code, bad.headers["content-type"]) == (422, PROBLEM)


async def test_a_delivery_that_is_not_a_notification_is_stored_and_refused(shop: Shop) -> None:
    answer = await shop.http.post(
        "/iamport/webhook", content=b"hello", headers={"content-type": "text/plain"}
    )

    assert (answer.status_code, answer.headers["content-type"]) == (400, PROBLEM)
    async with shop.database.reading() as uow:
        row = await WebhookInbox(uow.connection).get(1)
    assert row is not None and (row.body, row.outcome, row.imp_uid) == (
        b"hello",
        "unreadable",
        None,
    )
    assert await shop.run_worker() == 0  # nothing to process


async def test_orders_are_listed_newest_first_with_filters_and_key_paging(
    shop: Shop, emu: EmulatorClient
) -> None:
    product = await shop.product("list", stock=20, price=1_000)
    placed = [await shop.order((product["id"], 1)) for _ in range(5)]
    ids = [p["order"]["id"] for p in placed]
    paid_uid = placed[1]["order"]["merchant_uid"]
    payment = seed(emu, merchant_uid=paid_uid, amount=1_000)
    completed = await shop.http.post("/iamport/complete", json={"imp_uid": payment["imp_uid"]})
    assert completed.json()["order"]["status"] == "paid"

    seen: list[int] = []
    page = (await shop.http.get("/api/orders", params={"limit": 2})).json()
    seen += [o["id"] for o in page["items"]]
    late = await shop.order((product["id"], 1))  # placed mid-walk: shifts no page
    while page["next_before"] is not None:
        query = {"limit": 2, "before": page["next_before"]}
        page = (await shop.http.get("/api/orders", params=query)).json()
        seen += [o["id"] for o in page["items"]]
    assert seen == sorted(ids, reverse=True)  # every order once, newest first
    assert late["order"]["id"] not in seen

    only_paid = (await shop.http.get("/api/orders", params={"status": "paid"})).json()
    assert [o["merchant_uid"] for o in only_paid["items"]] == [paid_uid]
    assert only_paid["next_before"] is None
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    none_yet = (await shop.http.get("/api/orders", params={"since": future})).json()
    assert none_yet["items"] == []

    for bad in (
        {"status": "bogus"},
        {"limit": 0},
        {"before": 2**63},
        {"since": "2026-01-01T00:00"},
    ):
        answer = await shop.http.get("/api/orders", params=bad)
        assert (answer.status_code, answer.headers["content-type"]) == (422, PROBLEM), bad
