"""The in-memory store of the service unit tests against the real ``Database``.

Each scenario runs on the fake (``tests/unit/services/fakes``), on SQLite and,
when ``PAYDESK_TEST_DATABASE_URL`` is set, on PostgreSQL, and asserts the same
outcomes on all three, so the fake cannot drift from the repositories it stands
for: stock moves and their conflicts, orders and holds, decision replay,
refund booking, job dedupe, payments, inbox, idempotency keys.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from paydesk.core.confirm import Decision, Refusal
from paydesk.core.lifecycle import HoldGranted, VerificationFailed, apply
from paydesk.core.money import Money
from paydesk.core.orders import Order, OrderStatus
from paydesk.core.outcomes import Cancellation
from paydesk.core.refund_lifecycle import RefundState
from paydesk.core.stock import Line, StockCount
from paydesk.core.subscriptions import ChargePaid, ChargeState, Interval, Subscription
from paydesk.core.subscriptions import apply as apply_to_subscription
from paydesk.store import Conflict, NewDecision, NewJob, StockConflict
from paydesk.store.billing import NewCharge, NewPlan
from paydesk.store.escrows import Shipment
from paydesk.store.identities import NewIdentity, OrderCustomer
from paydesk.store.inbox import Delivery
from paydesk.store.ledger_records import RefundAccount
from paydesk.store.payment_book import PaymentQuery
from paydesk.store.receipts import NewReceipt, ReceiptQuery
from paydesk.store.refund_book import NewRefund
from paydesk.store.sweeps import Awaited

NOW = datetime(2030, 1, 1, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)
LEASE = timedelta(seconds=30)

pytestmark = pytest.mark.asyncio


@pytest.fixture
def units(any_store: Any) -> Any:
    """The same empty store, three ways: in memory, SQLite, PostgreSQL."""
    return any_store


async def add_product(units: Any, sku: str = "a", stock: int = 3) -> int:
    async with units.transaction() as uow:
        product = await uow.products.add(
            sku=sku, name=sku.upper(), price=Money(1000), stock=stock, on_sale=True, now=NOW
        )
    return int(product.id)


async def stock(units: Any, product_id: int) -> StockCount:
    async with units.reading() as uow:
        product = await uow.products.get(product_id)
    assert product is not None
    return product.stock


async def add_order(units: Any, merchant_uid: str, *lines: Line) -> int:
    order = Order.open(merchant_uid, Money(1000 * sum(x.quantity for x in lines)), lines, LATER)
    prices = {line.product_id: Money(1000) for line in lines}
    async with units.transaction() as uow:
        return int(
            await uow.orders.add(
                order,
                name="n",
                unit_prices=prices,
                buyer={"name": "김"},
                pay_method="card",
                pg=None,
                now=NOW,
            )
        )


# -- products -------------------------------------------------------------------------
async def test_stock_moves_between_counters_and_refuse_what_is_not_there(units: Any) -> None:
    pid = await add_product(units, stock=3)
    async with units.transaction() as uow:
        await uow.products.hold(pid, 2, NOW)
        await uow.products.release(pid, 1, NOW)
        await uow.products.sell_held(pid, 1, NOW)
        await uow.products.sell(pid, 1, NOW)
    assert await stock(units, pid) == StockCount(available=1, held=0, sold=2)
    for move in ("hold", "release", "sell_held", "sell"):
        with pytest.raises(StockConflict):
            async with units.transaction() as uow:
                await getattr(uow.products, move)(pid, 2, NOW)
    with pytest.raises(StockConflict):
        async with units.transaction() as uow:
            await uow.products.hold(pid + 99, 1, NOW)
    assert await stock(units, pid) == StockCount(available=1, held=0, sold=2)


async def test_a_conflict_mid_transaction_rolls_back_the_moves_before_it(units: Any) -> None:
    pid = await add_product(units, stock=3)

    async def hold_twice() -> None:
        async with units.transaction() as uow:
            await uow.products.hold(pid, 2, NOW)
            await uow.products.hold(pid, 2, NOW)

    with pytest.raises(StockConflict):
        await hold_twice()
    assert await stock(units, pid) == StockCount(3)


async def test_a_taken_sku_is_a_conflict_the_transaction_survives(units: Any) -> None:
    await add_product(units, "a")
    async with units.transaction() as uow:
        with pytest.raises(Conflict):
            await uow.products.add(sku="a", name="A", price=Money(1), stock=1, on_sale=True,
                                   now=NOW)  # fmt: skip
        await uow.products.add(sku="b", name="B", price=Money(1), stock=1, on_sale=True, now=NOW)
    async with units.reading() as uow:
        assert [p.sku for p in await uow.products.listing()] == ["a", "b"]
        assert [p.sku for p in await uow.products.listing(after=1, limit=5)] == ["b"]


async def test_change_overwrites_columns_and_checks_them(units: Any) -> None:
    pid = await add_product(units, stock=3)
    async with units.transaction() as uow:
        await uow.products.change(pid, {"name": "Z", "on_sale": False, "stock_available": 7}, NOW)
    async with units.reading() as uow:
        product = await uow.products.get(pid)
        assert await uow.products.many([pid + 5, pid, pid]) == [product]
    assert product is not None
    assert (product.name, product.on_sale, product.stock) == ("Z", False, StockCount(7))
    with pytest.raises(Conflict):
        async with units.transaction() as uow:
            await uow.products.change(pid, {"stock_available": -1}, NOW)
    assert await stock(units, pid) == StockCount(7)


async def test_a_failed_block_leaves_nothing(units: Any) -> None:
    async def doomed() -> None:
        async with units.transaction() as uow:
            await uow.products.add(sku="x", name="X", price=Money(1), stock=1, on_sale=True,
                                   now=NOW)  # fmt: skip
            await uow.jobs.enqueue([NewJob("k", {}, NOW)], NOW)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await doomed()
    async with units.reading() as uow:
        assert await uow.products.listing() == []
        assert await uow.jobs.counts() == {}


# -- orders and holds -----------------------------------------------------------------
async def test_orders_keep_lines_state_and_holds(units: Any) -> None:
    a, b = await add_product(units, "a"), await add_product(units, "b")
    oid = await add_order(units, "ord_1", Line(b, 1), Line(a, 2))
    async with units.reading() as uow:
        record = await uow.orders.get("ord_1")
        assert await uow.orders.merchant_uid_of(oid) == "ord_1"
        assert await uow.orders.merchant_uid_of(oid + 9) is None
        assert await uow.orders.get("nope") is None
    assert record is not None
    assert (record.id, record.name, record.buyer, record.pay_method) == (oid, "n", {"name": "김"},
                                                                         "card")  # fmt: skip
    assert record.order.lines == (Line(b, 1), Line(a, 2))
    assert record.unit_prices == {a: Money(1000), b: Money(1000)}
    assert record.order.status is OrderStatus.PENDING and record.order.expires_at == LATER

    held = apply(record.order, HoldGranted("imp_1")).order
    async with units.transaction() as uow:
        await uow.orders.save(oid, held, NOW)
        await uow.orders.add_holds([(oid, "imp_1", held.lines)], NOW)
    async with units.reading() as uow:
        again = await uow.orders.get("ord_1", lock=True)
        assert await uow.sweeps.stale_holds(NOW) == []
        assert await uow.sweeps.stale_holds(LATER) == [Awaited(oid, "ord_1", "imp_1")]
    assert again is not None and again.order == held
    async with units.transaction() as uow:
        ended = await uow.orders.end_holds(oid, "sold", NOW)
        assert await uow.orders.end_holds(oid, "released", NOW) == []
    assert sorted(ended, key=lambda x: x.product_id) == sorted(
        held.lines, key=lambda x: x.product_id
    )
    async with units.reading() as uow:
        assert await uow.sweeps.stale_holds(LATER) == []


async def test_save_many_and_unverified_orders(units: Any) -> None:
    pid = await add_product(units)
    first, second = (
        await add_order(units, "o1", Line(pid, 1)),
        await add_order(units, "o2", Line(pid, 1)),
    )
    async with units.reading() as uow:
        found = await uow.orders.many(["o2", "o1", "o3"])
    assert sorted(found) == ["o1", "o2"]
    unverified = apply(found["o2"].order, VerificationFailed("imp_9")).order
    async with units.transaction() as uow:
        await uow.orders.save_many([(second, unverified)], NOW)
        await uow.orders.save_many([], NOW)
    async with units.reading() as uow:
        assert await uow.sweeps.unverified_orders() == [Awaited(second, "o2", "imp_9")]
        untouched = await uow.orders.get("o1")
    assert untouched is not None and untouched.id == first
    assert untouched.order.status is OrderStatus.PENDING


async def _one_of_two_held(
    units: Any, held: str, first: Sequence[Line], second: Sequence[Line]
) -> tuple[dict[str, Any], Order]:
    """Orders o1 and o2 added with those lines, and ``held`` (one of them) given a hold:
    the records as added, and the held one's order as saved."""
    await add_order(units, "o1", *first)
    await add_order(units, "o2", *second)
    async with units.reading() as uow:
        found = await uow.orders.many(["o1", "o2"])
    order = apply(found[held].order, HoldGranted(f"imp_{held[-1]}")).order
    async with units.transaction() as uow:
        await uow.orders.save(found[held].id, order, NOW)
    return found, order


