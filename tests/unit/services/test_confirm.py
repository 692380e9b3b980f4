"""The confirm desk: approve or refuse i'mport's "may this payment go ahead?", and hold stock."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest

from paydesk.core.confirm import ConfirmCall, Decision, Refusal
from paydesk.core.orders import OrderStatus
from paydesk.core.stock import StockCount
from paydesk.services.catalog import ProductChanges
from paydesk.services.confirm import HOLD_CHECK_JOB
from paydesk.services.errors import ConfirmUnavailable
from paydesk.store import StoreUnavailable

from .shop import PRICE, T0, TTL, Shop

pytestmark = pytest.mark.asyncio

GROUP_COMMIT = [pytest.param(True, id="group-commit"), pytest.param(False, id="one-by-one")]


@pytest.fixture(params=GROUP_COMMIT)
def shop(request: pytest.FixtureRequest) -> Shop:
    return Shop(group_commit=request.param)


async def decisions_of(shop: Shop) -> dict[str, Refusal | None]:
    async with shop.store.reading() as uow:
        stored = await uow.decisions.many([f"imp_{n}" for n in range(500)])
    return {uid: record.refusal for uid, record in stored.items()}


@pytest.mark.parametrize(("stock", "buyers"), [(1, 8), (5, 40), (30, 30), (7, 3)])
async def test_exactly_the_stock_is_approved_however_many_confirm_at_once(
    shop: Shop, stock: int, buyers: int
) -> None:
    pid = await shop.product(stock)
    orders = [await shop.order((pid, 1)) for _ in range(buyers)]

    decisions = await asyncio.gather(
        *(shop.confirm(order, f"imp_{n}") for n, order in enumerate(orders))
    )

    approved = [d for d in decisions if d.approved]
    assert len(approved) == min(stock, buyers)
    assert {d.refusal for d in decisions if not d.approved} <= {Refusal.SOLD_OUT}
    assert await shop.stock(pid) == StockCount(stock - len(approved), len(approved), 0)
    held = [o for o in orders if await shop.status(o) == OrderStatus.HELD]
    assert len(held) == len(approved)
    assert sorted(h.order_id for h in shop.store.stock_holds()) == sorted(o.id for o in held)
    assert len(shop.store.jobs(HOLD_CHECK_JOB)) == len(approved)
    stored = await decisions_of(shop)
    assert stored == {d.imp_uid: d.refusal for d in decisions}


async def test_a_multi_line_order_gets_every_line_or_nothing(shop: Shop) -> None:
    scarce, plenty = await shop.product(1), await shop.product(10)
    first = await shop.order((scarce, 1), (plenty, 2))
    second = await shop.order((plenty, 3), (scarce, 1))
    only_plenty = await shop.order((plenty, 4))

    decisions = await asyncio.gather(
        shop.confirm(first, "imp_1"),
        shop.confirm(second, "imp_2"),
        shop.confirm(only_plenty, "imp_3"),
    )

    assert decisions[2].approved
    (winner,) = [n for n in (0, 1) if decisions[n].approved]
    loser = 1 - winner
    assert decisions[loser].refusal == Refusal.SOLD_OUT
    winner_plenty = (2, 3)[winner]
    assert await shop.stock(scarce) == StockCount(0, 1, 0)
    assert await shop.stock(plenty) == StockCount(10 - 4 - winner_plenty, 4 + winner_plenty, 0)
    assert await shop.status((first, second)[loser]) == OrderStatus.PENDING
    assert shop.holds((first, second)[loser].id) == []


async def test_a_short_second_line_holds_nothing_of_the_first(shop: Shop) -> None:
    plenty, scarce = await shop.product(10), await shop.product(1)
    order = await shop.order((plenty, 2), (scarce, 2))

    decision = await shop.confirm(order, "imp_1")

    assert decision.refusal == Refusal.SOLD_OUT
    assert await shop.stock(plenty) == StockCount(10) and await shop.stock(scarce) == StockCount(1)
    assert shop.store.jobs() == []


async def test_a_replay_gets_the_stored_decision_and_holds_nothing_more(shop: Shop) -> None:
    pid = await shop.product(3)
    order = await shop.order((pid, 1))
    first = await shop.confirm(order, "imp_1")

    again = await asyncio.gather(*(shop.confirm(order, "imp_1") for _ in range(5)))

    assert first.approved and all(d == Decision("imp_1") for d in again)
    assert await shop.stock(pid) == StockCount(2, 1, 0)
    assert len(shop.store.stock_holds()) == 1 and len(shop.store.jobs(HOLD_CHECK_JOB)) == 1


async def test_a_refusal_is_replayed_even_after_stock_comes_back(shop: Shop) -> None:
    pid = await shop.product(0)
    order = await shop.order((pid, 1))
    assert (await shop.confirm(order, "imp_1")).refusal == Refusal.SOLD_OUT
    await shop.catalog.change(pid, ProductChanges(available=5))

    replay = await shop.confirm(order, "imp_1")

    assert replay.refusal == Refusal.SOLD_OUT
    assert await shop.stock(pid) == StockCount(5)
    assert (await shop.confirm(order, "imp_2")).approved  # a new attempt is a new decision


async def test_concurrent_duplicates_of_one_call_hold_once(shop: Shop) -> None:
    pid = await shop.product(3)
    order = await shop.order((pid, 1))

    decisions = await asyncio.gather(*(shop.confirm(order, "imp_1") for _ in range(6)))

    assert len({(d.imp_uid, d.refusal) for d in decisions}) == 1
    assert await shop.stock(pid) == StockCount(
        2 if decisions[0].approved else 3, int(decisions[0].approved), 0
    )
    assert len(shop.store.jobs(HOLD_CHECK_JOB)) == int(decisions[0].approved)


async def test_a_wrong_amount_is_refused_without_touching_stock(shop: Shop) -> None:
    pid = await shop.product(3)
    order = await shop.order((pid, 1))

    decision = await shop.confirm(order, "imp_1", amount=PRICE - 1)

    assert decision.refusal == Refusal.AMOUNT_MISMATCH
    assert await shop.stock(pid) == StockCount(3) and shop.store.jobs() == []
    assert await decisions_of(shop) == {"imp_1": Refusal.AMOUNT_MISMATCH}


async def test_an_expired_order_is_refused(shop: Shop) -> None:
    pid = await shop.product(3)
    order = await shop.order((pid, 1))
    shop.clock.advance(TTL.total_seconds())

    assert (await shop.confirm(order, "imp_1")).refusal == Refusal.ORDER_EXPIRED
    assert await shop.stock(pid) == StockCount(3)


async def test_an_unknown_order_is_refused_and_the_refusal_stored(shop: Shop) -> None:
    call = ConfirmCall("imp_1", "ord_missing", Decimal(1000))

    decision = await shop.desk.confirm(call, {"imp_uid": "imp_1"})

    assert decision.refusal == Refusal.ORDER_NOT_FOUND
    async with shop.store.reading() as uow:
        stored = await uow.decisions.get("imp_1")
    assert stored is not None and (stored.merchant_uid, stored.order_id) == ("ord_missing", None)


@pytest.mark.parametrize("group_commit", [True, False])
async def test_closed_sales_refuse_everything(group_commit: bool) -> None:
    shop = Shop(sales_open=False, group_commit=group_commit)
    pid = await shop.product(3)
    order = await shop.order((pid, 1))

    assert (await shop.confirm(order, "imp_1")).refusal == Refusal.SALES_CLOSED
    assert await shop.stock(pid) == StockCount(3)


async def test_a_product_off_sale_is_refused(shop: Shop) -> None:
    pid = await shop.product(3, on_sale=False)
    order = await shop.order((pid, 1))

    assert (await shop.confirm(order, "imp_1")).refusal == Refusal.NOT_ON_SALE
    assert await shop.stock(pid) == StockCount(3)


async def test_a_second_attempt_while_one_is_held_is_in_progress(shop: Shop) -> None:
    pid = await shop.product(3)
    order = await shop.order((pid, 1))
    await shop.held(order, "imp_1")

    assert (await shop.confirm(order, "imp_2")).refusal == Refusal.PAYMENT_IN_PROGRESS
    await shop.settlement.apply(shop.says(order, "imp_1"))
    assert (await shop.confirm(order, "imp_3")).refusal == Refusal.NOT_PAYABLE
    assert await shop.stock(pid) == StockCount(2, 0, 1)


async def test_each_approval_enqueues_its_hold_check(shop: Shop) -> None:
    pid = await shop.product(3)
    orders = [await shop.order((pid, 1)) for _ in range(2)]

    await asyncio.gather(shop.held(orders[0], "imp_a"), shop.held(orders[1], "imp_b"))

    jobs = shop.store.jobs(HOLD_CHECK_JOB)
    assert sorted((j.payload["imp_uid"], j.payload["merchant_uid"]) for j in jobs) == [
        ("imp_a", orders[0].merchant_uid), ("imp_b", orders[1].merchant_uid)]  # fmt: skip
    assert {j.run_at for j in jobs} == {T0 + timedelta(minutes=2)}
    assert {j.dedupe_key for j in jobs} == {f"{HOLD_CHECK_JOB}:imp_a", f"{HOLD_CHECK_JOB}:imp_b"}


async def test_a_store_failure_is_confirm_unavailable_and_holds_nothing(shop: Shop) -> None:
    pid = await shop.product(3)
    order = await shop.order((pid, 1))
    shop.store.fail_next_commit(StoreUnavailable("disk full"))

    with pytest.raises(ConfirmUnavailable):
        await shop.confirm(order, "imp_1")

    assert await shop.stock(pid) == StockCount(3) and await decisions_of(shop) == {}
    assert (await shop.confirm(order, "imp_1")).approved  # i'mport's retry is decided afresh


async def test_group_commit_batches_a_rush_into_few_transactions() -> None:
    shop = Shop(group_commit=True)
    pid = await shop.product(50)
    orders = [await shop.order((pid, 1)) for _ in range(50)]
    before = shop.store.commits

    await asyncio.gather(*(shop.confirm(o, f"imp_{n}") for n, o in enumerate(orders)))

    assert shop.desk.batches < 10 and shop.store.commits - before < 10
    assert await shop.stock(pid) == StockCount(0, 50, 0)
