"""Books in every state a reconciliation sweep meets, and what a sweep made of them.

Shared by the sweep's unit test over the fakes and its test on the databases: a page
applied together must end exactly as one payment at a time did.
"""

from __future__ import annotations

from typing import Any

from paydesk.core.money import Money
from paydesk.core.stock import StockCount
from paydesk.services.payment_reports import payment_columns, report_of
from paydesk.services.reconciliation import Report

from .fakes import payment
from .shop import PRICE, T0, Shop

__all__ = ["assert_mixed_outcome", "mixed_books", "outcome_of"]


async def mixed_books(shop: Shop) -> tuple[tuple[int, int], list[str]]:
    """Orders in every state a sweep meets, several paid twice; (product ids, merchant_uids)."""
    pid = await shop.product(20)
    orders = [await shop.order((pid, 1)) for _ in range(8)]
    agree, missed, twice, cancelled, failed, lost_twice, behind, tampered = orders
    for placed, imp_uid in ((agree, "imp_1"), (twice, "imp_3"), (cancelled, "imp_4")):
        await shop.held(placed, imp_uid)
        await shop.settlement.apply(shop.says(placed, imp_uid))
    await shop.held(missed, "imp_2")
    shop.says(missed, "imp_2")  # its webhook never came
    shop.says(twice, "imp_3b")  # a second payment of a paid order, in the same page
    shop.says(cancelled, "imp_4", "paid", cancelled=[("c4", 1_000)])
    await shop.held(failed, "imp_5")
    shop.says(failed, "imp_5", "failed")
    shop.says(lost_twice, "imp_6")  # two payments of one order, neither told to us
    shop.says(lost_twice, "imp_6b")
    shop.iamport.put(payment("imp_x", "someone_elses", 7_000))
    # on record already: a tampered amount flagged before, and a payment stored
    # without its order (which keeps none)
    await shop.settlement.apply(shop.says(tampered, "imp_8", amount=100))
    seen = shop.says(behind, "imp_7")
    async with shop.store.transaction() as uow:
        await uow.payments.put(payment_columns(seen, report_of(seen), T0), None, T0)
    # the last unit of a product paid for twice, by two orders never told: the page's
    # first payment sells it, the second finds it gone (a refund owed)
    last = await shop.product(1)
    rivals = [await shop.order((last, 1)) for _ in range(2)]
    for n, rival in enumerate(rivals):
        shop.says(rival, f"imp_r{n}")
    return (pid, last), [o.merchant_uid for o in orders + rivals]


async def outcome_of(
    shop: Shop, pids: tuple[int, int], uids: list[str], report: Report
) -> tuple[Any, ...]:
    """Everything the sweep could have changed, in a form two runs can be compared by."""
    async with shop.store.reading() as uow:
        orders = await uow.orders.many(uids)
        books = [(orders[u].order, [(r.imp_uid, r.amount, r.state, r.origin)
                                    for r in await uow.refunds.of_payment(
                                        orders[u].order.imp_uid or "")])
                 for u in uids]  # fmt: skip
        stored = await uow.payments.many(
            [
                "imp_1",
                "imp_2",
                "imp_3",
                "imp_3b",
                "imp_4",
                "imp_5",
                "imp_6",
                "imp_6b",
                "imp_7",
                "imp_8",
                "imp_x",
                "imp_r0",
                "imp_r1",
            ]
        )
        products = await uow.products.many(pids)
        owed = sorted((r.imp_uid, r.amount, r.state) for r in await uow.refunds.open_ones())
    items = sorted((i.imp_uid, i.drift, i.order_id, i.action, i.resolved, i.detail)
                   for i in report.items)  # fmt: skip
    return (items, books, {u: (p.status, p.order_id) for u, p in stored.items()},
            [p.stock for p in products], owed, report.reconciliation.counts,
            report.reconciliation.checked)  # fmt: skip


def assert_mixed_outcome(outcome: tuple[Any, ...]) -> None:
    """What the sweep must have made of ``mixed_books`` (beyond matching the other run)."""
    items, _, _, stock, owed, _, _ = outcome
    assert {i[0] for i in items} >= {"imp_2", "imp_3b", "imp_4", "imp_5", "imp_6", "imp_x",
                                     "imp_r0", "imp_r1"}  # fmt: skip
    assert "imp_1" not in {i[0] for i in items}  # the books agreed: nothing reported
    assert stock[1] == StockCount(0, 0, 1)  # the last unit sold once
    assert [(imp_uid, amount) for imp_uid, amount, _ in owed] == [  # imp_8 owed before
        ("imp_3b", Money(PRICE)), ("imp_6b", Money(PRICE)), ("imp_8", Money(100)),
        ("imp_r1", Money(PRICE))]  # fmt: skip
