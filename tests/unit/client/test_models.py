"""Wire models: exact money, aware timestamps, unknown fields kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pydantic import ValidationError

from paydesk.iamport.exchange import decode_json, encode_body
from paydesk.iamport.models import (
    Customer,
    Money,
    Payment,
    PaymentPage,
    ScheduleEntry,
    ScheduleResult,
)

from .replay import payment


def test_payment_reads_all_documented_fields_and_keeps_unknown_ones() -> None:
    data = payment(
        cancel_amount=3000,
        status="cancelled",
        cancelled_at=1700000100,
        cancel_history=[
            {
                "pg_tid": "t1",
                "amount": 3000,
                "cancelled_at": 1700000100,
                "reason": "부분환불",
                "cancellation_id": "cancel_1",
                "receipt_url": None,
            }
        ],
        deposit_history=[
            {"pg_tid": "d1", "amount": 10000, "depositor_name": "홍", "deposited_at": 1700000050}
        ],
        promotion={"id": "promotion-id-1", "discount": 1000},
        brand_new_field={"nested": 1},
    )
    parsed = Payment.model_validate(data)
    assert parsed.balance == 7000 and parsed.refundable == Money(7000, "KRW")
    assert parsed.cancel_history[0].cancellation_id == "cancel_1"
    assert parsed.deposit_history[0].deposited_at == datetime.fromtimestamp(1700000050, UTC)
    assert parsed.promotion is not None and parsed.promotion.discount == 1000
    assert parsed.model_extra == {"brand_new_field": {"nested": 1}}
    assert parsed.model_dump(mode="json")["brand_new_field"] == {"nested": 1}


def test_timestamps_are_aware_utc_and_zero_means_not_happened() -> None:
    parsed = Payment.model_validate(payment())
    assert parsed.paid_at == datetime(2023, 11, 14, 22, 13, 30, tzinfo=UTC)
    assert parsed.paid_at is not None and parsed.paid_at.tzinfo is UTC
    assert parsed.failed_at is None and parsed.cancelled_at is None and parsed.vbank_date is None
    assert parsed.model_dump(mode="json")["failed_at"] == 0
    assert parsed.model_dump(mode="json")["paid_at"] == 1700000010


def test_fractional_amounts_are_exact_decimals_never_floats() -> None:
    raw = b'{"imp_uid":"i","merchant_uid":"m","status":"paid","currency":"USD",' \
          b'"amount":10.10,"cancel_amount":0.1}'  # fmt: skip
    parsed = Payment.model_validate(decode_json(raw))
    assert parsed.amount == Decimal("10.10") and isinstance(parsed.amount, Decimal)
    assert parsed.balance == Decimal("10.00")
    whole = Payment.model_validate(decode_json(raw.replace(b"10.10", b"10.0")))
    assert whole.amount == 10 and type(whole.amount) is int


def test_krw_amounts_are_ints() -> None:
    parsed = Payment.model_validate(payment(amount=15000))
    assert type(parsed.amount) is int and type(parsed.balance) is int


def test_money_refuses_floats_and_mixed_currencies() -> None:
    with pytest.raises(TypeError):
        Money(10.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(True)
    with pytest.raises(ValueError):
        Money(10, "USD") - Money(1, "KRW")
    assert Money(Decimal("10.5"), "USD") - Money(Decimal("0.5"), "USD") == Money(10, "USD")


def test_amount_refuses_booleans() -> None:
    with pytest.raises(ValidationError):
        Payment.model_validate(payment(amount=True))


def test_page_reads_the_list_key() -> None:
    page = PaymentPage.model_validate({"total": 1, "previous": 0, "next": 2, "list": [payment()]})
    assert page.next == 2 and page.payments[0].imp_uid == "imp_100000000001"


def test_schedule_entry_needs_an_aware_time_and_encodes_unix_seconds() -> None:
    kst = timezone(timedelta(hours=9))
    entry = ScheduleEntry(
        merchant_uid="s1",
        schedule_at=datetime(2025, 1, 1, 9, 0, tzinfo=kst),
        amount=Decimal("9900"),
        name="구독",
    )
    assert entry.wire()["schedule_at"] == 1735689600 and entry.wire()["amount"] == 9900
    with pytest.raises(ValidationError):
        ScheduleEntry(merchant_uid="s", schedule_at=datetime(2025, 1, 1), amount=1, name="n")
    assert ScheduleEntry(merchant_uid="s", schedule_at=1735689600, amount=1, name="n").schedule_at


def test_schedule_result_pending_has_no_imp_uid_and_null_payment_status() -> None:
    result = ScheduleResult.model_validate(
        {"merchant_uid": "s1", "imp_uid": None, "schedule_at": 1735689600, "executed_at": 0,
         "revoked_at": 0, "amount": 9900, "schedule_status": "scheduled", "payment_status": None}
    )  # fmt: skip
    assert result.executed_at is None and result.payment_status is None


def test_super_billing_key_fields_use_python_names() -> None:
    key = Customer.model_validate(
        {"customer_uid": "c", "channelGroupId": "g", "succeededChannels": [
            {"pg_provider": "nice", "pg_id": "m", "inserted": 1}], "failedChannels": []}
    )  # fmt: skip
    assert key.channel_group_id == "g" and key.succeeded_channels[0].pg_provider == "nice"


def test_decimal_bodies_are_exact_on_the_wire() -> None:
    assert encode_body({"amount": Decimal("0.10"), "n": None}) == b'{"amount":"0.10"}'
    assert encode_body({"amount": Decimal("100.00")}) == b'{"amount":100}'
