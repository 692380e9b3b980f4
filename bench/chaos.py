"""The seeded chaos run: every fault at once against every invariant.

    .venv/bin/python -m bench.chaos --seed 7 --minutes 10
    .venv/bin/python -m bench.chaos --minutes 2          # a random seed, printed first

Two ``paydesk serve`` and two ``paydesk worker`` processes on one PostgreSQL
database (a scratch database made under ``--database-url``, default
``PAYDESK_TEST_DATABASE_URL``, dropped afterwards unless ``--keep``), the
emulator as a subprocess, and a network between them (``bench.chaos_cluster``).

While the run lasts, simulated buyers pay by card and virtual account, race for
flash-sale products through the Confirm Process, ask for full and partial
refunds (concurrent duplicates under the same and under different
Idempotency-Keys), subscribe and are charged period after period, and an
operator cancels at the emulator's console. Faults: the emulator gives no answer
after committing ~5 % of cancels and charges and answers 503 to ~5 % of
lookups, sends 30 % of webhooks twice; the network drops 10 % of webhooks,
holds back 15 % (reordering them), and slows 5 % of confirms to near the 10 s
limit; a random server or worker is killed (SIGKILL) every 3-7 s and restarted.

Then the faults stop, every process is brought up, ``paydesk reconcile`` runs
until the invariants hold (``bench.chaos_check``) or ``--converge`` seconds
pass. The summary goes to stdout; the exit status is 1 on any violation, with
the seed and the violating records printed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bench.chaos_buyers import World, run_op, setup
from bench.chaos_check import check, rows
from bench.chaos_cluster import Cluster
from bench.chaos_plan import Plan
from paydesk.store import async_url

DEFAULT_DB = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"

#: The emulator's fault book for the run (``/_emulator/faults``).
FAULTS = [
    {"path": "/payments/cancel", "method": "POST", "kind": "no_answer", "probability": 0.05},
    {
        "path": "/subscribe/payments/again",
        "method": "POST",
        "kind": "no_answer",
        "probability": 0.05,
    },
    {"path": "/payments/*", "method": "GET", "kind": "error", "status": 503, "probability": 0.05},
]
DELIVERY = {"preset": "realistic", "duplicate_probability": 0.3, "jitter": 2.0}


@asynccontextmanager
async def scratch_database(base_url: str, keep: bool) -> AsyncIterator[str]:
    name = f"paydesk_chaos_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(async_url(base_url), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(async_url(base_url)).set(database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        if not keep:
            async with admin.connect() as connection:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        else:
            print(f"kept database {name}")
        await admin.dispose()


async def emulator_faults(http: httpx.AsyncClient) -> Counter[str]:
    fired: Counter[str] = Counter()
    for fault in (await http.get("/_emulator/faults")).json()["response"]:
        fired[f"{fault['kind']} {fault['method']} {fault['path']}"] += fault["fired"]
    records = (await http.get("/_emulator/webhooks")).json()["response"]
    fired["webhook duplicated"] = sum(
        1 for r in records for a in r["attempts"] if a.get("duplicate")
    )
    return fired


async def run(args: argparse.Namespace) -> int:
    plan = Plan.draw(args.seed, args.minutes, rate=args.rate)
    print(
        f"chaos: seed {plan.seed}, {args.minutes} min, {len(plan.ops)} operations, "
        f"{len(plan.kills)} kills, schedule {plan.digest}",
        flush=True,
    )
    folder = Path(args.logs or tempfile.mkdtemp(prefix="paydesk-chaos-"))
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    print(f"chaos: process logs in {folder}", flush=True)
    async with scratch_database(args.database_url, args.keep) as url:
        cluster = Cluster(plan, url, folder)
        engine = create_async_engine(async_url(url))
        emulator = httpx.AsyncClient(base_url=cluster.emulator_url, timeout=30)
        try:
            return await drive(args, plan, cluster, engine, emulator)
        finally:
            await cluster.stop()
            await emulator.aclose()
            await engine.dispose()


async def drive(
    args: argparse.Namespace, plan: Plan, cluster: Cluster, engine: Any, emulator: httpx.AsyncClient
) -> int:
    await cluster.start()
    made = await asyncio.to_thread(
        cluster.cli,
        "keys",
        "create",
        "--name",
        "chaos",
        "--scope",
        "read",
        "--scope",
        "write",
        "--scope",
        "refund",
    )
    if made.returncode != 0:
        raise RuntimeError(f"paydesk keys create: {made.stderr}")
    api = httpx.AsyncClient(
        base_url=cluster.network.url,
        timeout=40,
        headers={"Authorization": f"Bearer {made.stdout.strip()}"},
    )
    world = World(api, emulator, engine, plan.seed)
    try:
        await emulator.put(
            "/_emulator/merchants/imp00000001/settings",
            json={"webhook_url": f"{cluster.network.url}/iamport/webhook", "delivery": DELIVERY},
        )
        await setup(world, flash_ops=max(1, sum(1 for o in plan.ops if o.kind == "flash")))
        for fault in FAULTS:
            (await emulator.post("/_emulator/faults", json=fault)).raise_for_status()
        started = time.monotonic()
        began = datetime.now(UTC)
        tasks = [asyncio.create_task(scheduled(world, op, started)) for op in plan.ops]
        await kills(plan, cluster, started)
        _, pending = await asyncio.wait(tasks, timeout=90)
        for task in pending:
            task.cancel()
        world.counts["operations unfinished"] += len(pending)
        ran = time.monotonic() - started
        faults = await emulator_faults(emulator)
        converge_started = time.monotonic()
        violations = await converge(args, cluster, engine, emulator, began)
        converged = time.monotonic() - converge_started
        world.counts.update(await books(engine))
        return summary(plan, world, cluster, faults, ran, converged, violations, args)
    finally:
        await api.aclose()


async def books(engine: Any) -> Counter[str]:
    """What the books hold at the end: orders by status, refunds and billing charges made."""
    found: Counter[str] = Counter()
    for sql, label in (
        ("SELECT status AS k, count(*) AS n FROM orders GROUP BY status", "books: orders {}"),
        ("SELECT state AS k, count(*) AS n FROM refunds GROUP BY state", "books: refunds {}"),
        ("SELECT state AS k, count(*) AS n FROM subscription_charges GROUP BY state",
         "books: billing charges {}"),
    ):  # fmt: skip
        for row in await rows(engine, sql):
            found[label.format(row["k"])] = int(row["n"])
    return found


async def scheduled(world: World, op: Any, started: float) -> None:
    await asyncio.sleep(max(0.0, started + op.at - time.monotonic()))
    await run_op(world, op)


async def kills(plan: Plan, cluster: Cluster, started: float) -> None:
    restarts = []
    for kill in plan.kills:
        await asyncio.sleep(max(0.0, started + kill.at - time.monotonic()))
        victim = cluster.victims[kill.victim]
        if not await cluster.kill_one(victim):
            continue

        async def later(victim: Any = victim, down: float = kill.down) -> None:
            await asyncio.sleep(down)
            await cluster.restart(victim)

        restarts.append(asyncio.create_task(later()))
    await asyncio.sleep(max(0.0, started + plan.minutes * 60 - time.monotonic()))
    await asyncio.gather(*restarts)


async def converge(
    args: argparse.Namespace,
    cluster: Cluster,
    engine: Any,
    emulator: httpx.AsyncClient,
    began: datetime,
) -> dict[str, list[str]]:
    """Faults off, everyone up, reconcile until the invariants hold (or time is up)."""
    cluster.network.quiet = True
    await emulator.delete("/_emulator/faults")
    await cluster.ensure_all_up()
    deadline = time.monotonic() + args.converge
    since = (began - timedelta(hours=1)).isoformat()
    violations: dict[str, list[str]] = {}
    while True:
        until = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
        swept = await asyncio.to_thread(cluster.cli, "reconcile", "--from", since, "--to", until)
        if swept.returncode != 0:
            print(f"chaos: paydesk reconcile failed: {swept.stderr.strip()}", flush=True)
        violations = await check(engine, emulator, cluster.network.tally.answered)
        if not any(violations.values()) or time.monotonic() > deadline:
            break
        await asyncio.sleep(5)
    # the workers stop as an operator stops them (SIGTERM): every job in hand is released
    for worker in cluster.workers:
        await asyncio.to_thread(worker.stop)
    return await check(engine, emulator, cluster.network.tally.answered, stopped=True)


def summary(
    plan: Plan,
    world: World,
    cluster: Cluster,
    faults: Counter[str],
    ran: float,
    converged: float,
    violations: dict[str, list[str]],
    args: argparse.Namespace,
) -> int:
    lines = [
        f"## chaos run: seed {plan.seed}, {args.minutes} min (schedule {plan.digest})",
        "",
        "| what | count |",
        "|---|---:|",
    ]
    ops = Counter(op.kind for op in plan.ops)
    rows = [(f"operation {k}", v) for k, v in sorted(ops.items())]
    rows += sorted(world.counts.items())
    rows += [(f"fault (emulator) {k}", v) for k, v in sorted(faults.items())]
    rows += [(f"fault (network) {k}", v) for k, v in sorted(cluster.network.tally.faults.items())]
    rows += [
        (f"confirm answered {k}", v)
        for k, v in sorted(cluster.network.tally.confirms.items(), key=str)
    ]
    rows += [(f"kill -9 {k}", v) for k, v in sorted(cluster.kills.items())]
    rows += [("webhook deliveries answered 200", len(cluster.network.tally.answered))]
    rows += [("run seconds", round(ran)), ("convergence seconds", round(converged))]
    rows += [(f"violations: {name}", len(found)) for name, found in violations.items()]
    lines += [f"| {name} | {value} |" for name, value in rows]
    text_ = "\n".join(lines)
    print(text_, flush=True)
    if args.report:
        Path(args.report).write_text(text_ + "\n", encoding="utf-8")
    total = sum(len(found) for found in violations.values())
    if total:
        print(
            f"\nchaos: {total} VIOLATIONS (seed {plan.seed}; replay: python -m bench.chaos "
            f"--seed {plan.seed} --minutes {args.minutes})",
            file=sys.stderr,
        )
        for name, found in violations.items():
            for line in found[:50]:
                print(f"  [{name}] {line}", file=sys.stderr)
        return 1
    print(f"chaos: all invariants hold (seed {plan.seed})", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.chaos", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--seed", type=int, default=None, help="default: a random one, printed")
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("PAYDESK_TEST_DATABASE_URL") or DEFAULT_DB,
        help="PostgreSQL; a scratch database is made under it",
    )
    parser.add_argument("--rate", type=float, default=1.5, help="operations a second (mean)")
    parser.add_argument(
        "--converge",
        type=float,
        default=240.0,
        help="seconds allowed for reconciliation to converge",
    )
    parser.add_argument("--logs", default=None, help="folder for the processes' logs")
    parser.add_argument("--report", default=None, help="also write the summary (Markdown) here")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args(argv)
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1, 10**6)
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