async def test_payment_states_are_the_orders_without_their_lines(units: Any) -> None:
    pid = await add_product(units)
    found, held = await _one_of_two_held(units, "o2", [Line(pid, 1)], [Line(pid, 2)])
    async with units.reading() as uow:
        states = await uow.orders.payment_states(iter(["o2", "o1", "o3", "o1"]))
        assert await uow.orders.payment_states([]) == {}
    assert sorted(states) == ["o1", "o2"]
    assert states["o1"] == replace(found["o1"].order, lines=())
    assert states["o2"] == replace(held, lines=())


async def test_confirm_states_are_the_ids_and_orders_with_their_lines(units: Any) -> None:
    pid, other = await add_product(units), await add_product(units, "sku-2")
    found, held = await _one_of_two_held(
        units, "o2", [Line(pid, 1)], [Line(other, 2), Line(pid, 3)]
    )
    async with units.reading() as uow:
        states = await uow.orders.confirm_states(iter(["o2", "o1", "o3", "o1"]))
        assert await uow.orders.confirm_states([]) == {}
    assert sorted(states) == ["o1", "o2"]
    assert states["o1"] == (found["o1"].id, found["o1"].order)
    assert states["o2"] == (found["o2"].id, held)
    assert held.lines == (Line(other, 2), Line(pid, 3))  # as added, not sorted


async def test_locked_states_are_the_ids_and_payment_states_of_the_orders(units: Any) -> None:
    pid = await add_product(units)
    found, held = await _one_of_two_held(units, "o1", [Line(pid, 1)], [Line(pid, 2)])
    async with units.transaction() as uow:
        states = await uow.orders.locked_states(iter(["o2", "o1", "o3", "o1"]))
        assert await uow.orders.locked_states([]) == {}
    assert list(states) == ["o1", "o2"]  # ascending id: the lock order
    assert states["o1"] == (found["o1"].id, replace(held, lines=()))
    assert states["o2"] == (found["o2"].id, replace(found["o2"].order, lines=()))


async def test_a_merchant_uid_or_a_product_that_is_not_there_is_a_conflict(units: Any) -> None:
    pid = await add_product(units)
    await add_order(units, "o1", Line(pid, 1))
    with pytest.raises(Conflict):
        await add_order(units, "o1", Line(pid, 1))
    with pytest.raises(Conflict):
        await add_order(units, "o2", Line(pid + 50, 1))
    async with units.reading() as uow:
        assert sorted(await uow.orders.many(["o1", "o2"])) == ["o1"]


# -- decisions -------------------------------------------------------------------------
async def test_the_first_decision_of_an_imp_uid_is_the_one_kept(units: Any) -> None:
    pid = await add_product(units)
    oid = await add_order(units, "o1", Line(pid, 1))
    approve = NewDecision(Decision("imp_1"), "o1", oid, {"imp_uid": "imp_1", "n": 1})
    refuse = NewDecision(Decision("imp_1", Refusal.SOLD_OUT), "o1", oid, {"n": 2})
    other = NewDecision(Decision("imp_2", Refusal.ORDER_NOT_FOUND), "zz", None, {})
    async with units.transaction() as uow:
        assert await uow.decisions.add_new([approve, refuse], NOW) == {"imp_1"}
    async with units.transaction() as uow:
        assert await uow.decisions.add_new([refuse, other], LATER) == {"imp_2"}
        assert await uow.decisions.add_new([], LATER) == set()
    async with units.reading() as uow:
        found = await uow.decisions.many(["imp_1", "imp_2", "imp_3"])
        assert await uow.decisions.get("imp_3") is None
    assert sorted(found) == ["imp_1", "imp_2"]
    first = found["imp_1"]
    assert (first.approved, first.merchant_uid, first.order_id, first.decided_at) == (
        True, "o1", oid, NOW)  # fmt: skip
    assert (found["imp_2"].refusal, found["imp_2"].order_id) == (Refusal.ORDER_NOT_FOUND, None)


