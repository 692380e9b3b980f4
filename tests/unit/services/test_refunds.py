"""Refunds over the in-memory store and a fake i'mport: never twice, whatever the answers.

Each test drives ``services.refunds.Refunds`` through one class of the
taxonomy (succeeded, rejected, not sent, unknown, needs input) or one
interleaving (concurrent asks, overlapping runs, a console cancel meanwhile)
and ends by comparing our books with i'mport's.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest

from paydesk.core.money import Money
from paydesk.core.orders import OrderStatus
from paydesk.iamport import (
    AlreadyCancelled,
    ApiError,
    ChecksumMismatch,
    OutcomeUnknown,
)
from paydesk.services.errors import RefundPending, RefundRefused
from paydesk.services.hold_sweep import HoldSweep
from paydesk.services.job_kinds import RUN_REFUND
from paydesk.services.ordering import PlacedOrder
from paydesk.services.refunds import RefundAsk
from paydesk.store.ledger_records import RefundAccount

from .fakes import not_sent
from .shop import PRICE, Shop

pytestmark = pytest.mark.asyncio
ACCOUNT = RefundAccount("홍길동", "004", "12345678901", "01012345678")


async def paid_order(shop: Shop, *, price: int = PRICE, **fields: object) -> PlacedOrder:
    pid = await shop.product(5, price=price)
    order = await shop.order((pid, 1))
    await shop.held(order, "imp_1")
    await shop.settlement.apply(shop.says(order, "imp_1", **fields))
    assert await shop.status(order) == OrderStatus.PAID
    return order


async def order_id(shop: Shop, order: PlacedOrder) -> int:
    return (await shop.record(order)).id


async def run_until_settled(shop: Shop, refund_id: int, rounds: int = 5) -> str:
    """What the job does: run again after every "try later"."""
    for _ in range(rounds):
        try:
            return await shop.refunding.run(refund_id)
        except RefundPending:
            continue
    raise AssertionError("the refund did not settle")


async def books_agree(shop: Shop, order: PlacedOrder) -> int:
    """Our refunded total equals i'mport's cancel amount; returns it."""
    record = await shop.record(order)
    at_iamport = shop.iamport.payments["imp_1"]
    assert record.order.refunded == Money(int(at_iamport.cancel_amount))
    assert int(at_iamport.cancel_amount) <= int(at_iamport.amount)
    return record.order.refunded.amount


async def test_a_full_refund_is_sent_once_with_the_balance_as_checksum(shop: Shop) -> None:
    order = await paid_order(shop)
    view = await shop.refunding.ask(await order_id(shop, order), RefundAsk("buyer asked"))
    assert (view.refund.state, view.refund.amount, view.refund.origin) == (
        "requested", Money(PRICE), "merchant")  # fmt: skip
    assert [j.payload for j in shop.store.jobs(RUN_REFUND)] == [{"refund_id": view.refund.id}]

    assert await shop.refunding.run(view.refund.id) == "succeeded"
    assert await shop.refunding.run(view.refund.id) == "succeeded"  # a second run sends nothing

    assert [(c["amount"], c["checksum"]) for c in shop.iamport.sent] == [(PRICE, PRICE)]
    assert await shop.status(order) == OrderStatus.REFUNDED
    assert await books_agree(shop, order) == PRICE
    done = await shop.refunding.view(view.refund.id)
    assert [(a.number, a.classification) for a in done.attempts] == [(1, "succeeded")]


async def test_a_refund_over_the_local_balance_is_refused_and_nothing_recorded(
    shop: Shop,
) -> None:
    order = await paid_order(shop)
    oid = await order_id(shop, order)
    await shop.refunding.ask(oid, RefundAsk("part", amount=Money(PRICE - 1_000)))
    with pytest.raises(RefundRefused) as refused:
        await shop.refunding.ask(oid, RefundAsk("too much", amount=Money(2_000)))
    assert (refused.value.rule, refused.value.status) == ("balance", 422)
    assert len(await shop.refunds("imp_1")) == 1
    assert shop.iamport.sent == []


async def test_concurrent_asks_never_reserve_more_than_was_paid(shop: Shop) -> None:
    order = await paid_order(shop, price=10_000)
    oid = await order_id(shop, order)
    asks = [shop.refunding.ask(oid, RefundAsk(f"r{i}", amount=Money(3_000))) for i in range(10)]
    results = await asyncio.gather(*asks, return_exceptions=True)
    accepted = [r for r in results if not isinstance(r, BaseException)]
    assert len(accepted) == 3
    assert all(isinstance(r, RefundRefused) for r in results if r not in accepted)

    runs = [run_until_settled(shop, view.refund.id) for view in accepted]  # type: ignore[union-attr]
    assert await asyncio.gather(*runs) == ["succeeded"] * 3
    assert await books_agree(shop, order) == 9_000


async def test_a_lost_answer_is_reconciled_and_never_sent_twice(shop: Shop) -> None:
    order = await paid_order(shop)
    view = await shop.refunding.ask(await order_id(shop, order), RefundAsk("r", amount=Money(500)))
    shop.iamport.lose_next_answer()  # refunded at i'mport, the answer never arrives

    with pytest.raises(RefundPending):
        await shop.refunding.run(view.refund.id)
    assert (await shop.refunding.view(view.refund.id)).refund.state == "unknown"

    assert await shop.refunding.run(view.refund.id) == "succeeded"
    assert len(shop.iamport.sent) == 1
    assert await books_agree(shop, order) == 500
    attempts = (await shop.refunding.view(view.refund.id)).attempts
    assert [a.classification for a in attempts] == ["unknown"]


async def test_no_answer_to_a_cancel_that_never_arrived_is_sent_again(shop: Shop) -> None:
    order = await paid_order(shop)
    view = await shop.refunding.ask(await order_id(shop, order), RefundAsk("r", amount=Money(500)))
    shop.iamport.fail_next(OutcomeUnknown("read timed out", write=True))  # not made at i'mport

    with pytest.raises(RefundPending):
        await shop.refunding.run(view.refund.id)
    assert await shop.refunding.run(view.refund.id) == "succeeded"  # re-read, absent, re-sent
    assert [c["amount"] for c in shop.iamport.sent] == [500]
    attempts = (await shop.refunding.view(view.refund.id)).attempts
    assert [a.classification for a in attempts] == ["unknown", "succeeded"]
    assert await books_agree(shop, order) == 500


async def test_a_request_that_was_not_sent_is_retried(shop: Shop) -> None:
    order = await paid_order(shop)
    view = await shop.refunding.ask(await order_id(shop, order), RefundAsk("r"))
    shop.iamport.fail_next(not_sent())
    with pytest.raises(RefundPending):
        await shop.refunding.run(view.refund.id)
    assert (await shop.refunding.view(view.refund.id)).refund.state == "requested"
    assert await shop.refunding.run(view.refund.id) == "succeeded"
    assert await books_agree(shop, order) == PRICE


async def test_overlapping_runs_of_one_refund_end_succeeded_with_one_cancel(shop: Shop) -> None:
    order = await paid_order(shop)
    view = await shop.refunding.ask(await order_id(shop, order), RefundAsk("r", amount=Money(700)))
    results = await asyncio.gather(
        *(shop.refunding.run(view.refund.id) for _ in range(4)), return_exceptions=True
    )
    assert "succeeded" in results
    assert await run_until_settled(shop, view.refund.id) == "succeeded"
    assert [c["amount"] for c in shop.iamport.sent] == [700]
    assert await books_agree(shop, order) == 700


async def test_a_console_cancel_meanwhile_is_caught_by_the_checksum(shop: Shop) -> None:
    order = await paid_order(shop)
    view = await shop.refunding.ask(await order_id(shop, order), RefundAsk("r", amount=Money(500)))
    # someone cancels 1,000 in i'mport's console; we have not heard of it yet
    shop.says(order, "imp_1", "cancelled", cancelled=[("console", 1_000)])

    assert await run_until_settled(shop, view.refund.id) == "succeeded"
    assert [c["checksum"] for c in shop.iamport.sent] == [PRICE - 1_000]  # the fresh balance
    assert await books_agree(shop, order) == 1_500
    attempts = (await shop.refunding.view(view.refund.id)).attempts
    assert [(a.classification, a.checksum.amount) for a in attempts] == [
        ("rejected-retryable", PRICE), ("succeeded", PRICE - 1_000)]  # fmt: skip


async def test_a_stale_checksum_is_refused_then_re_read_and_sent_again(shop: Shop) -> None:
    order = await paid_order(shop)
    view = await shop.refunding.ask(await order_id(shop, order), RefundAsk("r", amount=Money(500)))
    shop.iamport.fail_next(ChecksumMismatch("checksum", http_status=200, code=1))
    with pytest.raises(RefundPending):
        await shop.refunding.run(view.refund.id)
    assert await shop.refunding.run(view.refund.id) == "succeeded"
    attempts = (await shop.refunding.view(view.refund.id)).attempts
    assert [a.classification for a in attempts] == ["rejected-retryable", "succeeded"]
    assert await books_agree(shop, order) == 500


async def test_already_cancelled_fails_for_good_after_a_re_read(shop: Shop) -> None:
    order = await paid_order(shop)
    view = await shop.refunding.ask(await order_id(shop, order), RefundAsk("r", amount=Money(500)))
    shop.iamport.fail_next(AlreadyCancelled("이미 전액취소된 주문입니다.", http_status=200, code=1))
    assert await shop.refunding.run(view.refund.id) == "failed"
    assert await shop.refunding.run(view.refund.id) == "failed"
    assert shop.iamport.sent == []
    assert (await shop.refunding.view(view.refund.id)).refund.last_error


async def test_a_virtual_account_refund_waits_for_its_account(shop: Shop) -> None:
    order = await paid_order(shop, pay_method="vbank", pg_provider="nice")
    oid = await order_id(shop, order)
    with pytest.raises(RefundRefused) as refused:
        await shop.refunding.ask(oid, RefundAsk("r"))
    assert refused.value.rule == "refund_account"

    shop.iamport.holders[("004", "12345678901")] = "김철수"
    with pytest.raises(RefundRefused) as wrong:
        await shop.refunding.ask(oid, RefundAsk("r", account=ACCOUNT))
    assert wrong.value.rule == "refund_holder"

    shop.iamport.holders[("004", "12345678901")] = "홍길동"
    view = await shop.refunding.ask(oid, RefundAsk("r", account=ACCOUNT))
    assert await shop.refunding.run(view.refund.id) == "succeeded"
    [sent] = shop.iamport.sent
    assert sent["parts"].account == ACCOUNT
    done = (await shop.refunding.view(view.refund.id)).refund
    assert done.account is None  # forgotten once final
    assert "12345678901" not in str((await shop.refunding.view(view.refund.id)).attempts)


async def test_an_owed_virtual_account_refund_parks_until_the_account_is_supplied(
    shop: Shop,
) -> None:
    pid = await shop.product(5)
    order = await shop.order((pid, 1))
    await shop.held(order, "imp_1")
    tampered = shop.says(order, "imp_1", amount=PRICE - 1, pay_method="vbank", pg_provider="nice")
    await shop.settlement.apply(tampered)
    [owed] = await shop.refunds("imp_1")
    assert owed.origin == "auto"

    assert await shop.refunding.run(owed.id) == "needs_refund_account"
    assert shop.iamport.sent == []
    shop.iamport.holders[("004", "12345678901")] = "홍길동"
    view = await shop.refunding.supply_account(owed.id, ACCOUNT)
    assert view.refund.state == "requested"
    assert await shop.refunding.run(owed.id) == "succeeded"
    assert int(shop.iamport.payments["imp_1"].cancel_amount) == PRICE - 1
    with pytest.raises(RefundRefused):
        await shop.refunding.supply_account(owed.id, ACCOUNT)  # no longer waiting


async def test_a_smartro_cancel_waits_for_the_holders_phone_before_anything_is_sent(
    shop: Shop,
) -> None:
    """Smartro's old module takes no cancel without refund_tel, a card's included (§2.3)."""
    order = await paid_order(shop, pay_method="card", pg_provider="smartro")
    with pytest.raises(RefundRefused) as refused:
        await shop.refunding.ask(await order_id(shop, order), RefundAsk("r"))
    assert refused.value.rule == "refund_tel" and shop.iamport.sent == []

    pid = await shop.product(5)
    owed_order = await shop.order((pid, 1))
    await shop.held(owed_order, "imp_2")
    tampered = shop.says(owed_order, "imp_2", amount=PRICE - 1, pg_provider="smartro")
    await shop.settlement.apply(tampered)
    [owed] = await shop.refunds("imp_2")
    assert await shop.refunding.run(owed.id) == "needs_refund_tel"  # the phone alone will do
    assert shop.iamport.sent == []  # parked for the merchant, not refused by i'mport


@pytest.mark.parametrize(("message", "waiting"), [
    ("결제취소에 실패하였습니다.(환불계좌 예금주 연락처(refund_tel)가 필요합니다)", "needs_refund_tel"),
    ("환불계좌 정보가 필요합니다: refund_holder, refund_bank, refund_account, refund_tel",
     "needs_refund_account"),
])  # fmt: skip
async def test_imports_own_ask_for_input_waits_for_what_it_names(
    shop: Shop, message: str, waiting: str
) -> None:
    """A PG whose need our rules do not know: i'mport's refusal names the phone alone (the
    phone will do) or the account fields too (the account is asked for)."""
    order = await paid_order(shop, pay_method="card", pg_provider="kicc")
    view = await shop.refunding.ask(await order_id(shop, order), RefundAsk("r"))
    shop.iamport.fail_next(ApiError(message, http_status=200, code=1))
    assert await shop.refunding.run(view.refund.id) == waiting
    if waiting == "needs_refund_tel":
        await shop.refunding.supply_tel(view.refund.id, "010-1234-5678")
        assert await shop.refunding.run(view.refund.id) == "succeeded"
        assert shop.iamport.sent[-1]["parts"].tel == "010-1234-5678"


async def test_a_phone_payment_is_not_partly_refunded_on_a_pg_that_cannot(shop: Shop) -> None:
    order = await paid_order(shop, pay_method="phone", pg_provider="danal")
    oid = await order_id(shop, order)
    with pytest.raises(RefundRefused) as refused:
        await shop.refunding.ask(oid, RefundAsk("r", amount=Money(1_000)))
    assert refused.value.rule == "phone_partial"
    view = await shop.refunding.ask(oid, RefundAsk("r"))  # in full: allowed
    assert await shop.refunding.run(view.refund.id) == "succeeded"


async def test_an_open_refund_whose_job_died_gets_a_new_one_from_the_sweep(shop: Shop) -> None:
    order = await paid_order(shop)
    view = await shop.refunding.ask(await order_id(shop, order), RefundAsk("r"))
    sweep = HoldSweep(shop.store, shop.clock)  # type: ignore[arg-type]
    await sweep.sweep()
    assert len(shop.store.jobs(RUN_REFUND)) == 1  # its own job is still queued
    async with shop.store.transaction() as uow:  # the job ran out of attempts
        [job] = await uow.jobs.claim("w", shop.clock.now(), lease=timedelta(minutes=1))
        last = dataclasses.replace(job, max_attempts=job.attempts)  # its last one
        assert await uow.jobs.fail(last, "w", "boom", shop.clock.now())
        assert (await uow.jobs.counts()).get("dead") == 1
    await sweep.sweep()
    keys = sorted(j.dedupe_key or "" for j in shop.store.jobs(RUN_REFUND))
    assert len(keys) == 2 and keys[1].startswith(f"{RUN_REFUND}:{view.refund.id}:sweep:")


@pytest.mark.parametrize(("fields", "waiting"), [
    ({"pay_method": "vbank", "pg_provider": "nice"}, "needs_refund_account"),
    ({"pay_method": "card", "pg_provider": "smartro"}, "needs_refund_tel"),
])  # fmt: skip
async def test_a_refund_waiting_for_the_merchants_input_gets_no_job_from_the_sweep(
    shop: Shop, fields: dict[str, str], waiting: str
) -> None:
    pid = await shop.product(5)
    order = await shop.order((pid, 1))
    await shop.held(order, "imp_1")
    await shop.settlement.apply(shop.says(order, "imp_1", amount=PRICE - 1, **fields))
    [owed] = await shop.refunds("imp_1")
    assert await shop.refunding.run(owed.id) == waiting  # what its job does: the refund waits
    async with shop.store.transaction() as uow:
        for job in await uow.jobs.claim("w", shop.clock.now(), lease=timedelta(minutes=1)):
            assert await uow.jobs.complete(job.id, "w", shop.clock.now())
    await HoldSweep(shop.store, shop.clock).sweep()  # type: ignore[arg-type]
    assert [j.state for j in shop.store.jobs(RUN_REFUND)] == ["done"]


async def test_vbank_quiet_hours_refuse_now_and_name_when_to_come_back(shop: Shop) -> None:
    order = await paid_order(shop, pay_method="vbank", pg_provider="ksnet")
    oid = await order_id(shop, order)
    shop.iamport.holders[("004", "12345678901")] = "홍길동"
    shop.clock.advance(4 * 3600)  # 22:00 KST: asked while allowed
    view = await shop.refunding.ask(oid, RefundAsk("r", amount=Money(1_000), account=ACCOUNT))
    shop.clock.advance(1.5 * 3600)  # 23:30 KST when the job runs
    with pytest.raises(RefundPending) as later:
        await shop.refunding.run(view.refund.id)
    assert later.value.retry_after == timedelta(hours=6, minutes=30)  # 06:00 KST
    assert shop.iamport.sent == []  # nothing was sent in the quiet hours
    with pytest.raises(RefundRefused) as refused:
        await shop.refunding.ask(oid, RefundAsk("r", amount=Money(1_000), account=ACCOUNT))
    assert (refused.value.rule, refused.value.status) == ("vbank_quiet_hours", 409)
    assert refused.value.retry_after == timedelta(hours=6, minutes=30)

    shop.clock.advance(6.5 * 3600)
    assert await shop.refunding.run(view.refund.id) == "succeeded"


async def test_a_temporary_pg_refusal_waits_a_minute_a_changed_balance_does_not(
    shop: Shop,
) -> None:
    from paydesk.iamport import ApiError

    order = await paid_order(shop)
    oid = await order_id(shop, order)
    view = await shop.refunding.ask(oid, RefundAsk("r", amount=Money(1_000)))
    shop.iamport.fail_next(ApiError("일시적인 오류가 발생했습니다", http_status=200, code=-1))
    with pytest.raises(RefundPending) as temporary:
        await shop.refunding.run(view.refund.id)
    assert temporary.value.retry_after == timedelta(minutes=1)

    shop.iamport.fail_next(ChecksumMismatch("x", http_status=200, code=1))
    with pytest.raises(RefundPending) as differed:
        await shop.refunding.run(view.refund.id)
    assert differed.value.retry_after is None  # re-read already: send at once
    assert await run_until_settled(shop, view.refund.id) == "succeeded"
    assert await books_agree(shop, order) == 1_000
