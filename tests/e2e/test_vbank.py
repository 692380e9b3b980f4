"""A virtual account: issued (``ready`` webhook), stock held while the buyer has not paid,
then the deposit (``paid`` webhook) sells it.

A ``ready`` payment is still pending: neither the hold check nor the sweep
releases the stock however long it waits, because only a definite failure may.
"""

from __future__ import annotations

import pytest

from tests.support.emulator import EmulatorClient
from tests.support.window_http import WindowClient

from .harness import Shop, delivered

pytestmark = pytest.mark.asyncio


async def test_vbank_issued_then_deposited(
    shop: Shop, emu: EmulatorClient, window: WindowClient
) -> None:
    product = await shop.product("desk", stock=1, price=120_000)
    placed = await shop.order((product["id"], 1), pay_method="vbank")
    params = {k: v for k, v in placed["request_pay"].items() if v is not None}
    opened = window.open(params)
    rsp = window.rsp(window.submit(window.sid(opened), bank_code="004"))
    assert rsp["status"] == "ready", rsp
    imp_uid, merchant_uid = rsp["imp_uid"], rsp["merchant_uid"]
    await delivered(emu, imp_uid)

    order = await shop.order_state(merchant_uid)
    assert (order["status"], order["holding"]) == ("held", True)
    [payment] = order["payments"]
    assert payment["status"] == "ready"
    assert payment["vbank"]["number"] == rsp["vbank_num"]
    assert payment["vbank"]["bank_code"] == "004" and payment["vbank"]["due"]

    shop.clock.advance(3600)  # long past the hold check: still pending, still held
    assert await shop.run_worker() >= 1
    assert (await shop.order_state(merchant_uid))["status"] == "held"
    assert await shop.stock(product["id"]) == {"available": 0, "held": 1, "sold": 0}

    emu.control("POST", f"/vbanks/{imp_uid}/deposit", json={})
    await delivered(emu, imp_uid, count=2)

    order = await shop.order_state(merchant_uid)
    assert (order["status"], order["paid_amount"], order["holding"]) == ("paid", 120_000, False)
    assert order["payments"][0]["status"] == "paid"
    assert await shop.stock(product["id"]) == {"available": 0, "held": 0, "sold": 1}