# -- refunds ---------------------------------------------------------------------------
async def test_refunds_owed_once_and_settled_only_while_in_flight(units: Any) -> None:
    pid = await add_product(units)
    oid = await add_order(units, "o1", Line(pid, 1))
    async with units.transaction() as uow:
        owed = await uow.refunds.owe(oid, "imp_1", Money(1000), "no stock", NOW)
        assert await uow.refunds.owe(oid, "imp_1", Money(1000), "again", NOW) is None
    assert owed is not None
    c1, c2, c3 = (Cancellation("c1", Money(1000)), Cancellation("c2", Money(300)),
                  Cancellation("c3", Money(1000)))  # fmt: skip
    async with units.transaction() as uow:  # not sent yet: a console cancel is not ours
        assert await uow.refunds.book(oid, "imp_1", [c1], NOW) == [c1]
        assert await uow.refunds.move(owed, [RefundState.REQUESTED], RefundState.SENDING, NOW)
    async with units.transaction() as uow:
        assert await uow.refunds.book(oid, "imp_1", [c1, c2, c3], LATER) == [c2, c3]
        assert await uow.refunds.book(oid, "imp_1", [c1, c2, c3], LATER) == []
        assert await uow.refunds.owe(oid, "imp_1", Money(1000), "again", NOW) is None
    async with units.reading() as uow:
        rows = await uow.refunds.of_payment("imp_1")
        assert await uow.refunds.of_order(oid) == rows
        assert await uow.refunds.of_payment("imp_2") == []
        assert await uow.refunds.open_ones() == []
    assert [(r.origin, r.state, r.cancellation_id, r.amount.amount) for r in rows] == [
        ("auto", "succeeded", "c3", 1000),
        ("external", "succeeded", "c1", 1000),
        ("external", "succeeded", "c2", 300),
    ]
    assert rows[0].id == owed and rows[1].reason == "cancelled at i'mport"


async def test_refund_moves_are_conditional_and_attempts_are_numbered(units: Any) -> None:
    account = RefundAccount("홍길동", "004", "12345678901", "01012345678")
    async with units.transaction() as uow:
        rid = await uow.refunds.add(NewRefund(None, "imp_1", Money(1000), "buyer asked",
                                              "merchant", Money(100), Money(81), account,
                                              "key:1"), NOW)  # fmt: skip
        refund = await uow.refunds.get(rid)
        assert refund is not None and refund.account == account
        assert (refund.tax_free, refund.vat_amount, refund.requested_by) == (
            Money(100), Money(81), "key:1")  # fmt: skip
        assert await uow.refunds.open_ones() == [refund]
        assert await uow.refunds.move(rid, [RefundState.REQUESTED], RefundState.SENDING, NOW,
                                      checksum=1000, amount=900)  # fmt: skip
        first = await uow.refunds.start_attempt(refund, Money(900), Money(1000),
                                                {"amount": 900}, NOW)  # fmt: skip
        # a second run that still thinks the refund is requested moves nothing
        assert not await uow.refunds.move(rid, [RefundState.REQUESTED], RefundState.FAILED, NOW)
    async with units.transaction() as uow:
        await uow.refunds.finish_attempt(first, "unknown", LATER, error="e" * 3000)
        await uow.refunds.finish_attempt(first, "succeeded", LATER)  # finished once
        assert await uow.refunds.move(rid, [RefundState.SENDING], RefundState.UNKNOWN, LATER,
                                      last_error="x" * 3000)  # fmt: skip
        refund = await uow.refunds.get(rid)
        assert refund is not None and refund.attempts == 1
        second = await uow.refunds.start_attempt(refund, Money(900), Money(1000), {}, LATER)
        assert await uow.refunds.move(rid, [RefundState.UNKNOWN], RefundState.FAILED, LATER)
    async with units.reading() as uow:
        refund = await uow.refunds.get(rid)
        assert refund is not None
        attempts = await uow.refunds.attempts_of(refund)
    assert (refund.state, refund.amount, refund.checksum, len(refund.last_error or "")) == (
        "failed", Money(900), 1000, 2000)  # fmt: skip
    assert refund.account is None and refund.attempts == 2  # a final refund forgets the account
    assert [(a.id, a.number, a.classification, len(a.error or "")) for a in attempts] == [
        (first, 1, "unknown", 2000), (second, 2, None, 0)]  # fmt: skip
    assert attempts[0].request == {"amount": 900} and attempts[0].checksum == Money(1000)


async def test_a_cancellation_id_is_booked_once_across_payments(units: Any) -> None:
    async with units.transaction() as uow:
        await uow.refunds.book(None, "imp_1", [Cancellation("c1", Money(5))], NOW)
    with pytest.raises(Conflict):
        async with units.transaction() as uow:
            await uow.refunds.book(None, "imp_2", [Cancellation("c1", Money(5))], NOW)


# -- jobs ------------------------------------------------------------------------------
async def test_a_dedupe_key_is_enqueued_once_whatever_became_of_the_first(units: Any) -> None:
    keyed = NewJob("k", {"n": 1}, NOW, dedupe_key="k:1")
    async with units.transaction() as uow:
        await uow.jobs.enqueue([keyed, NewJob("k", {"n": 2}, NOW, dedupe_key="k:1")], NOW)
        await uow.jobs.enqueue([NewJob("p", {"n": 3}, NOW), NewJob("p", {"n": 3}, NOW)], NOW)
        await uow.jobs.enqueue([], NOW)
    async with units.transaction() as uow:
        await uow.jobs.enqueue([keyed, NewJob("k", {"n": 4}, NOW, dedupe_key="k:2")], NOW)
        assert await uow.jobs.counts() == {"queued": 4}
    async with units.transaction() as uow:
        claimed = await uow.jobs.claim("w", NOW, lease=LEASE, kinds=["k"])
        assert [j.payload for j in claimed] == [{"n": 1}, {"n": 4}]
        assert await uow.jobs.complete(claimed[0].id, "w", NOW)
        assert not await uow.jobs.complete(claimed[1].id, "other", NOW)
    async with units.transaction() as uow:
        await uow.jobs.enqueue([keyed], NOW)
        assert await uow.jobs.counts() == {"done": 1, "queued": 2, "running": 1}


