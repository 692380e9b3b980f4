"""Scenario ``webhooks``: a flood of paid notifications, 30 % of them duplicated.

Per backend: N payments made paid in the emulator (its control API), an open
order for each in the database, then every notification (and a duplicate of
30 % of them) sent at once, 200 in flight, against the bare endpoint on the
same stack. The server answers after the durable store. Then:

- acks/s (max) against the bare endpoint, and ack p99 at half that rate;
- processed payments/s: orders paid per second by the worker, started once the
  flood is stored (the server runs here with ``PAYDESK_WEBHOOK_INLINE_JOBS=0``);
- 0 lost: every acked delivery (the flood and the half-rate run) is stored with
  its processing job before the worker starts, and every order ends up paid
  (the full run's worker gets 30 s: the orders it has not reached by then are
  reported, not judged; ``--quick`` and ``tests/bench`` wait for all of them);
- 0 applied twice (stock sold = orders paid, one payment row each, no refund owed).
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import httpx

from paydesk.core.money import Money

from .report import Row
from .stack import (
    emulator,
    json_post,
    load,
    on_each_backend,
    scalar,
    scratch_database,
    seed_orders,
    seed_product,
    serve,
    server_env,
    server_errors,
    shipped,
    worker,
)

__all__ = ["RESULTS", "run", "seed_payments"]

PRICE = Money(25_000)
RESULTS: dict[str, dict[str, Any]] = {}


async def seed_payments(emulator_url: str, uids: list[str], amount: int) -> list[str]:
    """Paid payments in the emulator (no webhook of its own); their imp_uids, in order.

    Seeded in bulk (``POST /_emulator/payments/bulk``, 5,000 a call): one call per
    payment took about half a minute of the scenario for 10,000.
    """
    found: list[str] = []
    async with httpx.AsyncClient(base_url=emulator_url, timeout=600) as http:
        for start in range(0, len(uids), 5_000):
            specs = [{"merchant_uid": uid, "amount": amount, "status": "paid",
                      "uses_webhook": False} for uid in uids[start : start + 5_000]]  # fmt: skip
            answer = await http.post("/_emulator/payments/bulk", json={"payments": specs})
            answer.raise_for_status()
            found.extend(str(wire["imp_uid"]) for wire in answer.json()["response"])
    return found


def _count(url: str, statement: str) -> int:
    return int(asyncio.run(scalar(url, statement)) or 0)


def backend_rows(backend: str, quick: bool) -> list[Row]:
    n = 300 if quick else 10_000
    name = f"webhooks/{backend}"
    rng = random.Random(14)
    uids = [f"ord_wh_{i:06d}" for i in range(n)]
    with emulator() as emulator_url:
        imp_uids = asyncio.run(seed_payments(emulator_url, uids, PRICE.amount))
        notes = [{"imp_uid": i, "merchant_uid": u, "status": "paid"}
                 for i, u in zip(imp_uids, uids, strict=True)]  # fmt: skip
        flood = notes + rng.sample(notes, int(0.3 * n))
        rng.shuffle(flood)
        requests = [json_post("/iamport/webhook", body) for body in flood]
        with serve("bench.bare:app", factory=False) as (bare_port, _):
            bare = load(bare_port, requests)
        with scratch_database(backend) as url:
            product = asyncio.run(seed_product(url, "wh", n, PRICE))
            asyncio.run(seed_orders(url, product, uids, PRICE))
            # the server answers after the store and leaves every job to the worker,
            # started once the flood is in: intake and processing measured apart
            env = server_env(url, emulator_url, PAYDESK_WORKER_CONCURRENCY="16",
                             PAYDESK_WEBHOOK_INLINE_JOBS="0")  # fmt: skip
            with shipped("serve", env) as (port, _):
                acks = load(port, requests)
                rate = acks["rate"] * 0.5
                half = load(port, requests[: int(rate * (3 if quick else 8))], rate=rate,
                            connections=1000)  # fmt: skip
            # every acked delivery must be stored with its processing job before the
            # worker starts: that is what "0 lost" rests on once the ack has gone out
            stored = _count(url, "SELECT count(*) FROM webhook_inbox i JOIN jobs j ON "
                                 "j.dedupe_key = 'webhook.process:' || i.id "
                                 "WHERE i.imp_uid IS NOT NULL")  # fmt: skip
            distinct = _count(url, "SELECT count(DISTINCT imp_uid) FROM webhook_inbox")
            with worker(env):
                started = time.monotonic()
                deadline = started + (90 if quick else 30)
                while (
                    paid := _count(url, "SELECT count(*) FROM orders WHERE status = 'paid'")
                ) < n:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.2)
                processing = time.monotonic() - started
                processed = paid
            finished = paid == n
            paid = _count(url, "SELECT count(*) FROM orders WHERE status = 'paid'")
            sold = _count(url, f"SELECT stock_sold FROM products WHERE id = {product}")
            payments = _count(url, "SELECT count(DISTINCT imp_uid) FROM payments")
            payment_rows = _count(url, "SELECT count(*) FROM payments")
            refunds = _count(url, "SELECT count(*) FROM refunds")
    for phase, result in (("bare", bare), ("acks", acks), ("half", half)):
        RESULTS[f"{name}/{phase}"] = result
    all_acked = acks["statuses"] == {"200": len(flood)}
    acked = acks["statuses"].get("200", 0) + half["statuses"].get("200", 0)
    return [
        Row(name, f"acks/s ({n:,} payments + 30 % duplicates, 200 in flight)", acks["rate"],
            bare["rate"], "bare ASGI", "≥ 0.5×", "/s", acks["rate"] >= 0.5 * bare["rate"],
            f"all 200: {all_acked}, 5xx {server_errors(acks)}"),
        Row(name, f"ack p99 at half max ({half['offered']:.0f}/s offered)", half["ms"]["99"],
            None, "", "≤ 50 ms", "ms", half["ms"]["99"] <= 50,
            f"p50 {half['ms']['50']:.1f} ms, 5xx {server_errors(half)}"),
        Row(name, "processed payments/s by the worker (start → last order paid)", processed / processing,
            None, "", "reported", "/s", None, f"{processed:,} paid in {processing:.1f} s"),
        Row(name, "lost: acked but not stored with its job, or (once processed) not paid",
            acked - stored + n - paid if finished else acked - stored, 0, "none", "= 0", "",
            stored == acked and distinct == n and all_acked,
            f"{stored:,} of {acked:,} acked deliveries stored with their job, {distinct:,} "
            f"payments; {paid:,} of {n:,} orders paid" + ("" if finished else
            " when the processing budget ran out (the rest wait in the queue; --quick and "
            "tests/bench check that every order is paid)")),
        Row(name, "applied twice: stock sold beyond paid orders, payment rows, refunds",
            sold - paid + payment_rows - payments + refunds, 0, "none", "= 0", "",
            sold == paid == payments == payment_rows and refunds == 0 and all_acked
            and server_errors(acks) == 0,
            f"sold {sold:,}, payment rows {payment_rows:,}, refunds {refunds}"),
    ]  # fmt: skip


def run(quick: bool) -> list[Row]:
    return on_each_backend("webhooks", backend_rows, quick)
