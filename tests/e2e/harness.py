"""The merchant server end to end: a real server on a socket, talking to the real emulator.

``Shop`` bundles what a test needs: the server's URL and an HTTP client for
it, a clock the test can move (shared by the server and the worker), and a
worker wired exactly as ``paydesk worker`` is — but driven one round at a time
(``run_worker``) instead of sleeping. The server and the test run on different
event loops, so each gets its own database engine and i'mport client.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import and_, func, or_, select

from paydesk.bootstrap import build_server, build_services
from paydesk.core.clock import Clock
from paydesk.iamport import AsyncIamport, RetryPolicy
from paydesk.jobs.worker import Worker, WorkerPolicy
from paydesk.services.container import Services
from paydesk.services.hold_sweep import SweepPolicy
from paydesk.services.job_kinds import PROCESS_WEBHOOK
from paydesk.settings import Settings
from paydesk.store import Database
from paydesk.store.tables import jobs
from tests.support.auth import TEST_SECRET_KEY, bearer
from tests.support.emulator import DEMO_CODE, DEMO_KEY, DEMO_SECRET, EmulatorClient, seed

#: Fail fast in tests: one quick retry of reads, then give up.
FAST_RETRY = RetryPolicy(attempts=2, base=0.01, cap=0.05, total=2.0)
SWEEP = SweepPolicy(check_after=timedelta(minutes=2), every=timedelta(minutes=5))


class ShiftedClock:
    """The wall clock plus an offset the test moves forward (thread-safe)."""

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += timedelta(seconds=seconds)

    @property
    def offset(self) -> timedelta:
        with self._lock:
            return self._offset


def iamport_client(emulator_url: str) -> AsyncIamport:
    return AsyncIamport(DEMO_KEY, DEMO_SECRET, base_url=emulator_url, retry=FAST_RETRY, timeout=5)


def shop_settings(database_url: str, emulator_url: str, public_url: str, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "iamport_base_url": emulator_url,
        "iamport_key": DEMO_KEY,
        "iamport_secret": DEMO_SECRET,
        "imp_code": DEMO_CODE,
        "public_base_url": public_url,
        "webhook_allowed_ips": (),
        "secret_key": TEST_SECRET_KEY,
        **extra,
    }
    return Settings(**values)


def shop_services(settings: Settings, clock: Clock | None = None) -> Services:
    """The services as ``bootstrap`` builds them, on the test's clock and fast retries."""
    client = iamport_client(settings.iamport_base_url)
    return build_services(settings, clock=clock, iamport=client, sweep=SWEEP)


def services_over(database_url: str, emulator_url: str, clock: Clock | None = None) -> Services:
    """``shop_services`` for a database and the emulator, outside any server."""
    settings = shop_settings(database_url, emulator_url, "http://127.0.0.1:9")
    return shop_services(settings, clock)


def shop_app(settings: Settings, clock: ShiftedClock) -> FastAPI:
    """The server as ``bootstrap.build_server`` builds it, on the test's clock and retries."""
    return build_server(settings, shop_services(settings, clock))


@dataclass
class Shop:
    """A running merchant server and a worker on the test's loop."""

    url: str
    clock: ShiftedClock
    emulator_url: str
    database: Database
    services: Services
    worker: Worker
    key: str  # an API key of every scope, sent by ``http``
    http: httpx.AsyncClient = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.AsyncClient(base_url=self.url, timeout=30, headers=bearer(self.key))

    @property
    def notice_url(self) -> str:
        return f"{self.url}/iamport/webhook"

    async def run_worker(self, rounds: int = 20) -> int:
        """Run the worker until no job is due (at most ``rounds`` batches); how many ran."""
        ran = 0
        for _ in range(rounds):
            batch = await self.worker.run_once()
            ran += batch
            if batch == 0:
                break
        return ran

    async def product(self, sku: str, *, stock: int, price: int = 10_000) -> dict[str, Any]:
        answer = await self.http.post(
            "/api/products",
            json={"sku": sku, "name": f"상품 {sku}", "price": price, "stock": stock},
        )
        assert answer.status_code == 201, answer.text
        product: dict[str, Any] = answer.json()
        return product

    async def order(self, *items: tuple[int, int], **fields: Any) -> dict[str, Any]:
        body = {
            "items": [{"product_id": pid, "quantity": qty} for pid, qty in items],
            "buyer": {"name": "홍길동", "tel": "010-1234-5678"},
            "pay_method": "card",
            "pg": "html5_inicis",
            **fields,
        }
        answer = await self.http.post("/api/orders", json=body)
        assert answer.status_code == 201, answer.text
        placed: dict[str, Any] = answer.json()
        return placed

    async def order_state(self, merchant_uid: str) -> dict[str, Any]:
        answer = await self.http.get(f"/api/orders/by-merchant-uid/{merchant_uid}")
        assert answer.status_code == 200, answer.text
        order: dict[str, Any] = answer.json()
        return order

    async def settled(self, merchant_uid: str, within: float = 10.0) -> dict[str, Any]:
        """The order once it has left ``pending``/``held``: a webhook is answered as soon as
        it is stored, and its job finishes after the answer."""
        deadline = time.monotonic() + within
        while True:
            order = await self.order_state(merchant_uid)
            if order["status"] not in ("pending", "held") or time.monotonic() > deadline:
                return order
            await asyncio.sleep(0.05)

    async def stock(self, product_id: int) -> dict[str, int]:
        answer = await self.http.get(f"/api/products/{product_id}")
        stock: dict[str, int] = answer.json()["stock"]
        return stock

    async def complete(self, imp_uid: str | None, merchant_uid: str) -> httpx.Response:
        return await self.http.post(
            "/iamport/complete", json={"imp_uid": imp_uid, "merchant_uid": merchant_uid}
        )


