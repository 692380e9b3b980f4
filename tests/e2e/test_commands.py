"""``paydesk serve`` and ``paydesk worker`` as the processes an operator runs.

Configured only through ``PAYDESK_*`` variables, against the emulator and a
migrated database: the server answers and documents its API, the worker
processes a stored webhook, and both stop cleanly on SIGTERM.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from paydesk.core.clock import SystemClock
from paydesk.core.money import Money
from paydesk.core.orders import OrderStatus
from paydesk.core.stock import Line
from paydesk.core.subscriptions import Interval
from paydesk.services.billing_port import CardData
from paydesk.services.iamport_port import IamportPayments
from paydesk.services.ordering import OrderDesk, OrderRequest
from paydesk.store import Database
from paydesk.store.billing import NewPlan
from paydesk.store.inbox import Delivery
from tests.support.auth import TEST_SECRET_KEY
from tests.support.emulator import DEMO_KEY, DEMO_SECRET, EmulatorClient, seed
from tests.support.servers import free_port

from .harness import iamport_client, services_over

COMMAND = [sys.executable, "-c", "from paydesk.cli import main; main()"]


def environment(database_url: str, emulator_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "PAYDESK_DATABASE_URL": database_url,
        "PAYDESK_IAMPORT_BASE_URL": emulator_url,
        "PAYDESK_IAMPORT_KEY": DEMO_KEY,
        "PAYDESK_IAMPORT_SECRET": DEMO_SECRET,
        "PAYDESK_WEBHOOK_ALLOWED_IPS": "",
        "PAYDESK_SECRET_KEY": TEST_SECRET_KEY,
    }


@contextmanager
def running(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen([*COMMAND, *args], env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def stop(process: subprocess.Popen[bytes], log: Path) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        pytest.fail(f"did not stop on SIGTERM:\n{log.read_text()}")


def wait_until(check: object, within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail("condition not met in time")
        time.sleep(0.1)


def test_serve_answers_and_stops_on_sigterm(
    database_url: str, emulator_url: str, tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    args = ["serve", "--port", str(port)]
    with running(args, environment(database_url, emulator_url), log) as process:

        def up() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/openapi.json").status_code == 200
            except httpx.TransportError:
                return process.poll() is not None

        wait_until(up)
        spec = httpx.get(f"http://127.0.0.1:{port}/openapi.json").json()
        assert {"/api/orders", "/iamport/webhook", "/iamport/complete", "/api/payments"} <= set(
            spec["paths"]
        ), log.read_text()
        assert httpx.get(f"http://127.0.0.1:{port}/docs").status_code == 200
        # uvicorn shuts down gracefully, then re-raises the signal as its exit status
        assert stop(process, log) in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in log.read_text()
    assert "garbage collector settled" in log.read_text()  # paydesk.heap, before serving


@pytest.mark.asyncio
async def test_worker_processes_a_stored_webhook_and_stops_on_sigterm(
    database_url: str, emulator_url: str, emu: EmulatorClient, tmp_path: Path
) -> None:
    database, client, clock = Database(database_url), iamport_client(emulator_url), SystemClock()
    try:
        async with database.transaction() as uow:
            product = await uow.products.add(sku="k", name="K", price=Money(4_000), stock=1,
                                             on_sale=True, now=clock.now())  # fmt: skip
        desk = OrderDesk(database, clock, IamportPayments(client), ttl=timedelta(minutes=5))
        placed = await desk.place(OrderRequest([Line(product.id, 1)]))
        payment = seed(emu, merchant_uid=placed.merchant_uid, amount=4_000)
        services = services_over(database_url, emulator_url, clock)
        try:
            await services.webhooks.receive(
                Delivery(datetime.now(UTC), "127.0.0.1", {}, b"{}", imp_uid=payment["imp_uid"])
            )
        finally:
            await services.aclose()
        log = tmp_path / "worker.log"
        args = ["worker", "--poll", "0.1"]
        with running(args, environment(database_url, emulator_url), log) as process:

            async def paid() -> bool:
                async with database.reading() as uow:
                    order = await uow.orders.get(placed.merchant_uid)
                return order is not None and order.order.status == OrderStatus.PAID

            deadline = time.monotonic() + 20
            while not await paid():
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                await asyncio.sleep(0.1)
            assert stop(process, log) == 0
        assert "stopped" in log.read_text()
        assert "garbage collector settled" in log.read_text()
    finally:
        await client.aclose()
        await database.dispose()


@pytest.mark.asyncio
async def test_subscriptions_charge_due_charges_what_the_worker_would(
    database_url: str, emulator_url: str, emu: EmulatorClient
) -> None:
    services = services_over(database_url, emulator_url, SystemClock())
    try:
        await services.billing_keys.issue(
            "cust_cli", CardData("4111-1111-1111-1111", "2031-07"), pg="nice"
        )
        plan = await services.subscriptions.add_plan(
            NewPlan("cli", "월간", Money(9_900), Interval("month", 1), (1, 3, 7), "again")
        )
        view, _ = await services.subscriptions.subscribe(plan.id, "cust_cli")  # job not run
    finally:
        await services.aclose()
    env = environment(database_url, emulator_url)
    args = ["subscriptions", "charge-due"]
    done = await asyncio.to_thread(
        subprocess.run, [*COMMAND, *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["charge:paid", "1"], done.stdout
    again = await asyncio.to_thread(
        subprocess.run, [*COMMAND, *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert "nothing is due" in again.stdout, again.stdout
    database = Database(database_url)
    try:
        async with database.reading() as uow:
            record = await uow.billing.subscription(view.record.id)
    finally:
        await database.dispose()
    assert record is not None and record.subscription.period == 1
    paid = emu.get("/subscribe/customers/cust_cli/payments").json()["response"]["list"]
    assert [p["status"] for p in paid] == ["paid"]
