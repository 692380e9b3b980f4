"""The virtual-account desk over the fakes: expiry, revocation, issuance after a lost answer, notices."""

from __future__ import annotations

from datetime import timedelta

import pytest

from paydesk.core.orders import OrderStatus
from paydesk.core.stock import StockCount
from paydesk.services.errors import Unreachable
from paydesk.services.job_kinds import VBANK_NOTIFY
from paydesk.services.ordering import PlacedOrder
from paydesk.services.vbank_notices import VbankNotice
from paydesk.services.virtual_accounts import (
    ExpiryOutcome,
    IssueAsk,
    VbankPolicy,
    VbankRefused,
    VirtualAccounts,
)

from .fakes import PAID_AT, outcome_unknown
from .fakes.vbanks import FakeVbanks, vbank_fields
from .shop import Shop

pytestmark = pytest.mark.asyncio
DUE = timedelta(days=3)
GRACE = timedelta(hours=1)


class Outbox:
    """A notifier that keeps what it was asked to send."""

    def __init__(self) -> None:
        self.sent: list[VbankNotice] = []

    async def send(self, notice: VbankNotice) -> None:
        self.sent.append(notice)


def desk(shop: Shop, *, revoke: bool = True) -> tuple[VirtualAccounts, FakeVbanks, Outbox]:
    api, outbox = FakeVbanks(shop.iamport), Outbox()
    policy = VbankPolicy(grace=GRACE, revoke_on_expiry=revoke, holder="상점", pg="nice")
    accounts = VirtualAccounts(shop.store, shop.clock, api, shop.desk, shop.settlement,  # type: ignore[arg-type]
                               outbox, policy)  # fmt: skip
    return accounts, api, outbox


async def held_vbank(shop: Shop, stock: int = 1) -> tuple[int, PlacedOrder]:
    """A product whose last unit is held for an unpaid account ``imp_v`` (settled ``ready``)."""
    pid = await shop.product(stock=stock)
    order = await shop.order((pid, 1))
    await shop.held(order, "imp_v")
    await shop.settlement.apply(shop.says(order, "imp_v", "ready", **vbank_fields(DUE)))
    return pid, order


async def test_an_account_keeps_its_hold_through_the_grace_then_is_revoked(shop: Shop) -> None:
    accounts, api, _ = desk(shop)
    pid, order = await held_vbank(shop)
    shop.clock.advance((DUE + GRACE - timedelta(minutes=1)).total_seconds())
    assert await accounts.expire("imp_v") is ExpiryOutcome.NOT_DUE
    assert await shop.stock(pid) == StockCount(available=0, held=1, sold=0)

    shop.clock.advance(120)
    assert await accounts.expire("imp_v") is ExpiryOutcome.REVOKED
    assert api.revoked == ["imp_v"]
    assert await shop.status(order) is OrderStatus.FAILED
    assert await shop.stock(pid) == StockCount(available=1, held=0, sold=0)
    # run again (a duplicate job): nothing more happens
    assert await accounts.expire("imp_v") is ExpiryOutcome.SETTLED
    assert await shop.stock(pid) == StockCount(available=1, held=0, sold=0)


async def test_an_account_the_pg_cannot_revoke_is_ended_here(shop: Shop) -> None:
    accounts, api, _ = desk(shop)
    api.unrevocable.add("nice")
    pid, order = await held_vbank(shop)
    shop.clock.advance((DUE + GRACE).total_seconds() + 1)
    assert await accounts.expire("imp_v") is ExpiryOutcome.EXPIRED
    assert shop.iamport.payments["imp_v"].status == "ready"  # i'mport's word is unchanged
    assert await shop.status(order) is OrderStatus.FAILED
    assert await shop.stock(pid) == StockCount(available=1, held=0, sold=0)
    record = await shop.payment_record("imp_v")
    assert record is not None and record.status == "ready"


