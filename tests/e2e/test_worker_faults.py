"""``paydesk worker`` processes under faults: killed with -9, stopped with SIGTERM.

Real worker processes (configured only through ``PAYDESK_*``), one database,
webhook jobs against the real emulator. Each job's ``GET /payments/{imp_uid}``
is held by latency faults — the first ask far longer than a lease — so jobs
are surely in hand when a worker is killed or stopped, however slowly the
processes start on a loaded machine; the faults' ``fired`` counts tell how
many times each job's handler asked i'mport.

Evidence of "done once" comes from three places that do not share code: the
jobs table (state, attempts), the workers' logs (``job N (...) done by ...``,
written only after a completion committed) and the emulator's fault counters.
"""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select

from paydesk.core.clock import SystemClock
from paydesk.core.money import Money
from paydesk.core.orders import OrderStatus
from paydesk.core.stock import Line
from paydesk.services.iamport_port import IamportPayments
from paydesk.services.ordering import OrderDesk, OrderRequest
from paydesk.store import Database
from paydesk.store.inbox import Delivery
from paydesk.store.jobs import JobEntry
from paydesk.store.tables import jobs
from tests.support.db import empty_postgres
from tests.support.emulator import EmulatorClient, seed

from .harness import iamport_client, services_over
from .test_commands import COMMAND, environment

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]

LEASE = 3.0  # seconds: PAYDESK_JOB_LEASE_SECONDS of the workers under test
STUCK = 30.0  # how long i'mport takes to answer the first GET /payments/{imp_uid} of a job
DONE = re.compile(r"job (\d+) \(webhook\.process\) done by (\S+)")


@dataclass
class Shop:
    """Paid orders whose webhooks are stored, each with its processing job queued."""

    database: Database
    product_id: int
    merchant_uids: list[str]
    imp_uid_of_job: dict[int, str]


@pytest_asyncio.fixture
async def opened() -> AsyncIterator[list[Database]]:
    """Databases a test opens, closed when it ends however it ends (no leaked connection
    to warn in a later test)."""
    made: list[Database] = []
    yield made
    for database in made:
        await database.dispose()


async def stored_webhooks(database_url: str, emulator_url: str, emu: EmulatorClient,
                          delays: list[tuple[float, float]], opened: list[Database]) -> Shop:  # fmt: skip
    """One paid order and stored webhook per ``(first, later)``: the seconds i'mport takes
    to answer the first ask for that payment, and every later one."""
    count = len(delays)
    database, client, clock = Database(database_url), iamport_client(emulator_url), SystemClock()
    opened.append(database)
    services = services_over(database_url, emulator_url, clock)
    try:
        async with database.transaction() as uow:
            product = await uow.products.add(sku="w", name="W", price=Money(5_000), stock=count,
                                             on_sale=True, now=clock.now())  # fmt: skip
        desk = OrderDesk(database, clock, IamportPayments(client), ttl=timedelta(minutes=30))
        merchant_uids, imp_uid_of_inbox = [], {}
        for first, later in delays:
            placed = await desk.place(OrderRequest([Line(product.id, 1)]))
            payment = seed(emu, merchant_uid=placed.merchant_uid, amount=5_000)
            path = f"/payments/{payment['imp_uid']}"
            emu.fault(path=path, method="GET", kind="latency", delay=first, times=1)
            emu.fault(path=path, method="GET", kind="latency", delay=later)
            delivery = Delivery(datetime.now(UTC), "127.0.0.1", {}, b"{}",
                                imp_uid=payment["imp_uid"], merchant_uid=placed.merchant_uid)  # fmt: skip
            receipt = await services.webhooks.receive(delivery)
            merchant_uids.append(placed.merchant_uid)
            imp_uid_of_inbox[receipt.inbox_id] = payment["imp_uid"]
    finally:
        await services.aclose()
        await client.aclose()
    everything = await all_jobs(database)
    assert len(everything) == count
    imp_uid_of_job = {job.id: imp_uid_of_inbox[job.payload["inbox_id"]] for job in everything}
    return Shop(database, product.id, merchant_uids, imp_uid_of_job)


async def all_jobs(database: Database) -> list[JobEntry]:
    async with database.reading() as uow:
        rows = (await uow.connection.execute(select(jobs).order_by(jobs.c.id))).all()
    return [JobEntry.from_row(row) for row in rows]


async def holders(database: Database) -> dict[int, tuple[str | None, str, datetime | None]]:
    """Each job's (locked_by, state, locked_until)."""
    query = select(jobs.c.id, jobs.c.locked_by, jobs.c.state, jobs.c.locked_until)
    async with database.reading() as uow:
        rows = (await uow.connection.execute(query)).all()
    return {row.id: (row.locked_by, row.state, row.locked_until) for row in rows}