async def test_jobs_claimed_by_key_failed_and_retried(units: Any) -> None:
    async with units.transaction() as uow:
        await uow.jobs.enqueue(
            [NewJob("k", {"a": [1]}, LATER, dedupe_key="k:1", max_attempts=2)], NOW
        )
    async with units.transaction() as uow:
        job = await uow.jobs.claim_keyed("k:1", "w", NOW, LEASE)
        assert await uow.jobs.claim_keyed("k:1", "w2", NOW, LEASE) is None
    assert job is not None
    assert (job.kind, job.payload, job.attempts, job.locked_until) == (
        "k",
        {"a": [1]},
        1,
        NOW + LEASE,
    )
    async with units.transaction() as uow:
        assert await uow.jobs.fail(job, "w", "x" * 5000, NOW)
        assert await uow.jobs.claim("w", NOW + timedelta(seconds=1), lease=LEASE) == []
        (retry,) = await uow.jobs.claim("w", NOW + timedelta(seconds=2), lease=LEASE)
        assert retry.attempts == 2
    async with units.transaction() as uow:  # the last attempt lost its lease: dead
        assert await uow.jobs.claim("w", LATER + timedelta(hours=1), lease=LEASE) == []
        assert await uow.jobs.counts() == {"dead": 1}


# -- payments, inbox, idempotency ------------------------------------------------------
def columns(imp_uid: str, status: str, cancel: int = 0, **more: Any) -> dict[str, Any]:
    values = {
        "imp_uid": imp_uid, "merchant_uid": "o1", "status": status, "amount": 1000,
        "cancel_amount": cancel, "currency": "KRW", "pay_method": "card", "pg_provider": "kcp",
        "paid_at": NOW, "failed_at": None, "cancelled_at": None, "fail_reason": None,
        "raw": {"imp_uid": imp_uid}, "verified_at": NOW, "apply_num": "A1", "pg_tid": None,
        "vbank_code": None, "vbank_name": None, "vbank_num": None, "vbank_holder": None,
        "vbank_date": None,
    }  # fmt: skip
    return values | more


async def test_a_payment_is_overwritten_by_each_verification(units: Any) -> None:
    pid = await add_product(units)
    oid = await add_order(units, "o1", Line(pid, 1))
    async with units.transaction() as uow:
        await uow.payments.put(columns("imp_1", "paid"), oid, NOW)
        await uow.payments.put(columns("imp_2", "failed", apply_num=None), None, NOW)
    async with units.transaction() as uow:
        await uow.payments.put(columns("imp_1", "cancelled", 400, vbank_num="123"), oid, LATER)
    async with units.reading() as uow:
        first = await uow.payments.get("imp_1")
        assert await uow.payments.get("imp_3") is None
        page, total = await uow.payments.search(PaymentQuery(apply_num="A1"))
        everything, count = await uow.payments.search(PaymentQuery(limit=1, offset=1))
    assert first is not None
    assert (first.status, first.balance, first.created_at, first.updated_at) == (
        "cancelled", Money(600), NOW, LATER)  # fmt: skip
    assert first.vbank is not None and first.vbank.number == "123"
    assert ([p.imp_uid for p in page], total) == (["imp_1"], 1)
    assert ([p.imp_uid for p in everything], count) == (["imp_1"], 2)


async def test_payments_are_read_many_at_once_by_imp_uid(units: Any) -> None:
    pid = await add_product(units)
    oid = await add_order(units, "o1", Line(pid, 1))
    async with units.transaction() as uow:
        for n in range(1, 1203):  # more than one IN (...) batch
            await uow.payments.put(columns(f"imp_{n}", "paid"), oid if n == 1 else None, NOW)
        await uow.payments.put(columns("imp_2", "cancelled", 1000), None, LATER)
    async with units.reading() as uow:
        wanted = [f"imp_{n}" for n in range(1, 1210)] + ["imp_2", "imp_none"]
        found = await uow.payments.many(iter(wanted))
        single = await uow.payments.get("imp_2")
        assert await uow.payments.many([]) == {}
    assert sorted(found) == sorted(f"imp_{n}" for n in range(1, 1203))
    assert found["imp_2"] == single and found["imp_2"].status == "cancelled"
    assert found["imp_1"].order_id == oid and found["imp_1202"].order_id is None


async def test_the_inbox_stores_many_deliveries_at_once_and_answers_their_ids_in_order(
    units: Any,
) -> None:
    deliveries = [
        (Delivery(NOW, f"10.0.0.{n}", {"x-n": str(n)}, b'{"n":%d}' % n, imp_uid=f"imp_{n % 3}",
                  merchant_uid=f"o{n}", status="paid"), "refused" if n == 4 else None)
        for n in range(7)
    ]  # fmt: skip
    async with units.transaction() as uow:
        assert await uow.inbox.add_many([]) == []
        before = await uow.inbox.add(deliveries[0][0])
        ids = await uow.inbox.add_many(deliveries)
        rows = [await uow.inbox.get(i) for i in ids]
    assert len(set(ids)) == 7 and min(ids) > before
    for n, row in enumerate(rows):
        assert row is not None and row.source_ip == f"10.0.0.{n}" and row.body == b'{"n":%d}' % n
        assert (row.merchant_uid, row.outcome) == (f"o{n}", "refused" if n == 4 else None)
        assert row.processed_at == (NOW if n == 4 else None)


async def test_payment_states_count_the_cancel_history_and_put_many_overwrites(
    units: Any,
) -> None:
    pid = await add_product(units)
    oid = await add_order(units, "o1", Line(pid, 1))
    history = [{"amount": 300, "cancelled_at": 1}, {"amount": 100, "cancelled_at": 2}]
    async with units.transaction() as uow:
        await uow.payments.put(columns("imp_1", "paid"), oid, NOW)
        await uow.payments.put(columns("imp_2", "paid", raw={"cancel_history": None}), None, NOW)
        await uow.payments.put(columns("imp_3", "paid", raw=None), None, NOW)
    async with units.transaction() as uow:
        await uow.payments.put_many([
            (columns("imp_1", "cancelled", 400, raw={"cancel_history": history}), oid),
            (columns("imp_4", "paid"), None),
            (columns("imp_4", "failed", apply_num="B2"), oid),  # the last row of one imp_uid
        ], LATER)  # fmt: skip
        await uow.payments.put_many([], LATER)
    async with units.reading() as uow:
        states = await uow.payments.states(iter(["imp_1", "imp_2", "imp_3", "imp_4", "imp_9"]))
        first, fourth = await uow.payments.get("imp_1"), await uow.payments.get("imp_4")
        assert await uow.payments.states([]) == {}
    assert {u: (s.status, s.cancelled, s.cancellations) for u, s in states.items()} == {
        "imp_1": ("cancelled", Money(400), 2), "imp_2": ("paid", Money(0), 0),
        "imp_3": ("paid", Money(0), 0), "imp_4": ("failed", Money(0), 0),
    }  # fmt: skip
    assert first is not None and fourth is not None
    assert (first.status, first.cancellations, first.created_at, first.updated_at) == (
        "cancelled", 2, NOW, LATER)  # fmt: skip
    assert (fourth.status, fourth.apply_num, fourth.order_id, fourth.created_at) == (
        "failed", "B2", oid, LATER)  # fmt: skip


