"""Several workers on one database, as separate processes would run them.

Each worker has its own engine and i'mport client. Claiming (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL, the single writer on SQLite) decides who runs which
job; the order lock in settlement serialises the jobs that touch one order.
So a burst of duplicate deliveries of one payment, processed by three workers
at once, still sells the unit once and runs every job exactly once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest

from paydesk.core.clock import SystemClock
from paydesk.core.money import Money
from paydesk.core.orders import OrderStatus
from paydesk.core.stock import Line
from paydesk.jobs.handlers import job_handlers
from paydesk.jobs.runner import JobRunner
from paydesk.services.iamport_port import IamportPayments
from paydesk.services.ordering import OrderDesk, OrderRequest
from paydesk.store import Database
from paydesk.store.inbox import Delivery
from tests.e2e.harness import iamport_client, services_over
from tests.support.emulator import EmulatorClient, seed

pytestmark = pytest.mark.asyncio
DUPLICATES = 12


@asynccontextmanager
async def worker(database_url: str, emulator_url: str, name: str) -> AsyncIterator[JobRunner]:
    services = services_over(database_url, emulator_url)
    try:
        yield JobRunner(services.store, services.clock, job_handlers(services), name=name)
    finally:
        await services.aclose()


async def drain(runner: JobRunner) -> int:
    ran = 0
    while batch := await runner.run_once(limit=2):
        ran += batch
    return ran


async def test_three_workers_apply_a_burst_of_duplicate_webhooks_once(
    database: Database, database_url: str, emulator_url: str, emu: EmulatorClient
) -> None:
    clock = SystemClock()
    client = iamport_client(emulator_url)
    try:
        async with database.transaction() as uow:
            product = await uow.products.add(sku="p", name="P", price=Money(8_000), stock=1,
                                             on_sale=True, now=clock.now())  # fmt: skip
        desk = OrderDesk(database, clock, IamportPayments(client), ttl=timedelta(minutes=30))
        placed = await desk.place(OrderRequest([Line(product.id, 1)]))
        payment = seed(emu, merchant_uid=placed.merchant_uid, amount=8_000)
        services = services_over(database_url, emulator_url, clock)
        for _ in range(DUPLICATES):
            body = f'{{"imp_uid":"{payment["imp_uid"]}","status":"paid"}}'.encode()
            delivery = Delivery(datetime.now(UTC), "52.78.100.19", {}, body,
                                imp_uid=payment["imp_uid"], merchant_uid=placed.merchant_uid)  # fmt: skip
            await services.webhooks.receive(delivery)
        await services.aclose()
    finally:
        await client.aclose()

    async with (
        worker(database_url, emulator_url, "w1") as w1,
        worker(database_url, emulator_url, "w2") as w2,
        worker(database_url, emulator_url, "w3") as w3,
    ):
        ran = await asyncio.gather(drain(w1), drain(w2), drain(w3))

    assert sum(ran) == DUPLICATES
    async with database.reading() as uow:
        order = await uow.orders.get(placed.merchant_uid)
        stock = await uow.products.get(product.id)
        counts = await uow.jobs.counts()
    assert order is not None and order.order.status == OrderStatus.PAID
    assert stock is not None and (stock.stock.available, stock.stock.sold) == (0, 1)
    assert counts == {"done": DUPLICATES}