def held_by(table: dict[int, tuple[str | None, str, datetime | None]], pid: int) -> set[int]:
    return {
        job_id
        for job_id, (locked_by, state, _) in table.items()
        if state == "running" and locked_by is not None and locked_by.endswith(f":{pid}")
    }


def lease_end_of(
    table: dict[int, tuple[str | None, str, datetime | None]], ids: set[int]
) -> datetime:
    """When the last of these jobs' leases runs out."""
    ends = [table[job_id][2] for job_id in ids]
    assert all(end is not None for end in ends)
    return max(end for end in ends if end is not None)


async def until(check: Any, what: str, within: float, logs: list[Path]) -> Any:
    """Poll the async ``check`` until it is truthy; fail with the workers' logs if it is not."""
    deadline = time.monotonic() + within
    while not (value := await check()):
        if time.monotonic() > deadline:
            shown = "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in logs)
            pytest.fail(f"not in {within:.0f} s: {what}\n{shown}")
        await asyncio.sleep(0.05)
    return value


def start(env: dict[str, str], log: Path, **settings: str) -> subprocess.Popen[bytes]:
    """``paydesk worker`` with ``settings`` (and no periodic reconciliation: its job would
    mingle with the webhook jobs counted here)."""
    variables = {**env, "PAYDESK_RECONCILE_EVERY_SECONDS": "0",
                 **{f"PAYDESK_{k.upper()}": v for k, v in settings.items()}}  # fmt: skip
    args = [*COMMAND, "worker", "--poll", "0.2", "--sweep-every", "3600"]
    with log.open("wb") as out:
        return subprocess.Popen(args, env=variables, stdout=out, stderr=subprocess.STDOUT)


def fired(emu: EmulatorClient) -> Counter[str]:
    """How many times each payment was asked for (GET /payments/{imp_uid})."""
    asked: Counter[str] = Counter()
    for fault in emu.control("GET", "/faults"):
        asked[fault["path"].rsplit("/", 1)[1]] += fault["fired"]
    return asked


def done_lines(*logs: Path) -> Counter[int]:
    return Counter(int(m.group(1)) for log in logs for m in DONE.finditer(log.read_text()))


@pytest.mark.postgres
async def test_a_worker_killed_mid_job_loses_nothing_and_its_jobs_are_taken_over_in_a_lease(
    postgres_database: str,
    emulator_url: str,
    emu: EmulatorClient,
    tmp_path: Path,
    opened: list[Database],
) -> None:
    """Worker A (8 at once) takes 8 of 12 webhook jobs, B (16 at once) the other 4, then
    idles polling with free slots. A's jobs are stuck on i'mport (30 s) far longer than a
    3-s lease: A's heartbeat keeps B off them. A is then killed with -9 mid-job; B takes
    A's jobs once their lease runs out (i'mport answers quickly now), and every job ends
    done exactly once."""
    empty_postgres(postgres_database)
    count = 12
    # A alone claims first, so it takes the 8 oldest jobs: those are the stuck ones
    delays = [(STUCK, 0.5)] * 8 + [(1.0, 1.0)] * 4
    shop = await stored_webhooks(postgres_database, emulator_url, emu, delays, opened)
    env = {**environment(postgres_database, emulator_url), "PAYDESK_JOB_LEASE_SECONDS": str(LEASE)}
    log_a, log_b = tmp_path / "worker-a.log", tmp_path / "worker-b.log"
    logs = [log_a, log_b]
    a = start(env, log_a, worker_concurrency="8")
    b: subprocess.Popen[bytes] | None = None
    try:

        async def a_holds_8() -> set[int] | None:
            mine = held_by(await holders(shop.database), a.pid)
            return mine if len(mine) == 8 else None

        a_jobs: set[int] = await until(a_holds_8, "A claims 8 jobs", 30, logs)
        assert a_jobs == set(sorted(shop.imp_uid_of_job)[:8])
        a_claimed_at = time.monotonic()
        b = start(env, log_b, worker_concurrency="16")

        async def others_done() -> bool:
            return all(
                j.state == "done" for j in await all_jobs(shop.database) if j.id not in a_jobs
            )

        await until(others_done, "B does the other 4", STUCK - 5, logs)
        # B now polls with 16 free slots. Past A's first lease (and more), A still has them.
        await asyncio.sleep(max(0.0, a_claimed_at + LEASE + 1.5 - time.monotonic()))
        table = await holders(shop.database)
        assert time.monotonic() - a_claimed_at < STUCK - 2, "too slow to test A mid-job"
        assert held_by(table, a.pid) == a_jobs, "A's jobs were taken while A was alive"
        assert lease_end_of(table, a_jobs) > datetime.now(UTC), "A's leases were not renewed"

        a.kill()  # SIGKILL: no clean-up, no release
        a.wait()
        killed_at, killed_wall = time.monotonic(), datetime.now(UTC)
        table = await holders(shop.database)
        assert held_by(table, a.pid) == a_jobs  # frozen as A left them: running, A's name
        lease_end = lease_end_of(table, a_jobs)

        async def a_jobs_taken() -> bool:
            return not held_by(await holders(shop.database), a.pid) & a_jobs

        await until(a_jobs_taken, "B takes over A's jobs", LEASE + 30, logs)
        takeover = time.monotonic() - killed_at
        lease_left_at_kill = (lease_end - killed_wall).total_seconds()
        print(f"\ntakeover of {len(a_jobs)} jobs: {takeover:.2f} s after kill -9 "
              f"(lease {LEASE} s, {lease_left_at_kill:.2f} s of it left at the kill)")  # fmt: skip
        # B is polling (every 0.2 s) with free slots: it takes them as the lease runs out
        assert takeover <= LEASE + 2.5, f"takeover took {takeover:.1f} s, lease {LEASE} s"

        async def all_done() -> bool:
            return all(job.state == "done" for job in await all_jobs(shop.database))

        await until(all_done, "every job done", 60, logs)
        b.send_signal(signal.SIGTERM)
        assert b.wait(timeout=30) == 0, log_b.read_text()
    finally:
        for process in (a, b):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()

    try:
        final = await all_jobs(shop.database)
        # none lost, none running, and only A's jobs were run a second time
        assert {(job.id, job.state, job.attempts) for job in final} == {
            (job.id, "done", 2 if job.id in a_jobs else 1) for job in final
        }
        # completed exactly once each, all by B for the jobs A died holding
        assert done_lines(*logs) == Counter({job.id: 1 for job in final})
        assert not done_lines(log_a).keys() & a_jobs
        # i'mport was asked once per job, twice for a job A died in the middle of
        assert fired(emu) == Counter({
            imp_uid: 2 if job_id in a_jobs else 1 for job_id, imp_uid in shop.imp_uid_of_job.items()
        })  # fmt: skip
        async with shop.database.reading() as uow:
            orders = [await uow.orders.get(uid) for uid in shop.merchant_uids]
            product = await uow.products.get(shop.product_id)
        assert all(o is not None and o.order.status == OrderStatus.PAID for o in orders)
        assert product is not None
        assert (product.stock.available, product.stock.held, product.stock.sold) == (0, 0, count)
        assert "released" not in log_b.read_text()  # B finished everything before its stop
    finally:
        await shop.database.dispose()


