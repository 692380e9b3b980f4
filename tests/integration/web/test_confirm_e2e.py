"""The Confirm Process end to end: the emulator's payment window asks our server.

Order placed (amount registered with the emulator's ``/payments/prepare``), the
window driven over HTTP as a browser would, i'mport's confirm call answered by
``/iamport/confirm`` on a real database: the first buyer's payment goes
through with stock held, the second is failed by i'mport with our reason.
"""

from __future__ import annotations

import httpx
import pytest

from paydesk.core.orders import OrderStatus
from paydesk.store import Database
from tests.support.auth import bearer, confirm_path, create_key
from tests.support.emulator import EmulatorClient
from tests.support.window_http import WindowClient, card_params

from .shop import EmulatorRegistrar, add_product, merchant_server, order_desk, place, stock_of

REFUSED = "고객사 요청에 의해 결제를 중단합니다. (상세사유 : {})"


@pytest.mark.asyncio
async def test_last_unit_goes_to_the_first_confirm_and_the_next_payment_fails_with_our_reason(
    emu: EmulatorClient,
    window: WindowClient,
    database_url: str,
    database: Database,
    registrar: EmulatorRegistrar,
) -> None:
    desk = order_desk(database, registrar)
    with merchant_server(database_url) as shop:
        key = await create_key(database_url)
        async with httpx.AsyncClient(base_url=shop, headers=bearer(key)) as api:
            product = await add_product(api, "limited", stock=1, price=34_000)
            first = await place(desk, (product["id"], 1))
            second = await place(desk, (product["id"], 1))

            def pay(order_uid: str) -> dict[str, object]:
                params = card_params(
                    merchant_uid=order_uid,
                    amount=34_000,
                    confirm_url=shop + confirm_path(order_uid),
                )
                return window.pay_card(params)

            won = pay(first.merchant_uid)
            assert won["status"] == "paid", won
            lost = pay(second.merchant_uid)
            assert lost["status"] == "failed"
            assert lost["error_msg"] == REFUSED.format("sold out")
            assert (await stock_of(api, [product["id"]]))[product["id"]] == {
                "available": 0,
                "held": 1,
                "sold": 0,
            }

    calls = emu.control("GET", "/confirms")
    assert [(c["request"]["merchant_uid"], c["status"]) for c in calls] == [
        (first.merchant_uid, 200),
        (second.merchant_uid, 409),
    ]
    async with database.reading() as uow:
        orders = await uow.orders.many([first.merchant_uid, second.merchant_uid])
        decisions = await uow.decisions.many([str(won["imp_uid"]), str(lost["imp_uid"])])
    assert orders[first.merchant_uid].order.status == OrderStatus.HELD
    assert orders[first.merchant_uid].order.imp_uid == won["imp_uid"]
    assert orders[second.merchant_uid].order.status == OrderStatus.PENDING
    assert decisions[str(won["imp_uid"])].approved
    assert not decisions[str(lost["imp_uid"])].approved
