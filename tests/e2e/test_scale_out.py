"""Scale-out: two ``paydesk serve`` and two ``paydesk worker`` processes on one PostgreSQL database.

Every process is the real command, configured only by ``PAYDESK_*``, with an
API key made by ``paydesk keys create``. The demo merchant delivers every
webhook twice (the ``realistic`` preset with duplicates always on).

Twenty buyers want eight units. They place their orders alternately on the two
servers, all open the emulator's window at once and pay, so the confirms of
both servers race for the stock; each buyer's browser then lands on the *other*
server (``/iamport/complete``) while the webhooks reach the first one and the
workers run the hold checks. Then refunds go out through both servers: full,
partial, the same request to both at once under one ``Idempotency-Key``, and
under two different keys. Their first cancel is answered 503 (it may or may not
have happened), so the workers finish them: re-read, then send again, slowly.

Once the gateway, the queue and the refunds are at rest, the books must agree:
exactly eight approvals, stock never negative and always conserved, each
payment equal to the gateway's (status, amount, cancel amount), the refunds we
booked equal to the gateway's cancel history one for one, every job done
exactly once (the jobs table against the ``done by`` lines of all four logs),
and both workers did some of them.
"""

from __future__ import annotations

import re
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import select

from paydesk.store import Database
from paydesk.store.tables import (
    confirm_decisions,
    jobs,
    stock_holds,
    webhook_inbox,
    worker_heartbeats,
)
from tests.support.auth import bearer
from tests.support.db import empty_postgres, run_async
from tests.support.emulator import DEMO_CODE, EmulatorClient
from tests.support.servers import free_port
from tests.support.window_http import WindowClient

from .test_commands import COMMAND, environment, running, stop
from .test_paid import pay

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

STOCK = 8
BUYERS = 20
PRICE = 10_000
SETTLE = 120.0  # seconds allowed for everything to come to rest (a loaded machine)
DONE = re.compile(r"job (\d+) \((\S+)\) done by (\S+)")
#: a claim that ended without completing (``not yet`` or ``failed``), logged by the runner
TRIED = re.compile(r"job (\d+) \(\S+\) attempt (\d+)/\d+")
T = TypeVar("T")


@pytest.fixture
def postgres_url(postgres_database: str) -> str:
    """The session's PostgreSQL database, emptied."""
    empty_postgres(postgres_database)
    return postgres_database


@dataclass
class Bought:
    """One buyer's order (placed on ``server``) and what the window answered."""

    server: str
    order: dict[str, Any]
    rsp: dict[str, Any]

    @property
    def imp_uid(self) -> str:
        return str(self.rsp["imp_uid"])


def until(check: Callable[[], T | None], what: str, within: float, logs: list[Path]) -> T:
    """Poll ``check`` until it returns something truthy; fail with the logs' tails if not."""
    deadline = time.monotonic() + within
    while not (value := check()):
        if time.monotonic() > deadline:
            shown = "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in logs)
            pytest.fail(f"not in {within:.0f} s: {what}\n{shown}")
        time.sleep(0.1)
    return value


def at_once(*calls: Callable[[], T]) -> list[T]:
    """Run ``calls`` on threads released together (a barrier), in order of the answers given."""
    barrier = threading.Barrier(len(calls))

    def released(call: Callable[[], T]) -> T:
        barrier.wait(timeout=60)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(released, calls))


def create_key(env: dict[str, str]) -> str:
    """An API key of every scope, made as an operator makes one."""
    args = [*COMMAND, "keys", "create", "--name", "scale-out",
            "--scope", "read", "--scope", "write", "--scope", "refund"]  # fmt: skip
    made = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert made.returncode == 0, made.stderr
    return made.stdout.split()[0]


class Api:
    """The merchant API of both servers, one sync client per thread."""

    def __init__(self, key: str) -> None:
        self.key = key
        self._local = threading.local()
        self._clients: list[httpx.Client] = []
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            for client in self._clients:
                client.close()
            self._clients.clear()

    @property
    def http(self) -> httpx.Client:
        client: httpx.Client | None = getattr(self._local, "client", None)
        if client is None:
            client = httpx.Client(timeout=60, headers=bearer(self.key))
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def get(self, url: str) -> Any:
        answer = self.http.get(url)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def refund(self, server: str, order_id: int, key: str | None = None,
               **body: Any) -> httpx.Response:  # fmt: skip
        """Ask for a refund; the same key while its first request is at work is asked again."""
        headers = {"Idempotency-Key": key} if key else {}
        url = f"{server}/api/orders/{order_id}/refunds"
        deadline = time.monotonic() + 60
        while True:
            answer = self.http.post(url, json={"reason": "단순 변심", **body}, headers=headers)
            in_progress = answer.status_code == 409 and "Retry-After" in answer.headers
            if not in_progress or time.monotonic() > deadline:
                return answer
            time.sleep(0.2)


