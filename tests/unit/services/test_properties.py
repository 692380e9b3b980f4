"""Properties over many generated histories (hypothesis): order of arrival and stock conservation."""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paydesk.core.orders import OrderStatus
from paydesk.iamport import Payment

from .shop import Shop

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: A payment's life at i'mport, oldest first: window open, paid, then partial cancels.
CANCELS = [("c1", 3_000), ("c2", 7_000), ("c3", 5_000)]


def history(shop: Shop, order: Any, cancels: int) -> list[Payment]:
    snapshots = [shop.says(order, "imp_1", "ready"), shop.says(order, "imp_1")]
    for n in range(1, cancels + 1):
        snapshots.append(shop.says(order, "imp_1", "cancelled", cancelled=CANCELS[:n]))
    return snapshots


async def settle_in(order_of_arrival: list[int], cancels: int, held: bool) -> tuple[Any, ...]:
    shop = Shop()
    pid = await shop.product(5)
    order = await shop.order((pid, 3))
    if held:
        await shop.held(order, "imp_1")
    snapshots = history(shop, order, cancels)
    for index in order_of_arrival:
        await shop.settlement.apply(snapshots[index])
    refunds = sorted((r.cancellation_id, r.amount) for r in await shop.refunds("imp_1"))
    return (await shop.record(order)).order, refunds, await shop.stock(pid)


@st.composite
def arrivals(draw: st.DrawFn) -> tuple[list[int], int, bool]:
    cancels = draw(st.integers(0, len(CANCELS)))
    indexes = list(range(cancels + 2))
    # every snapshot arrives at least once, some twice, in any order
    repeated = draw(st.lists(st.sampled_from(indexes), max_size=4))
    return draw(st.permutations(indexes + repeated)), cancels, draw(st.booleans())


@SETTINGS
@given(arrivals())
def test_snapshots_of_a_payment_in_any_order_end_in_the_same_books(
    case: tuple[list[int], int, bool],
) -> None:
    """Webhooks, completions and jobs report snapshots in any order, some twice (no full cancel)."""
    order_of_arrival, cancels, held = case
    chronological = list(range(cancels + 2))

    shuffled = asyncio.run(settle_in(order_of_arrival, cancels, held))
    expected = asyncio.run(settle_in(chronological, cancels, held))

    assert shuffled == expected
    order, refunds, stock = shuffled
    refunded = sum(amount for _, amount in CANCELS[:cancels])
    assert order.refunded.amount == refunded and len(refunds) == cancels
    assert order.status == (OrderStatus.PARTIALLY_REFUNDED if cancels else OrderStatus.PAID)
    assert (stock.sold, stock.held) == (3, 0)


# -- stock conservation -----------------------------------------------------------------
STEPS = st.lists(
    st.tuples(
        st.sampled_from(
            ["confirm", "paid", "failed", "ready", "mismatch", "unknown", "unverified"]
        ),
        st.integers(0, 3),  # which order
        st.integers(0, 2),  # which attempt of it
    ),
    max_size=25,
)


async def run_steps(steps: list[tuple[str, int, int]], group_commit: bool) -> None:
    shop = Shop(group_commit=group_commit)
    initial = [2, 3]
    pids = [await shop.product(n) for n in initial]
    orders = [
        await shop.order((pids[0], 1)),
        await shop.order((pids[0], 1), (pids[1], 2)),
        await shop.order((pids[1], 1)),
        await shop.order((pids[0], 2), (pids[1], 1)),
    ]

    async def step(kind: str, which: int, attempt: int) -> None:
        order, imp_uid = orders[which], f"imp_{which}_{attempt}"
        if kind == "confirm":
            await shop.confirm(order, imp_uid)
        elif kind == "unknown":
            await shop.settlement.unknown(imp_uid, order.merchant_uid)
        elif kind == "unverified":
            await shop.settlement.unverified(imp_uid, order.merchant_uid)
        else:
            status = "paid" if kind == "mismatch" else kind
            amount = order.amount.amount + (1 if kind == "mismatch" else 0)
            await shop.settlement.apply(shop.says(order, imp_uid, status, amount=amount))

    # steps run two at a time, so confirms and reports also interleave
    for first in range(0, len(steps), 2):
        await asyncio.gather(*(step(*s) for s in steps[first : first + 2]))
        await shop.conserved(pids, initial)
    for order in orders:
        record = await shop.record(order)
        assert record.order.holding == bool(shop.holds(order.id))
        assert (record.order.status == OrderStatus.HELD) <= record.order.holding


@SETTINGS
@given(STEPS, st.booleans())
def test_stock_is_conserved_through_any_confirms_and_reports(
    steps: list[tuple[str, int, int]], group_commit: bool
) -> None:
    """available + held + sold never changes, and held is exactly what live holds account for."""
    asyncio.run(run_steps(steps, group_commit))
