"""Confirms refused for lack of time never hold stock; sold-out refusals take no row lock.

A confirm answered "temporarily unavailable" (429: its deadline passed) makes
i'mport fail the payment, so its batch must not hold stock for it afterwards,
whenever the deadline strikes: while the batch waits for the database, or
while it decides. The other side of the race — the batch already committing —
gets its real answer (see ``services.confirm``).

Sold-out refusals are read off an unlocked snapshot taken after the call came
in. Another process may restock or release at any time before: the next
confirm still sees it. Both run on SQLite and PostgreSQL, over a real database.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from paydesk.core.clock import SystemClock
from paydesk.core.confirm import ConfirmCall, Decision, Refusal
from paydesk.core.money import Money
from paydesk.core.orders import Order, OrderStatus
from paydesk.core.stock import Line
from paydesk.services.confirm import ConfirmDesk, ConfirmPolicy
from paydesk.services.errors import ConfirmUnavailable
from paydesk.store import Database, NewDecision

pytestmark = pytest.mark.asyncio

PRICE = Money(10_000)


async def seed(database: Database, stock: int, orders: int) -> tuple[int, list[str]]:
    now = datetime.now(UTC)
    async with database.transaction() as uow:
        product = await uow.products.add(sku="hot", name="한정판", price=PRICE, stock=stock,
                                          on_sale=True, now=now)  # fmt: skip
        uids = [f"ord_deadline_{i:03d}" for i in range(orders)]
        for uid in uids:
            order = Order.open(uid, PRICE, [Line(product.id, 1)], now + timedelta(hours=1))
            await uow.orders.add(order, name="한정판", unit_prices={product.id: PRICE}, buyer={},
                                 pay_method="card", pg="html5_inicis", now=now)  # fmt: skip
    return product.id, uids


def call(imp_uid: str, merchant_uid: str) -> ConfirmCall:
    return ConfirmCall(imp_uid, merchant_uid, Decimal(PRICE.amount))


def desk(database: Database, *, deadline: float = 6.0) -> ConfirmDesk:
    policy = ConfirmPolicy(window_seconds=0.001, deadline_seconds=deadline)
    return ConfirmDesk(database, SystemClock(), policy)


async def counts(database: Database, product_id: int) -> tuple[int, int, int]:
    async with database.reading() as uow:
        (product,) = await uow.products.many([product_id])
    return product.stock.available, product.stock.held, product.stock.sold


@pytest.mark.parametrize("blocked_for", [0.6, 1.5])
async def test_a_confirm_past_its_deadline_leaves_no_hold(
    database_url: str, database: Database, blocked_for: float
) -> None:
    product_id, (uid,) = await seed(database, stock=3, orders=1)
    confirms = desk(database, deadline=0.3)
    release = asyncio.Event()
    locked = asyncio.Event()

    async def blocker() -> None:
        # another writer holds the product (PostgreSQL: its row lock; SQLite: the write lock)
        async with database.transaction() as uow:
            await uow.products.many([product_id], lock=True)
            locked.set()
            await release.wait()

    blocking = asyncio.create_task(blocker())
    await locked.wait()
    attempt = asyncio.create_task(confirms.confirm(call("imp_late", uid), {}))
    await asyncio.sleep(blocked_for)  # the deadline passes while the batch waits
    release.set()
    await blocking
    with pytest.raises(ConfirmUnavailable):
        await attempt
    await confirms.drain()  # the batch has run to its end

    assert await counts(database, product_id) == (3, 0, 0)
    async with database.reading() as uow:
        record = (await uow.orders.many([uid]))[uid]
        stored = await uow.decisions.many(["imp_late"])
    assert record.order.status == OrderStatus.PENDING and not record.order.holding
    assert stored == {}  # nothing decided for the refused call: i'mport failed it
    # the buyer tries again (a new payment): it gets the stock the late one did not keep
    assert (await desk(database).confirm(call("imp_again", uid), {})).approved
    assert await counts(database, product_id) == (2, 1, 0)


async def test_others_in_the_batch_of_an_abandoned_confirm_are_still_decided(
    database_url: str, database: Database
) -> None:
    product_id, uids = await seed(database, stock=2, orders=4)
    # a long window gathers calls made 0.9 s apart into one batch; the first one's
    # deadline passes while the batch waits for the lock, the others' does not
    policy = ConfirmPolicy(window_seconds=1.0, deadline_seconds=2.5)
    confirms = ConfirmDesk(database, SystemClock(), policy)
    release, locked = asyncio.Event(), asyncio.Event()

    async def blocker() -> None:
        async with database.transaction() as uow:
            await uow.products.many([product_id], lock=True)
            locked.set()
            await release.wait()

    blocking = asyncio.create_task(blocker())
    await locked.wait()
    # a confirm in flight alongside is company: the first one's batches wait their windows
    beside = asyncio.create_task(confirms.confirm(call("imp_beside", "ord_nobody_placed"), {}))
    first = asyncio.create_task(confirms.confirm(call("imp_first", uids[0]), {}))
    await asyncio.sleep(0.9)
    others = [asyncio.create_task(confirms.confirm(call(f"imp_{i}", u), {}))
              for i, u in enumerate(uids[1:])]  # fmt: skip
    await asyncio.sleep(1.8)  # the first one is answered "unavailable" now
    release.set()
    await blocking
    with pytest.raises(ConfirmUnavailable):
        await first
    decisions = await asyncio.gather(*others)
    # (on SQLite its refusal waits for the same write lock, and may run out of time too)
    (answer,) = await asyncio.gather(beside, return_exceptions=True)
    assert isinstance(answer, ConfirmUnavailable) or (
        isinstance(answer, Decision) and answer.refusal == Refusal.ORDER_NOT_FOUND
    )
    assert confirms.batches == 2  # the refusal beside, and theirs with the first one's
    assert sum(d.approved for d in decisions) == 2
    assert {d.refusal for d in decisions if not d.approved} == {Refusal.SOLD_OUT}
    assert await counts(database, product_id) == (0, 2, 0)
    async with database.reading() as uow:
        assert "imp_first" not in await uow.decisions.many(["imp_first"])


async def test_sold_out_seen_by_one_process_gives_way_to_a_release_by_another(
    database_url: str, database: Database
) -> None:
    product_id, uids = await seed(database, stock=1, orders=3)
    here = desk(database)
    elsewhere = Database(database_url)  # another process's own connections
    try:
        assert (await here.confirm(call("imp_1", uids[0]), {})).approved
        refused = await here.confirm(call("imp_2", uids[1]), {})
        assert refused.refusal == Refusal.SOLD_OUT

        # the other process releases the hold (the payment failed) and restocks one
        async with elsewhere.transaction() as uow:
            now = datetime.now(UTC)
            await uow.products.release(product_id, 1, now)
            await uow.products.change(product_id, {"stock_available": 2}, now)

        again = await here.confirm(call("imp_3", uids[2]), {})
        assert again.approved
        # the refusal stands for its own imp_uid: the same answer on a replay
        assert (await here.confirm(call("imp_2", uids[1]), {})).refusal == Refusal.SOLD_OUT
        assert await counts(database, product_id) == (1, 1, 0)
    finally:
        await elsewhere.dispose()


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # SQLite has no row locks
async def test_sold_out_refusals_wait_for_no_row_lock(
    database_url: str, database: Database
) -> None:
    product_id, uids = await seed(database, stock=0, orders=2)
    confirms = desk(database, deadline=5.0)
    release, locked = asyncio.Event(), asyncio.Event()

    async def blocker() -> None:
        async with database.transaction() as uow:
            await uow.products.many([product_id], lock=True)
            locked.set()
            await release.wait()

    blocking = asyncio.create_task(blocker())
    await locked.wait()
    try:
        decision = await asyncio.wait_for(confirms.confirm(call("imp_so", uids[0]), {}), 4)
    finally:
        release.set()
        await blocking
    assert decision.refusal == Refusal.SOLD_OUT


async def test_a_call_refused_elsewhere_while_its_batch_waited_holds_nothing(
    database_url: str, database: Database
) -> None:
    # The batch does not read its imp_uids' decisions again (the lookup found none). Here
    # another process refuses the call after that lookup, and stock is there when the
    # batch decides: the batch approves it, its decision's insert is ignored, and it must
    # roll back and run again knowing the refusal, not commit a hold for a refused call.
    product_id, (uid, other) = await seed(database, stock=2, orders=2)
    confirms = desk(database)
    release, locked = asyncio.Event(), asyncio.Event()

    async def elsewhere() -> None:
        async with database.transaction() as uow:
            await uow.products.many([product_id], lock=True)
            locked.set()
            await release.wait()  # the call's lookup has run: it saw no decision
            refused = Decision("imp_x", Refusal.SOLD_OUT)
            await uow.decisions.add_new([NewDecision(refused, uid, None, {})], datetime.now(UTC))

    blocking = asyncio.create_task(elsewhere())
    await locked.wait()
    attempt = asyncio.create_task(confirms.confirm(call("imp_x", uid), {}))
    beside = asyncio.create_task(confirms.confirm(call("imp_y", other), {}))  # same batch
    await asyncio.sleep(0.3)  # both lookups done, their batch waits for the lock
    release.set()
    await blocking

    assert (await attempt).refusal == Refusal.SOLD_OUT  # the stored answer
    assert (await beside).approved
    assert await counts(database, product_id) == (1, 1, 0)  # only imp_y holds
    async with database.reading() as uow:
        records = await uow.orders.many([uid, other])
    assert records[uid].order.status == OrderStatus.PENDING and not records[uid].order.holding
    assert records[other].order.status == OrderStatus.HELD


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # a commit made slow
async def test_a_confirm_whose_batch_commits_at_its_deadline_gets_its_real_answer(
    database_url: str, database: Database
) -> None:
    product_id, (uid,) = await seed(database, stock=1, orders=1)
    # a trigger deferred to COMMIT keeps the batch's commit busy past the deadline
    async with database.transaction() as uow:
        await uow.connection.execute(text(
            "CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN PERFORM pg_sleep(0.8); RETURN NULL; END $$"
        ))  # fmt: skip
        await uow.connection.execute(text(
            "CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON confirm_decisions "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit()"
        ))  # fmt: skip
    try:
        decision = await desk(database, deadline=0.4).confirm(call("imp_slow", uid), {})
    finally:
        async with database.transaction() as uow:
            await uow.connection.execute(text("DROP TRIGGER slow_commit ON confirm_decisions"))
            await uow.connection.execute(text("DROP FUNCTION slow_commit()"))

    # past its deadline, but its batch was committing: the stored answer, not "unavailable"
    assert decision.approved
    assert await counts(database, product_id) == (0, 1, 0)