def buy(index: int, urls: list[str], api: Api, emulator_url: str, product_id: int,
        barrier: threading.Barrier) -> Bought:  # fmt: skip
    """Order on one server, pay in the window (all buyers at once), land on the other."""
    server, other = urls[index % 2], urls[(index + 1) % 2]
    placed = api.http.post(f"{server}/api/orders", json={
        "items": [{"product_id": product_id, "quantity": 1}],
        "buyer": {"name": f"구매자{index}", "tel": "010-1234-5678"},
        "pay_method": "card", "pg": "html5_inicis"})  # fmt: skip
    assert placed.status_code == 201, placed.text
    window = WindowClient(emulator_url)
    try:
        barrier.wait(timeout=60)
        rsp = pay(window, placed.json())
    finally:
        window.close()
    merchant_uid = placed.json()["request_pay"]["merchant_uid"]
    landed = httpx.post(f"{other}/iamport/complete", timeout=60,
                        json={"imp_uid": rsp.get("imp_uid"), "merchant_uid": merchant_uid})  # fmt: skip
    assert landed.status_code < 500, landed.text
    return Bought(server, placed.json()["order"], rsp)


class StockWatch:
    """Samples the product's stock through both servers until stopped."""

    def __init__(self, api: Api, urls: list[str], product_id: int) -> None:
        self.samples: list[tuple[int, int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(api, urls, product_id))

    def __enter__(self) -> StockWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    def _run(self, api: Api, urls: list[str], product_id: int) -> None:
        turn = 0
        while not self._stop.is_set():
            stock = api.get(f"{urls[turn % 2]}/api/products/{product_id}")["stock"]
            self.samples.append((stock["available"], stock["held"], stock["sold"]))
            turn += 1
            self._stop.wait(0.05)


def webhooks_at_rest(emu: EmulatorClient) -> bool:
    """Every webhook delivered and its duplicate sent too (or failed for good)."""
    records = emu.webhooks()
    return bool(records) and all(
        r["state"] == "failed"
        or (r["state"] == "delivered" and any(a["duplicate"] for a in r["attempts"]))
        for r in records
    )


async def _rows(url: str, query: Any) -> list[Any]:
    database = Database(url)
    try:
        async with database.reading() as uow:
            return list((await uow.connection.execute(query)).all())
    finally:
        await database.dispose()


def rows(url: str, query: Any) -> list[Any]:
    return run_async(lambda: _rows(url, query))


def tried_lines(logs: list[Path]) -> Counter[int]:
    """How many claims of each job ended without completing, by the runners' logs."""
    return Counter(int(m.group(1)) for log in logs for m in TRIED.finditer(log.read_text()))


def done_lines(logs: list[Path]) -> list[tuple[int, str, str]]:
    """``(job id, kind, runner)`` of every ``job N (kind) done by NAME`` line."""
    return [
        (int(m.group(1)), m.group(2), m.group(3))
        for log in logs
        for m in DONE.finditer(log.read_text())
    ]


@pytest.fixture
def processes() -> Iterator[ExitStack]:
    """Where the test's processes are registered; each is killed at the end if still alive."""
    with ExitStack() as stack:
        yield stack


def test_two_servers_and_two_workers_sell_and_refund_without_overselling_or_repeating(
    postgres_url: str,
    emulator_url: str,
    emu: EmulatorClient,
    merchant_defaults: None,
    tmp_path: Path,
    processes: ExitStack,
) -> None:
    emu.control("PUT", f"/merchants/{DEMO_CODE}/settings",
                json={"delivery": {"preset": "realistic", "duplicate_probability": 1.0}})  # fmt: skip
    # hold checks due a second after each approval, so they race the webhooks and the
    # completions; one job at a time per worker, so a slow job leaves the next to the other
    base = {**environment(postgres_url, emulator_url),
            "PAYDESK_HOLD_CHECK_AFTER_SECONDS": "1", "PAYDESK_RECONCILE_EVERY_SECONDS": "0",
            "PAYDESK_WORKER_CONCURRENCY": "1"}  # fmt: skip
    ports = [free_port(), free_port()]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    server_logs = [tmp_path / "serve-a.log", tmp_path / "serve-b.log"]
    worker_logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
    logs = server_logs + worker_logs
    servers = [
        processes.enter_context(running(["serve", "--port", str(port)],
                                        {**base, "PAYDESK_PUBLIC_BASE_URL": url}, log))
        for port, url, log in zip(ports, urls, server_logs, strict=True)
    ]  # fmt: skip
    workers = [
        processes.enter_context(running(["worker", "--poll", "0.2", "--sweep-every", "3600"],
                                        base, log))
        for log in worker_logs
    ]  # fmt: skip
    api = Api(create_key(base))
    processes.callback(api.close)

    def up() -> bool:
        for process in servers + workers:
            assert process.poll() is None, "\n".join(log.read_text() for log in logs)
        try:
            served = all(httpx.get(f"{url}/readyz", timeout=2).status_code == 200 for url in urls)
        except httpx.TransportError:
            return False
        beating = rows(postgres_url, select(worker_heartbeats.c.pid))
        return served and {row.pid for row in beating} >= {w.pid for w in workers}

    until(up, "two servers answer and two workers beat", 60, logs)

    made = api.http.post(f"{urls[0]}/api/products",
                         json={"sku": "scale", "name": "한정판", "price": PRICE, "stock": STOCK})  # fmt: skip
    assert made.status_code == 201, made.text
    product_id = made.json()["id"]

    # -- twenty buyers, eight units, both servers ------------------------------------------
    with StockWatch(api, urls, product_id) as watch:
        barrier = threading.Barrier(BUYERS)
        with ThreadPoolExecutor(max_workers=BUYERS) as pool:
            bought = list(pool.map(
                lambda i: buy(i, urls, api, emulator_url, product_id, barrier), range(BUYERS)
            ))  # fmt: skip
        paid = [b for b in bought if b.rsp["status"] == "paid"]
        assert len(paid) == STOCK, Counter(b.rsp["status"] for b in bought)

        def orders_final() -> list[dict[str, Any]] | None:
            states = [api.get(f"{b.server}/api/orders/{b.order['id']}") for b in bought]
            settled = all(o["status"] in ("paid", "failed") and not o["holding"] for o in states)
            return states if settled else None

        states = until(orders_final, "every order paid or failed", SETTLE, logs)
        assert Counter(o["status"] for o in states) == {"paid": STOCK, "failed": BUYERS - STOCK}

        # -- refunds through both servers ------------------------------------------------
        a, b = urls
        p = [item.order["id"] for item in sorted(paid, key=lambda item: item.order["id"])]
        one_by_one = [api.refund(a, p[0]), api.refund(b, p[1], amount=3_000)]
        assert [r.status_code for r in one_by_one] == [201, 201], [r.text for r in one_by_one]
        emu.fault(path="/payments/cancel", method="POST", kind="error", status=503)
        raced = at_once(
            lambda: api.refund(a, p[2], key="same-key"),
            lambda: api.refund(b, p[2], key="same-key"),
            lambda: api.refund(a, p[3], key="first-key"),
            lambda: api.refund(b, p[3], key="second-key"),
            lambda: api.refund(a, p[4], key="part-1", amount=4_000),
            lambda: api.refund(b, p[4], key="part-2", amount=4_000),
            lambda: api.refund(b, p[5], amount=2_500),
            lambda: api.refund(a, p[5], amount=1_500),
        )
        # the gateway answers again, slowly: a worker busy with one cancel leaves the next
        # to the other worker
        emu.control("DELETE", "/faults")
        emu.fault(path="/payments/cancel", method="POST", kind="latency", delay=1.5)

        same = raced[0:2]
        assert [r.status_code for r in same] == [201, 201], [r.text for r in same]
        assert same[0].json()["id"] == same[1].json()["id"]
        assert sorted(r.headers.get("Idempotent-Replayed", "") for r in same) == ["", "true"]
        two_keys = sorted(raced[2:4], key=lambda r: r.status_code)
        assert [r.status_code for r in two_keys] == [201, 422], [r.text for r in two_keys]
        assert two_keys[1].json()["rule"] == "amount"  # nothing left once the first reserved it
        for answer in raced[4:]:
            assert answer.status_code == 201, answer.text
        expected = {p[0]: PRICE, p[1]: 3_000, p[2]: PRICE, p[3]: PRICE, p[4]: 8_000,
                    p[5]: 4_000, p[6]: 0, p[7]: 0}  # fmt: skip
        refund_count = {p[0]: 1, p[1]: 1, p[2]: 1, p[3]: 1, p[4]: 2, p[5]: 2, p[6]: 0, p[7]: 0}

        def at_rest() -> bool:
            refunds = [r for i in p for r in api.get(f"{urls[i % 2]}/api/orders/{i}/refunds")]
            if any(r["state"] not in ("succeeded", "failed") for r in refunds):
                return False
            if not webhooks_at_rest(emu):
                return False
            counts = Counter(row.state for row in rows(postgres_url, select(jobs.c.state)))
            return not counts.keys() & {"queued", "running"}

        until(at_rest, "refunds final, webhooks delivered, no job left", SETTLE, logs)

        # -- our books against the gateway's (through the API, servers still up) ---------
        by_id = {item.order["id"]: item for item in paid}
        for order_id in p:
            item = by_id[order_id]
            local = api.get(f"{urls[order_id % 2]}/api/payments/{item.imp_uid}")
            gateway = emu.get(f"/payments/{item.imp_uid}").json()["response"]
            assert (local["status"], local["amount"], local["cancel_amount"]) == (
                gateway["status"], gateway["amount"], gateway["cancel_amount"]
            ), order_id  # fmt: skip
            assert gateway["cancel_amount"] == expected[order_id] <= gateway["amount"] == PRICE
            refunds = local["refunds"]
            assert all(r["state"] == "succeeded" for r in refunds), refunds
            assert len(refunds) == refund_count[order_id], refunds
            assert sum(r["amount"] for r in refunds) == gateway["cancel_amount"]
            history = [entry["cancellation_id"] for entry in gateway["cancel_history"]]
            assert sorted(history) == sorted(r["cancellation_id"] for r in refunds)
            order = api.get(f"{urls[0]}/api/orders/{order_id}")
            want = {0: "paid", PRICE: "refunded"}.get(expected[order_id], "partially_refunded")
            assert (order["status"], order["paid_amount"], order["refunded_amount"]) == (
                want, PRICE, expected[order_id]
            )  # fmt: skip
        final = api.get(f"{urls[1]}/api/products/{product_id}")["stock"]

    for process, log in zip(servers + workers, logs, strict=True):
        assert stop(process, log) in (0, -15), log.read_text()

    # -- stock: never oversold, never negative, always conserved --------------------------
    assert watch.samples, "the stock was never sampled"
    assert all(min(sample) >= 0 and sum(sample) == STOCK for sample in watch.samples), [
        s for s in watch.samples if min(s) < 0 or sum(s) != STOCK
    ]
    assert final == {"available": 0, "held": 0, "sold": STOCK}
    approved = rows(postgres_url, select(confirm_decisions.c.approved))
    assert Counter(row.approved for row in approved) == {True: STOCK, False: BUYERS - STOCK}
    holds = rows(postgres_url, select(stock_holds.c.order_id, stock_holds.c.state))
    assert sorted(holds) == sorted((order_id, "sold") for order_id in p)  # one each, sold once

    # -- every job done exactly once, by one of the four processes ------------------------
    table = rows(postgres_url, select(jobs.c.id, jobs.c.kind, jobs.c.state, jobs.c.attempts))
    assert {row.state for row in table} == {"done"}, Counter(row.state for row in table)
    lines = done_lines(logs)
    assert Counter(job_id for job_id, _, _ in lines) == Counter({row.id: 1 for row in table})
    # every claim of a job is accounted for: one completion, the rest logged as tried (a
    # job claimed twice at once would have a claim nobody explains); none was ever lost
    explained = Counter(job_id for job_id, _, _ in lines) + tried_lines(logs)
    assert explained == Counter({row.id: row.attempts for row in table})
    assert not [log.name for log in logs if "lease lost" in log.read_text()]
    kinds = {row.id: row.kind for row in table}
    assert all(kinds[job_id] == kind for job_id, kind, _ in lines)
    runners = Counter(runner for _, _, runner in lines)
    for process in workers:
        assert any(r.startswith("worker:") and r.endswith(f":{process.pid}") for r in runners), (
            f"worker {process.pid} did no job: {runners}"
        )
    for process in servers:
        assert any(r.startswith("web:") and r.endswith(f":{process.pid}") for r in runners)
    print(f"\njobs done by runner: {dict(runners)}; kinds: {dict(Counter(kinds.values()))}; "
          f"stock sampled {len(watch.samples)} times, at most {max(s[1] for s in watch.samples)} "
          f"held")  # fmt: skip
    done_kinds = Counter(kind for _, kind, runner in lines if runner.startswith("worker:"))
    assert done_kinds["refund.run"] >= 1 and done_kinds["payment.check_hold"] >= 1, done_kinds

    # -- each webhook the gateway delivered stored once and applied once -------------------
    answered = Counter(
        record["payload"]["imp_uid"]
        for record in emu.webhooks()
        for attempt in record["attempts"]
        if attempt["status"] == 200
    )
    inbox = rows(postgres_url, select(webhook_inbox.c.imp_uid, webhook_inbox.c.processed_at))
    assert Counter(row.imp_uid for row in inbox) == answered
    assert all(row.processed_at is not None for row in inbox)
    paid_uids = {item.imp_uid for item in paid}
    assert all(answered[uid] >= 2 for uid in paid_uids)  # each paid webhook came twice

    beats = rows(postgres_url, select(worker_heartbeats.c.pid, worker_heartbeats.c.role,
                                      worker_heartbeats.c.stopped_at))  # fmt: skip
    stopped = {row.pid for row in beats if row.role == "worker" and row.stopped_at is not None}
    assert stopped >= {process.pid for process in workers}
