"""The webhook intake's group commit: a burst shares one commit, a lone delivery waits for
nobody."""

from __future__ import annotations

import asyncio
import json

import pytest

from paydesk.services.webhooks import WebhookDesk
from paydesk.store.inbox import Delivery

from .shop import T0, Shop

pytestmark = pytest.mark.asyncio


def notification(imp_uid: str) -> Delivery:
    body = json.dumps({"imp_uid": imp_uid, "merchant_uid": f"ord_{imp_uid}", "status": "paid"})
    return Delivery(T0, "52.78.100.19", {"content-type": "application/json"}, body.encode(),
                    imp_uid=imp_uid, merchant_uid=f"ord_{imp_uid}", status="paid")  # fmt: skip


def intake(shop: Shop, window: float) -> WebhookDesk:
    return WebhookDesk(shop.store, shop.clock, shop.verifier, window=window)  # type: ignore[arg-type]


async def test_a_lone_delivery_is_stored_without_waiting_the_window() -> None:
    shop = Shop()
    desk = intake(shop, window=10.0)
    before = shop.store.commits
    receipt = await asyncio.wait_for(desk.receive(notification("imp_alone")), timeout=1.0)
    assert receipt.job_key is not None
    assert shop.store.commits - before == 1


async def test_deliveries_arriving_together_share_one_commit() -> None:
    shop = Shop()
    desk = intake(shop, window=0.3)
    before = shop.store.commits
    first = [asyncio.create_task(desk.receive(notification(f"imp_{i}"))) for i in range(3)]
    await asyncio.sleep(0.1)  # within the window the first ones wait, being in company
    late = asyncio.create_task(desk.receive(notification("imp_late")))
    receipts = await asyncio.gather(*first, late)
    assert len({r.inbox_id for r in receipts}) == 4
    assert shop.store.commits - before == 1