async def test_the_inbox_keeps_deliveries_and_what_became_of_them(units: Any) -> None:
    delivery = Delivery(NOW, "10.0.0.1", {"content-type": "application/json"}, b'{"a":1}',
                        imp_uid="imp_1", merchant_uid="o1", status="paid")  # fmt: skip
    async with units.transaction() as uow:
        first = await uow.inbox.add(delivery)
        done = await uow.inbox.add(delivery, outcome="refused")
        await uow.inbox.note(first, "later")
    async with units.transaction() as uow:
        row = await uow.inbox.get(first)
        await uow.inbox.finish(first, "settled:paid", LATER)
        assert [r.id for r in await uow.inbox.of_payment("imp_1")] == [first, done]
    assert row is not None and (row.error, row.outcome, row.body) == ("later", None, b'{"a":1}')
    async with units.reading() as uow:
        finished, refused = await uow.inbox.get(first), await uow.inbox.get(done)
    assert finished is not None and refused is not None
    assert (finished.outcome, finished.processed_at, finished.error) == (
        "settled:paid",
        LATER,
        None,
    )
    assert (refused.outcome, refused.processed_at) == ("refused", NOW)


async def test_an_idempotency_key_is_claimed_once(units: Any) -> None:
    async with units.transaction() as uow:
        await uow.idempotency.claim("s", "k", "h", NOW)
        await uow.idempotency.answer("s", "k", 201, {"id": 1})
    async with units.reading() as uow:
        stored = await uow.idempotency.get("s", "k")
        assert await uow.idempotency.get("s", "other") is None
    assert stored is not None and (stored.request_hash, stored.status_code, stored.response) == (
        "h", 201, {"id": 1})  # fmt: skip
    with pytest.raises(Conflict):
        async with units.transaction() as uow:
            await uow.idempotency.claim("s", "k", "h2", NOW)


async def test_leases_are_renewed_released_and_finished_only_by_their_claim(units: Any) -> None:
    async with units.transaction() as uow:
        await uow.jobs.enqueue([NewJob("k", {"n": 1}, NOW), NewJob("k", {"n": 2}, NOW)], NOW)
    async with units.transaction() as uow:
        first, second = await uow.jobs.claim("w", NOW, lease=LEASE)
    async with units.transaction() as uow:
        assert await uow.jobs.renew([first, second], "w", NOW + LEASE / 2, LEASE) == {
            first.id, second.id
        }  # fmt: skip
        assert await uow.jobs.renew([first], "other", NOW, LEASE) == set()
        # past the first lease, within the renewed one
        assert await uow.jobs.claim("w2", NOW + LEASE, lease=LEASE) == []
        assert await uow.jobs.release([second], "w", NOW) == {second.id}
        assert await uow.jobs.release([second], "w", NOW) == set()
    later = NOW + LEASE * 2
    async with units.transaction() as uow:
        taken = await uow.jobs.claim("w2", later, lease=LEASE)
    assert sorted((j.id, j.attempts) for j in taken) == [(first.id, 2), (second.id, 1)]
    async with units.transaction() as uow:
        assert await uow.jobs.renew([first], "w", later, LEASE) == set()
        assert not await uow.jobs.complete(first.id, "w", later, attempt=1)
        assert not await uow.jobs.fail(first, "w", "late", later)
        assert not await uow.jobs.complete(first.id, "w2", later, attempt=1)  # not this claim
        assert await uow.jobs.complete(first.id, "w2", later, attempt=2)
        assert await uow.jobs.counts() == {"done": 1, "running": 1}


async def test_the_dead_letter_list_requeue_and_dismiss(units: Any) -> None:
    async with units.transaction() as uow:
        await uow.jobs.enqueue(
            [NewJob("k", {"n": n}, NOW, max_attempts=1 if n < 2 else 5) for n in range(4)], NOW
        )
    async with units.transaction() as uow:
        for job in await uow.jobs.claim("w", NOW, lease=LEASE, limit=3):
            assert await uow.jobs.fail(job, "w", f"error {job.payload['n']}", NOW)
    async with units.transaction() as uow:
        dead = await uow.jobs.entries()
        assert [(e.payload["n"], e.state, e.attempts, e.last_error) for e in dead] == [
            (1, "dead", 1, "error 1"), (0, "dead", 1, "error 0")
        ]  # fmt: skip
        retrying = await uow.jobs.entries(["retrying"])
        assert [(e.payload["n"], e.state, e.retrying) for e in retrying] == [(2, "queued", True)]
        with pytest.raises(ValueError, match="done"):
            await uow.jobs.entries(["done"])
        assert await uow.jobs.dismiss(retrying[0].id, NOW) is None
        dismissed = await uow.jobs.dismiss(dead[0].id, NOW)
        assert dismissed is not None and dismissed.state == "dismissed"
        assert await uow.jobs.dismiss(dead[0].id, NOW) is None
        requeued = await uow.jobs.requeue(dead[1].id, LATER)
        assert requeued is not None
        assert (requeued.state, requeued.attempts, requeued.run_at) == ("queued", 0, LATER)
        assert await uow.jobs.requeue(dead[1].id, LATER) is None
        assert await uow.jobs.requeue(999, LATER) is None
        assert await uow.jobs.entry(999) is None
        every = await uow.jobs.entries(["dead", "retrying", "dismissed"], limit=2)
        assert [e.payload["n"] for e in every] == [2, 1]
        rest = await uow.jobs.entries(["dead", "retrying", "dismissed"], before_id=every[-1].id)
        assert [e.payload["n"] for e in rest] == [0]


