"""The webhook allow-list, behind a trusted reverse proxy.

The shop only takes webhooks from i'mport's official address here, and
trusts the proxy on 127.0.0.1 (where the test connects from) to say who the
client was. ``X-Forwarded-For`` from anyone else is ignored, and only the
hop the proxy itself appended counts. Refused deliveries are still stored.
"""

from __future__ import annotations

from typing import Any

import pytest

from paydesk.store.inbox import WebhookInbox
from tests.support.emulator import EmulatorClient, seed

from .harness import Shop

pytestmark = pytest.mark.asyncio
IAMPORT = "52.78.100.19"
BEHIND_PROXY = {"webhook_allowed_ips": IAMPORT, "trusted_proxies": "127.0.0.1/32"}
NO_PROXY = {"webhook_allowed_ips": IAMPORT}


async def notification(shop: Shop, emu: EmulatorClient) -> dict[str, Any]:
    product = await shop.product("fan", stock=1, price=60_000)
    placed = await shop.order((product["id"], 1))
    merchant_uid = placed["request_pay"]["merchant_uid"]
    payment = seed(emu, merchant_uid=merchant_uid, amount=60_000)  # no webhook target
    return {"imp_uid": payment["imp_uid"], "merchant_uid": merchant_uid, "status": "paid"}


async def stored(shop: Shop, imp_uid: str) -> list[tuple[str, str | None]]:
    async with shop.database.reading() as uow:
        rows = await WebhookInbox(uow.connection).of_payment(imp_uid)
    return [(r.source_ip, r.outcome) for r in rows]


@pytest.mark.parametrize("shop_options", [BEHIND_PROXY], indirect=True)
async def test_the_proxy_names_iamport_and_the_webhook_is_taken(
    shop: Shop, emu: EmulatorClient
) -> None:
    body = await notification(shop, emu)

    answer = await shop.http.post("/iamport/webhook", json=body,
                                  headers={"X-Forwarded-For": IAMPORT})  # fmt: skip

    assert answer.status_code == 200, answer.text
    assert (await shop.order_state(body["merchant_uid"]))["status"] == "paid"
    assert await stored(shop, body["imp_uid"]) == [(IAMPORT, "settled:paid")]


@pytest.mark.parametrize("shop_options", [BEHIND_PROXY], indirect=True)
@pytest.mark.parametrize(
    ("forwarded", "source"),
    [("203.0.113.9", "203.0.113.9"), (f"{IAMPORT}, 203.0.113.9", "203.0.113.9")],
    ids=["other-sender", "spoofed-first-hop"],
)
async def test_other_senders_are_refused_but_stored(
    shop: Shop, emu: EmulatorClient, forwarded: str, source: str
) -> None:
    body = await notification(shop, emu)

    answer = await shop.http.post("/iamport/webhook", json=body,
                                  headers={"X-Forwarded-For": forwarded})  # fmt: skip

    assert answer.status_code == 403
    assert (await shop.order_state(body["merchant_uid"]))["status"] == "pending"
    assert await stored(shop, body["imp_uid"]) == [(source, "forbidden source")]


@pytest.mark.parametrize("shop_options", [NO_PROXY], indirect=True)
async def test_forwarded_for_is_ignored_without_a_trusted_proxy(
    shop: Shop, emu: EmulatorClient
) -> None:
    body = await notification(shop, emu)

    answer = await shop.http.post("/iamport/webhook", json=body,
                                  headers={"X-Forwarded-For": IAMPORT})  # fmt: skip

    assert answer.status_code == 403
    assert await stored(shop, body["imp_uid"]) == [("127.0.0.1", "forbidden source")]
