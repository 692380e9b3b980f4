"""Scenario ``reconcile``: 100,000 paid payments, 5 % of their webhooks never delivered.

Per backend:

1. N payments made paid in the emulator (``POST /_emulator/payments/bulk``, no
   webhook of their own), their paid_at spread over the last N/10 seconds (a
   busy sale: ten payments a second);
2. an order for each, inserted in bulk as the API stores them (one unit, stock
   for all N); 95 % of them settled as their webhook would have: the rows
   ``Settlement.apply`` writes for a first ``paid`` report of an open order (the
   payment row, the order paid, the stock sold), computed from the open order by
   the same domain functions (``settled_order``) and written in bulk (the worker
   would take minutes for 95,000). The emulator makes the next 5,000 payments
   while the books of the last ones are written. The sweep checks that claim:
   any of them that did not look settled would be reported drift;
3. ``paydesk reconcile --from … --to …`` run as a subprocess and timed, start to
   exit (imports, token, every listing page, every comparison, the 5 % applied);
4. then: every order paid, one payment row each, stock sold = N, no refund owed,
   and the stored report names exactly the 5 % as ``missed`` and nothing else;
   a second sweep over the same range finds no drift at all.

Rows: sweep seconds against the 60 s target, payments/s, the drift the sweep
found (= the 5 %) and the drift left after it (= 0).
"""

from __future__ import annotations

import asyncio
import os
import random
import resource
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select

from paydesk.core.lifecycle import SellStock, apply
from paydesk.core.money import Money
from paydesk.core.orders import Order
from paydesk.core.outcomes import facts
from paydesk.core.stock import Line
from paydesk.iamport import Payment
from paydesk.services.payment_reports import payment_columns, report_of
from paydesk.store import Database
from paydesk.store.records import order_values
from paydesk.store.tables import order_items
from paydesk.store.tables import orders as orders_table
from paydesk.store.tables import payments as payments_table

from .procs import cpu_seconds
from .report import Row
from .stack import (
    ROOT,
    on_each_backend,
    scalar,
    scratch_database,
    seed_product,
    serve,
    server_env,
)

__all__ = ["Swept", "run", "seed_books", "seed_bulk", "settled_order", "sweep"]

PRICE = Money(25_000)
MISSED_SHARE = 0.05
TARGET_SECONDS = 60.0
BULK = 5_000


def seed_bulk(emulator_url: str, uids: Sequence[str], paid_at: Sequence[int]) -> list[Payment]:
    """Paid payments in the emulator, in one call, without webhooks; in the order given."""
    specs = [{"merchant_uid": uid, "amount": PRICE.amount, "status": "paid",
              "uses_webhook": False, "paid_at": at}
             for uid, at in zip(uids, paid_at, strict=True)]  # fmt: skip
    with httpx.Client(base_url=emulator_url, timeout=600) as http:
        answer = http.post("/_emulator/payments/bulk", json={"payments": specs})
    answer.raise_for_status()
    return [Payment.model_validate(wire) for wire in answer.json()["response"]]


def settled_order(order: Order, payment: Payment) -> tuple[Order, Counter[int]]:
    """The order after ``Settlement.apply`` of a first ``paid`` report of it, open before, and
    the units it sold: the same domain steps (``report_of``, ``facts``, the lifecycle's
    ``apply``). Only the one effect a first payment of an open order has (stock sold from
    available) is expected; anything else stops the bench."""
    sold: Counter[int] = Counter()
    for fact in facts(order, report_of(payment), stock_available=True):
        step = apply(order, fact)
        order = step.order
        for effect in step.effects:
            if not isinstance(effect, SellStock):
                raise RuntimeError(f"unexpected effect {effect!r}")
            for line in order.lines:
                sold[line.product_id] += line.quantity
    return order, sold


