"""Charging subscriptions over the in-memory store and a fake i'mport: the order of writes
that makes a lost answer safe, and the lookups that come before any retry."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from paydesk.core.clock import FixedClock
from paydesk.core.money import Money
from paydesk.core.subscriptions import ChargeState, Interval, SubscriptionStatus
from paydesk.services import billing_keys, subscriptions
from paydesk.services.billing_keys import BillingKeys
from paydesk.services.billing_port import CardData
from paydesk.services.errors import TryLater, Unreachable
from paydesk.services.subscriptions import SUBSCRIPTION_CHARGE, Subscriptions
from paydesk.store.billing import NewPlan

from .fakes import InMemoryStore, not_sent
from .fakes.billing_api import DECLINING, FakeBilling

pytestmark = pytest.mark.asyncio
NOW = datetime(2030, 1, 1, tzinfo=UTC)
GOOD = CardData("4111-1111-1111-1111", "2031-07", "880315", "47")


class Desk:
    def __init__(self) -> None:
        self.store = InMemoryStore()
        self.clock = FixedClock(NOW)
        self.api = FakeBilling()
        self.subs = Subscriptions(self.store, self.clock, self.api, notice_url=None)
        self.keys = BillingKeys(self.store, self.clock, self.api, self.subs)

    async def subscribed(self, card: CardData = GOOD, days: tuple[int, ...] = (1, 3, 7)) -> int:
        await self.keys.issue("cust", card, pg="nice")
        plan = await self.subs.add_plan(
            NewPlan("m", "월간", Money(9900), Interval("day", 30), days, "again")
        )
        view, _ = await self.subs.subscribe(plan.id, "cust")
        return view.record.id

    async def states(self, subscription_id: int) -> list[str]:
        view = await self.subs.view(subscription_id)
        return [c.state.value for c in view.charges]


async def test_a_lost_answer_is_looked_up_and_never_charged_twice() -> None:
    desk = Desk()
    sub_id = await desk.subscribed()
    desk.api.lose_next_answer()
    with pytest.raises(Unreachable):
        await desk.subs.advance(sub_id)
    assert await desk.states(sub_id) == ["unknown"]
    with pytest.raises(TryLater):  # too soon: it may still be in flight elsewhere
        await desk.subs.advance(sub_id)
    desk.clock.advance(180)
    assert await desk.subs.advance(sub_id) == "charge:paid"
    assert desk.api.charged == [(await desk.subs.view(sub_id)).charges[0].merchant_uid]
    assert [op for op, _ in desk.api.calls].count("find") == 1
    assert (await desk.subs.view(sub_id)).record.subscription.period == 1


async def test_a_charge_not_found_never_happened_and_the_next_gets_a_fresh_merchant_uid() -> None:
    desk = Desk()
    sub_id = await desk.subscribed()
    desk.api.fail_next(not_sent())  # refused before it left: nothing to look up later
    with pytest.raises(Unreachable):
        await desk.subs.advance(sub_id)
    assert await desk.states(sub_id) == ["void"]
    assert await desk.subs.advance(sub_id) == "charge:paid"
    charges = (await desk.subs.view(sub_id)).charges
    assert [c.state for c in charges] == [ChargeState.VOID, ChargeState.PAID]
    assert charges[0].merchant_uid != charges[1].merchant_uid
    assert desk.api.charged == [charges[1].merchant_uid]


async def test_an_answerless_charge_that_i_mport_does_not_know_is_void_then_retried() -> None:
    desk = Desk()
    sub_id = await desk.subscribed()
    desk.api.lose_next_answer()
    with pytest.raises(Unreachable):
        await desk.subs.advance(sub_id)
    first = (await desk.subs.view(sub_id)).charges[0].merchant_uid
    desk.api.payments.pop(first)  # as if i'mport never took it
    desk.clock.advance(180)
    assert await desk.subs.advance(sub_id) == "charge:paid"
    assert await desk.states(sub_id) == ["void", "paid"]


async def test_two_runners_at_once_charge_a_period_once() -> None:
    desk = Desk()
    sub_id = await desk.subscribed()
    results = await asyncio.gather(desk.subs.advance(sub_id), desk.subs.advance(sub_id),
                                   return_exceptions=True)  # fmt: skip
    # the second saw the first's charge (in flight: try later) or its outcome (not due)
    assert "charge:paid" in results
    [other] = [r for r in results if r != "charge:paid"]
    assert other == "not due" or isinstance(other, TryLater), other
    assert len(desk.api.charged) == 1
    assert await desk.states(sub_id) == ["paid"]


async def test_declines_run_the_dunning_schedule_then_a_new_card_is_charged_at_once() -> None:
    desk = Desk()
    sub_id = await desk.subscribed(card=CardData(DECLINING, "2031-07"), days=(1,))
    assert await desk.subs.advance(sub_id) == "charge:failed"
    desk.clock.advance(86_400)
    assert [*(await desk.subs.charge_due()).items()] == [("charge:failed", 1)]
    view = await desk.subs.view(sub_id)
    assert view.record.subscription.status == SubscriptionStatus.PAST_DUE
    assert await desk.subs.charge_due() == {}
    issued = await desk.keys.issue("cust", GOOD, pg="nice")
    assert issued.job_keys and issued.job_keys[0].startswith(f"{SUBSCRIPTION_CHARGE}:{sub_id}:")
    assert await desk.subs.advance(sub_id) == "charge:paid"
    view = await desk.subs.view(sub_id)
    assert view.record.subscription.status == SubscriptionStatus.ACTIVE
    assert [c.state.value for c in view.charges] == ["failed", "failed", "paid"]


async def test_the_sweep_enqueues_due_subscriptions_once() -> None:
    desk = Desk()
    sub_id = await desk.subscribed()
    later = NOW + timedelta(days=31)  # the period ends 30 days after i'mport's paid_at
    async with desk.store.transaction() as uow:  # the start job is queued: nothing more
        assert await desk.subs.sweep_jobs(uow, later) == []
        [job] = await uow.jobs.claim("w", NOW, lease=timedelta(minutes=1))
    assert await desk.subs.advance(sub_id) == "charge:paid"
    async with desk.store.transaction() as uow:
        await uow.jobs.complete(job.id, "w", NOW)
    async with desk.store.transaction() as uow:
        assert await desk.subs.sweep_jobs(uow, NOW + timedelta(days=29)) == []  # not due
        first = await desk.subs.sweep_jobs(uow, later)
        await uow.jobs.enqueue(first, later)
    async with desk.store.transaction() as uow:
        assert await desk.subs.sweep_jobs(uow, later) == []  # its job is still queued
    assert [j.payload for j in first] == [{"subscription_id": sub_id}]


class _NoReads(InMemoryStore):
    """A store that fails any read: what must not be looked up."""

    def reading(self, *, brief: bool = False) -> Any:
        raise AssertionError("read the store")


async def test_a_merchant_uid_neither_ledger_could_have_made_is_not_looked_up() -> None:
    """Every paid order's webhook asks both ledgers whether the payment is theirs."""
    store, clock, api = _NoReads(), FixedClock(NOW), FakeBilling()
    subs = Subscriptions(store, clock, api, notice_url=None)
    keys = BillingKeys(store, clock, api, subs)
    for foreign in ("ord_20261207_0001", "sub-1", "subscription_9", "bk-1", "bkx1-ab", ""):
        assert not await subs.owns(foreign)
        assert not await keys.owns(foreign)


async def test_both_ledgers_still_own_what_they_made() -> None:
    desk = Desk()
    sub_id = await desk.subscribed()
    await desk.subs.advance(sub_id)
    (charge, *_) = (await desk.subs.view(sub_id)).charges
    assert await desk.subs.owns(charge.merchant_uid)
    assert not await desk.keys.owns(charge.merchant_uid)
    window = await desk.keys.start_window("cust2")
    assert await desk.keys.owns(window.merchant_uid)
    assert not await desk.subs.owns(window.merchant_uid)


@pytest.mark.parametrize("uid", [(1, 0, 1), (987654321012, 360, 12), (10**30, 10**6, 99)])
async def test_every_charge_merchant_uid_matches_the_ledgers_pattern(
    uid: tuple[int, int, int],
) -> None:
    assert subscriptions._OURS.match(subscriptions._random_uid(*uid))
    assert billing_keys._OURS.match(billing_keys._random_uid(NOW))