async def test_expired_virtual_accounts_are_those_still_held_past_their_deadline(
    units: Any,
) -> None:
    pid = await add_product(units, stock=5)
    oids = [await add_order(units, f"o{n}", Line(pid, 1)) for n in range(4)]
    vbank = {"pay_method": "vbank", "paid_at": None, "vbank_num": "123", "vbank_code": "004"}
    async with units.transaction() as uow:
        # o0: due at NOW, held — expired once NOW is past; o1: due later; o2: a card;
        # o3: due at NOW but already paid
        for oid, uid, status, extra in [
            (oids[0], "imp_a", "ready", {**vbank, "vbank_date": NOW}),
            (oids[1], "imp_b", "ready", {**vbank, "vbank_date": LATER}),
            (oids[2], "imp_c", "ready", {}),
            (oids[3], "imp_d", "paid", {**vbank, "vbank_date": NOW}),
        ]:
            await uow.payments.put(columns(uid, status, **extra), oid, NOW)
            await uow.orders.add_holds([(oid, uid, (Line(pid, 1),))], NOW)
    async with units.reading() as uow:
        assert await uow.sweeps.expired_vbanks(NOW) == []
        assert await uow.sweeps.expired_vbanks(NOW + timedelta(seconds=1)) == [
            Awaited(oids[0], "o0", "imp_a")
        ]
        later = await uow.sweeps.expired_vbanks(LATER + timedelta(seconds=1))
        assert [w.imp_uid for w in later] == ["imp_a", "imp_b"]
    async with units.transaction() as uow:  # a released hold no longer counts
        await uow.orders.end_holds(oids[0], "released", NOW)
    async with units.reading() as uow:
        assert [w.imp_uid for w in await uow.sweeps.expired_vbanks(LATER + timedelta(days=1))] == [
            "imp_b"
        ]


async def test_failed_deliveries_are_those_without_outcome_or_with_an_error(units: Any) -> None:
    delivery = Delivery(NOW, "10.0.0.1", {}, b"{}", imp_uid="imp_1", merchant_uid="o1")
    async with units.transaction() as uow:
        waiting = await uow.inbox.add(delivery)
        noted = await uow.inbox.add(delivery)
        await uow.inbox.note(noted, "order o1 not found yet")
        done = await uow.inbox.add(delivery)
        await uow.inbox.finish(done, "settled:paid", LATER)
        await uow.inbox.add(delivery, outcome="refused")
    async with units.reading() as uow:
        assert [r.id for r in await uow.inbox.failed()] == [waiting, noted]
        assert [r.id for r in await uow.inbox.failed(limit=1)] == [waiting]


async def test_reconciliations_keep_their_items_and_the_newest_orphans(units: Any) -> None:
    from paydesk.store.reconciliations import NewDriftItem

    pid = await add_product(units)
    oid = await add_order(units, "o1", Line(pid, 1))

    def item(drift: str, imp_uid: str, order_id: int | None) -> NewDriftItem:
        return NewDriftItem(drift, imp_uid, "m_" + imp_uid, order_id, "paid",
                            {"amount": 1000, "booked": ["c1"]}, "did", drift != "orphan")  # fmt: skip

    async with units.transaction() as uow:
        first = await uow.reconciliations.start("cli", NOW - timedelta(days=1), NOW, NOW)
        await uow.reconciliations.add_item(first, item("missed", "imp_1", oid), NOW)
        await uow.reconciliations.add_item(first, item("orphan", "imp_9", None), NOW)
        await uow.reconciliations.finish(first, status="finished", checked=7,
                                         counts={"missed": 1, "orphan": 1}, now=LATER)  # fmt: skip
        second = await uow.reconciliations.start("worker", NOW, LATER, LATER)
        await uow.reconciliations.add_items(second, [item("orphan", "imp_9", None)], LATER)
        await uow.reconciliations.add_items(second, [], LATER)
        await uow.reconciliations.finish(second, status="failed", checked=1, counts={},
                                         now=LATER, error="x" * 5000)  # fmt: skip
    with pytest.raises(Conflict):
        async with units.transaction() as uow:
            await uow.reconciliations.add_item(second + 9, item("missed", "imp_2", None), NOW)
    with pytest.raises(Conflict):
        async with units.transaction() as uow:
            await uow.reconciliations.add_items(second + 9, [item("missed", "imp_2", None)], NOW)
    async with units.reading() as uow:
        done = await uow.reconciliations.get(first)
        failed = await uow.reconciliations.get(second)
        assert await uow.reconciliations.get(second + 1) is None
        assert [r.id for r in await uow.reconciliations.listing()] == [second, first]
        assert [r.id for r in await uow.reconciliations.listing(before=second)] == [first]
        assert [r.id for r in await uow.reconciliations.listing(limit=1)] == [second]
        last = await uow.reconciliations.last_finished()
        items = await uow.reconciliations.items(first)
        later = await uow.reconciliations.items(second)
        orphans = await uow.reconciliations.orphans()
    assert done is not None and failed is not None and last is not None
    assert (done.status, done.trigger, done.checked, done.counts, done.finished_at) == (
        "finished", "cli", 7, {"missed": 1, "orphan": 1}, LATER)  # fmt: skip
    assert (done.range_from, done.range_to, done.started_at) == (NOW - timedelta(days=1), NOW, NOW)
    assert (failed.status, failed.error is not None and len(failed.error)) == ("failed", 2000)
    assert last.id == first
    assert [(i.drift, i.imp_uid, i.order_id, i.resolved) for i in items] == [
        ("missed", "imp_1", oid, True), ("orphan", "imp_9", None, False)]  # fmt: skip
    assert items[0].detail == {"amount": 1000, "booked": ["c1"]} and items[0].created_at == NOW
    assert [(o.imp_uid, o.reconciliation_id) for o in orphans] == [("imp_9", second)]
    assert [(i.drift, i.imp_uid, i.detail, i.created_at) for i in later] == [
        ("orphan", "imp_9", {"amount": 1000, "booked": ["c1"]}, LATER)]  # fmt: skip


# -- cash receipts, identities, escrow (migration 0004) -----------------------------------
def _receipt(kind: str, key: str, **fields: Any) -> NewReceipt:
    return NewReceipt(kind, key, "person", "phone", "*******5678", **fields)  # type: ignore[arg-type]