async def seed_books(
    url: str,
    emulator_url: str,
    product_id: int,
    uids: Sequence[str],
    paid_at: Sequence[int],
    missed: set[int],
) -> None:
    """The payments made in the emulator (``seed_bulk``, ``BULK`` per call) and our books:
    an order for each as the API stores it, and for all but ``missed`` what
    ``Settlement.apply`` stores for its first ``paid`` report (``settled_order``; the
    payment row, the stock sold), written in bulk.

    The emulator makes the next ``BULK`` payments while this process writes the books
    of the last ones (it runs in its own process).
    """
    database = Database(url)

    def made(start: int) -> Awaitable[list[Payment]]:
        end = start + BULK
        return asyncio.create_task(
            asyncio.to_thread(seed_bulk, emulator_url, uids[start:end], paid_at[start:end])
        )

    try:
        coming = made(0)
        for start in range(0, len(uids), BULK):
            paid = await coming
            if start + BULK < len(uids):
                coming = made(start + BULK)
            for part in range(0, len(paid), 2_500):
                await _write_books(database, product_id, start + part,
                                   paid[part : part + 2_500], missed)  # fmt: skip
    finally:
        await database.dispose()


async def _write_books(
    database: Database, product_id: int, first: int, paid: Sequence[Payment], missed: set[int]
) -> None:
    now = datetime.now(UTC)
    orders: list[dict[str, Any]] = []
    settled: dict[str, Payment] = {}
    sold: Counter[int] = Counter()
    for at, payment in enumerate(paid, start=first):
        order = Order.open(payment.merchant_uid, PRICE, [Line(product_id, 1)],
                           now + timedelta(hours=6))  # fmt: skip
        if at not in missed:
            order, units = settled_order(order, payment)
            sold.update(units)
            settled[payment.merchant_uid] = payment
        orders.append({**order_values(order), "merchant_uid": payment.merchant_uid,
                       "name": "한정판", "buyer": {}, "pay_method": "card",
                       "pg": "html5_inicis", "created_at": now, "updated_at": now})  # fmt: skip
    async with database.transaction() as uow:
        connection = uow.connection  # bench-only: one bulk statement per table
        await connection.execute(insert(orders_table), orders)
        ids = await connection.execute(
            select(orders_table.c.id, orders_table.c.merchant_uid).where(
                orders_table.c.merchant_uid.in_([p.merchant_uid for p in paid])
            )
        )
        by_uid = {uid: order_id for order_id, uid in ids}
        await connection.execute(insert(order_items), [
            {"order_id": i, "product_id": product_id, "quantity": 1,
             "unit_price": PRICE.amount} for i in by_uid.values()
        ])  # fmt: skip
        await connection.execute(insert(payments_table), [
            {**payment_columns(p, report_of(p), now), "order_id": by_uid[uid],
             "created_at": now, "updated_at": now}
            for uid, p in settled.items()
        ])  # fmt: skip
        for product, quantity in sold.items():
            await uow.products.sell(product, quantity, now)


@dataclass(frozen=True)
class Swept:
    seconds: float  # wall time, process start to exit
    cpu: float  # CPU seconds of the ``paydesk reconcile`` process
    emulator_cpu: float  # CPU seconds the emulator spent meanwhile
    load: float  # the machine's 1-minute load average at the end


def sweep(env: dict[str, str], since: datetime, until: datetime, emulator_pid: int) -> Swept:
    """``paydesk reconcile`` over ``since``..``until`` in its own process, timed."""
    command = [str(Path(sys.executable).parent / "paydesk"), "reconcile",
               "--from", since.isoformat(), "--to", until.isoformat()]  # fmt: skip
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    emulator_before = cpu_seconds(emulator_pid)
    started = time.monotonic()
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=1800)  # fmt: skip
    took = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"paydesk reconcile exited {done.returncode}: {done.stderr[-2000:]}")
    cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    return Swept(took, cpu, cpu_seconds(emulator_pid) - emulator_before, os.getloadavg()[0])


def _count(url: str, statement: str) -> int:
    return int(asyncio.run(scalar(url, statement)) or 0)


