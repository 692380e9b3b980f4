"""A model-based test of the whole payment flow: Hypothesis drives, a reference model judges.

The real merchant server (``build_server``) on SQLite and the real emulator
(``create_app``) run in this process on one event loop (``Rig``), wired to each
other over ``httpx.ASGITransport``: the server's i'mport client calls the
emulator, the emulator's confirm calls reach the server. Webhooks are not sent
by the emulator (its delivery policy waits forever); the state machine takes
them from the gateway's records and delivers, duplicates, drops or reorders
them itself.

Rules: place an order; pay it in the window (the Confirm Process decides);
race two payments for the last units; replay a confirm; the browser's
completion call; deliver / duplicate / drop / reorder webhooks; refund in full
or in part, with a cancel whose answer is lost; reconcile (sweep + worker);
advance both clocks. The model keeps what must be true: stock is conserved and
never oversold, a replayed confirm gets the same decision, refunds never exceed
the payment and, once settled, every order agrees with the gateway.

``PAYDESK_MODEL_EXAMPLES`` sets the number of examples (CI: 2,000 within a
time bound, ``PAYDESK_MODEL_SECONDS``); the long run is 20,000 (docs/reliability.md).
A failure prints the shrunk steps and a ``@reproduce_failure`` line that
replays it.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Coroutine
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)
from starlette.types import Receive, Scope, Send

from paydesk.bootstrap import build_runner, build_server, build_services
from paydesk.emulator import DEFAULT_MERCHANTS, Gateway, create_app
from paydesk.emulator.delivery import Outbound
from paydesk.emulator.delivery.outbound import OutboundSettings
from paydesk.iamport import AsyncIamport
from paydesk.jobs.worker import Worker, WorkerPolicy
from paydesk.settings import Settings
from paydesk.store import Database
from paydesk.store.migrate import upgrade
from paydesk.store.tables import metadata
from tests.e2e.harness import FAST_RETRY, SWEEP, ShiftedClock
from tests.support.auth import ALL_SCOPES, TEST_SECRET_KEY
from tests.support.emulator import DEMO_CODE, DEMO_KEY, DEMO_SECRET

T = TypeVar("T")
EXAMPLES = int(os.environ.get("PAYDESK_MODEL_EXAMPLES", "2000"))
SECONDS = float(os.environ.get("PAYDESK_MODEL_SECONDS", "150"))
CHUNK = 50
#: Processes sharing the examples (one per core); a shard of another test sets ``SHARD_RESULT``.
SHARDS = int(os.environ.get("PAYDESK_MODEL_SHARDS", str(min(2, os.cpu_count() or 1))))
SHARD_RESULT = "PAYDESK_MODEL_SHARD_RESULT"
#: Below this share of a core (CPU seconds per second) the machine was too busy to judge.
BUSY_SHARE = 0.6
SERVER, EMULATOR = "http://paydesk.test", "http://emulator.test"
GOOD, DECLINES = "4111-1111-1111-1111", "4000-0000-0000-0002"
STOCK, PRICE = 3, 10_000
_SID = re.compile(r'data-sid="([^"]*)"')
_RSP = re.compile(r'<script type="application/json" id="paydesk-result">(.*?)</script>', re.S)
KEPT = ("paid", "partially_refunded")
KEPT_TABLES = {"api_keys", "products"}  # the rest is emptied between examples

pytestmark = [pytest.mark.slow]


class _Late:
    """An ASGI app that forwards to one set later (the server and emulator call each other)."""

    app: Any = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


class Rig:
    """The server and the emulator on one event loop in a thread; ``run`` waits for a coroutine."""

    def __init__(self, database_url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.clock = ShiftedClock()
        self.run(self._start(database_url))

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(timeout)

    async def _start(self, database_url: str) -> None:
        server_late = _Late()
        to_server = httpx.AsyncClient(transport=httpx.ASGITransport(app=server_late))
        self.gateway = Gateway([m.model_copy(deep=True) for m in DEFAULT_MERCHANTS])
        merchant = self.gateway.merchants[DEMO_CODE]
        # nothing is delivered by itself: the machine delivers (or not) what was recorded
        merchant.delivery = merchant.delivery.model_validate({"delay": 10**9})
        outbound = Outbound(OutboundSettings(after_redirect_grace=0, hold_limit=0), to_server)
        self.emulator_app = create_app(self.gateway, outbound=outbound, seed=0)
        self._lifespan = self.emulator_app.router.lifespan_context(self.emulator_app)
        await self._lifespan.__aenter__()
        self.settings = Settings(
            database_url=database_url, iamport_base_url=EMULATOR, iamport_key=DEMO_KEY,
            iamport_secret=DEMO_SECRET, imp_code=DEMO_CODE, public_base_url=SERVER,
            webhook_allowed_ips=(), secret_key=TEST_SECRET_KEY, hold_check_after_seconds=60,
        )  # fmt: skip
        client = AsyncIamport(DEMO_KEY, DEMO_SECRET, base_url=EMULATOR, retry=FAST_RETRY,
                              timeout=5, transport=httpx.ASGITransport(app=self.emulator_app))  # fmt: skip
        self.services = build_services(self.settings, clock=self.clock, iamport=client, sweep=SWEEP)
        server_late.app = build_server(self.settings, self.services)
        self.runner = build_runner(self.services, "worker", self.settings)
        self.worker = Worker(self.runner, self.services.sweep, WorkerPolicy())
        self._wipe = (
            "BEGIN IMMEDIATE;\n"
            + "".join(
                f'DELETE FROM "{table.name}";\n'
                for table in reversed(metadata.sorted_tables)
                if table.name not in KEPT_TABLES
            )
            + f"UPDATE products SET stock_available = {STOCK}, stock_held = 0, stock_sold = 0;\nCOMMIT;\n"
        )
        key = (await self.services.api_keys.create("model", ALL_SCOPES)).token
        transport = httpx.ASGITransport(app=server_late, client=("127.0.0.1", 40000))
        self.api = httpx.AsyncClient(transport=transport, base_url=SERVER, timeout=30,
                                     headers={"Authorization": f"Bearer {key}"})  # fmt: skip
        self.emu = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.emulator_app),
                                     base_url=EMULATOR, timeout=30)  # fmt: skip
        made = await self.api.post("/api/products", json={
            "sku": "model", "name": "모델 상품", "price": PRICE, "stock": STOCK})  # fmt: skip
        assert made.status_code == 201, made.text
        self.product_id: int = made.json()["id"]

    async def reset(self) -> None:
        """A clean slate for the next example, so each one stands alone and replays alike.

        Every table but the API keys and the product is emptied, and the product's
        ``STOCK`` units are all available again (one script, one trip to SQLite's
        thread); the gateway forgets its payments and webhooks, and both clocks
        keep agreeing (they never go back).
        """
        await self.services.journal.flush()
        assert isinstance(self.services.store, Database)
        async with self.services.store.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection  # aiosqlite's: the whole script in one call
            assert driver is not None
            await driver.executescript(self._wipe)
        tokens = self.gateway.state.tokens  # i'mport does not forget a token it gave
        self.gateway.reset()
        self.gateway.state.tokens = tokens
        self.emulator_app.state.faults.clear()
        self.gateway.clock.advance(self.clock.offset.total_seconds())

    async def work(self) -> None:
        """What the worker has done by now: one sweep, then every due job, to the end."""
        await self.worker.sweep()
        for _ in range(20):
            if await self.runner.run_once(4) == 0:
                return

    def close(self) -> None:
        async def stop() -> None:
            await self.api.aclose()
            await self.emu.aclose()
            await self.services.aclose()
            await self._lifespan.__aexit__(None, None, None)

        self.run(stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@dataclass
class ModelOrder:
    merchant_uid: str
    order_id: int
    amount: int
    request_pay: dict[str, Any]
    imp_uid: str | None = None
    paid: bool = False  # the gateway approved it
    decisions: dict[str, int] = field(default_factory=dict)  # imp_uid -> confirm status


async def pay(rig: Rig, order: ModelOrder, card: str) -> dict[str, Any]:
    params = {k: v for k, v in order.request_pay.items() if v is not None}
    opened = await rig.emu.post("/window/pay", data={
        "imp_code": DEMO_CODE, "params": json.dumps(params, ensure_ascii=False),
        "mode": "modal", "origin": "http://merchant.test"})  # fmt: skip
    sid = _SID.search(opened.text)
    assert sid, opened.text
    done = await rig.emu.post(f"/window/{sid.group(1)}/submit",
                              data={"card_number": card, "expiry": "12/30", "card_quota": "0"})  # fmt: skip
    match = _RSP.search(done.text)
    assert match, done.text
    rsp: dict[str, Any] = json.loads(match.group(1))
    return rsp


class PaymentFlow(RuleBasedStateMachine):
    """One product of ``STOCK`` units per example; orders, payments, webhooks, refunds."""

    rig: Rig  # set by the test
    orders = Bundle("orders")
    paid_orders = Bundle("paid_orders")

    def __init__(self) -> None:
        super().__init__()
        self.model: list[ModelOrder] = []
        self.pending: list[dict[str, Any]] = []  # webhook payloads recorded, not delivered yet
        self.seen_records: set[str] = set()
        self.started = self.rig.clock.now()
        self.attempted = False  # a payment was tried: there is something to reconcile
        self.unpaid = 0  # orders in the ``orders`` bundle (placed, no payment tried yet)

    runs = 0  # every example Hypothesis started (some are cut short, or found invalid)
    examples = 0  # the valid ones, run to the end
    steps: Counter[str] = Counter()  # how often each rule ran, over the whole test

    @initialize(target=orders, quantity=st.integers(1, 2))
    def a_product_and_an_order(self, quantity: int) -> ModelOrder:
        """A clean slate (the product's units all available) and a first order to pay."""
        PaymentFlow.runs += 1
        self.rig.run(self.rig.reset())
        self.product_id = self.rig.product_id
        return self._place(quantity)

    def teardown(self) -> None:
        if sys.exc_info()[0] is None:  # ran all its steps: not cut short, invalid or failing
            PaymentFlow.examples += 1

    # -- helpers ---------------------------------------------------------------------------
    def _collect_webhooks(self) -> None:
        for record in self.rig.gateway.state.webhooks:
            if record.id not in self.seen_records:
                self.seen_records.add(record.id)
                if any(record.payload.get("merchant_uid") == o.merchant_uid for o in self.model):
                    self.pending.append(dict(record.payload))

    async def _deliver(self, payload: dict[str, Any]) -> None:
        answer = await self.rig.api.post("/iamport/webhook", json=payload)
        assert answer.status_code < 500, answer.text

    async def _order(self, uid: str) -> dict[str, Any]:
        answer = await self.rig.api.get(f"/api/orders/by-merchant-uid/{uid}")
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    async def _stock(self) -> dict[str, int]:
        """The product's counters, read from the books (as ``GET /api/products/{id}`` shows them)."""
        stock = (await self.rig.services.catalog.get(self.product_id)).stock
        return {"available": stock.available, "held": stock.held, "sold": stock.sold}

    # -- rules -----------------------------------------------------------------------------
    @rule(target=orders, quantity=st.integers(1, 2))
    def place_order(self, quantity: int) -> ModelOrder:
        return self._place(quantity)

    def _place(self, quantity: int) -> ModelOrder:
        self.steps["place_order" if self.model else "first_order"] += 1
        body = {"items": [{"product_id": self.product_id, "quantity": quantity}],
                "buyer": {"name": "홍길동", "tel": "010-1234-5678"}, "pay_method": "card",
                "pg": "html5_inicis"}  # fmt: skip
        answer = self.rig.run(self.rig.api.post("/api/orders", json=body))
        assert answer.status_code == 201, answer.text
        placed = answer.json()
        order = ModelOrder(placed["request_pay"]["merchant_uid"], placed["order"]["id"],
                           placed["order"]["amount"], placed["request_pay"])  # fmt: skip
        self.model.append(order)
        self.unpaid += 1
        return order

    @rule(target=paid_orders, order=consumes(orders), good=st.booleans())
    def pay_in_the_window(self, order: ModelOrder, good: bool) -> Any:
        self.steps["pay_in_the_window"] += 1
        self.unpaid -= 1
        rsp = self.rig.run(pay(self.rig, order, GOOD if good else DECLINES))
        return multiple(*self._paid(order, rsp))

    def _paid(self, order: ModelOrder, rsp: dict[str, Any]) -> list[ModelOrder]:
        """The order, once the gateway approved it; none if declined or refused at the confirm."""
        self.attempted = True
        self._collect_webhooks()
        if rsp["status"] != "paid":
            return []  # declined, or refused at the confirm (sold out): nothing was paid
        order.imp_uid, order.paid = rsp["imp_uid"], True
        return [order]

    @precondition(lambda self: self.unpaid >= 2)  # both drawn from the bundle
    @rule(target=paid_orders, a=consumes(orders), b=consumes(orders))
    def race_two_payments(self, a: ModelOrder, b: ModelOrder) -> Any:
        self.steps["race_two_payments"] += 1
        self.unpaid -= 2

        async def both() -> list[dict[str, Any]]:
            return list(await asyncio.gather(pay(self.rig, a, GOOD), pay(self.rig, b, GOOD)))

        paid = self.rig.run(both())
        return multiple(*(o for order, rsp in zip((a, b), paid, strict=True)
                          for o in self._paid(order, rsp)))  # fmt: skip

    @rule(order=paid_orders)
    def replay_the_confirm(self, order: ModelOrder) -> None:
        self.steps["replay_the_confirm"] += 1
        confirm_url = order.request_pay["confirm_url"]
        body = {"imp_uid": order.imp_uid, "merchant_uid": order.merchant_uid,
                "amount": order.amount, "status": "ready"}  # fmt: skip
        answer = self.rig.run(self.rig.api.post(confirm_url.removeprefix(SERVER), json=body))
        assert answer.status_code == 200, answer.text  # approved once, approved again

    @rule(order=paid_orders)
    def the_browser_completes(self, order: ModelOrder) -> None:
        self.steps["the_browser_completes"] += 1
        answer = self.rig.run(self.rig.api.post("/iamport/complete", json={
            "imp_uid": order.imp_uid, "merchant_uid": order.merchant_uid}))  # fmt: skip
        assert answer.status_code < 500, answer.text

    @precondition(lambda self: bool(self.pending))
    @rule(how=st.sampled_from(["deliver", "duplicate", "drop", "reorder"]))
    def a_webhook(self, how: str) -> None:
        self.steps[f"a_webhook:{how}"] += 1
        if how == "drop":
            self.pending.pop(0)
        elif how == "reorder":
            self.rig.run(self._deliver(self.pending.pop()))
        else:
            payload = self.pending.pop(0)
            self.rig.run(self._deliver(payload))
            if how == "duplicate":
                self.rig.run(self._deliver(payload))

    @rule(order=paid_orders, part=st.sampled_from([None, 1000, 3000]), lost=st.booleans(),
          twice=st.booleans())  # fmt: skip
    def refund(self, order: ModelOrder, part: int | None, lost: bool, twice: bool) -> None:
        self.steps["refund"] += 1
        if lost:  # i'mport cancels, the answer never comes back
            self.rig.run(self.rig.emu.post("/_emulator/faults", json={
                "path": "/payments/cancel", "kind": "no_answer", "times": 1}))  # fmt: skip
        body = {"reason": "모델 환불"} | ({"amount": part} if part else {})
        key = uuid.uuid4().hex

        async def ask() -> httpx.Response:
            return await self.rig.api.post(f"/api/orders/{order.order_id}/refunds", json=body,
                                           headers={"Idempotency-Key": key})  # fmt: skip

        async def asks() -> list[httpx.Response]:
            return list(await asyncio.gather(ask(), ask()) if twice else [await ask()])

        for answer in self.rig.run(asks()):
            assert answer.status_code < 500, answer.text
        self.rig.run(self.rig.emu.delete("/_emulator/faults"))
        self._collect_webhooks()
        self._refunds_never_exceed_the_payment(order)

    @precondition(lambda self: self.attempted)
    @rule()
    def reconcile(self) -> None:
        self.steps["reconcile"] += 1

        async def sweep() -> None:
            await self.rig.work()
            await self.rig.services.reconciler.run(since=self.started - timedelta(minutes=1),
                                                   until=self.rig.clock.now() + timedelta(minutes=5))  # fmt: skip
            await self.rig.work()

        self.rig.run(sweep())
        self._collect_webhooks()
        self._books_agree_with_the_gateway()

    @rule(minutes=st.sampled_from([1, 5, 30]))
    def time_passes(self, minutes: int) -> None:
        self.steps["time_passes"] += 1
        self.rig.clock.advance(minutes * 60)
        self.rig.run(self.rig.emu.post("/_emulator/clock/advance", json={"seconds": minutes * 60}))
        self.rig.run(self.rig.work())

    # -- what must always be true ----------------------------------------------------------
    @invariant()
    def stock_is_conserved_and_never_oversold(self) -> None:
        if not hasattr(self, "product_id"):
            return
        stock = self.rig.run(self._stock())
        assert stock["available"] + stock["held"] + stock["sold"] == STOCK, stock
        paid_units = sum(1 for o in self.model if o.paid)
        assert paid_units <= STOCK, "more payments approved than units"

    def _refunds_never_exceed_the_payment(self, order: ModelOrder) -> None:
        if order.paid:
            state = self.rig.run(self._order(order.merchant_uid))
            assert state["refunded_amount"] <= state["paid_amount"] <= order.amount, state
            succeeded = sum(r["amount"] for r in state["refunds"] if r["state"] == "succeeded")
            assert succeeded == state["refunded_amount"], state
            truth = next(p for p in self._gateway_payments() if p.imp_uid == order.imp_uid)
            assert state["refunded_amount"] <= truth.cancel_amount <= truth.amount, (state, truth)

    def _books_agree_with_the_gateway(self) -> None:
        """After a sweep and the worker: every paid order says what the gateway says."""
        for order in self.model:
            state = self.rig.run(self._order(order.merchant_uid))
            if not order.paid:
                assert state["status"] not in KEPT, state
                continue
            truth = next(p for p in self._gateway_payments() if p.imp_uid == order.imp_uid)
            assert state["paid_amount"] == truth.amount, (state, truth)
            if any(r["state"] in ("requested", "unknown") for r in state["refunds"]):
                continue  # the worker retries it after its backoff: settled later
            assert state["refunded_amount"] == truth.cancel_amount, (state, truth)
            expected = ("refunded" if truth.cancel_amount == truth.amount
                        else "partially_refunded" if truth.cancel_amount else "paid")  # fmt: skip
            assert state["status"] == expected, (state, truth)

    def _gateway_payments(self) -> list[Any]:
        ledger = self.rig.gateway.ledger(self.rig.gateway.merchants[DEMO_CODE])
        return [p for o in self.model for p in ledger.by_merchant_uid(o.merchant_uid)]


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = Path(tmp_path_factory.mktemp("model")) / "paydesk.db"
    url = f"sqlite+aiosqlite:///{path}"
    from tests.support.db import in_thread

    in_thread(upgrade, url)
    made = Rig(url)
    yield made
    made.close()


def test_the_payment_flow_keeps_the_models_promises(
    rig: Rig, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``EXAMPLES`` examples in runs of ``CHUNK``, until they are done or ``SECONDS`` pass.

    Each run is a Hypothesis run of its own (fresh random examples; a failure is
    shrunk and printed with its ``@reproduce_failure`` blob). The examples are
    shared among ``SHARDS`` processes, one per core: this one and
    ``SHARDS - 1`` others running this same test on a rig of their own (own
    database, own emulator), each asked for its share within the same time
    bound; a failure in another process fails this test with that process's
    output (its shrunk case and blob). The count of valid examples, the rate and
    how often each rule ran go to the terminal (captured or not). Fewer examples
    than asked for fail the test where ``PAYDESK_MODEL_REQUIRED=1``, unless the
    machine was too busy to give the processes ``BUSY_SHARE`` of a core each;
    otherwise they are reported in capitals (a ``warnings.warn`` would fail the
    suite, which turns warnings into errors).
    """
    result_file = os.environ.get(SHARD_RESULT)
    shards = 1 if result_file else SHARDS
    others = [_shard(tmp_path / f"shard-{n}.json", -(-EXAMPLES // shards))
              for n in range(1, shards)]  # fmt: skip
    mine = _run_examples(rig, -(-EXAMPLES // shards) if shards > 1 else EXAMPLES)
    if result_file:  # a shard of another process's test: report, and let pytest judge
        Path(result_file).write_text(json.dumps(mine))
        return
    results = [mine] + [_finished(other) for other in others]
    ran = sum(r["examples"] for r in results)
    took = max(r["took"] for r in results)
    share = sum(r["cpu"] for r in results) / took / len(results)
    steps: dict[str, int] = {}
    for result in results:
        for name, count in result["steps"].items():
            steps[name] = steps.get(name, 0) + count
    lines = [
        f"model-based test: {ran} examples ({sum(r['runs'] for r in results)} started) in "
        f"{took:.1f} s over {len(results)} process(es), {ran / took:.1f} a second; asked for "
        f"{EXAMPLES} within {SECONDS:.0f} s; each process had {share:.0%} of a core",
        "model-based test: steps run: "
        + ", ".join(f"{name} {count}" for name, count in sorted(steps.items())),
    ]
    assert ran >= min(EXAMPLES, CHUNK)
    short = ran < EXAMPLES
    if short:
        lines.append(f"MODEL-BASED TEST SHORT: {ran} OF {EXAMPLES} EXAMPLES WITHIN {SECONDS:.0f} S")
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    if short and os.environ.get("PAYDESK_MODEL_REQUIRED") == "1" and share >= BUSY_SHARE:
        pytest.fail(lines[-1])


def _run_examples(rig: Rig, wanted: int) -> dict[str, Any]:
    """Run up to ``wanted`` examples on ``rig`` within ``SECONDS``; what ran, for the report."""
    PaymentFlow.rig = rig
    started, cpu_started = time.monotonic(), time.process_time()
    deadline = started + SECONDS
    while PaymentFlow.examples < wanted and time.monotonic() < deadline:
        chunk = min(CHUNK, wanted - PaymentFlow.examples)
        run_state_machine_as_test(PaymentFlow, settings=settings(
            max_examples=chunk, stateful_step_count=6, deadline=None, database=None,
            suppress_health_check=list(HealthCheck), print_blob=True,
            # never the derandomized "ci" profile Hypothesis picks when CI is set: every
            # batch (and every process) would replay the same 50 examples
            derandomize=False,
            phases=[Phase.generate, Phase.shrink],
        ))  # fmt: skip
    return {"examples": PaymentFlow.examples, "runs": PaymentFlow.runs,
            "steps": dict(PaymentFlow.steps), "took": time.monotonic() - started,
            "cpu": time.process_time() - cpu_started}  # fmt: skip


@dataclass
class _Shard:
    process: subprocess.Popen[str]
    result: Path


def _shard(result: Path, wanted: int) -> _Shard:
    """This test again in another process, asked for ``wanted`` examples."""
    env = os.environ | {SHARD_RESULT: str(result), "PAYDESK_MODEL_EXAMPLES": str(wanted)}
    node = f"{__file__}::test_the_payment_flow_keeps_the_models_promises"
    command = [sys.executable, "-m", "pytest", node, "-q", "-p", "no:cacheprovider", "-x"]
    process = subprocess.Popen(command, env=env, text=True, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, cwd=Path(__file__).parents[2])  # fmt: skip
    return _Shard(process, result)


def _finished(shard: _Shard) -> dict[str, Any]:
    """What ``shard`` ran; its failure (shrunk case, blob) fails this test."""
    try:
        output, _ = shard.process.communicate(timeout=SECONDS + 300)
    except subprocess.TimeoutExpired:
        shard.process.kill()
        output, _ = shard.process.communicate()
        pytest.fail(f"a model-based test shard did not finish:\n{output[-6000:]}")
    if shard.process.returncode != 0 or not shard.result.exists():
        pytest.fail(f"a model-based test shard failed (exit {shard.process.returncode}):\n"
                    f"{output[-12000:]}")  # fmt: skip
    found: dict[str, Any] = json.loads(shard.result.read_text())
    return found
