"""Webhook and completion in either order, and duplicate deliveries: applied once.

V1 webhooks have no event id; what makes a repeat harmless is that every
delivery is re-verified with i'mport and the same payment state applied
twice changes nothing. Each delivery is still stored verbatim in the inbox.
"""

from __future__ import annotations

from typing import Any

import pytest

from paydesk.store.inbox import WebhookInbox
from paydesk.store.ledger_records import InboxRecord
from tests.support.emulator import DEMO_CODE, EmulatorClient
from tests.support.window_http import WindowClient

from .harness import Shop, delivered

pytestmark = [pytest.mark.asyncio, pytest.mark.usefixtures("merchant_defaults")]


@pytest.fixture(autouse=True)
def one_delivery_each(emu: EmulatorClient) -> None:
    """These tests count inbox rows: one attempt per webhook, no random copy, no jitter."""
    emu.control("PUT", f"/merchants/{DEMO_CODE}/settings", json={"delivery": "once"})


async def paid_order(shop: Shop, window: WindowClient) -> tuple[dict[str, Any], dict[str, Any]]:
    """An order for one unit of a fresh product, paid in the window; (product, rsp)."""
    product = await shop.product("pen", stock=2, price=5_000)
    placed = await shop.order((product["id"], 1))
    rsp = window.pay_card({k: v for k, v in placed["request_pay"].items() if v is not None})
    assert rsp["status"] == "paid", rsp
    return product, rsp


async def inbox(shop: Shop, imp_uid: str) -> list[InboxRecord]:
    async with shop.database.reading() as uow:
        return await WebhookInbox(uow.connection).of_payment(imp_uid)


async def assert_paid_once(shop: Shop, product: dict[str, Any], rsp: dict[str, Any]) -> None:
    order = await shop.order_state(rsp["merchant_uid"])
    assert (order["status"], order["paid_amount"], order["refunds"]) == ("paid", 5_000, [])
    assert await shop.stock(product["id"]) == {"available": 1, "held": 0, "sold": 1}


async def test_webhook_then_completion(
    shop: Shop, emu: EmulatorClient, window: WindowClient
) -> None:
    product, rsp = await paid_order(shop, window)
    await delivered(emu, rsp["imp_uid"])

    answer = await shop.complete(rsp["imp_uid"], rsp["merchant_uid"])

    assert answer.json()["order"]["status"] == "paid"
    await assert_paid_once(shop, product, rsp)
    [row] = await inbox(shop, rsp["imp_uid"])
    assert (row.status, row.outcome, row.source_ip) == ("paid", "settled:paid", "127.0.0.1")
    assert row.body and row.headers["content-type"].startswith("application/json")


async def test_completion_then_a_late_webhook(
    shop: Shop, emu: EmulatorClient, window: WindowClient
) -> None:
    emu.control("PUT", f"/merchants/{DEMO_CODE}/settings", json={"delivery": {"delay": 60}})
    product, rsp = await paid_order(shop, window)
    assert emu.webhooks(rsp["imp_uid"])[0]["attempts"] == []

    answer = await shop.complete(rsp["imp_uid"], rsp["merchant_uid"])
    assert answer.json()["order"]["status"] == "paid"
    emu.advance(61)
    await delivered(emu, rsp["imp_uid"])

    await assert_paid_once(shop, product, rsp)
    assert [r.outcome for r in await inbox(shop, rsp["imp_uid"])] == ["settled:paid"]


async def test_the_same_webhook_resent_is_applied_once(
    shop: Shop, emu: EmulatorClient, window: WindowClient
) -> None:
    product, rsp = await paid_order(shop, window)
    await delivered(emu, rsp["imp_uid"])
    [record] = emu.webhooks(rsp["imp_uid"])

    emu.control("POST", f"/webhooks/{record['id']}/resend")
    await delivered(emu, rsp["imp_uid"], count=2)

    await assert_paid_once(shop, product, rsp)
    rows = await inbox(shop, rsp["imp_uid"])
    assert [r.outcome for r in rows] == ["settled:paid", "settled:paid"]
    assert rows[0].body == rows[1].body


async def test_the_emulators_duplicate_policy_is_applied_once_in_form_encoding(
    shop: Shop, emu: EmulatorClient, window: WindowClient
) -> None:
    emu.control(
        "PUT",
        f"/merchants/{DEMO_CODE}/settings",
        json={"webhook_content_type": "form", "delivery": {"duplicate_probability": 1.0}},
    )
    product, rsp = await paid_order(shop, window)

    attempts = await delivered(emu, rsp["imp_uid"], count=2, copies=True)

    assert sorted(a["duplicate"] for a in attempts) == [False, True]
    assert [a["status"] for a in attempts] == [200, 200]
    await assert_paid_once(shop, product, rsp)
    rows = await inbox(shop, rsp["imp_uid"])
    assert len(rows) == 2
    assert all(r.headers["content-type"].startswith("application/x-www-form-urlencoded")
               for r in rows)  # fmt: skip
