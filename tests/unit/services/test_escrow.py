"""Escrow over the fakes: delivery registration rules, lost answers, and the escrow event."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlencode

import pytest

from paydesk.iamport import EscrowParty
from paydesk.services.errors import NotOnRecord, Unreachable
from paydesk.services.escrow import Delivery, Escrows
from paydesk.services.refusals import Refused
from paydesk.services.webhooks import WebhookDesk
from paydesk.store.inbox import Delivery as Notification

from .fakes import not_sent, outcome_unknown
from .fakes.methods import FakeMethods
from .shop import T0, Shop

pytestmark = pytest.mark.asyncio
PERSON = EscrowParty(name="홍길동", tel="010-1234-5678", addr="서울", postcode="04524")


async def paid(shop: Shop, imp_uid: str, **fields: object) -> str:
    order = await shop.order((await shop.product(5), 1))
    await shop.held(order, imp_uid)
    values: dict[str, object] = {"escrow": True, "pg_provider": "html5_inicis"} | fields
    shop.says(order, imp_uid, **values)
    await shop.verifier.result_arrived(imp_uid, order.merchant_uid)
    return imp_uid


def desk(shop: Shop) -> tuple[Escrows, FakeMethods]:
    api = FakeMethods()
    return Escrows(shop.store, shop.clock, shop.iamport, api), api  # type: ignore[arg-type]


def shipment(invoice: str = "123456789012", company: str = "CJGLS") -> Delivery:
    return Delivery(PERSON, PERSON, company, invoice, T0)


async def test_register_then_change_the_delivery(shop: Shop) -> None:
    escrows, api = desk(shop)
    imp_uid = await paid(shop, "imp_e")
    made = await escrows.register(imp_uid, shipment())
    assert made.status == "registered" and made.shipment is not None
    assert (made.shipment.company, made.shipment.invoice) == ("CJGLS", "123456789012")
    assert made.shipment.receiver["postcode"] == "04524" and made.order_id is not None
    with pytest.raises(Refused) as twice:
        await escrows.register(imp_uid, shipment())
    assert (twice.value.rule, twice.value.status) == ("delivery_already_registered", 409)
    changed = await escrows.register(imp_uid, shipment("999", "EPOST"), update=True)
    assert changed.shipment is not None and changed.shipment.invoice == "999"
    assert api.deliveries[imp_uid].invoice == "999"


async def test_a_payment_that_is_not_escrow_is_refused_before_anything_is_sent(
    shop: Shop,
) -> None:
    escrows, api = desk(shop)
    plain = await paid(shop, "imp_plain", escrow=False)
    nice = await paid(shop, "imp_nice", pg_provider="nice")
    for imp_uid, rule, status in ((plain, "not_escrow", 409), (nice, "pg_without_escrow_api", 422)):
        with pytest.raises(Refused) as refused:
            await escrows.register(imp_uid, shipment())
        assert (refused.value.rule, refused.value.status) == (rule, status)
    nice_v2 = await paid(shop, "imp_nice_v2", pg_provider="nice_v2")
    await escrows.register(nice_v2, shipment())
    with pytest.raises(Refused) as no_edit:
        await escrows.register(nice_v2, shipment("2"), update=True)
    assert no_edit.value.rule == "pg_without_escrow_api"
    with pytest.raises(Refused) as courier:
        await escrows.register(plain, shipment(company="NOPE"))
    assert courier.value.rule == "unknown_courier"
    with pytest.raises(NotOnRecord):
        await escrows.register("imp_nobody", shipment())
    assert [s["operation"] for s in api.sent] == ["escrow_post"]  # nice_v2's, nothing else
    with pytest.raises(NotOnRecord):
        await escrows.view(plain)


async def test_lost_answers_are_reconciled_with_the_registration(shop: Shop) -> None:
    escrows, api = desk(shop)
    imp_uid = await paid(shop, "imp_e")
    api.lose_next_answer()
    made = await escrows.register(imp_uid, shipment())  # looked up: it is there
    assert made.shipment is not None and made.shipment.invoice == "123456789012"
    other = await paid(shop, "imp_f")
    api.fail_next(not_sent())
    with pytest.raises(Unreachable):
        await escrows.register(other, shipment())
    api.fail_next(outcome_unknown(), outcome_unknown())
    with pytest.raises(Unreachable):
        await escrows.register(other, shipment())
    async with shop.store.reading() as uow:
        assert await uow.escrows.get(other) is None


def event(
    imp_uid: str, code: str, changed_at: int, *, form: bool = False,
    merchant_uid: str | None = None, **extra: str,
) -> Notification:  # fmt: skip
    fields = {"escrow_status": code, "changed_at": str(changed_at), **extra}
    if form:
        body = urlencode({"imp_uid": imp_uid, "merchant_uid": merchant_uid or "", "status": "paid",
                          "event": "Inicis.Escrow.Changed",
                          **{f"extra[{k}]": v for k, v in fields.items()}}).encode()  # fmt: skip
        kind = "application/x-www-form-urlencoded"
    else:
        body = json.dumps({"imp_uid": imp_uid, "status": "paid", "event": "Inicis.Escrow.Changed",
                           "extra": fields}).encode()  # fmt: skip
        kind = "application/json"
    return Notification(T0, "52.78.100.19", {"content-type": kind}, body, imp_uid=imp_uid,
                        merchant_uid=merchant_uid, status="paid")  # fmt: skip


async def test_escrow_events_apply_in_time_order_once(shop: Shop) -> None:
    escrows, _ = desk(shop)
    webhooks = WebhookDesk(shop.store, shop.clock, shop.verifier, escrows)  # type: ignore[arg-type]
    imp_uid = await paid(shop, "imp_e")
    await escrows.register(imp_uid, shipment())
    base = int(T0.timestamp())

    async def deliver(notification: Notification) -> str:
        stored = await webhooks.receive(notification)
        return await webhooks.process(stored.inbox_id)

    merchant_uid = shop.iamport.payments[imp_uid].merchant_uid
    confirmed = event(imp_uid, "3", base + 60, form=True, merchant_uid=merchant_uid)
    assert await deliver(confirmed) == "escrow:purchase_confirmed"
    assert await deliver(event(imp_uid, "2", base + 10)) == "escrow:stale"  # late, older
    assert await deliver(event(imp_uid, "3", base + 60)) == "escrow:stale"  # duplicate
    record = await escrows.view(imp_uid)
    assert (record.status, record.status_code) == ("purchase_confirmed", "3")
    assert record.status_changed_at == T0 + timedelta(seconds=60)
    assert record.shipment is not None  # the delivery is kept

    refused = await paid(shop, "imp_r")  # an event before our registration's answer is stored
    assert (
        await deliver(event(refused, "4", base, denied_reason="파손")) == "escrow:purchase_refused"
    )
    await escrows.register(refused, shipment())
    after = await escrows.view(refused)
    assert (after.status, after.denied_reason) == ("purchase_refused", "파손")


async def test_events_that_do_not_fit_are_ignored(shop: Shop) -> None:
    escrows, _ = desk(shop)
    webhooks = WebhookDesk(shop.store, shop.clock, shop.verifier, escrows)  # type: ignore[arg-type]
    plain = await paid(shop, "imp_plain", escrow=False)
    escrowed = await paid(shop, "imp_e")
    cases = [(event(plain, "3", 1), "ignored:not escrow"),
             (event("imp_ghost", "3", 1), "ignored:unknown payment"),
             (event(escrowed, "3", 1, merchant_uid="ord_other"), "ignored:not escrow"),
             (event(escrowed, "99", 1), "ignored:escrow_status")]  # fmt: skip
    for notification, outcome in cases:
        stored = await webhooks.receive(notification)
        assert await webhooks.process(stored.inbox_id) == outcome
    async with shop.store.reading() as uow:
        assert await uow.escrows.get(plain) is None and await uow.escrows.get(escrowed) is None
    shop.iamport.fail_next(outcome_unknown())
    stored = await webhooks.receive(event(escrowed, "3", 1))
    with pytest.raises(Unreachable):  # the job tries again later
        await webhooks.process(stored.inbox_id)
    assert await webhooks.process(stored.inbox_id) == "escrow:purchase_confirmed"
