"""100 concurrent refund requests on one payment, through two server processes, with lost answers.

Two ``paydesk serve`` processes share one PostgreSQL database; the emulator
drops the answer of about one cancel in seven *after* making it. Whatever the
interleaving, our books end equal to the gateway's: the refunds we booked add
up to its ``cancel_amount``, which never exceeds what was paid, and every
cancellation at the gateway is booked exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from paydesk.bootstrap import build_runner
from tests.support.auth import bearer, create_key
from tests.support.db import empty_postgres
from tests.support.emulator import EmulatorClient, seed
from tests.support.servers import free_port

from .harness import services_over
from .test_commands import environment, running

pytestmark = [pytest.mark.asyncio, pytest.mark.postgres, pytest.mark.slow]
PAID = 100_000
REQUESTS = 100


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture
def postgres_url(postgres_database: str) -> str:
    """The session's PostgreSQL database, emptied."""
    empty_postgres(postgres_database)
    return postgres_database


async def test_concurrent_refunds_on_two_servers_never_exceed_or_repeat(
    postgres_url: str, emulator_url: str, emu: EmulatorClient, tmp_path: Path
) -> None:
    env = environment(postgres_url, emulator_url)
    ports = [free_port(), free_port()]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    with (
        running(["serve", "--port", str(ports[0])], env, tmp_path / "a.log"),
        running(["serve", "--port", str(ports[1])], env, tmp_path / "b.log"),
    ):
        deadline = time.monotonic() + 90  # a loaded machine starts two servers slowly
        while not all(_up(url) for url in urls):
            assert time.monotonic() < deadline, (tmp_path / "a.log").read_text()
            await asyncio.sleep(0.2)
        key = await create_key(postgres_url)
        async with httpx.AsyncClient(timeout=60, headers=bearer(key)) as http:
            order, imp_uid = await _paid_order(http, urls[0], emu)
            emu.fault(path="/payments/cancel", method="POST", kind="no_answer", mode="drop",
                      probability=0.15)  # fmt: skip
            rng = random.Random(20261202)
            amounts = [rng.choice((500, 1_000, 1_500, 2_000, 3_000)) for _ in range(REQUESTS)]
            answers = await asyncio.gather(*(
                http.post(f"{urls[i % 2]}/api/orders/{order['id']}/refunds",
                          json={"reason": f"race {i}", "amount": amount})
                for i, amount in enumerate(amounts)
            ))  # fmt: skip

    statuses = sorted({a.status_code for a in answers})
    assert set(statuses) <= {201, 409, 422}, [a.text for a in answers if a.status_code >= 500]
    accepted = [a.json() for a in answers if a.status_code == 201]
    assert sum(r["amount"] for r in accepted) <= PAID  # reserved under the order's lock

    services = services_over(postgres_url, emulator_url)  # the worker finishes the rest
    try:
        await _drain(services)
        async with services.store.reading() as uow:
            refunds = await uow.refunds.of_payment(imp_uid)
            classes = [a.classification for r in refunds for a in await uow.refunds.attempts_of(r)]
    finally:
        await services.aclose()
        emu.control("DELETE", "/faults")
    gateway = emu.get(f"/payments/{imp_uid}").json()["response"]
    ours = [r for r in refunds if r.origin == "merchant"]
    assert all(r.state in ("succeeded", "failed") for r in ours), [r.state for r in ours]
    booked = sum(r.amount.amount for r in refunds if r.state == "succeeded")
    assert booked == gateway["cancel_amount"] <= PAID
    ids = [entry["cancellation_id"] for entry in gateway["cancel_history"]]
    assert sorted(ids) == sorted(r.cancellation_id for r in refunds if r.state == "succeeded")
    assert len(set(ids)) == len(ids)
    assert "unknown" in classes  # answers were lost, and still nothing was refunded twice
    assert any(a.status_code == 422 and a.json()["rule"] == "balance" for a in answers)


async def _paid_order(
    http: httpx.AsyncClient, url: str, emu: EmulatorClient
) -> tuple[dict[str, Any], str]:
    product = await http.post(f"{url}/api/products",
                              json={"sku": "race", "name": "경합", "price": PAID, "stock": 1})  # fmt: skip
    assert product.status_code == 201, product.text
    placed = await http.post(f"{url}/api/orders",
                             json={"items": [{"product_id": product.json()["id"], "quantity": 1}]})  # fmt: skip
    assert placed.status_code == 201, placed.text
    order = placed.json()["order"]
    paid = seed(emu, merchant_uid=order["merchant_uid"], amount=PAID)
    done = await http.post(f"{url}/iamport/complete", json={"imp_uid": paid["imp_uid"]})
    assert done.json()["order"]["status"] == "paid", done.text
    return order, paid["imp_uid"]


async def _drain(services: Any) -> None:
    """Run refund jobs until none is open (jobs back off: run them as they come due)."""
    runner = build_runner(services, "race-test")
    deadline = time.monotonic() + 120
    while True:
        async with services.store.reading() as uow:
            open_ones = await uow.refunds.open_ones()
        if not open_ones:
            return
        assert time.monotonic() < deadline, [(r.id, r.state, r.last_error) for r in open_ones]
        for refund in open_ones:
            with contextlib.suppress(Exception):  # "try later": the loop comes back to it
                await services.refunds.run(refund.id)
        await runner.run_once(50)
