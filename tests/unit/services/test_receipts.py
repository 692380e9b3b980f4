"""Cash receipts over the fakes: rules first, one live receipt, lost answers, cancelling twice."""

from __future__ import annotations

import logging

import pytest

from paydesk.core.money import Money
from paydesk.core.receipts import IdentifierType, recipient
from paydesk.services.errors import NotOnRecord, Unreachable
from paydesk.services.receipts import CashReceipts, ExternalAsk, ReceiptAsk
from paydesk.services.refusals import Refused
from paydesk.store.receipts import ReceiptQuery

from .fakes import not_sent, outcome_unknown
from .fakes.methods import FakeMethods
from .shop import Shop

pytestmark = pytest.mark.asyncio
PHONE = "010-1234-5678"


async def paid(shop: Shop, imp_uid: str, **fields: object) -> str:
    """A payment of ours, paid and on our books."""
    order = await shop.order((await shop.product(5), 1))
    await shop.held(order, imp_uid)
    values: dict[str, object] = {"pay_method": "trans", "pg_provider": "html5_inicis"} | fields
    shop.says(order, imp_uid, **values)
    await shop.verifier.result_arrived(imp_uid, order.merchant_uid)
    return imp_uid


def desk(shop: Shop) -> tuple[CashReceipts, FakeMethods]:
    api = FakeMethods()
    return CashReceipts(shop.store, shop.clock, api), api  # type: ignore[arg-type]


def ask(identifier: str = PHONE, kind: IdentifierType = IdentifierType.PHONE) -> ReceiptAsk:
    return ReceiptAsk(recipient(kind, identifier))


async def test_issue_then_cancel_then_a_second_cancel_is_refused_and_changes_nothing(
    shop: Shop,
) -> None:
    receipts, api = desk(shop)
    imp_uid = await paid(shop, "imp_1")
    issued = await receipts.issue(imp_uid, ask())
    assert (issued.state, issued.amount, issued.type) == ("issued", Money(10_000), "person")
    assert issued.identifier_masked == "*******5678" and issued.apply_num == "123456789"
    assert api.sent[-1]["identifier"] == "01012345678"  # sent whole, stored masked
    cancelled = await receipts.cancel("payment", issued.id)
    assert cancelled.state == "cancelled" and cancelled.cancelled_at is not None
    calls = len(api.sent)
    with pytest.raises(Refused) as second:
        await receipts.cancel("payment", issued.id)
    assert (second.value.rule, second.value.status) == ("receipt_already_cancelled", 409)
    assert len(api.sent) == calls  # nothing sent
    assert await receipts.get("payment", issued.id) == cancelled  # nothing changed


async def test_rules_before_anything_is_sent(shop: Shop) -> None:
    receipts, api = desk(shop)
    card = await paid(shop, "imp_card", pay_method="card")
    kakao = await paid(shop, "imp_kakao", pg_provider="kakaopay")
    for imp_uid, rule in ((card, "not_cash_payment"), (kakao, "pg_without_receipts")):
        with pytest.raises(Refused) as refused:
            await receipts.issue(imp_uid, ask())
        assert refused.value.rule == rule
    with pytest.raises(NotOnRecord):
        await receipts.issue("imp_nobody", ask())
    order = await shop.order((await shop.product(5), 1))
    await shop.held(order, "imp_ready")
    shop.says(order, "imp_ready", "ready", pay_method="vbank", vbank_num="123")
    await shop.verifier.result_arrived("imp_ready", order.merchant_uid)
    with pytest.raises(Refused) as unpaid:
        await receipts.issue("imp_ready", ask())
    assert unpaid.value.rule == "payment_not_paid"
    assert api.sent == []
    assert await receipts.search("payment", ReceiptQuery()) == []


async def test_one_live_receipt_per_payment_and_a_new_one_after_cancel(shop: Shop) -> None:
    receipts, _ = desk(shop)
    imp_uid = await paid(shop, "imp_1")
    first = await receipts.issue(imp_uid, ask())
    with pytest.raises(Refused) as twice:
        await receipts.issue(imp_uid, ask("123-45-67890", IdentifierType.BUSINESS))
    assert (twice.value.rule, twice.value.status) == ("receipt_exists", 409)
    await receipts.cancel("payment", first.id)
    second = await receipts.issue(imp_uid, ask("123-45-67890", IdentifierType.BUSINESS))
    assert (second.state, second.type, second.identifier_type) == ("issued", "company", "business")
    found = await receipts.search("payment", ReceiptQuery(key=imp_uid))
    assert [(r.id, r.state) for r in found] == [(second.id, "issued"), (first.id, "cancelled")]