async def test_one_live_receipt_per_payment_and_conditional_moves(units: Any) -> None:
    async with units.transaction() as uow:
        first = await uow.receipts.add(_receipt("payment", "imp_1", tax_free=100), NOW)
    assert (first.state, first.key, first.identifier_masked) == ("issuing", "imp_1", "*******5678")
    assert first.tax_free == Money(100) and first.amount is None
    with pytest.raises(Conflict):
        async with units.transaction() as uow:
            await uow.receipts.add(_receipt("payment", "imp_1"), NOW)
    async with units.transaction() as uow:  # the same key in the other table is another thing
        external = await uow.receipts.add(
            _receipt("external", "imp_1", name="현장 판매", requested_amount=5000), NOW
        )
        assert await uow.receipts.move("payment", first.id, "imp_1", ["issuing"], "issued",
                                       {"amount": 1000, "vat": 91, "apply_num": "123",
                                        "applied_at": LATER}, LATER)  # fmt: skip
        assert not await uow.receipts.move("payment", first.id, "imp_1", ["issuing"], "failed",
                                           {}, LATER)  # fmt: skip
    async with units.reading() as uow:
        issued = await uow.receipts.get("payment", first.id)
        assert await uow.receipts.live("payment", "imp_1") == issued
        assert (await uow.receipts.live("external", "imp_1")) == external
    assert issued is not None and (issued.state, issued.amount, issued.vat) == (
        "issued", Money(1000), Money(91))  # fmt: skip
    assert issued.applied_at == LATER and external.requested_amount == Money(5000)
    async with units.transaction() as uow:
        assert await uow.receipts.move("payment", first.id, "imp_1", ["issued"], "cancelled",
                                       {"cancelled_at": LATER}, LATER)  # fmt: skip
        again = await uow.receipts.add(_receipt("payment", "imp_1"), LATER)  # no longer live
    async with units.reading() as uow:
        assert await uow.receipts.live("payment", "imp_1") == again
        found = await uow.receipts.search("payment", ReceiptQuery(key="imp_1"))
        assert [r.id for r in found] == [again.id, first.id]
        assert [r.id for r in await uow.receipts.search(
            "payment", ReceiptQuery(state="cancelled"))] == [first.id]  # fmt: skip
        assert await uow.receipts.search("payment", ReceiptQuery(before=first.id)) == []
        assert await uow.receipts.search("payment", ReceiptQuery(since=LATER, limit=1)) == [again]
        assert [r.key for r in await uow.receipts.search("external", ReceiptQuery())] == ["imp_1"]


def _identity(ref: str, imp_uid: str, ci: str | None = "ci") -> NewIdentity:
    return NewIdentity(ref, "홍길동", date(1990, 1, 31), "01012345678", "male", False,
                       ci, "di", True, imp_uid, "danal", NOW)  # fmt: skip


async def test_identities_age_gates_and_order_customers(units: Any) -> None:
    pid = await add_product(units)
    oid = await add_order(units, "ord_1", Line(pid, 1))
    async with units.transaction() as uow:
        first = await uow.customers.put(_identity("c1", "imp_a"), NOW)
        await uow.customers.put(_identity("c2", "imp_b"), NOW)
        await uow.customers.set_age_gate(pid, 19, NOW)
        await uow.customers.link_order(oid, first.id, 19, NOW)
    assert (first.customer_ref, first.birth_date, first.adult) == ("c1", date(1990, 1, 31), True)
    with pytest.raises(Conflict):  # a certification stored for another customer
        async with units.transaction() as uow:
            await uow.customers.put(_identity("c2", "imp_a"), NOW)
    with pytest.raises(Conflict):
        async with units.transaction() as uow:
            await uow.customers.link_order(oid, first.id, None, NOW)
    async with units.transaction() as uow:
        again = await uow.customers.put(_identity("c1", "imp_c", ci="other"), LATER)
        await uow.customers.mark_deleted(again.id, LATER)
    async with units.reading() as uow:
        assert await uow.customers.age_gates([pid, pid + 1]) == {pid: 19}
        assert await uow.customers.by_certification("imp_a") is None
        stored = await uow.customers.by_ref("c1")
        assert [c.customer_ref for c in await uow.customers.same_person("ci")] == ["c2"]
        assert (await uow.customers.of_order(oid)) == OrderCustomer(oid, first.id, 19)
        assert await uow.customers.of_order(oid + 1) is None
    assert stored is not None and stored.id == first.id and stored.created_at == NOW
    assert (stored.certification_imp_uid, stored.deleted_at_iamport) == ("imp_c", LATER)
    async with units.transaction() as uow:
        await uow.customers.set_age_gate(pid, None, LATER)
    async with units.reading() as uow:
        assert await uow.customers.age_gates([pid]) == {}


async def test_escrow_rows_are_made_by_a_shipment_or_a_status_and_keep_both(units: Any) -> None:
    shipment = Shipment("CJGLS", "123", NOW, {"name": "보내는이"}, {"name": "받는이"}, LATER)
    async with units.transaction() as uow:
        made = await uow.escrows.put_shipment("imp_1", None, shipment, "registered", NOW)
        await uow.escrows.set_status("imp_2", None, "purchase_confirmed", "3", LATER, None, NOW)
    assert made.shipment == shipment and made.status == "registered"
    async with units.transaction() as uow:
        await uow.escrows.set_status("imp_1", None, "purchase_refused", "4", LATER, "파손", LATER)
        changed = Shipment("EPOST", "456", LATER, {}, {"name": "받는이"}, LATER)
        await uow.escrows.put_shipment("imp_1", None, changed, "registered", LATER)
        second = await uow.escrows.put_shipment("imp_2", None, shipment, "registered", LATER)
    async with units.reading() as uow:
        first = await uow.escrows.get("imp_1")
        assert await uow.escrows.get("imp_3") is None
    assert first is not None and first.shipment == changed
    assert (first.status, first.status_code, first.denied_reason) == (
        "purchase_refused",
        "4",
        "파손",
    )
    assert second.status == "purchase_confirmed" and second.status_changed_at == LATER


async def test_a_registration_and_its_event_racing_for_the_escrow_row_both_land(
    units: Any,
) -> None:
    shipment = Shipment("CJGLS", "123", NOW, {}, {}, NOW)
    started = asyncio.Event()

    async def register() -> None:
        async with units.transaction() as uow:
            await uow.escrows.put_shipment("imp_1", None, shipment, "registered", NOW)
            started.set()
            await asyncio.sleep(0.2)  # the event's transaction starts meanwhile

    async def event() -> None:
        await started.wait()
        async with units.transaction() as uow:
            await uow.escrows.set_status("imp_1", None, "delivery_registered", "2", LATER, None,
                                         LATER)  # fmt: skip

    await asyncio.gather(register(), event())
    async with units.reading() as uow:
        found = await uow.escrows.get("imp_1")
    assert found is not None and found.shipment == shipment
    assert (found.status, found.status_code) == ("delivery_registered", "2")


