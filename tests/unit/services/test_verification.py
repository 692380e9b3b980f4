"""Verification: a reported result is re-read at i'mport, and only the answer is applied."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from paydesk.core.orders import OrderStatus
from paydesk.core.stock import StockCount
from paydesk.iamport import IamportError
from paydesk.services.errors import Unreachable
from paydesk.services.job_kinds import REVERIFY_PAYMENT
from paydesk.services.verification import Outcome

from .fakes import not_found, not_sent, outcome_unknown, server_error
from .shop import T0, Shop

pytestmark = pytest.mark.asyncio

COMMUNICATION_ERRORS = [
    pytest.param(outcome_unknown, id="outcome-unknown"),
    pytest.param(not_sent, id="not-sent"),
    pytest.param(server_error, id="server-error"),
]


async def test_a_payment_i_mport_does_not_know_is_unknown(shop: Shop) -> None:
    pid = await shop.product(5)
    order = await shop.order((pid, 1))
    await shop.held(order, "imp_1")

    checked = await shop.verifier.result_arrived("imp_1", order.merchant_uid)

    assert checked.outcome is Outcome.UNKNOWN_PAYMENT and checked.settled is None
    assert await shop.status(order) == OrderStatus.FAILED
    assert await shop.stock(pid) == StockCount(5)


async def test_a_claim_about_an_unknown_payment_leaves_other_orders_alone(shop: Shop) -> None:
    pid = await shop.product(5)
    order = await shop.order((pid, 1))
    await shop.held(order, "imp_1")
    shop.says(order, "imp_1", "ready")

    checked = await shop.verifier.result_arrived("imp_forged", order.merchant_uid)

    assert checked.outcome is Outcome.UNKNOWN_PAYMENT
    assert await shop.status(order) == OrderStatus.HELD
    assert await shop.stock(pid) == StockCount(4, 1, 0)


@pytest.mark.parametrize("trouble", COMMUNICATION_ERRORS)
async def test_a_communication_error_leaves_the_order_unverified_and_asks_again_later(
    shop: Shop, trouble: Callable[[], IamportError]
) -> None:
    pid = await shop.product(5)
    order = await shop.order((pid, 1))
    await shop.held(order, "imp_1")
    shop.says(order, "imp_1")
    shop.iamport.fail_next(trouble())

    checked = await shop.verifier.result_arrived("imp_1", order.merchant_uid)

    assert checked.outcome is Outcome.UNVERIFIED
    assert await shop.status(order) == OrderStatus.UNVERIFIED
    assert await shop.stock(pid) == StockCount(4, 1, 0)  # never released on a lost answer
    (job,) = shop.store.jobs(REVERIFY_PAYMENT)
    assert job.payload == {"imp_uid": "imp_1", "merchant_uid": order.merchant_uid}
    assert job.run_at == T0 + timedelta(seconds=2)

    rechecked = await shop.verifier.recheck("imp_1", order.merchant_uid)

    assert rechecked.outcome is Outcome.SETTLED
    assert await shop.status(order) == OrderStatus.PAID
    assert await shop.stock(pid) == StockCount(4, 0, 1)


async def test_a_result_for_an_order_we_do_not_know_still_gets_its_reverify_job(
    shop: Shop,
) -> None:
    shop.iamport.fail_next(outcome_unknown())

    checked = await shop.verifier.result_arrived("imp_1", "ord_unknown")

    assert checked.outcome is Outcome.UNVERIFIED
    assert [j.payload for j in shop.store.jobs(REVERIFY_PAYMENT)] == [
        {"imp_uid": "imp_1", "merchant_uid": "ord_unknown"}
    ]


async def test_repeated_unverified_results_in_one_minute_queue_one_reverify(shop: Shop) -> None:
    pid = await shop.product(5)
    order = await shop.order((pid, 1))
    await shop.held(order, "imp_1")
    shop.iamport.fail_next(not_sent(), not_sent(), not_sent())

    for _ in range(2):
        await shop.verifier.result_arrived("imp_1", order.merchant_uid)
    shop.clock.advance(60)
    await shop.verifier.result_arrived("imp_1", order.merchant_uid)

    assert len(shop.store.jobs(REVERIFY_PAYMENT)) == 2


@pytest.mark.parametrize("trouble", COMMUNICATION_ERRORS)
async def test_a_background_recheck_that_cannot_ask_raises_and_changes_nothing(
    shop: Shop, trouble: Callable[[], IamportError]
) -> None:
    pid = await shop.product(5)
    order = await shop.order((pid, 1))
    await shop.held(order, "imp_1")
    commits = shop.store.commits
    shop.iamport.fail_next(trouble())

    with pytest.raises(Unreachable):
        await shop.verifier.recheck("imp_1", order.merchant_uid)

    assert shop.store.commits == commits
    assert await shop.status(order) == OrderStatus.HELD


async def test_a_recheck_of_an_unknown_payment_ends_the_wait(shop: Shop) -> None:
    pid = await shop.product(5)
    order = await shop.order((pid, 1))
    await shop.held(order, "imp_1")
    shop.iamport.fail_next(not_found("imp_1"))

    checked = await shop.verifier.recheck("imp_1", order.merchant_uid)

    assert checked.outcome is Outcome.UNKNOWN_PAYMENT
    assert await shop.status(order) == OrderStatus.FAILED


async def test_the_payment_s_own_order_is_settled_not_the_one_claimed(shop: Shop) -> None:
    pid = await shop.product(5)
    claimed, real = await shop.order((pid, 1)), await shop.order((pid, 2))
    await shop.held(claimed, "imp_a")
    await shop.held(real, "imp_b")
    shop.says(real, "imp_b")

    checked = await shop.verifier.result_arrived("imp_b", claimed.merchant_uid)

    assert checked.settled is not None
    assert checked.settled.order.order.merchant_uid == real.merchant_uid
    assert await shop.status(real) == OrderStatus.PAID
    assert await shop.status(claimed) == OrderStatus.HELD
    assert await shop.stock(pid) == StockCount(2, 1, 2)


async def test_a_payment_naming_another_order_cannot_pay_this_one(shop: Shop) -> None:
    """A forged webhook re-using a paid imp_uid of a cheap order for an expensive one."""
    pid = await shop.product(5)
    cheap, dear = await shop.order((pid, 1)), await shop.order((pid, 3))
    await shop.held(cheap, "imp_cheap")
    shop.says(cheap, "imp_cheap")

    await shop.verifier.result_arrived("imp_cheap", dear.merchant_uid)

    assert await shop.status(dear) == OrderStatus.PENDING
    assert await shop.status(cheap) == OrderStatus.PAID
    assert await shop.stock(pid) == StockCount(4, 0, 1)
