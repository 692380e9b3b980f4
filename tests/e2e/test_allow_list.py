"""The webhook allow-list, behind a trusted reverse proxy.

The shop only takes webhooks from i'mport's official address here, and
trusts the proxy on 127.0.0.1 (where the test connects from) to say who the
client was. ``X-Forwarded-For`` from anyone else is ignored, and only the
hop the proxy itself appended counts — on every header line, so a forged
first line cannot slip past a proxy that appends a second one. Refused
deliveries are recorded without their body: address, headers, size, time.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from paydesk.store.ledger_records import InboxRecord
from paydesk.store.tables import webhook_inbox
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


async def inbox(shop: Shop) -> list[InboxRecord]:
    async with shop.database.reading() as uow:
        rows = await uow.connection.execute(select(webhook_inbox).order_by(webhook_inbox.c.id))
        return [InboxRecord.from_row(row) for row in rows]


async def stored(shop: Shop, imp_uid: str) -> list[tuple[str, str | None]]:
    return [(r.source_ip, r.outcome) for r in await inbox(shop) if r.imp_uid == imp_uid]


async def refused(shop: Shop) -> list[tuple[str, bytes, int | None, str | None]]:
    """The refused deliveries: source, body (never kept), size, and one header we sent."""
    return [(r.source_ip, r.body, r.body_size, r.headers.get("x-test"))
            for r in await inbox(shop) if r.outcome == "forbidden source"]  # fmt: skip


@pytest.mark.parametrize("shop_options", [BEHIND_PROXY], indirect=True)
async def test_the_proxy_names_iamport_and_the_webhook_is_taken(
    shop: Shop, emu: EmulatorClient
) -> None:
    body = await notification(shop, emu)

    answer = await shop.http.post("/iamport/webhook", json=body,
                                  headers={"X-Forwarded-For": IAMPORT})  # fmt: skip

    assert answer.status_code == 200, answer.text
    assert (await shop.settled(body["merchant_uid"]))["status"] == "paid"
    assert await stored(shop, body["imp_uid"]) == [(IAMPORT, "settled:paid")]


@pytest.mark.parametrize("shop_options", [BEHIND_PROXY], indirect=True)
@pytest.mark.parametrize(
    ("forwarded", "source"),
    [
        (["203.0.113.9"], "203.0.113.9"),
        ([f"{IAMPORT}, 203.0.113.9"], "203.0.113.9"),
        ([IAMPORT, "203.0.113.9"], "203.0.113.9"),  # the proxy appended a second line
    ],
    ids=["other-sender", "spoofed-first-hop", "spoofed-first-line"],
)
async def test_other_senders_are_refused_and_recorded_without_the_body(
    shop: Shop, emu: EmulatorClient, forwarded: list[str], source: str
) -> None:
    body = await notification(shop, emu)
    headers = [("X-Test", "refused"), *(("X-Forwarded-For", line) for line in forwarded)]

    answer = await shop.http.post("/iamport/webhook", json=body, headers=headers)

    assert answer.status_code == 403
    assert (await shop.order_state(body["merchant_uid"]))["status"] == "pending"
    size = len(answer.request.content)
    assert await refused(shop) == [(source, b"", size, "refused")]
    assert await stored(shop, body["imp_uid"]) == []  # nothing of the body: not even its imp_uid


@pytest.mark.parametrize("shop_options", [NO_PROXY], indirect=True)
async def test_forwarded_for_is_ignored_without_a_trusted_proxy(
    shop: Shop, emu: EmulatorClient
) -> None:
    body = await notification(shop, emu)

    answer = await shop.http.post("/iamport/webhook", json=body,
                                  headers={"X-Forwarded-For": IAMPORT})  # fmt: skip

    assert answer.status_code == 403
    assert [r[0] for r in await refused(shop)] == ["127.0.0.1"]
