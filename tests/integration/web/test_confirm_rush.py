"""A flash-sale rush: many concurrent confirms over real HTTP for scarce stock.

N buyers confirm at once for K units: exactly K get a 200, everyone else a
sold-out 409, nothing is held twice, and ``initial = available + held + sold``.
Runs on SQLite and PostgreSQL, in one server process with group commit and
in two server processes sharing one database.
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager

import httpx
import pytest

from paydesk.services.ordering import PlacedOrder
from paydesk.store import Database
from tests.support.servers import free_port

from .shop import (
    UNUSED_IAMPORT,
    EmulatorRegistrar,
    add_product,
    confirm_body,
    merchant_app,
    order_desk,
    place,
    stock_of,
)

N, K = 200, 37
pytestmark = [pytest.mark.asyncio, pytest.mark.slow]


async def place_orders(
    database: Database, registrar: EmulatorRegistrar, items: Sequence[tuple[tuple[int, int], ...]]
) -> list[PlacedOrder]:
    desk = order_desk(database, registrar)
    return list(await asyncio.gather(*(place(desk, *lines) for lines in items)))


async def rush(
    urls: Sequence[str], orders: Sequence[PlacedOrder], prefix: str
) -> list[httpx.Response]:
    """Every order's confirm at once, spread over ``urls``."""
    limits = httpx.Limits(max_connections=len(orders), max_keepalive_connections=len(orders))
    async with httpx.AsyncClient(timeout=20, limits=limits) as http:
        calls = [
            http.post(
                f"{urls[i % len(urls)]}/iamport/confirm",
                json=confirm_body(order, f"{prefix}{i:06d}"),
            )
            for i, order in enumerate(orders)
        ]
        return list(await asyncio.gather(*calls))


def tally(answers: Sequence[httpx.Response]) -> Counter[tuple[int, str | None]]:
    return Counter((a.status_code, a.json().get("reason")) for a in answers)


async def test_exactly_k_of_n_concurrent_confirms_win(
    database_url: str, database: Database, registrar: EmulatorRegistrar
) -> None:
    with merchant_app(database_url) as (url, app):
        async with httpx.AsyncClient(base_url=url) as api:
            product = await add_product(api, "hot", stock=K)
            orders = await place_orders(database, registrar, [((product["id"], 1),)] * N)
            answers = await rush([url], orders, "imp_rush_")
            assert tally(answers) == {(200, None): K, (409, "sold out"): N - K}
            assert (await stock_of(api, [product["id"]]))[product["id"]] == {
                "available": 0,
                "held": K,
                "sold": 0,
            }

            # replays: the same decision for every imp_uid, nothing held twice
            again = await rush([url], orders, "imp_rush_")
            assert [a.status_code for a in again] == [a.status_code for a in answers]
            assert (await stock_of(api, [product["id"]]))[product["id"]]["held"] == K
    batches = app.state.services.confirm.batches
    assert batches < N / 4, f"group commit should batch the rush, ran {batches} transactions"
    async with database.reading() as uow:
        held = [
            o
            for o in (await uow.orders.many(o.merchant_uid for o in orders)).values()
            if o.order.holding
        ]
        decisions = await uow.decisions.many(f"imp_rush_{i:06d}" for i in range(N))
    assert len(held) == K and len(decisions) == N
    assert sum(d.approved for d in decisions.values()) == K


async def test_multi_item_rush_neither_oversells_nor_undersells(
    database_url: str, database: Database, registrar: EmulatorRegistrar
) -> None:
    rng = random.Random(20300101)
    with merchant_app(database_url) as (url, _):
        async with httpx.AsyncClient(base_url=url) as api:
            a = await add_product(api, "a", stock=10)
            b = await add_product(api, "b", stock=7)
            shapes = [
                ((a["id"], 1),),
                ((b["id"], 1),),
                ((a["id"], 1), (b["id"], 1)),
                ((a["id"], 2), (b["id"], 1)),
            ]
            baskets = [rng.choice(shapes) for _ in range(60)]
            orders = await place_orders(database, registrar, baskets)
            answers = await rush([url], orders, "imp_multi_")
            stock = await stock_of(api, [a["id"], b["id"]])
    assert {s for s, _ in tally(answers)} <= {200, 409}
    held: Counter[int] = Counter()
    for basket, answer in zip(baskets, answers, strict=True):
        if answer.status_code == 200:
            held.update(dict(basket))
    for product, initial in ((a, 10), (b, 7)):
        counts = stock[product["id"]]
        assert counts["available"] >= 0 and counts["held"] == held[product["id"]]
        assert initial == counts["available"] + counts["held"] + counts["sold"]
    for basket, answer in zip(baskets, answers, strict=True):
        if answer.status_code != 200:  # refused: must really be short now (stock only fell)
            assert any(stock[pid]["available"] < qty for pid, qty in basket), (basket, stock)


@contextmanager
def server_process(database_url: str) -> Iterator[str]:
    """``paydesk.bootstrap:build_server`` in its own uvicorn process (i'mport never called).

    Small batches, so that many transactions of both processes overlap.
    """
    port = free_port()
    env = {**os.environ, "PAYDESK_DATABASE_URL": database_url, "PAYDESK_CONFIRM_BATCH_MAX": "8",
           **UNUSED_IAMPORT}  # fmt: skip
    command = [sys.executable, "-m", "uvicorn", "--factory", "paydesk.bootstrap:build_server",
               "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]  # fmt: skip
    process = subprocess.Popen(command, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, "server process exited"
            try:
                if httpx.get(f"{url}/api/products", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server process did not start"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def test_two_server_processes_on_one_database_still_sell_exactly_k(
    database_url: str, database: Database, registrar: EmulatorRegistrar
) -> None:
    with ExitStack() as stack:
        urls = [stack.enter_context(server_process(database_url)) for _ in range(2)]
        async with httpx.AsyncClient(base_url=urls[0]) as api:
            product = await add_product(api, "hot", stock=K)
            orders = await place_orders(database, registrar, [((product["id"], 1),)] * N)
            answers = await rush(urls, orders, "imp_two_")
            assert tally(answers) == {(200, None): K, (409, "sold out"): N - K}
            # replays through the *other* process get the same decisions
            again = await rush(list(reversed(urls)), orders, "imp_two_")
            assert [x.status_code for x in again] == [x.status_code for x in answers]
            counts = (await stock_of(api, [product["id"]]))[product["id"]]
    assert counts == {"available": 0, "held": K, "sold": 0}