async def test_a_refused_issue_is_recorded_failed_and_frees_the_payment(shop: Shop) -> None:
    receipts, api = desk(shop)
    imp_uid = await paid(shop, "imp_1")
    api.receipts[imp_uid] = (await api.issue_receipt(imp_uid, identifier="x", identifier_type="p",
                                                     receipt_type="person", tax_free=None))  # fmt: skip
    with pytest.raises(Refused) as refused:  # issued at i'mport's console before: it says no
        await receipts.issue(imp_uid, ask())
    assert refused.value.rule == "iamport_refused"
    [failed] = await receipts.search("payment", ReceiptQuery(key=imp_uid))
    assert failed.state == "failed" and "이미 현금영수증" in (failed.last_error or "")


async def test_a_lost_issue_answer_is_looked_up_at_once(shop: Shop) -> None:
    receipts, api = desk(shop)
    imp_uid = await paid(shop, "imp_1")
    api.lose_next_answer()
    issued = await receipts.issue(imp_uid, ask())
    assert issued.state == "issued" and issued.apply_num == "123456789"
    assert [s["operation"] for s in api.sent] == ["issue", "get"]


async def test_a_lost_answer_that_cannot_be_checked_stays_unknown_until_refreshed(
    shop: Shop,
) -> None:
    receipts, api = desk(shop)
    imp_uid = await paid(shop, "imp_1")
    api.lose_next_answer()
    api.fail_next(outcome_unknown(), outcome_unknown())  # the issue, then the look-up
    with pytest.raises(Unreachable):
        await receipts.issue(imp_uid, ask())
    [unknown] = await receipts.search("payment", ReceiptQuery(key=imp_uid))
    assert unknown.state == "unknown"
    with pytest.raises(Refused) as meanwhile:
        await receipts.issue(imp_uid, ask())
    assert meanwhile.value.rule == "receipt_in_progress"
    settled = await receipts.refresh("payment", unknown.id)  # i'mport never got it
    assert settled.state == "failed"


async def test_not_sent_fails_the_receipt_and_a_cancel_not_sent_keeps_it(shop: Shop) -> None:
    receipts, api = desk(shop)
    imp_uid = await paid(shop, "imp_1")
    api.fail_next(not_sent())
    with pytest.raises(Unreachable):
        await receipts.issue(imp_uid, ask())
    issued = await receipts.issue(imp_uid, ask())
    api.fail_next(not_sent())
    with pytest.raises(Unreachable):
        await receipts.cancel("payment", issued.id)
    assert (await receipts.get("payment", issued.id)).state == "issued"
    api.lose_next_answer()  # cancelled at i'mport, answer lost: the look-up settles it
    assert (await receipts.cancel("payment", issued.id)).state == "cancelled"


async def test_external_receipts_are_kept_apart_from_orders(shop: Shop) -> None:
    receipts, api = desk(shop)
    order = await shop.order((await shop.product(5), 1))
    who = recipient(IdentifierType.CARD, "1234-5678-9012-3456")
    with pytest.raises(Refused) as mixed:
        await receipts.issue_external(ExternalAsk("현장", Money(5000), who, order.merchant_uid))
    assert mixed.value.rule == "merchant_uid_is_an_order" and api.sent == []
    with pytest.raises(Refused) as unsupported:
        await receipts.issue_external(ExternalAsk("현장", Money(5000), who, pg="kakaopay"))
    assert unsupported.value.rule == "pg_without_receipts"
    made = await receipts.issue_external(ExternalAsk("현장 판매", Money(5000), who, "shop_1",
                                                     pg="html5_inicis", pay_method="trans"))  # fmt: skip
    assert (made.kind, made.key, made.state, made.amount) == ("external", "shop_1", "issued",
                                                              Money(5000))  # fmt: skip
    assert made.identifier_masked == "************3456" and made.identifier_type == "card"
    assert await receipts.search("payment", ReceiptQuery()) == []
    assert (await receipts.cancel("external", made.id)).state == "cancelled"
    with pytest.raises(Refused) as twice:
        await receipts.cancel("external", made.id)
    assert twice.value.rule == "receipt_already_cancelled"
    generated = await receipts.issue_external(ExternalAsk("현장 판매", Money(3000), who))
    assert generated.key.startswith("ext_") and generated.state == "issued"


async def test_the_identifier_never_reaches_the_log_or_the_store(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    receipts, api = desk(shop)
    imp_uid = await paid(shop, "imp_1")
    api.lose_next_answer()
    api.fail_next(outcome_unknown(), outcome_unknown())
    with pytest.raises(Unreachable):
        await receipts.issue(imp_uid, ask())
    await receipts.refresh("payment", 1)
    await receipts.issue(imp_uid, ask())
    stored = repr(shop.store._committed.cash_receipts)
    assert "01012345678" not in caplog.text and "1234-5678" not in caplog.text
    assert "01012345678" not in stored and "5678" in stored
    assert "01012345678" not in repr(ask())
