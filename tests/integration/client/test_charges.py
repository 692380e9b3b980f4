"""Key-in and billing-key charges, billing keys and schedules through both clients."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from paydesk.iamport import Declined, NotFound, ScheduleEntry
from tests.support.emulator import EmulatorClient

APPROVE = "4111-1111-1111-1111"
DECLINE = "4000-0000-0000-0002"
CARD = {"expiry": "2030-12", "birth": "900101", "pwd_2digit": "00"}


def order() -> str:
    return f"order_{uuid.uuid4().hex[:12]}"


def test_onetime_paid_and_declined(api: Any) -> None:
    paid = api.pay_onetime(order(), 10000, card_number=APPROVE, pg="nice", name="상품",
                           buyer_name="홍길동", **CARD)  # fmt: skip
    assert paid.status == "paid" and paid.amount == 10000 and paid.channel == "api"
    declined = api.pay_onetime(order(), 10000, card_number=DECLINE, pg="nice", name="상품", **CARD)
    assert declined.status == "failed" and declined.fail_reason
    with pytest.raises(Declined) as raised:
        api.pay_onetime(order(), 10000, card_number=DECLINE, pg="nice", name="상품",
                        raise_on_decline=True, **CARD)  # fmt: skip
    assert raised.value.payment.status == "failed"


def test_onetime_with_an_invalid_card_is_declined(api: Any) -> None:
    with pytest.raises(Declined) as caught:
        api.pay_onetime(order(), 1000, card_number="1234-5678-1234-5678", pg="nice", **CARD)
    assert caught.value.code != 0 and caught.value.payment is None


def test_billing_key_lifecycle(api: Any) -> None:
    key = api.issue_billing_key("cust_1", card_number=APPROVE, pg="nice",
                                customer_name="홍길동", **CARD)  # fmt: skip
    assert key.customer_uid == "cust_1" and key.pg_provider == "nice" and key.card_number
    assert api.customer("cust_1").customer_name == "홍길동"
    batch = api.customers(["cust_1", "cust_none"])
    assert [c.customer_uid for c in batch.found] == ["cust_1"] and batch.missing == ["cust_none"]
    paid = api.pay_again("cust_1", order(), 4900, name="정기결제")
    assert paid.status == "paid" and paid.customer_uid == "cust_1"
    history = api.customer_payments("cust_1")
    assert paid.imp_uid in {p.imp_uid for p in history.payments}
    assert paid.imp_uid in {p.imp_uid for p in api.iter_customer_payments("cust_1")}
    assert api.delete_billing_key("cust_1", reason="탈퇴").customer_uid == "cust_1"
    with pytest.raises(NotFound):
        api.customer("cust_1")
    with pytest.raises(NotFound):
        api.pay_again("cust_1", order(), 4900, name="정기결제")


def test_schedules_lifecycle(emu: EmulatorClient, api: Any) -> None:
    api.issue_billing_key("cust_s", card_number=APPROVE, pg="nice", **CARD)
    now = datetime.fromtimestamp(emu.now(), UTC)
    entries = [
        ScheduleEntry(merchant_uid="sch_1", schedule_at=now + timedelta(hours=1), amount=9900,
                      name="구독 1월"),
        ScheduleEntry(merchant_uid="sch_2", schedule_at=now + timedelta(hours=2), amount=9900,
                      name="구독 2월"),
    ]  # fmt: skip
    created = api.schedule("cust_s", entries)
    assert [s.merchant_uid for s in created] == ["sch_1", "sch_2"]
    assert created[0].schedule_status == "scheduled" and created[0].imp_uid is None
    moved = api.update_schedule("sch_2", now + timedelta(hours=3))
    assert moved.schedule_at == now + timedelta(hours=3)
    assert api.scheduled("sch_1").amount == 9900
    window = {"since": now, "until": now + timedelta(days=1)}
    assert api.schedules(**window).total == 2
    assert {s.merchant_uid for s in api.iter_schedules(**window, limit=1)} == {"sch_1", "sch_2"}
    assert api.schedules_by_customer("cust_s", **window).total == 2
    assert api.customer_schedules("cust_s", **window).total == 2
    revoked = api.unschedule("cust_s", ["sch_2"])
    assert [s.schedule_status for s in revoked] == ["revoked"]
    again = api.reschedule("sch_2", now + timedelta(hours=5))
    assert again.schedule_status == "scheduled"
    api.unschedule("cust_s", ["sch_2"])
    retried = api.retry_schedule("sch_2")
    assert retried.status == "paid" and retried.merchant_uid == "sch_2"
    with pytest.raises(NotFound):
        api.scheduled("sch_none")
    with pytest.raises(NotFound):
        api.unschedule("cust_nobody")