def deliveries(emu: EmulatorClient, imp_uid: str) -> list[dict[str, Any]]:
    """Every delivery attempt the emulator made for ``imp_uid``'s webhooks."""
    return [attempt for record in emu.webhooks(imp_uid) for attempt in record["attempts"]]


async def eventually(check: Callable[[], Any], within: float = 10.0) -> Any:
    """Wait until ``check()`` is truthy (the emulator delivers webhooks in the background)."""
    deadline = time.monotonic() + within
    while True:
        value = await asyncio.to_thread(check)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def delivered(
    emu: EmulatorClient, imp_uid: str, count: int = 1, *, copies: bool = False
) -> list[dict[str, Any]]:
    """Wait for ``count`` answered delivery attempts of ``imp_uid``'s webhooks.

    The random copies of the demo merchant's ``realistic`` delivery are not
    counted (``count=2`` is "the second webhook arrived", not "the first twice")
    unless ``copies``.
    """

    def answered() -> list[dict[str, Any]] | None:
        done = [a for a in deliveries(emu, imp_uid) if a["status"] is not None or a["error"]]
        if not copies:
            done = [a for a in done if not a.get("duplicate")]
        return done if len(done) >= count else None

    result: list[dict[str, Any]] = await eventually(answered)
    if RUNNING:
        await webhook_jobs_settled(RUNNING[-1].database)
    return result


#: The shop of the running test (set by the ``shop`` fixture): ``delivered`` waits for it.
RUNNING: list[Shop] = []


async def webhook_jobs_settled(database: Database, within: float = 30.0) -> None:
    """Wait until the server has run the jobs of the webhooks it stored: it answers a
    delivery as soon as it is stored, and runs the job after the answer. A job that
    failed (queued again, for the worker) counts as run."""
    untouched = or_(jobs.c.state == "running", and_(jobs.c.state == "queued", jobs.c.attempts == 0))
    query = select(func.count()).select_from(jobs).where(jobs.c.kind == PROCESS_WEBHOOK, untouched)
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        async with database.reading() as uow:
            if not (await uow.connection.execute(query)).scalar():
                return
        await asyncio.sleep(0.02)


async def underpaid_by_webhook(
    shop: Shop, emu: EmulatorClient, sku: str, *, amount: int, pay_method: str, pg: str
) -> tuple[str, str]:
    """An order of one unit of a new 50,000 won product, paid ``amount`` at the emulator
    and told by a webhook whose job has run: the server owes the buyer a refund. Returns
    the order's merchant_uid and the payment's imp_uid."""
    product = await shop.product(sku, stock=1, price=50_000)
    placed = await shop.order((product["id"], 1), pay_method=pay_method, pg=pg)
    merchant_uid: str = placed["request_pay"]["merchant_uid"]
    paid = seed(emu, merchant_uid=merchant_uid, amount=amount, pay_method=pay_method, pg=pg)
    webhook = {"imp_uid": paid["imp_uid"], "merchant_uid": merchant_uid, "status": "paid"}
    assert (await shop.http.post("/iamport/webhook", json=webhook)).status_code == 200
    await webhook_jobs_settled(shop.database)
    return merchant_uid, paid["imp_uid"]


WORKER_POLICY = WorkerPolicy(poll=0.05, sweep_every=0.0, batch=10)
