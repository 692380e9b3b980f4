"""Admission control at the confirm front door, over real HTTP, on SQLite and PostgreSQL.

With a tiny capacity (``PAYDESK_CONFIRM_MAX_IN_FLIGHT=3``) and the product's
row held by another writer, three confirms are admitted and wait; a burst
behind them is answered 429 "temporarily unavailable" while the lock is still
held (so without waiting for, or touching, the database), stores no decision
and holds nothing. Buyers who retry (a new payment each time, as i'mport makes
one) are decided in the end, and exactly K of them are approved.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import httpx
import pytest

from paydesk.core.money import Money
from paydesk.store import Database
from tests.support.auth import confirm_path

from .shop import merchant_app
from .test_confirm_deadline import seed as open_orders

pytestmark = pytest.mark.asyncio

PRICE = Money(10_000)
K, N, CAP = 5, 40, 3
UNAVAILABLE = {"reason": "temporarily unavailable"}


async def seed(database: Database) -> tuple[int, list[str]]:
    """A product of ``K`` units and ``N`` open single-unit orders for it."""
    return await open_orders(database, stock=K, orders=N)


async def counts(database: Database, product_id: int) -> tuple[int, int, int]:
    async with database.reading() as uow:
        (product,) = await uow.products.many([product_id])
    return product.stock.available, product.stock.held, product.stock.sold


def post(http: httpx.AsyncClient, merchant_uid: str, imp_uid: str) -> asyncio.Task[httpx.Response]:
    body = {"imp_uid": imp_uid, "merchant_uid": merchant_uid, "amount": PRICE.amount}
    return asyncio.create_task(http.post(confirm_path(merchant_uid), json=body))


async def test_a_burst_past_capacity_is_refused_at_once_and_exactly_k_are_approved(
    database_url: str, database: Database
) -> None:
    product_id, uids = await seed(database)
    settings: dict[str, Any] = {"confirm_max_in_flight": CAP, "confirm_admit_floor": 1}
    release, locked = asyncio.Event(), asyncio.Event()

    async def blocker() -> None:
        # another writer holds the product (PostgreSQL: its row lock; SQLite: the write lock)
        async with database.transaction() as uow:
            await uow.products.many([product_id], lock=True)
            locked.set()
            await release.wait()

    with merchant_app(database_url, **settings) as (url, app):
        admission = app.state.services.confirm.admission
        limits = httpx.Limits(max_connections=N, max_keepalive_connections=N)
        async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as http:
            blocking = asyncio.create_task(blocker())
            await locked.wait()
            try:
                first = [post(http, uid, f"imp_first_{i}") for i, uid in enumerate(uids[:CAP])]
                waited = time.monotonic() + 20
                while admission.in_flight < CAP:  # the three are in, waiting for the lock
                    assert time.monotonic() < waited, "the first confirms never arrived"
                    await asyncio.sleep(0.01)
                burst = await asyncio.gather(*(post(http, uid, f"imp_burst_{i}")
                                               for i, uid in enumerate(uids[CAP:])))  # fmt: skip
                # every one answered while the lock is still held: none waited for the database
                assert not any(task.done() for task in first)
            finally:
                release.set()
                await blocking
            assert [(a.status_code, a.json()) for a in burst] == [(429, UNAVAILABLE)] * (N - CAP)
            assert admission.refused == N - CAP
            assert [a.status_code for a in await asyncio.gather(*first)] == [200] * CAP
            assert await counts(database, product_id) == (K - CAP, CAP, 0)

            # the refused buyers try again (a new payment, a new imp_uid, each time) until
            # each gets a decision; the capacity still holds them back, a few at a time
            answers: dict[str, int] = {}
            pending = list(enumerate(uids[CAP:]))
            for attempt in range(100):
                tasks = [post(http, uid, f"imp_retry_{i}_{attempt}") for i, uid in pending]
                replies = await asyncio.gather(*tasks)
                retry = []
                for (i, uid), reply in zip(pending, replies, strict=True):
                    answers[f"imp_retry_{i}_{attempt}"] = reply.status_code
                    if reply.status_code == 429:
                        assert reply.json() == UNAVAILABLE
                        retry.append((i, uid))
                pending = retry
                if not pending:
                    break
            assert not pending, "some buyers never got a decision"
            # a replay of an approved confirm, now that there is room: the same answer
            approved = [uid for uid, status in answers.items() if status == 200]
            (replayed,) = approved[:1]
            index = int(replayed.split("_")[2])
            again = await post(http, uids[CAP + index], replayed)
            assert again.status_code == 200

    outcome = Counter(answers.values())
    assert set(outcome) <= {200, 409, 429}  # never a 5xx
    assert outcome[200] == K - CAP and outcome[409] == N - K
    assert await counts(database, product_id) == (0, K, 0)
    async with database.reading() as uow:
        orders = await uow.orders.many(uids)
        refused = [uid for uid, status in answers.items() if status == 429]
        burst_uids = [f"imp_burst_{i}" for i in range(N - CAP)]
        stored = await uow.decisions.many([*refused, *burst_uids])
        decided = await uow.decisions.many(answers)
    assert stored == {}  # nothing decided, nothing held, for a call refused at the door
    holding = sorted(o.order.imp_uid or "" for o in orders.values() if o.order.holding)
    assert holding == sorted([f"imp_first_{i}" for i in range(CAP)] + approved)
    assert sum(d.approved for d in decided.values()) == K - CAP
