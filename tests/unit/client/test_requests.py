"""Request building: each operation's method, path, query, body and identifying keys."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from paydesk.iamport.exchange import ApiRequest, encode_body
from paydesk.iamport.models import EscrowParty, EscrowShipment, ScheduleEntry
from paydesk.iamport.operations import (
    billing_keys,
    certifications,
    charges,
    codes,
    escrows,
    payments,
    prepare,
    receipts,
    schedules,
    vbanks,
)
from paydesk.iamport.operations.auth import token_request

from .replay import first_request

AT = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
AT_UNIX = 1735787045


def body(request: ApiRequest) -> dict[str, Any]:
    """The body exactly as it goes on the wire."""
    assert request.body is not None
    decoded: dict[str, Any] = json.loads(encode_body(request.body))
    return decoded


def test_payment_lookup_encodes_the_id_and_sandbox_flag() -> None:
    request = first_request(payments.payment("imp_1/../x", include_sandbox=True))
    assert (request.method, request.path) == ("GET", "/payments/imp_1%2F..%2Fx")
    assert request.query == (("include_sandbox", "true"),)
    assert request.safe and request.keys == {"imp_uid": "imp_1/../x"}
    assert first_request(payments.payment("imp_1")).query == ()


def test_multi_lookup_uses_php_array_keys() -> None:
    request = first_request(payments.payments(["a", "b"], ["m"]))
    assert request.path == "/payments"
    assert request.query == (("imp_uid[]", "a"), ("imp_uid[]", "b"), ("merchant_uid[]", "m"))
    with pytest.raises(ValueError):
        payments.payments()


def test_find_and_find_all_paths_with_optional_status() -> None:
    assert first_request(payments.find_payment("o 1")).path == "/payments/find/o%201"
    found = first_request(payments.find_payment("o1", "paid", sorting="-paid"))
    assert found.path == "/payments/find/o1/paid" and found.query == (("sorting", "-paid"),)
    listing = first_request(payments.find_payments("o1", page=2, limit=50))
    assert listing.path == "/payments/findAll/o1"
    assert dict(listing.query) == {"page": "2", "limit": "50"}
    with pytest.raises(ValueError):
        payments.find_payment("o1", "refunded")
    with pytest.raises(ValueError):
        payments.find_payment("")


def test_status_page_sends_unix_window() -> None:
    request = first_request(payments.payments_by_status("paid", since=AT, until=AT, limit=5))
    assert request.path == "/payments/status/paid"
    assert dict(request.query) == {
        "page": "1",
        "limit": "5",
        "from": str(AT_UNIX),
        "to": str(AT_UNIX),
    }


def test_prepare_sends_exact_money() -> None:
    request = first_request(prepare.prepare("o1", Decimal("12.50"), currency="USD"))
    assert (request.method, request.path) == ("POST", "/payments/prepare")
    assert body(request) == {"merchant_uid": "o1", "amount": "12.50", "currency": "USD"}
    update = first_request(prepare.update_prepared("o1", 5000))
    assert update.method == "PUT" and body(update) == {"merchant_uid": "o1", "amount": 5000}
    assert first_request(prepare.prepared("o1")).path == "/payments/prepare/o1"


def test_onetime_and_again_bodies_leave_out_what_was_not_given() -> None:
    onetime = first_request(
        charges.pay_onetime(
            "o1", 1000, card_number="4111-1111-1111-1111", expiry="2030-12", buyer_name="홍길동"
        )
    )
    assert onetime.path == "/subscribe/payments/onetime" and not onetime.safe
    assert body(onetime) == {
        "merchant_uid": "o1",
        "amount": 1000,
        "card_number": "4111-1111-1111-1111",
        "expiry": "2030-12",
        "buyer_name": "홍길동",
    }
    assert "card_number" not in onetime.keys  # card data never rides along in errors
    again = first_request(charges.pay_again("c1", "o2", 500, name="정기결제"))
    assert body(again) == {"customer_uid": "c1", "merchant_uid": "o2", "amount": 500,
                           "name": "정기결제"}  # fmt: skip


def test_billing_key_requests() -> None:
    issue = first_request(
        billing_keys.issue_billing_key(
            "c 1", card_number="4111", expiry="2030-12", channel_key="ck", customer_name="홍"
        )
    )
    assert (issue.method, issue.path) == ("POST", "/subscribe/customers/c%201")
    assert body(issue)["customer_name"] == "홍"
    delete = first_request(billing_keys.delete_billing_key("c1", reason="탈퇴", requester="admin"))
    assert delete.method == "DELETE"
    assert delete.query == (("reason", "탈퇴"), ("extra[requester]", "admin"))
    many = first_request(billing_keys.customers(["a", "b"]))
    assert many.query == (("customer_uid[]", "a"), ("customer_uid[]", "b"))
    schedules_of = first_request(billing_keys.customer_schedules("c1", since=AT, until=AT))
    assert schedules_of.path == "/subscribe/customers/c1/schedules"
    assert dict(schedules_of.query)["from"] == str(AT_UNIX)


def test_schedule_requests() -> None:
    entry = ScheduleEntry(merchant_uid="s1", schedule_at=AT, amount=9900, name="월 구독")
    request = first_request(schedules.schedule("c1", [entry]))
    assert body(request) == {
        "customer_uid": "c1",
        "schedules": [{"merchant_uid": "s1", "schedule_at": AT_UNIX, "amount": 9900,
                       "name": "월 구독", "currency": "KRW"}],
    }  # fmt: skip
    assert request.keys == {"customer_uid": "c1", "merchant_uids": ["s1"]}
    unschedule = first_request(schedules.unschedule("c1", ["s1"]))
    assert body(unschedule) == {"customer_uid": "c1", "merchant_uid": ["s1"]}
    listing = first_request(schedules.schedules(since=AT, until=AT, status="scheduled"))
    assert dict(listing.query)["schedule_status"] == "scheduled"
    move = first_request(schedules.reschedule("s1", AT))
    assert move.path.endswith("/s1/reschedule") and body(move) == {"schedule_at": AT_UNIX}
    assert first_request(schedules.update_schedule("s1", AT)).method == "PUT"
    assert first_request(schedules.retry_schedule("s1")).path.endswith("/s1/retry")
    by_customer = first_request(schedules.schedules_by_customer("c1", since=AT, until=AT))
    assert by_customer.path == "/subscribe/payments/schedule/customers/c1"


def test_vbank_requests() -> None:
    issue = first_request(
        vbanks.issue_vbank("o1", 25000, vbank_code="004", vbank_due=AT, pg_api_key="k")
    )
    assert issue.query == (("pg_api_key", "k"),)
    assert body(issue)["vbank_due"] == AT_UNIX
    edit = first_request(vbanks.edit_vbank("imp_1", amount=30000))
    assert edit.method == "PUT" and body(edit) == {"amount": 30000}
    with pytest.raises(ValueError):
        vbanks.edit_vbank("imp_1")
    assert first_request(vbanks.revoke_vbank("imp_1")).method == "DELETE"
    holder = first_request(vbanks.vbank_holder("004", "123"))
    assert dict(holder.query) == {"bank_code": "004", "bank_num": "123"}


def test_receipt_certification_escrow_and_code_requests() -> None:
    issue = first_request(receipts.issue_receipt("imp_1", identifier="010", receipt_type="person"))
    assert body(issue) == {"identifier": "010", "type": "person"}
    external = first_request(
        receipts.issue_external_receipt("m1", name="n", amount=1100, identifier="010")
    )
    assert external.path == "/receipts/external/m1"
    assert first_request(receipts.cancel_external_receipt("m1")).method == "DELETE"
    otp = first_request(
        certifications.request_otp(
            name="홍", phone="010", birth="900101", gender_digit="1", carrier="SKT"
        )
    )
    assert otp.path == "/certifications/otp/request"
    confirm = first_request(certifications.confirm_otp("imp_2", "123456"))
    assert body(confirm) == {"otp": "123456"}
    party = EscrowParty(name="홍", tel="010")
    shipment = EscrowShipment(company="CJGLS", invoice="1", sent_at=AT)
    logis = first_request(
        escrows.register_escrow_logis("imp_1", sender=party, receiver=party, logis=shipment)
    )
    assert body(logis)["logis"] == {"company": "CJGLS", "invoice": "1", "sent_at": AT_UNIX}
    banks = first_request(codes.banks())
    assert banks.cache and banks.path == "/banks"
    assert not first_request(codes.bank("004")).cache


def test_token_request_keeps_the_secret_out_of_error_context() -> None:
    request = token_request("key", "secret")
    assert not request.auth and request.safe
    assert "secret" not in json.dumps(request.keys)


def test_floats_are_refused_in_bodies() -> None:
    with pytest.raises(TypeError):
        encode_body({"amount": 10.5})