def backend_rows(backend: str, quick: bool) -> list[Row]:
    n = 2_000 if quick else 100_000
    name = f"reconcile/{backend}"
    uids = [f"ord_rc_{i:06d}" for i in range(n)]
    missed = set(random.Random(14).sample(range(n), int(n * MISSED_SHARE)))
    with serve("paydesk.emulator_factory:build_emulator", probe="/_emulator/health") as (
        port, emulator_pid):  # fmt: skip
        emulator_url = f"http://127.0.0.1:{port}"
        now = int(httpx.get(f"{emulator_url}/_emulator/health").json()["response"]["now"])
        first = now - n // 10 - 60  # ten payments a second, the last a minute ago
        paid_at = [first + i // 10 for i in range(n)]
        since = datetime.fromtimestamp(first - 1, UTC)
        until = datetime.fromtimestamp(now, UTC) + timedelta(seconds=1)
        with scratch_database(backend) as url:
            product = asyncio.run(seed_product(url, "rc", n, PRICE))
            asyncio.run(seed_books(url, emulator_url, product, uids, paid_at, missed))
            before = _count(url, "SELECT count(*) FROM orders WHERE status = 'paid'")
            env = server_env(url, emulator_url, PYTHONPATH=os.pathsep.join(
                [str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")]))  # fmt: skip
            first_sweep = sweep(env, since, until, emulator_pid)
            after = _count(url, "SELECT count(*) FROM orders WHERE status = 'paid'")
            rows = _count(url, "SELECT count(*) FROM payments")
            distinct = _count(url, "SELECT count(DISTINCT imp_uid) FROM payments")
            sold = _count(url, f"SELECT stock_sold FROM products WHERE id = {product}")
            refunds = _count(url, "SELECT count(*) FROM refunds")
            first_id = _count(url, "SELECT min(id) FROM reconciliations")
            found = _count(url, "SELECT count(*) FROM reconciliation_items WHERE "
                                f"reconciliation_id = {first_id} AND drift = 'missed' "
                                "AND resolved")  # fmt: skip
            items = _count(url, "SELECT count(*) FROM reconciliation_items WHERE "
                                f"reconciliation_id = {first_id}")  # fmt: skip
            checked = _count(url, f"SELECT checked FROM reconciliations WHERE id = {first_id}")
            again = sweep(env, since, until, emulator_pid)
            second = _count(url, "SELECT max(id) FROM reconciliations")
            left = _count(url, "SELECT count(*) FROM reconciliation_items WHERE "
                               f"reconciliation_id = {second}")  # fmt: skip
            finished = _count(url, "SELECT count(*) FROM reconciliations "
                                   "WHERE status = 'finished'")  # fmt: skip
    books_agree = after == rows == distinct == sold == n and refunds == 0
    drift_left = (n - after) + (rows - n) + (sold - n) + refunds + left
    seconds = first_sweep.seconds
    return [
        Row(name, f"sweep seconds ({n:,} payments, {len(missed):,} webhooks never delivered)",
            seconds, None, "", f"≤ {TARGET_SECONDS:.0f} s", "s", seconds <= TARGET_SECONDS,
            f"paydesk reconcile, process start to exit; CPU {first_sweep.cpu:.1f} s, emulator "
            f"CPU {first_sweep.emulator_cpu:.1f} s; load average {first_sweep.load:.1f}"),
        Row(name, "payments/s swept", checked / seconds, None, "", "reported", "/s", None,
            f"{checked:,} read; a second sweep with nothing to fix: {again.seconds:.1f} s "
            f"(CPU {again.cpu:.1f} s, emulator {again.emulator_cpu:.1f} s)"),
        Row(name, "drift found: missed webhooks caught and resolved", found, len(missed),
            "never delivered", "= all", "", found == items == len(missed) and checked == n,
            f"{items:,} item(s) reported; {before:,} paid before, {after:,} after"),
        Row(name, "drift left after the sweep", drift_left, 0, "none", "= 0", "",
            drift_left == 0 and books_agree and finished == 2,
            f"orders paid {after:,}/{n:,}, payment rows {rows:,}, sold {sold:,}, "
            f"refunds {refunds}, second sweep's items {left}"),
    ]  # fmt: skip


def run(quick: bool) -> list[Row]:
    return on_each_backend("reconcile", backend_rows, quick)
