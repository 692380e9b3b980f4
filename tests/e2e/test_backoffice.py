"""The admin console's services over a running shop: payments made in the emulator's window,
refunds through the API, then the dashboard, the search, the export, the timeline (with the
i'mport call journal) and the actions, on both databases."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from paydesk.services.backoffice import TransactionQuery, parse_filters
from paydesk.services.container import Services
from paydesk.services.errors import NotOnRecord
from paydesk.services.timeline import TimelineEntry
from paydesk.services.transaction_csv import csv_stream
from tests.support.emulator import EmulatorClient
from tests.support.window_http import WindowClient

from .harness import Shop
from .test_cancel import paid
from .test_refunds_api import refund

pytestmark = pytest.mark.asyncio


async def timeline_with(
    services: Services, merchant_uid: str, wanted: Any, within: float = 10.0
) -> list[TimelineEntry]:
    """The order's timeline once ``wanted(entries)`` holds (the server writes its journal
    in the background)."""
    deadline = time.monotonic() + within
    while True:
        await services.journal.flush()
        entries = (await services.backoffice.timeline(merchant_uid=merchant_uid)).entries
        if wanted(entries) or time.monotonic() > deadline:
            return entries
        await asyncio.sleep(0.05)


def calls(entries: list[TimelineEntry]) -> list[tuple[str, str]]:
    return [(e.detail["operation"], e.detail["outcome"]) for e in entries if e.kind == "call"]


async def test_a_paid_and_partly_refunded_order_shows_everywhere(
    shop: Shop, emu: EmulatorClient, window: WindowClient
) -> None:
    rsp = await paid(shop, emu, window)
    imp_uid, merchant_uid = rsp["imp_uid"], rsp["merchant_uid"]
    order = await shop.order_state(merchant_uid)
    answer = await refund(shop, order["id"], amount=10_000)
    assert answer.json()["state"] == "succeeded", answer.text
    office = shop.services.backoffice

    entries = await timeline_with(
        shop.services, merchant_uid, lambda es: ("payments.cancel", "ok") in calls(es)
    )
    kinds = [e.kind for e in entries]
    assert kinds.count("order") == 1 and kinds[0] == "order"
    assert entries[1:] == sorted(entries[1:], key=lambda e: e.at)
    for kind in ("webhook", "payment", "refund", "refund_attempt", "job", "call"):
        assert kind in kinds, kind
    assert ("payments.cancel", "ok") in calls(entries)
    assert ("payments.get", "ok") in calls(entries)  # the webhook's verification
    webhook = next(e for e in entries if e.kind == "webhook")
    assert webhook.raw is not None and imp_uid in webhook.raw and webhook.detail["outcome"]
    attempt = next(e for e in entries if e.kind == "refund_attempt")
    assert attempt.detail["classification"] == "succeeded" and attempt.raw
    assert "webhook.process" in {e.detail["kind"] for e in entries if e.kind == "job"}
    by_id = await office.timeline(order_id=order["id"])
    assert [e.title for e in by_id.entries] == [e.title for e in entries]

    payment = next(e for e in entries if e.kind == "payment").detail
    assert payment["apply_num"] and payment["pg_tid"]
    for filters in (TransactionQuery(apply_num=payment["apply_num"]),
                    TransactionQuery(pg_tid=payment["pg_tid"]), TransactionQuery(imp_uid=imp_uid),
                    TransactionQuery(merchant_uid=merchant_uid),
                    parse_filters({"buyer": "길동", "status": "partially_refunded"})):  # fmt: skip
        found = await office.search(filters)
        assert [r.merchant_uid for r in found.rows] == [merchant_uid] and found.total == 1
    [row] = (await office.search(TransactionQuery(imp_uid=imp_uid))).rows
    assert (row.amount, row.paid_amount, row.refunded_amount) == (30_000, 30_000, 10_000)
    assert (row.imp_uid, row.payment_status, row.buyer_name) == (imp_uid, "cancelled", "홍길동")
    assert (await office.search(TransactionQuery(status="refunded"))).total == 0

    board = await office.dashboard()
    assert (board.today.sales, board.today.sales_count) == (30_000, 1)
    assert (board.today.refunds, board.today.refund_count) == (10_000, 1)
    assert len(board.series) == 14 and board.series[-1] == board.today
    assert sum(day.sales for day in board.series) == 30_000
    assert board.unknown == 0 and board.orders_by_status.get("partially_refunded") == 1


async def test_search_pages_and_export_see_every_order_once(shop: Shop) -> None:
    product = await shop.product("pen", stock=50, price=1_000)
    placed = [await shop.order((product["id"], 1), buyer={"name": f"구매자{i}",
                                                          "email": f"B{i}@Example.com"})
              for i in range(7)]  # fmt: skip
    uids = [p["request_pay"]["merchant_uid"] for p in reversed(placed)]  # newest first
    office = shop.services.backoffice
    pages = [await office.search(TransactionQuery(), page=n, per_page=3) for n in (1, 2, 3)]
    assert [p.total for p in pages] == [7, 7, 7] and pages[0].pages == 3
    assert [r.merchant_uid for p in pages for r in p.rows] == uids
    assert (await office.search(TransactionQuery(), per_page=10_000)).per_page == 100
    assert [
        r.merchant_uid for r in (await office.search(parse_filters({"buyer": "b3@EXAMPLE"}))).rows
    ] == [uids[3]]

    small = type(office)(shop.database, shop.clock, export_chunk=2)  # several chunks
    exported = [row.merchant_uid async for row in small.export(TransactionQuery())]
    assert exported == uids
    lines = [line async for line in csv_stream(small.export(TransactionQuery(status="pending")))]
    assert lines[0].startswith("\ufefforder_id,merchant_uid") and len(lines) == 8
    assert all(uid in "".join(lines) for uid in uids)
    with pytest.raises(NotOnRecord):
        await office.timeline(merchant_uid="no-such-order")


async def test_a_lost_cancel_is_unknown_on_the_dashboard_and_the_timeline(
    shop: Shop, emu: EmulatorClient, window: WindowClient
) -> None:
    rsp = await paid(shop, emu, window)
    order = await shop.order_state(rsp["merchant_uid"])
    emu.fault(path="/payments/cancel", kind="no_answer", times=1)
    answer = await refund(shop, order["id"], amount=5_000)
    assert answer.json()["state"] in ("unknown", "sending"), answer.text
    entries = await timeline_with(
        shop.services, rsp["merchant_uid"], lambda es: ("payments.cancel", "unknown") in calls(es)
    )
    assert ("payments.cancel", "unknown") in calls(entries)
    board = await shop.services.backoffice.dashboard()
    assert board.unknown == 1 and sum(board.unknown_by_kind.values()) == 1


async def test_replay_and_reconcile_now(
    shop: Shop, emu: EmulatorClient, window: WindowClient
) -> None:
    rsp = await paid(shop, emu, window)
    entries = (await shop.services.backoffice.timeline(merchant_uid=rsp["merchant_uid"])).entries
    inbox_id = next(e.detail["inbox_id"] for e in entries if e.kind == "webhook")
    replayed = await shop.services.actions.replay_webhook(inbox_id)
    assert (replayed.ok, replayed.imp_uid) == (True, rsp["imp_uid"])
    assert replayed.outcome and replayed.outcome.endswith("paid")
    assert (await shop.order_state(rsp["merchant_uid"]))["status"] == "paid"  # idempotent
    with pytest.raises(NotOnRecord):
        await shop.services.actions.replay_webhook(999_999)

    first = await shop.services.actions.reconcile_now()
    again = await shop.services.actions.reconcile_now()
    assert first.queued and first.job_key and (again.queued, again.job_key) == (False, None)
    await shop.run_worker()
    board = await shop.services.backoffice.dashboard()
    assert board.reconciliation is not None and board.last_sweep is not None
    async with shop.database.reading() as uow:
        sweeps = await uow.reconciliations.listing()
    assert [(s.trigger, s.status) for s in sweeps if s.trigger == "admin"] == [
        ("admin", "finished")
    ]
    assert (await shop.services.actions.reconcile_now()).queued  # none in flight any more
