"""The chaos run's invariants, checked against the database and the gateway's own records.

Each check returns violations: one line naming the records that break it.
The gateway's truth is read from the emulator's REST API (faults cleared by
then), the way the merchant itself could read it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

KEPT = ("paid", "partially_refunded")


@dataclass(frozen=True)
class Gateway:
    """Every payment attempt the gateway holds for the merchant_uids asked about."""

    by_merchant_uid: dict[str, list[dict[str, Any]]]

    def payment(self, imp_uid: str) -> dict[str, Any] | None:
        return next(
            (p for ps in self.by_merchant_uid.values() for p in ps if p["imp_uid"] == imp_uid), None
        )


def holds(payment: dict[str, Any]) -> int:
    """Money the gateway holds for a payment (paid, less what was cancelled)."""
    was_paid = payment["status"] == "paid" or (
        payment["status"] == "cancelled" and payment.get("paid_at")
    )
    return int(payment["amount"]) - int(payment["cancel_amount"]) if was_paid else 0


async def rows(engine: AsyncEngine, sql: str) -> list[dict[str, Any]]:
    async with engine.connect() as connection:
        result = await connection.execute(text(sql))
        return [dict(row._mapping) for row in result]


async def read_gateway(emulator: httpx.AsyncClient, merchant_uids: list[str]) -> Gateway:
    token = (
        await emulator.post(
            "/users/getToken", json={"imp_key": "demo_imp_key", "imp_secret": "demo_imp_secret"}
        )
    ).json()["response"]["access_token"]
    found: dict[str, list[dict[str, Any]]] = {}
    for uid in merchant_uids:
        answer = await emulator.get(
            f"/payments/findAll/{uid}",
            headers={"Authorization": f"Bearer {token}"},
            params={"limit": 100},
        )
        body = answer.json()
        found[uid] = list((body.get("response") or {}).get("list") or [])
    return Gateway(found)


async def check(
    engine: AsyncEngine,
    emulator: httpx.AsyncClient,
    answered: list[bytes],
    *,
    stopped: bool = False,
) -> dict[str, list[str]]:
    """Every invariant by name, with its violations (empty lists: all hold)."""
    orders = await rows(
        engine,
        "SELECT id, merchant_uid, status, amount, paid_amount, "
        "refunded_amount, imp_uid FROM orders",
    )
    charges = await rows(
        engine,
        "SELECT subscription_id, period, merchant_uid, state, imp_uid FROM subscription_charges",
    )
    gateway = await read_gateway(
        emulator, [o["merchant_uid"] for o in orders] + [c["merchant_uid"] for c in charges]
    )
    return {
        "orders agree with the gateway": orders_agree(orders, gateway),
        "stock conserved": await stock_conserved(engine),
        "refunds = gateway cancel_amount <= paid": await refunds_agree(engine, gateway),
        "no billing charge twice per period": charged_once(charges, gateway),
        "every 200 webhook delivery stored": await webhooks_stored(engine, answered),
        "no job lost or left running": await jobs_settled(engine, stopped=stopped),
        "reconciliation converged": await reconciled(engine),
    }


def orders_agree(orders: list[dict[str, Any]], gateway: Gateway) -> list[str]:
    bad = []
    for order in orders:
        attempts = gateway.by_merchant_uid.get(order["merchant_uid"], [])
        holding = {p["imp_uid"]: holds(p) for p in attempts if holds(p) > 0}
        uid, status = order["merchant_uid"], order["status"]
        if status in KEPT:
            mine = gateway.payment(order["imp_uid"] or "")
            if mine is None or mine["status"] not in ("paid", "cancelled"):
                bad.append(f"{uid}: {status} locally, gateway {mine and mine['status']}")
                continue
            if (
                int(mine["amount"]) != order["paid_amount"]
                or order["paid_amount"] != order["amount"]
            ):
                bad.append(
                    f"{uid}: paid {order['paid_amount']} of {order['amount']}, "
                    f"gateway {mine['amount']}"
                )
            if int(mine["cancel_amount"]) != order["refunded_amount"]:
                bad.append(
                    f"{uid}: refunded {order['refunded_amount']} locally, "
                    f"gateway cancel_amount {mine['cancel_amount']}"
                )
            others = {k: v for k, v in holding.items() if k != order["imp_uid"]}
            if others:
                bad.append(f"{uid}: gateway holds money of a second payment {others}")
            expected = "paid" if int(mine["cancel_amount"]) == 0 else "partially_refunded"
            if status != expected and int(mine["cancel_amount"]) < int(mine["amount"]):
                bad.append(f"{uid}: {status} locally, gateway says {expected}")
            if int(mine["cancel_amount"]) >= int(mine["amount"]):
                bad.append(f"{uid}: {status} locally, gateway cancelled it in full")
        elif holding:
            bad.append(f"{uid}: {status} locally, gateway holds {holding}")
        elif status == "refunded":
            mine = gateway.payment(order["imp_uid"] or "")
            if mine is not None and int(mine["cancel_amount"]) != order["refunded_amount"]:
                bad.append(
                    f"{uid}: refunded {order['refunded_amount']}, "
                    f"gateway cancel_amount {mine['cancel_amount']}"
                )
        elif status == "unverified":
            bad.append(f"{uid}: still unverified")
    return bad


async def stock_conserved(engine: AsyncEngine) -> list[str]:
    """initial = available + held + sold, and held/sold match the holds behind them."""
    bad = []
    products = await rows(
        engine, "SELECT id, sku, stock_available, stock_held, stock_sold FROM products"
    )
    holds_by = defaultdict(Counter)
    for row in await rows(
        engine,
        "SELECT product_id, state, sum(quantity) AS q FROM stock_holds GROUP BY product_id, state",
    ):
        holds_by[row["product_id"]][row["state"]] = int(row["q"])
    for p in products:
        initial = 3 if p["sku"].startswith("chaos-flash-") else 100_000
        total = p["stock_available"] + p["stock_held"] + p["stock_sold"]
        if total != initial:
            bad.append(
                f"product {p['sku']}: {p['stock_available']} + {p['stock_held']} + "
                f"{p['stock_sold']} = {total} != {initial}"
            )
        if p["stock_held"] != holds_by[p["id"]]["held"]:
            bad.append(
                f"product {p['sku']}: held {p['stock_held']} but holds say "
                f"{holds_by[p['id']]['held']}"
            )
        if p["stock_sold"] != holds_by[p["id"]]["sold"]:
            bad.append(
                f"product {p['sku']}: sold {p['stock_sold']} but holds say "
                f"{holds_by[p['id']]['sold']}"
            )
    return bad


async def refunds_agree(engine: AsyncEngine, gateway: Gateway) -> list[str]:
    bad = []
    refunded: Counter[str] = Counter()
    for row in await rows(engine, "SELECT imp_uid, state, amount FROM refunds"):
        if row["state"] == "succeeded":
            refunded[row["imp_uid"]] += int(row["amount"])
        elif row["state"] in ("requested", "unknown"):
            bad.append(f"refund of {row['imp_uid']} ({row['amount']}) still {row['state']}")
    for payment in await rows(engine, "SELECT imp_uid, amount, status FROM payments"):
        truth = gateway.payment(payment["imp_uid"])
        if truth is None:
            continue  # not one of an order's (a subscription charge: no refunds asked)
        ours, theirs = refunded[payment["imp_uid"]], int(truth["cancel_amount"])
        if ours != theirs or ours > int(truth["amount"]):
            bad.append(
                f"payment {payment['imp_uid']}: refunds {ours}, gateway cancel_amount "
                f"{theirs}, paid {truth['amount']}"
            )
    return bad


def charged_once(charges: list[dict[str, Any]], gateway: Gateway) -> list[str]:
    """At most one payment the gateway approved per subscription and period."""
    paid: Counter[tuple[int, int]] = Counter()
    for charge in charges:
        for p in gateway.by_merchant_uid.get(charge["merchant_uid"], []):
            if p["status"] == "paid" or (p["status"] == "cancelled" and p.get("paid_at")):
                paid[(charge["subscription_id"], charge["period"])] += 1
    return [
        f"subscription {s} period {n}: charged {count} times"
        for (s, n), count in paid.items()
        if count > 1
    ]


async def webhooks_stored(engine: AsyncEngine, answered: list[bytes]) -> list[str]:
    stored = Counter(bytes(r["body"]) for r in await rows(engine, "SELECT body FROM webhook_inbox"))
    bad = []
    for body, count in Counter(answered).items():
        if stored[body] < count:
            bad.append(f"{count} deliveries answered 200, {stored[body]} stored: {body[:120]!r}")
    for row in await rows(
        engine, "SELECT id, imp_uid FROM webhook_inbox WHERE processed_at IS NULL"
    ):
        bad.append(f"webhook {row['id']} ({row['imp_uid']}) stored, never processed")
    return bad


async def jobs_settled(engine: AsyncEngine, *, stopped: bool = False) -> list[str]:
    """No job lost: none dead (a periodic sweep superseded by a later finished one excepted),
    none queued long past due; once the workers stopped (``stopped``), none running."""
    bad = []
    for job in await rows(
        engine,
        """
            SELECT j.id, j.kind, j.state, j.attempts, j.last_error FROM jobs j
            WHERE (j.state = 'dead' AND NOT (j.kind = 'reconcile.sweep' AND EXISTS (
                       SELECT 1 FROM jobs later WHERE later.kind = j.kind
                       AND later.state = 'done' AND later.id > j.id)))
               OR (j.state = 'queued' AND j.run_at < now() - interval '30 seconds')
               OR (j.state = 'running' AND :stopped)""".replace(":stopped", str(stopped)),
    ):
        bad.append(
            f"job {job['id']} {job['kind']} {job['state']} after {job['attempts']} "
            f"attempts: {job['last_error']}"
        )
    return bad


async def reconciled(engine: AsyncEngine) -> list[str]:
    """The newest sweep left nothing unresolved (no orphan, no mismatch it could not fix)."""
    found = await rows(
        engine,
        "SELECT drift, imp_uid, merchant_uid, action FROM "
        "reconciliation_items WHERE NOT resolved AND reconciliation_id = "
        "(SELECT max(id) FROM reconciliations)",
    )
    return [f"{r['drift']} {r['imp_uid']} ({r['merchant_uid']}): {r['action']}" for r in found]