# -- billing keys, plans, subscriptions, charges --------------------------------------------
PLAN = NewPlan("monthly", "월간", Money(9900), Interval("day", 30), (1, 3, 7), "again")


async def test_plans_keys_and_issuances(units: Any) -> None:
    async with units.transaction() as uow:
        plan = await uow.billing.add_plan(PLAN, NOW)
        first = await uow.billing.put_key("cust", {"card_name": "신한", "card_last4": "1111"},
                                          "api", NOW)  # fmt: skip
        await uow.billing.add_issuance("bk_1", "cust", NOW)
    assert (plan.code, plan.price, plan.dunning_days, plan.active) == (
        "monthly", Money(9900), (1, 3, 7), True)  # fmt: skip
    assert (first.state, first.card_last4, first.issued_via) == ("active", "1111", "api")
    with pytest.raises(Conflict):
        async with units.transaction() as uow:
            await uow.billing.add_plan(PLAN, NOW)
    async with units.transaction() as uow:
        again = await uow.billing.put_key("cust", {"card_name": "KB", "card_last4": "4444"},
                                          "window", LATER)  # fmt: skip
        assert await uow.billing.finish_issuance("bk_1", "issued", "imp_1", None, LATER)
        assert not await uow.billing.finish_issuance("bk_1", "failed", "imp_2", "x", LATER)
        deleted = await uow.billing.delete_key("cust", LATER)
        assert await uow.billing.delete_key("nobody", LATER) is None
        assert await uow.billing.owner("bk_1") == "issuance"
        assert await uow.billing.owner("nothing") is None
    assert (again.card_last4, again.issued_via, again.issued_at) == ("4444", "window", LATER)
    assert deleted is not None and (deleted.state, deleted.deleted_at) == ("deleted", LATER)
    async with units.reading() as uow:
        issuance = await uow.billing.issuance("bk_1")
        assert [p.code for p in await uow.billing.plans()] == ["monthly"]
    assert issuance is not None and (issuance.state, issuance.imp_uid) == ("issued", "imp_1")


async def test_subscriptions_their_due_time_and_charges(units: Any) -> None:
    async with units.transaction() as uow:
        plan = await uow.billing.add_plan(PLAN, NOW)
        started = Subscription.start(plan.interval, plan.dunning, NOW)
        first = await uow.billing.add_subscription(plan.id, "cust", started, NOW)
        later = await uow.billing.add_subscription(
            plan.id, "other", Subscription.start(plan.interval, plan.dunning, LATER), NOW
        )
        charge = await uow.billing.add_charge(
            NewCharge(first, 1, 1, "sub1-p1-a1", Money(9900), "again", ChargeState.SENDING, NOW),
            NOW,
        )
    async with units.reading() as uow:
        assert await uow.billing.due(NOW) == [first]
        assert await uow.billing.due(LATER) == [first, later]
        assert [c.id for c in await uow.billing.open_charges(LATER)] == [charge.id]
        assert await uow.billing.open_charges(NOW) == []
        record = await uow.billing.subscription(first)
        assert [r.id for r in await uow.billing.subscriptions(customer_uid="cust")] == [first]
        assert [r.id for r in await uow.billing.subscriptions()] == [later, first]
    assert record is not None and record.subscription == started and record.plan == plan
    with pytest.raises(Conflict):
        async with units.transaction() as uow:
            await uow.billing.add_charge(
                NewCharge(later, 1, 1, "sub1-p1-a1", Money(9900), "again",
                          ChargeState.SENDING, NOW), NOW,
            )  # fmt: skip
    paid = apply_to_subscription(started, ChargePaid(1, NOW)).subscription
    async with units.transaction() as uow:
        await uow.billing.finish_charge(charge.id, ChargeState.PAID, LATER, imp_uid="imp_9")
        await uow.billing.save_subscription(first, paid, LATER, last_error="noted")
    async with units.reading() as uow:
        stored = await uow.billing.subscription(first)
        done = await uow.billing.charge("sub1-p1-a1")
        assert await uow.billing.owner("sub1-p1-a1") == "charge"
        assert await uow.billing.due(LATER) == [later]
    assert stored is not None and stored.subscription == paid and stored.last_error == "noted"
    assert done is not None and (done.state, done.imp_uid, done.finished_at) == (
        ChargeState.PAID, "imp_9", LATER)  # fmt: skip


async def test_card_options_of_products_and_orders_round_trip(units: Any) -> None:
    async with units.transaction() as uow:
        exempt = await uow.products.add(sku="book", name="책", price=Money(12000), stock=2,
                                        on_sale=True, now=NOW, tax_free=True,
                                        card_quota=[2, 3])  # fmt: skip
        plain = await uow.products.add(sku="pen", name="펜", price=Money(1000), stock=2,
                                       on_sale=True, now=NOW)  # fmt: skip
    assert (exempt.tax_free, exempt.card_quota) == (True, (2, 3))
    assert (plain.tax_free, plain.card_quota) == (False, None)
    async with units.transaction() as uow:
        await uow.products.change(exempt.id, {"card_quota": None, "tax_free": False}, LATER)
        await uow.products.change(plain.id, {"card_quota": []}, LATER)
    async with units.reading() as uow:
        changed = {p.id: p for p in await uow.products.many([exempt.id, plain.id])}
    assert (changed[exempt.id].tax_free, changed[exempt.id].card_quota) == (False, None)
    assert changed[plain.id].card_quota == ()  # lump sum only, not "unset"
    order = Order.open("m_tax", Money(13000), (Line(exempt.id, 1), Line(plain.id, 1)), LATER)
    async with units.transaction() as uow:
        await uow.orders.add(order, name="책 외 1건", unit_prices={exempt.id: Money(12000),
                             plain.id: Money(1000)}, buyer={}, pay_method="card", pg="nice",
                             now=NOW, tax_free=Money(12000), vat_amount=Money(91))  # fmt: skip
    await add_order(units, "m_plain", Line(plain.id, 1))
    async with units.reading() as uow:
        stored = await uow.orders.many(["m_tax", "m_plain"])
    assert (stored["m_tax"].tax_free, stored["m_tax"].vat_amount) == (Money(12000), Money(91))
    assert (stored["m_plain"].tax_free, stored["m_plain"].vat_amount) == (None, None)