async def test_sigterm_mid_job_releases_it_and_the_next_worker_does_it(
    database_url: str,
    emulator_url: str,
    emu: EmulatorClient,
    tmp_path: Path,
    opened: list[Database],
) -> None:
    """A worker stopped while i'mport keeps it waiting gives the job back after its grace
    period: queued, attempt not counted, nothing running. The next worker does it once."""
    shop = await stored_webhooks(database_url, emulator_url, emu, [(STUCK, STUCK)], opened)
    env = environment(database_url, emulator_url)
    log = tmp_path / "worker.log"
    worker = start(env, log, worker_grace_seconds="1", job_lease_seconds="20")
    try:

        async def in_hand() -> bool:
            return bool(held_by(await holders(shop.database), worker.pid))

        await until(in_hand, "the worker takes the job", 30, [log])
        worker.send_signal(signal.SIGTERM)
        stopping = time.monotonic()
        assert worker.wait(timeout=30) == 0, log.read_text()
        took = time.monotonic() - stopping
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    try:
        assert took < STUCK - 5, f"stopping took {took:.1f} s: it waited for the job"
        (job,) = await all_jobs(shop.database)
        assert (job.state, job.attempts, job.last_error) == ("queued", 0, None)
        assert (await holders(shop.database))[job.id][:2] == (None, "queued")
        assert f"job {job.id} (webhook.process) released" in log.read_text()
        assert "stopped" in log.read_text()

        emu.control("DELETE", "/faults")
        log2 = tmp_path / "worker-2.log"
        second = start(env, log2)
        try:

            async def done() -> bool:
                (again,) = await all_jobs(shop.database)
                return again.state == "done"

            await until(done, "the next worker does the job", 30, [log, log2])
            second.send_signal(signal.SIGTERM)
            assert second.wait(timeout=30) == 0
        finally:
            if second.poll() is None:
                second.kill()
                second.wait()
        (job,) = await all_jobs(shop.database)
        assert (job.state, job.attempts) == ("done", 1)
        assert done_lines(log, log2) == Counter({job.id: 1})
        async with shop.database.reading() as uow:
            order = await uow.orders.get(shop.merchant_uids[0])
        assert order is not None and order.order.status == OrderStatus.PAID
    finally:
        await shop.database.dispose()
