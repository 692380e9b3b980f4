"""What the scenarios start: scratch databases, seeded orders, server processes, the emulator,
the load generator (``bench.loadgen``, its own process) and an RSS sampler."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from paydesk.core.confirm_tokens import confirm_token
from paydesk.core.money import Money
from paydesk.core.orders import Order
from paydesk.core.stock import Line
from paydesk.store import Database, async_url
from paydesk.store.migrate import upgrade
from paydesk.store.records import order_values
from paydesk.store.tables import order_items, orders

from .report import Row

SECRET = "bench-secret-key-" + "0" * 32
POSTGRES = os.environ.get(
    "PAYDESK_BENCH_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def postgres_up() -> bool:
    try:
        asyncio.run(_admin(POSTGRES, "SELECT 1"))
    except Exception:
        return False
    return True


def on_each_backend(
    scenario: str, rows_of: Callable[[str, bool], list[Row]], quick: bool, why: str = ""
) -> list[Row]:
    """``rows_of(backend, quick)`` for each of ``PAYDESK_BENCH_BACKENDS`` (default both); a
    PostgreSQL that cannot be reached gives a ``skipped`` row instead."""
    rows: list[Row] = []
    for backend in os.environ.get("PAYDESK_BENCH_BACKENDS", "sqlite,postgres").split(","):
        if backend == "postgres" and not postgres_up():
            rows.append(Row(f"{scenario}/{backend}", "skipped", 0, None, "", "", "", None,
                            f"PostgreSQL not reachable{why}"))  # fmt: skip
            continue
        rows.extend(rows_of(backend, quick))
    return rows


# -- databases ------------------------------------------------------------------------
@contextmanager
def scratch_database(backend: str) -> Iterator[str]:
    """A migrated, empty database; dropped afterwards (after its users are gone)."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
            upgrade(url)
            yield url
        return
    name = f"paydesk_bench_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(POSTGRES, f'CREATE DATABASE "{name}"'))
    url = make_url(async_url(POSTGRES)).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        asyncio.run(_admin(POSTGRES, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(async_url(url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def seed_product(url: str, sku: str, stock: int, price: Money) -> int:
    database = Database(url)
    try:
        async with database.transaction() as uow:
            product = await uow.products.add(sku=sku, name="한정판", price=price, stock=stock,
                                              on_sale=True, now=datetime.now(UTC))  # fmt: skip
    finally:
        await database.dispose()
    return product.id


async def seed_orders(url: str, product_id: int, uids: Sequence[str], price: Money) -> None:
    """Single-unit open orders, inserted in bulk (the API would take minutes for 20,000)."""
    database = Database(url)
    now = datetime.now(UTC)
    try:
        for start in range(0, len(uids), 2000):
            chunk = uids[start : start + 2000]
            rows = []
            for uid in chunk:
                order = Order.open(uid, price, [Line(product_id, 1)], now + timedelta(hours=6))
                rows.append({**order_values(order), "merchant_uid": uid, "name": "한정판",
                             "buyer": {}, "pay_method": "card", "pg": "html5_inicis",
                             "created_at": now, "updated_at": now})  # fmt: skip
            async with database.transaction() as uow:
                connection = uow.connection  # bench-only: one bulk statement per table
                await connection.execute(insert(orders), rows)
                ids = await connection.execute(
                    select(orders.c.id).where(orders.c.merchant_uid.in_(chunk))
                )
                await connection.execute(insert(order_items), [
                    {"order_id": i, "product_id": product_id, "quantity": 1,
                     "unit_price": price.amount} for (i,) in ids
                ])  # fmt: skip
    finally:
        await database.dispose()


async def scalar(url: str, statement: str) -> Any:
    engine = create_async_engine(async_url(url))
    try:
        async with engine.connect() as connection:
            return (await connection.execute(text(statement))).scalar()
    finally:
        await engine.dispose()


def confirm_path(merchant_uid: str) -> str:
    return f"/iamport/confirm?token={confirm_token(SECRET.encode(), merchant_uid)}"


# -- processes ------------------------------------------------------------------------
def server_env(
    database_url: str, iamport_url: str = "http://127.0.0.1:9", **extra: str
) -> dict[str, str]:
    return {**os.environ, "PAYDESK_DATABASE_URL": database_url, "PAYDESK_SECRET_KEY": SECRET,
            "PAYDESK_IAMPORT_KEY": "demo_imp_key", "PAYDESK_IAMPORT_SECRET": "demo_imp_secret",
            "PAYDESK_IAMPORT_BASE_URL": iamport_url, "PAYDESK_WEBHOOK_ALLOWED_IPS": "",
            "PAYDESK_LOG_LEVEL": "WARNING", **extra}  # fmt: skip


PAYDESK = str(Path(sys.executable).parent / "paydesk")
UVICORN = ["--host", "127.0.0.1", "--log-level", "warning", "--no-access-log"]


@contextmanager
def serve(target: str, env: Mapping[str, str] | None = None, *, factory: bool = True,
          probe: str = "/healthz") -> Iterator[tuple[int, int]]:  # fmt: skip
    """``target`` under uvicorn in its own process: (port, pid). For the baselines."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", *(["--factory"] if factory else []), target,
               "--port", str(port), *UVICORN]  # fmt: skip
    with _running(command, env, port, probe) as pid:
        yield port, pid


@contextmanager
def shipped(command: str, env: Mapping[str, str] | None = None, *, probe: str = "/healthz",
            options: Sequence[str] = ()) -> Iterator[tuple[int, int]]:  # fmt: skip
    """``paydesk serve`` or ``paydesk emulator`` as a merchant runs it (our logging, the
    collector settled by ``paydesk.heap``): (port, pid)."""
    port = free_port()
    argv = [PAYDESK, command, "--host", "127.0.0.1", "--port", str(port), *options]
    with _running(argv, env, port, probe) as pid:
        yield port, pid


@contextmanager
def _running(command: list[str], env: Mapping[str, str] | None, port: int,
             probe: str) -> Iterator[int]:  # fmt: skip
    """``command`` in its own process until ``probe`` answers on ``port``: its pid."""
    process = subprocess.Popen(command, env=dict(env or os.environ), cwd=ROOT)
    name = " ".join(command[:4])
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}")
            try:
                httpx.get(f"http://127.0.0.1:{port}{probe}", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not start") from None
                time.sleep(0.1)
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def emulator() -> Iterator[str]:
    with shipped("emulator", probe="/_emulator/health", options=["--log-level", "WARNING"]) as (
        port,
        _,
    ):
        yield f"http://127.0.0.1:{port}"


@contextmanager
def worker(env: Mapping[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    command = [PAYDESK, "worker", "--poll", "0.2"]
    process = subprocess.Popen(command, env=dict(env), cwd=ROOT)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class RssSampler:
    """The largest resident set of a process while the block runs (from /proc)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak_mb = pid, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.1):
            try:
                status = Path(f"/proc/{self.pid}/status").read_text()
            except OSError:
                return
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    self.peak_mb = max(self.peak_mb, int(line.split()[1]) / 1024)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


# -- the load generator ---------------------------------------------------------------
Request = tuple[str, str, str, str]  # method, path, content type, body


def json_post(path: str, body: Mapping[str, Any]) -> Request:
    return ("POST", path, "application/json", json.dumps(body))


def load(port: int, requests: Sequence[Request], *, rate: float | None = None,
         connections: int = 200) -> dict[str, Any]:  # fmt: skip
    """Run ``bench.loadgen`` in its own process; its result (see there)."""
    with tempfile.TemporaryDirectory() as folder:
        spec, out = Path(folder) / "spec.json", Path(folder) / "out.json"
        spec.write_text(json.dumps({"port": port, "requests": list(requests), "rate": rate,
                                    "connections": connections}))  # fmt: skip
        subprocess.run([sys.executable, "-m", "bench.loadgen", str(spec), str(out)], check=True,
                       cwd=ROOT)  # fmt: skip
        result: dict[str, Any] = json.loads(out.read_text())
    return result


def server_errors(result: Mapping[str, Any]) -> int:
    """Answers of 5xx, and requests that got no answer at all."""
    statuses = result["statuses"]
    return sum(n for s, n in statuses.items() if not s.isdigit() or int(s) >= 500)
