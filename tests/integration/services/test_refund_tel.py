"""The holder's phone (``refund_tel``) on its own: old smartro's card cancel, on every store.

Old smartro needs ``refund_tel`` with every cancel and no refund account for a card's;
smartro_v2 needs it with the account of a vbank or transfer refund. Each scenario runs
the real ``Refunds`` on the in-memory store, SQLite and PostgreSQL, so the phone's trip
(the ask, the column, the wait, the cancel sent, forgotten once final) is the same on
all three.
"""

from __future__ import annotations

from typing import Any

import pytest

from paydesk.core.orders import OrderStatus
from paydesk.services.errors import RefundRefused
from paydesk.services.refunds import RefundAsk
from paydesk.store.ledger_records import RefundAccount
from tests.unit.services.shop import PRICE, Shop

pytestmark = pytest.mark.asyncio
TEL = "010-1234-5678"


@pytest.fixture
def shop(any_store: Any) -> Shop:
    """A shop over an empty store: in memory, SQLite, PostgreSQL."""
    return Shop(store=any_store)


async def paid(shop: Shop, imp_uid: str, **fields: Any) -> int:
    pid = await shop.product(5)
    order = await shop.order((pid, 1))
    await shop.held(order, imp_uid)
    await shop.settlement.apply(shop.says(order, imp_uid, **fields))
    record = await shop.record(order)
    assert record.order.status == OrderStatus.PAID
    return record.id


async def owed(shop: Shop, imp_uid: str, **fields: Any) -> int:
    """A refund we owe: the payment came in one won short (tampered), so it is refunded."""
    pid = await shop.product(5)
    order = await shop.order((pid, 1))
    await shop.held(order, imp_uid)
    await shop.settlement.apply(shop.says(order, imp_uid, amount=PRICE - 1, **fields))
    [refund] = await shop.refunds(imp_uid)
    assert refund.origin == "auto"
    return refund.id


def sent_tel(shop: Shop) -> str | None:
    parts = shop.iamport.sent[-1]["parts"]
    return None if parts is None else parts.tel or (parts.account and parts.account.tel)


async def test_an_old_smartro_card_refund_is_sent_with_only_the_phone(shop: Shop) -> None:
    order_id = await paid(shop, "imp_1", pay_method="card", pg_provider="smartro")
    view = await shop.refunding.ask(order_id, RefundAsk("buyer asked", tel=TEL))
    assert view.refund.tel == TEL and view.refund.account is None
    assert await shop.refunding.run(view.refund.id) == "succeeded"
    [sent] = shop.iamport.sent
    assert sent["parts"].tel == TEL and sent["parts"].account is None
    done = await shop.refunding.view(view.refund.id)
    assert done.refund.tel is None  # forgotten once final
    assert TEL not in str(done.attempts) and "5678" not in str(done.attempts)
    assert done.attempts[0].request["refund_tel"] == "***78"


async def test_an_old_smartro_card_refund_without_the_phone_is_refused_before_it_is_recorded(
    shop: Shop,
) -> None:
    order_id = await paid(shop, "imp_1", pay_method="card", pg_provider="smartro")
    with pytest.raises(RefundRefused) as refused:
        await shop.refunding.ask(order_id, RefundAsk("buyer asked"))
    assert refused.value.rule == "refund_tel" and refused.value.status == 422
    assert await shop.refunds("imp_1") == [] and shop.iamport.sent == []


async def test_an_owed_old_smartro_card_refund_waits_for_the_phone_alone(shop: Shop) -> None:
    refund_id = await owed(shop, "imp_1", pay_method="card", pg_provider="smartro")
    assert await shop.refunding.run(refund_id) == "needs_refund_tel"
    assert shop.iamport.sent == []
    with pytest.raises(RefundRefused) as refused:  # an account is not what it waits for
        await shop.refunding.supply_account(refund_id, RefundAccount("홍길동", "004", "1234567"))
    assert refused.value.rule in ("not_waiting", "refund_account")
    view = await shop.refunding.supply_tel(refund_id, TEL)
    assert view.refund.state == "requested" and view.job_key
    assert await shop.refunding.run(refund_id) == "succeeded"
    assert sent_tel(shop) == TEL
    assert int(shop.iamport.payments["imp_1"].cancel_amount) == PRICE - 1
    with pytest.raises(RefundRefused) as again:
        await shop.refunding.supply_tel(refund_id, TEL)  # no longer waiting
    assert again.value.rule == "not_waiting" and again.value.status == 409


async def test_a_refund_waiting_for_its_account_takes_no_phone_alone(shop: Shop) -> None:
    """The account flow is not weakened: a vbank refund still needs its whole account."""
    refund_id = await owed(shop, "imp_1", pay_method="vbank", pg_provider="nice")
    assert await shop.refunding.run(refund_id) == "needs_refund_account"
    with pytest.raises(RefundRefused) as refused:
        await shop.refunding.supply_tel(refund_id, TEL)
    assert refused.value.rule == "not_waiting"
    assert (await shop.refunding.view(refund_id)).refund.state == "needs_refund_account"
    assert shop.iamport.sent == []


async def test_a_smartro_v2_vbank_refund_given_an_account_without_a_phone_then_waits_for_it(
    shop: Shop,
) -> None:
    refund_id = await owed(shop, "imp_1", pay_method="vbank", pg_provider="smartro_v2")
    assert await shop.refunding.run(refund_id) == "needs_refund_account"
    shop.iamport.holders[("004", "12345678901")] = "홍길동"
    await shop.refunding.supply_account(refund_id, RefundAccount("홍길동", "004", "12345678901"))
    assert await shop.refunding.run(refund_id) == "needs_refund_tel"
    await shop.refunding.supply_tel(refund_id, TEL)
    assert await shop.refunding.run(refund_id) == "succeeded"
    [sent] = shop.iamport.sent
    assert sent["parts"].account.account == "12345678901" and sent_tel(shop) == TEL
