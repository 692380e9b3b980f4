"""Flash-sale rush benchmark: the Confirm Process with group commit vs. one transaction each.

N buyers confirm at once for K units of one product. Both modes run the same
``ConfirmDesk``; the baseline turns group commit off, so every confirm is its
own transaction taking the product's row lock. Prints confirms/second, p50/p99
latency per mode and the ratio.

    .venv/bin/python -m bench.confirm_rush                      # SQLite file in a temp dir
    .venv/bin/python -m bench.confirm_rush --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test
    .venv/bin/python -m bench.confirm_rush --via http           # through uvicorn, as i'mport calls it

With PostgreSQL the URL names a database used only to create (and drop) a
scratch database per mode.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from paydesk.core.clock import SystemClock
from paydesk.core.confirm import ConfirmCall
from paydesk.core.confirm_tokens import confirm_token
from paydesk.core.money import Money
from paydesk.core.orders import Order
from paydesk.core.stock import Line
from paydesk.services.confirm import ConfirmDesk, ConfirmPolicy, ConfirmUnavailable
from paydesk.store import Database, async_url
from paydesk.store.migrate import upgrade

PRICE = Money(39_000)
BENCH_SECRET = "bench-secret-key-" + "0" * 32


def signed_confirm_path(merchant_uid: str) -> str:
    """The order's own ``confirm_url`` path, as ``POST /api/orders`` hands it out."""
    return f"/iamport/confirm?token={confirm_token(BENCH_SECRET.encode(), merchant_uid)}"


@dataclass(frozen=True)
class Result:
    mode: str
    seconds: float
    latencies: list[float]
    approved: int
    transactions: int | None

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


