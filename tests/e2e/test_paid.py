"""A payment ends paid: told by the webhook, by the browser's completion call, or both.

The order is placed through our API (amount priced and registered with the
emulator), paid in the emulator's window with our ``confirm_url`` (stock is
held), and the result reaches us by webhook and/or completion. Whatever the
order of arrival and however often, the order is paid once and the held unit
is sold once.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.auth import confirm_path
from tests.support.emulator import EmulatorClient
from tests.support.window_http import WindowClient

from .harness import Shop, delivered

pytestmark = pytest.mark.asyncio


def pay(window: WindowClient, placed: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """Pay the order in the emulator's window with what ``POST /api/orders`` returned."""
    params = {**placed["request_pay"], **overrides}
    return window.pay_card({k: v for k, v in params.items() if v is not None})


async def test_paid_by_webhook_sells_the_held_unit_and_records_the_payment(
    shop: Shop, emu: EmulatorClient, window: WindowClient
) -> None:
    product = await shop.product("tee", stock=3, price=15_000)
    placed = await shop.order((product["id"], 2))
    request_pay = placed["request_pay"]
    assert request_pay["amount"] == 30_000
    # the order's own signed confirm_url: only a call to it can hold this order's stock
    assert request_pay["confirm_url"] == shop.url + confirm_path(request_pay["merchant_uid"])
    assert request_pay["m_redirect_url"] == f"{shop.url}/iamport/complete"
    assert len(request_pay["merchant_uid"]) <= 40

    rsp = pay(window, placed)
    assert rsp["status"] == "paid", rsp
    attempts = await delivered(emu, rsp["imp_uid"])
    assert [a["status"] for a in attempts] == [200]

    order = await shop.settled(request_pay["merchant_uid"])
    assert (order["status"], order["paid_amount"], order["holding"]) == ("paid", 30_000, False)
    assert await shop.stock(product["id"]) == {"available": 1, "held": 0, "sold": 2}
    [payment] = order["payments"]
    assert payment["imp_uid"] == rsp["imp_uid"]
    assert payment["status"] == "paid" and payment["apply_num"]
    for key in ("apply_num", "pg_tid", "merchant_uid"):
        found = (await shop.http.get("/api/payments", params={key: payment[key]})).json()
        assert [p["imp_uid"] for p in found["items"]] == [rsp["imp_uid"]]
    one = (await shop.http.get(f"/api/payments/{rsp['imp_uid']}")).json()
    assert (one["order_id"], one["refunds"]) == (order["id"], [])


async def test_paid_by_completion_alone(
    shop: Shop, emu: EmulatorClient, window: WindowClient
) -> None:
    product = await shop.product("mug", stock=1, price=9_000)
    placed = await shop.order((product["id"], 1))
    rsp = pay(window, placed, notice_url=None)  # no webhook target: the callback only
    assert emu.webhooks(rsp["imp_uid"])[0]["state"] == "undeliverable"
    merchant_uid = placed["request_pay"]["merchant_uid"]
    assert (await shop.order_state(merchant_uid))["status"] == "held"

    answer = await shop.complete(rsp["imp_uid"], merchant_uid)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["verification"] == "settled"
    assert (body["order"]["status"], body["order"]["paid_amount"]) == ("paid", 9_000)
    assert await shop.stock(product["id"]) == {"available": 0, "held": 0, "sold": 1}
