"""``/metrics`` after real payments: the counters moved and the gauges count the backlog.

Two orders are paid in the emulator's window through the shop's signed
``confirm_url``: one settles by webhook, the other has no webhook target and
stays held. One scrape (the backlog is counted once per few seconds) then shows both confirms approved, the webhook stored
and processed, and the held order waiting.
"""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.emulator import EmulatorClient
from tests.support.window_http import WindowClient

from .harness import Shop, delivered
from .test_paid import pay

pytestmark = pytest.mark.asyncio

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


async def scrape(shop: Shop) -> Samples:
    answer = await shop.http.get("/metrics", headers={"Authorization": ""})
    assert answer.status_code == 200, answer.text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_counters_and_gauges_follow_the_payments(
    shop: Shop, emu: EmulatorClient, window: WindowClient
) -> None:
    product = await shop.product("metric-tee", stock=5, price=12_000)

    by_webhook = await shop.order((product["id"], 1))
    rsp = pay(window, by_webhook)
    assert rsp["status"] == "paid", rsp
    await delivered(emu, rsp["imp_uid"])
    held = await shop.order((product["id"], 2))
    assert pay(window, held, notice_url=None)["status"] == "paid"

    after = await scrape(shop)
    assert value(after, "paydesk_confirm_decisions_total", result="approved") == 2
    assert value(after, "paydesk_confirm_seconds_count") == 2
    assert value(after, "paydesk_webhooks_received_total", outcome="stored") >= 1
    assert value(after, "paydesk_webhook_lag_seconds_count") >= 1  # processed inline
    assert value(after, "paydesk_backlog_up") == 1
    assert value(after, "paydesk_orders_waiting", status="held") == 1
    assert value(after, "paydesk_orders_waiting", status="unverified") == 0
    assert value(after, "paydesk_jobs_dead") == 0
    assert value(after, "paydesk_webhooks_unprocessed") == 0
    # the webhook's payment was read from i'mport: the client's observer hook counted it
    reads = value(after, "paydesk_iamport_calls_total", operation="payments.get", outcome="ok")
    assert reads >= 1
    assert value(after, "paydesk_iamport_call_seconds_count", operation="payments.get") == reads


async def test_refusals_are_counted_by_reason(shop: Shop, window: WindowClient) -> None:
    product = await shop.product("metric-mug", stock=1, price=8_000)
    first = await shop.order((product["id"], 1))
    second = await shop.order((product["id"], 1))
    assert pay(window, first, notice_url=None)["status"] == "paid"
    refused = pay(window, second, notice_url=None)
    assert refused["status"] != "paid", refused

    samples = await scrape(shop)
    assert value(samples, "paydesk_confirm_decisions_total", result="approved") == 1
    assert value(samples, "paydesk_confirm_decisions_total", result="sold_out") == 1