async def test_without_revocation_nothing_is_sent_to_imports(shop: Shop) -> None:
    accounts, api, _ = desk(shop, revoke=False)
    pid, _ = await held_vbank(shop)
    shop.clock.advance((DUE + GRACE).total_seconds() + 1)
    assert await accounts.expire("imp_v") is ExpiryOutcome.EXPIRED
    assert api.revoked == [] and ("vbank.revoke", "imp_v") not in shop.iamport.calls
    assert await shop.stock(pid) == StockCount(available=1, held=0, sold=0)


async def test_a_lost_revocation_keeps_the_hold_until_imports_answer_is_read(shop: Shop) -> None:
    accounts, api, _ = desk(shop)
    pid, _ = await held_vbank(shop)
    shop.clock.advance((DUE + GRACE).total_seconds() + 1)
    api.lose_next_answer()
    with pytest.raises(Unreachable):
        await accounts.expire("imp_v")
    assert await shop.stock(pid) == StockCount(available=0, held=1, sold=0)
    assert await accounts.expire("imp_v") is ExpiryOutcome.SETTLED  # it was revoked: failed
    assert await shop.stock(pid) == StockCount(available=1, held=0, sold=0)


async def test_a_deposit_before_the_job_runs_wins(shop: Shop) -> None:
    accounts, _, _ = desk(shop)
    pid, order = await held_vbank(shop)
    shop.says(order, "imp_v", "paid", **vbank_fields(DUE, paid_at=PAID_AT))
    shop.clock.advance((DUE + GRACE).total_seconds() + 1)
    assert await accounts.expire("imp_v") is ExpiryOutcome.SETTLED
    assert await shop.stock(pid) == StockCount(available=0, held=0, sold=1)


async def test_issuance_whose_answer_was_lost_finds_the_account_instead_of_a_second(
    shop: Shop,
) -> None:
    accounts, api, outbox = desk(shop)
    pid = await shop.product(stock=1)
    order = await shop.order((pid, 1))
    api.lose_next_answer()
    imp_uid = await accounts.issue(order.id, IssueAsk("004"))
    assert imp_uid == "imp_v1" and len(api.issued) == 1
    assert await shop.stock(pid) == StockCount(available=0, held=1, sold=0)
    assert await accounts.issue(order.id, IssueAsk("004")) == imp_uid  # asked again
    assert len(api.issued) == 1
    # one notice job, however often the account is settled
    await shop.settlement.apply(shop.iamport.payments[imp_uid])
    assert [j.dedupe_key for j in shop.store.jobs(VBANK_NOTIFY)] == [f"{VBANK_NOTIFY}:{imp_uid}"]
    assert await accounts.notify(imp_uid) is True
    [notice] = outbox.sent
    assert (notice.bank_name, notice.account, notice.holder) == ("KB국민은행", "90000000000001",
                                                                 "상점")  # fmt: skip
    assert "90000000000001" not in repr(notice)


async def test_issuance_is_refused_for_an_order_that_cannot_be_paid(shop: Shop) -> None:
    accounts, api, _ = desk(shop)
    pid, _ = await held_vbank(shop)
    other = await shop.order((pid, 1))
    with pytest.raises(VbankRefused) as refused:
        await accounts.issue(other.id, IssueAsk("004"))
    assert refused.value.rule == "sold_out" and api.issued == []
    shop.iamport.fail_next(outcome_unknown())
    with pytest.raises(VbankRefused):  # a due date out of range is refused before any call
        await accounts.issue(other.id, IssueAsk("004", due=shop.clock.now() - GRACE))


async def test_deleting_releases_the_hold_and_a_paid_account_cannot_be_deleted(
    shop: Shop,
) -> None:
    accounts, _, _ = desk(shop)
    pid, _ = await held_vbank(shop)
    record = await accounts.revoke("imp_v")
    assert (record.status, record.fail_reason) == ("failed", "계좌말소")
    assert await shop.stock(pid) == StockCount(available=1, held=0, sold=0)
    with pytest.raises(VbankRefused) as refused:
        await accounts.revoke("imp_v")
    assert refused.value.rule == "not_awaiting_deposit"
