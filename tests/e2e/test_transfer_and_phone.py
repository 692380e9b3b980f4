"""Account transfer and mobile phone payments end to end, through the window and the refund API.

- Transfer: the bank is named from its code (i'mport's table); full and partial
  refunds go through ``POST /api/orders/{id}/refunds`` and the books agree with
  the gateway's.
- Phone: a full cancel in the month paid; a partial cancel only on KG Inicis
  and NHN KCP; a cancel after the month of payment refused with the rule named
  (``phone_month``) *before* anything is sent to i'mport.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from tests.support.emulator import EmulatorClient
from tests.support.window_http import WindowClient

from .harness import Shop, delivered
from .test_refunds_api import books_agree, refund

pytestmark = pytest.mark.asyncio
KST = timezone(timedelta(hours=9))


async def pay_in_window(
    shop: Shop, emu: EmulatorClient, window: WindowClient, *, price: int, pay_method: str,
    pg: str, **form: str,
) -> tuple[dict[str, Any], str]:  # fmt: skip
    """A new order paid in the emulator's window with ``form``; settled by its webhook."""
    product = await shop.product(f"{pay_method}-{pg}-{price}", stock=3, price=price)
    placed = await shop.order((product["id"], 1), pay_method=pay_method, pg=pg)
    params = {k: v for k, v in placed["request_pay"].items() if v is not None}
    rsp = window.rsp(window.submit(window.sid(window.open(params)), **form))
    assert rsp["status"] == "paid", rsp
    await delivered(emu, rsp["imp_uid"])
    assert (await shop.order_state(rsp["merchant_uid"]))["status"] == "paid"
    return placed["order"], rsp["imp_uid"]


PHONE = {"carrier": "SKT", "phone": "01012345678", "code": "123456"}


async def test_a_transfer_is_named_by_its_bank_and_refunded_in_part_then_in_full(
    shop: Shop, emu: EmulatorClient, window: WindowClient
) -> None:
    order, imp_uid = await pay_in_window(shop, emu, window, price=40_000, pay_method="trans",
                                         pg="html5_inicis", bank_code="088")  # fmt: skip
    shinhan = emu.get("/banks/088").json()["response"]["name"]
    state = await shop.order_state(order["merchant_uid"])
    assert state["payments"][0]["bank"] == {"code": "088", "name": shinhan}

    partial = await refund(shop, order["id"], amount=15_000)
    assert (partial.status_code, partial.json()["state"]) == (201, "succeeded"), partial.text
    state = await shop.order_state(order["merchant_uid"])
    assert (state["status"], state["refunded_amount"]) == ("partially_refunded", 15_000)

    rest = await refund(shop, order["id"])  # everything left
    assert (rest.json()["state"], rest.json()["amount"]) == ("succeeded", 25_000)
    assert (await shop.order_state(order["merchant_uid"]))["status"] == "refunded"
    assert await books_agree(shop, emu, order, imp_uid) == 40_000
    gone = await refund(shop, order["id"], amount=1)
    assert (gone.status_code, gone.json()["rule"]) == (409, "not_refundable")


async def test_a_phone_payment_is_cancelled_in_full_and_in_part_only_where_the_pg_allows(
    shop: Shop, emu: EmulatorClient, window: WindowClient
) -> None:
    order, imp_uid = await pay_in_window(shop, emu, window, price=12_000, pay_method="phone",
                                         pg="danal", **PHONE)  # fmt: skip
    partial = await refund(shop, order["id"], amount=2_000)
    assert (partial.status_code, partial.json()["rule"]) == (422, "phone_partial")
    full = await refund(shop, order["id"])
    assert full.json()["state"] == "succeeded", full.text
    assert await books_agree(shop, emu, order, imp_uid) == 12_000

    inicis, inicis_uid = await pay_in_window(shop, emu, window, price=12_000,
                                             pay_method="phone", pg="html5_inicis",
                                             **PHONE)  # fmt: skip
    part = await refund(shop, inicis["id"], amount=2_000)
    assert part.json()["state"] == "succeeded", part.text
    assert await books_agree(shop, emu, inicis, inicis_uid) == 2_000


async def test_a_phone_cancel_in_the_next_month_is_refused_before_imports_is_asked(
    shop: Shop, emu: EmulatorClient, window: WindowClient
) -> None:
    order, imp_uid = await pay_in_window(shop, emu, window, price=8_000, pay_method="phone",
                                         pg="html5_inicis", **PHONE)  # fmt: skip
    now = datetime.now(UTC).astimezone(KST)
    first_of_next = (now.replace(day=1) + timedelta(days=32)).replace(day=1, hour=10)
    seconds = int((first_of_next - now).total_seconds())
    shop.clock.advance(seconds)
    emu.advance(seconds)
    # any cancel that reached i'mport would trip (and use up) this rule
    emu.control("POST", "/faults", json={"path": "/payments/cancel", "kind": "error",
                                         "status": 503, "times": 1})  # fmt: skip

    for body in ({}, {"amount": 1_000}):
        refused = await refund(shop, order["id"], **body)
        assert refused.status_code == 422, refused.text
        problem = refused.json()
        assert problem["rule"] == "phone_month"
        assert "month" in problem["detail"]

    [fault] = emu.control("GET", "/faults")
    assert fault["fired"] == 0, "nothing was sent to i'mport"
    assert (await shop.http.get(f"/api/orders/{order['id']}/refunds")).json() == []
    gateway = emu.get(f"/payments/{imp_uid}").json()["response"]
    assert (gateway["status"], gateway["cancel_amount"]) == ("paid", 0)
    # and i'mport would have refused it too (its own month rule), had it been asked
    emu.control("DELETE", "/faults")
    direct = emu.post("/payments/cancel", json={"imp_uid": imp_uid, "reason": "test"})
    assert direct.json()["code"] != 0, direct.text