# -- databases ------------------------------------------------------------------------
@asynccontextmanager
async def scratch_database(base_url: str | None) -> AsyncIterator[str]:
    """A migrated, empty database for one run; removed afterwards."""
    if base_url is None or make_url(base_url).get_backend_name() == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
            await asyncio.to_thread(upgrade, url)
            yield url
        return
    name = f"paydesk_bench_{uuid.uuid4().hex[:10]}"
    await _admin(base_url, f'CREATE DATABASE "{name}"')
    url = make_url(async_url(base_url)).set(database=name).render_as_string(hide_password=False)
    try:
        await asyncio.to_thread(upgrade, url)
        yield url
    finally:
        await _admin(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(async_url(url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def seed(url: str, confirms: int, stock: int) -> list[str]:
    """One product with ``stock`` units and ``confirms`` single-unit orders for it."""
    database = Database(url)
    now = datetime.now(UTC)
    try:
        async with database.transaction() as uow:
            product = await uow.products.add(sku="hot", name="한정판", price=PRICE, stock=stock,
                                              on_sale=True, now=now)  # fmt: skip
            uids = [f"ord_bench_{i:06d}" for i in range(confirms)]
            for uid in uids:
                order = Order.open(uid, PRICE, [Line(product.id, 1)], now + timedelta(hours=1))
                await uow.orders.add(order, name="한정판", unit_prices={product.id: PRICE}, buyer={},
                                     pay_method="card", pg="html5_inicis", now=now)  # fmt: skip
    finally:
        await database.dispose()
    return uids


# -- the rush -------------------------------------------------------------------------
async def timed(
    calls: list[Callable[[], Awaitable[bool]]], concurrency: int
) -> tuple[float, list[float], int]:
    """Run ``calls`` with at most ``concurrency`` in flight; wall time, latencies, approvals."""
    gate = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def one(call: Callable[[], Awaitable[bool]]) -> bool:
        async with gate:
            started = time.perf_counter()
            approved = await call()
            latencies.append(time.perf_counter() - started)
            return approved

    started = time.perf_counter()
    outcomes = await asyncio.gather(*(one(call) for call in calls))
    return time.perf_counter() - started, latencies, sum(outcomes)


async def rush_direct(
    url: str, uids: list[str], concurrency: int, group: bool, window_ms: float
) -> Result:
    database = Database(url, pool_size=20)
    policy = ConfirmPolicy(group_commit=group, window_seconds=window_ms / 1000)
    desk = ConfirmDesk(database, SystemClock(), policy)

    def call(i: int, uid: str) -> Callable[[], Awaitable[bool]]:
        async def go() -> bool:
            try:
                decision = await desk.confirm(
                    ConfirmCall(f"imp_{i:012d}", uid, Decimal(PRICE.amount)), {}
                )
            except ConfirmUnavailable:  # answered 429: refused, and (by design) nothing held
                return False
            return decision.approved

        return go

    try:
        seconds, latencies, approved = await timed(
            [call(i, u) for i, u in enumerate(uids)], concurrency
        )
    finally:
        await desk.drain()  # no batch still running when the scratch database is dropped
        await database.dispose()
    return Result(
        "group commit" if group else "baseline",
        seconds,
        latencies,
        approved,
        desk.batches if group else len(uids),
    )


class Connection:
    """A bare keep-alive HTTP/1.1 connection: the load generator must not be the bottleneck.

    (httpx's pool slows down badly with hundreds of connections in one process.)
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def post_json(self, path: str, body: dict[str, object]) -> int:
        data = json.dumps(body).encode()
        head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(data)}\r\n\r\n")  # fmt: skip
        self.writer.write(head.encode() + data)
        status = int((await self.reader.readline()).split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return status

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


async def rush_http(
    url: str, uids: list[str], concurrency: int, group: bool, window_ms: float
) -> Result:
    env = {**os.environ, "PAYDESK_DATABASE_URL": url, "PAYDESK_CONFIRM_GROUP_COMMIT": str(group).lower(),
           "PAYDESK_CONFIRM_BATCH_WINDOW_MS": str(window_ms),
           # the confirm path never calls i'mport; the server still wants credentials
           "PAYDESK_IAMPORT_KEY": "unused", "PAYDESK_IAMPORT_SECRET": "unused",
           "PAYDESK_IAMPORT_BASE_URL": "http://127.0.0.1:9", "PAYDESK_SECRET_KEY": BENCH_SECRET}  # fmt: skip
    port = 18_000 + os.getpid() % 1000
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "uvicorn", "--factory", "paydesk.bootstrap:build_server",
        "--port", str(port), "--log-level", "warning", "--no-access-log", env=env,
    )  # fmt: skip
    try:
        await _wait_until_up(f"http://127.0.0.1:{port}")
        idle = asyncio.Queue[Connection]()
        for _ in range(concurrency):
            idle.put_nowait(await Connection.open(port))

        def call(i: int, uid: str) -> Callable[[], Awaitable[bool]]:
            async def go() -> bool:
                connection = await idle.get()
                body = {"imp_uid": f"imp_{i:012d}", "merchant_uid": uid, "amount": PRICE.amount}
                try:
                    return await connection.post_json(signed_confirm_path(uid), body) == 200
                finally:
                    idle.put_nowait(connection)

            return go

        seconds, latencies, approved = await timed(
            [call(i, u) for i, u in enumerate(uids)], concurrency
        )
        while not idle.empty():
            await idle.get_nowait().close()
    finally:
        server.terminate()
        await asyncio.wait_for(server.wait(), timeout=10)
    return Result("group commit" if group else "baseline", seconds, latencies, approved, None)


async def _wait_until_up(base: str) -> None:
    async with httpx.AsyncClient(base_url=base) as http:
        for _ in range(200):
            try:
                if (await http.get("/docs")).status_code == 200:
                    return
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise RuntimeError("server did not start")


# -- main -----------------------------------------------------------------------------
def report(results: list[Result], stock: int) -> None:
    print(
        f"{'mode':<14}{'confirms/s':>12}{'p50 ms':>10}{'p99 ms':>10}{'approved':>10}{'write tx':>10}"
    )
    for r in results:
        tx = "-" if r.transactions is None else str(r.transactions)
        print(
            f"{r.mode:<14}{r.rate:>12.0f}{r.percentile(50):>10.1f}{r.percentile(99):>10.1f}{r.approved:>10}{tx:>10}"
        )
        if r.approved != stock:
            print(f"  !! {r.mode}: {r.approved} approvals for {stock} units", file=sys.stderr)
    group, base = results
    print(f"group commit / baseline: {group.rate / base.rate:.1f}x confirms/s, "
          f"p99 {base.percentile(99) / group.percentile(99):.1f}x lower")  # fmt: skip


async def main(args: argparse.Namespace) -> int:
    rush = rush_http if args.via == "http" else rush_direct
    results = []
    for group in (True, False):
        async with scratch_database(args.database_url) as url:
            uids = await seed(url, args.confirms, args.stock)
            results.append(await rush(url, uids, args.concurrency, group, args.window_ms))
    backend = make_url(args.database_url).get_backend_name() if args.database_url else "sqlite"
    print(f"{args.confirms} confirms for {args.stock} units, {args.concurrency} in flight, "
          f"{backend}, via {args.via}, window {args.window_ms} ms")  # fmt: skip
    report(results, args.stock)
    return 0 if all(r.approved == args.stock for r in results) else 1


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url", default=None, help="PostgreSQL base URL (default: SQLite)"
    )
    parser.add_argument("--confirms", type=int, default=2000)
    parser.add_argument("--stock", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--window-ms", type=float, default=2.0)
    parser.add_argument("--via", choices=("direct", "http"), default="direct")
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(arguments())))
