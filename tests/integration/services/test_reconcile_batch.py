"""The sweep's drifted payments applied together (``Settlement.apply_many``), on the databases.

The unit tests run the same books over the in-memory store; here the statements are
the real ones (the page's reads on the columns it needs, the batch's locks, the
payment rows and stock moves written at the end), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from paydesk.core.orders import OrderStatus
from paydesk.core.stock import StockCount
from paydesk.services.reconciliation import ReconcilePolicy, Reconciler
from paydesk.services.settlement import Settlement
from paydesk.store import Database
from tests.support.db import empty_postgres
from tests.unit.services.mixed_books import assert_mixed_outcome, mixed_books, outcome_of
from tests.unit.services.shop import Shop

pytestmark = pytest.mark.asyncio

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _fresh(backend: str, request: pytest.FixtureRequest, path: Path) -> str:
    if backend == "sqlite":
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    empty_postgres(url)
    return url


@pytest.mark.parametrize("backend", BACKENDS)
async def test_a_page_applied_together_ends_as_one_payment_at_a_time_did(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    outcomes = []
    for page_limit in (1, 1000):
        database = Database(_fresh(backend, request, tmp_path / f"{page_limit}.db"))
        try:
            shop = Shop(store=database)
            pids, uids = await mixed_books(shop)
            sweeper = Reconciler(database, shop.clock, shop.iamport, shop.settlement,  # type: ignore[arg-type]
                                 ReconcilePolicy(page_limit=page_limit))  # fmt: skip
            report = await sweeper.run()
            outcomes.append(await outcome_of(shop, pids, uids, report))
        finally:
            await database.dispose()
    one_at_a_time, paged = outcomes
    assert paged == one_at_a_time
    assert_mixed_outcome(paged)
    assert "one at a time" not in caplog.text


async def test_a_batch_racing_webhooks_of_the_same_payments_applies_each_once(
    database_url: str,
) -> None:
    """Another process (its own connections) applies the same payments one by one, the
    other way round, while the batch runs: each payment is kept once, each unit sold once."""
    ours, theirs = Database(database_url), Database(database_url)
    try:
        shop = Shop(store=ours)
        pid = await shop.product(40)
        orders = [await shop.order((pid, 1)) for _ in range(30)]
        for n, placed in enumerate(orders[:20]):
            await shop.held(placed, f"imp_{n}")  # 20 held, 10 paid without a hold
        paid = [shop.says(placed, f"imp_{n}") for n, placed in enumerate(orders)]
        webhooks = Settlement(theirs, shop.clock)

        async def one_by_one() -> None:
            for payment in reversed(paid):
                await webhooks.apply(payment)

        done, _ = await asyncio.gather(shop.settlement.apply_many(paid), one_by_one())

        assert all(outcome is not None and outcome.settled is not None for outcome in done)
        assert [await shop.status(placed) for placed in orders] == [OrderStatus.PAID] * 30
        assert await shop.stock(pid) == StockCount(10, 0, 30)
        async with ours.reading() as uow:
            rows = await uow.payments.many(p.imp_uid for p in paid)
            owed = await uow.refunds.open_ones()
        assert sorted(rows) == sorted(p.imp_uid for p in paid) and owed == []
        assert {r.status for r in rows.values()} == {"paid"}
    finally:
        await ours.dispose()
        await theirs.dispose()
