"""Scenario ``reconcile``: 100,000 paid payments, 5 % of their webhooks never delivered.

Per backend:

1. N payments made paid in the emulator (``POST /_emulator/payments/bulk``, no
   webhook of their own), their paid_at spread over the last N/10 seconds (a
   busy sale: ten payments a second);
2. an open order for each, inserted in bulk as the API stores them
   (``stack.seed_orders``: awaiting payment, one unit, stock for all N);
3. 95 % settled as their webhook would have: the rows ``Settlement.apply``
   writes for a first ``paid`` report of an open order (the payment row, the
   order paid, the stock sold), computed by the same domain functions and
   written in bulk (the worker would take minutes for 95,000). The sweep checks
   that claim: any of them that did not look settled would be reported drift;
4. ``paydesk reconcile --from … --to …`` run as a subprocess and timed, start to
   exit (imports, token, every listing page, every comparison, the 5 % applied);
5. then: every order paid, one payment row each, stock sold = N, no refund owed,
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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

from paydesk.core.lifecycle import SellStock, apply
from paydesk.core.money import Money
from paydesk.core.outcomes import facts
from paydesk.iamport import Payment
from paydesk.services.payment_reports import payment_columns, report_of
from paydesk.store import Database
from paydesk.store.tables import payments as payments_table

from .procs import cpu_seconds
from .report import Row
from .stack import (
    ROOT,
    on_each_backend,
    scalar,
    scratch_database,
    seed_orders,
    seed_product,
    serve,
    server_env,
)

__all__ = ["Swept", "run", "seed_bulk", "settle_directly", "sweep"]

PRICE = Money(25_000)
MISSED_SHARE = 0.05
TARGET_SECONDS = 60.0
BULK = 5_000


def seed_bulk(emulator_url: str, uids: Sequence[str], paid_at: Sequence[int]) -> list[Payment]:
    """Paid payments in the emulator, ``BULK`` per call, without webhooks; in the order given."""
    found: list[Payment] = []
    with httpx.Client(base_url=emulator_url, timeout=600) as http:
        for start in range(0, len(uids), BULK):
            specs = [{"merchant_uid": uid, "amount": PRICE.amount, "status": "paid",
                      "uses_webhook": False, "paid_at": at}
                     for uid, at in zip(uids[start : start + BULK],
                                        paid_at[start : start + BULK], strict=True)]  # fmt: skip
            answer = http.post("/_emulator/payments/bulk", json={"payments": specs})
            answer.raise_for_status()
            found.extend(Payment.model_validate(wire) for wire in answer.json()["response"])
    return found


async def settle_directly(url: str, paid: Sequence[Payment]) -> None:
    """Store what ``Settlement.apply`` stores for a first ``paid`` report of an open order.

    The same domain steps (``report_of``, ``facts``, the lifecycle's ``apply``,
    ``payment_columns``), written in bulk: one payment row each, the order saved
    through ``OrderRepository.save_many``, the stock sold through
    ``ProductRepository.sell``. Only the one effect a first payment of an open
    order has (stock sold from available) is expected; anything else stops the bench.
    """
    database = Database(url)
    try:
        for start in range(0, len(paid), 2_000):
            chunk = paid[start : start + 2_000]
            async with database.transaction() as uow:
                now = datetime.now(UTC)
                records = await uow.orders.many(p.merchant_uid for p in chunk)
                rows: list[dict[str, Any]] = []
                changes = []
                sold: Counter[int] = Counter()
                for payment in chunk:
                    record = records[payment.merchant_uid]
                    report = report_of(payment)
                    order = record.order
                    for fact in facts(order, report, stock_available=True):
                        step = apply(order, fact)
                        order = step.order
                        for effect in step.effects:
                            if not isinstance(effect, SellStock):
                                raise RuntimeError(f"unexpected effect {effect!r}")
                            for line in order.lines:
                                sold[line.product_id] += line.quantity
                    rows.append({**payment_columns(payment, report, now), "order_id": record.id,
                                 "created_at": now, "updated_at": now})  # fmt: skip
                    changes.append((record.id, order))
                await uow.connection.execute(insert(payments_table), rows)  # bench-only bulk
                await uow.orders.save_many(changes, now)
                for product_id, quantity in sold.items():
                    await uow.products.sell(product_id, quantity, now)
    finally:
        await database.dispose()


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
        paid = seed_bulk(emulator_url, uids, paid_at)
        since = datetime.fromtimestamp(first - 1, UTC)
        until = datetime.fromtimestamp(now, UTC) + timedelta(seconds=1)
        with scratch_database(backend) as url:
            product = asyncio.run(seed_product(url, "rc", n, PRICE))
            asyncio.run(seed_orders(url, product, uids, PRICE))
            asyncio.run(settle_directly(url, [p for i, p in enumerate(paid) if i not in missed]))
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
