"""The card-charge decisions and the charge shell, on a real in-memory Gateway."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from paydesk.emulator import DEFAULT_MERCHANTS, Clock, Gateway
from paydesk.emulator.gateway.charging import (
    CardInput,
    CardRejected,
    charge_card,
    check_merchant_uid,
    decide,
    expiry_passed,
    find_key,
    hangs,
    issue_billing_key,
    pick_api_channel,
    read_card,
    tax_split,
)
from paydesk.emulator.gateway.errors import ApiFault
from paydesk.emulator.gateway.merchants import Channel, Merchant
from paydesk.emulator.gateway.params import Params
from paydesk.emulator.gateway.records import Prepared, Schedule
from paydesk.emulator.gateway.scheduler import run_due_schedules

KST = timezone(timedelta(hours=9))
START = datetime(2026, 3, 15, 12, 0, tzinfo=KST).timestamp()


class Clockwork:
    """A hand-moved time source for the Clock."""

    def __init__(self, at: float) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


@pytest.fixture
def gateway() -> Gateway:
    merchants = [m.model_copy(deep=True) for m in DEFAULT_MERCHANTS]
    return Gateway(merchants, clock=Clock(Clockwork(START)))


@pytest.fixture
def merchant(gateway: Gateway) -> Merchant:
    return gateway.merchant("imp00000001")


@pytest.fixture
def nice(merchant: Merchant) -> Channel:
    return pick_api_channel(merchant, "nice", None)


def card(number: str = "4111111111111111", year: int = 2030, month: int = 12) -> CardInput:
    return CardInput(number=number, expiry_year=year, expiry_month=month)


# -- pure decisions --------------------------------------------------------------------
def test_read_card_accepts_dashes_and_checks_expiry_format() -> None:
    read = read_card(Params({"card_number": "4111-1111-1111-1111", "expiry": "2030-07"}, 200))
    assert (read.number, read.expiry_year, read.expiry_month) == ("4111111111111111", 2030, 7)
    assert read_card(Params({"card_number": "4111", "expiry": "203007"}, 200)).expiry_month == 7
    for bad in ("2030-13", "07/30", "2030"):
        with pytest.raises(ApiFault) as info:
            read_card(Params({"card_number": "4111", "expiry": bad}, 200))
        assert info.value.http_status == 200 and info.value.code == 1


def test_card_is_valid_through_its_expiry_month_in_korean_time() -> None:
    end_of_march = datetime(2026, 3, 31, 23, 59, tzinfo=KST).timestamp()
    april_kst = datetime(2026, 4, 1, 0, 1, tzinfo=KST).timestamp()  # still March in UTC
    assert not expiry_passed(card(year=2026, month=3), int(end_of_march))
    assert expiry_passed(card(year=2026, month=3), int(april_kst))


@pytest.mark.parametrize(
    ("number", "outcome", "approved"),
    [
        ("4111111111111111", "approve", True),
        ("4000000000000002", "decline", False),
        ("4000000000009995", "insufficient", False),
        ("4000000000000259", "hang", True),
        ("4242424242424242", "approve", True),
    ],
)
def test_decide_follows_the_test_card(number: str, outcome: str, approved: bool) -> None:
    decision = decide(card(number), int(START))
    assert decision.outcome == outcome and decision.approved is approved
    assert (decision.fail_reason is None) is approved
    assert decision.card_fields["card_number"] == number[:6] + "******" + number[-4:]


def test_decide_refuses_invalid_numbers_and_fails_expired_cards() -> None:
    with pytest.raises(CardRejected) as info:
        decide(card("1234123412341234"), int(START))
    assert "유효하지않은 카드번호를 입력하셨습니다." in info.value.detail
    expired = decide(card("4000000000000002", year=2020, month=1), int(START))
    assert expired.outcome == "expired" and "유효기간" in (expired.fail_reason or "")


def test_hangs_only_for_the_hanging_card() -> None:
    assert hangs(card("4000000000000259"), int(START))
    assert not hangs(card("4000000000000259", year=2020), int(START))
    assert not hangs(card("4111111111111111"), int(START))
    assert not hangs(card("1234"), int(START))


def test_tax_split() -> None:
    assert tax_split("kcp", "onetime", 10000, None, None) == (0, None)
    assert tax_split("kcp", "onetime", 10000, 2000, 500) == (2000, None)  # VAT not honoured
    assert tax_split("nice", "onetime", 10000, 2000, 500) == (2000, 500)
    assert tax_split("tosspay_v2", "again", 10000, 0, 0) == (0, 0)
    assert tax_split("tosspay_v2", "onetime", 10000, 0, 0) == (0, None)
    with pytest.raises(ValueError, match="tax_free"):
        tax_split("nice", "onetime", 10000, 10001, None)
    with pytest.raises(ValueError, match="vat_amount"):
        tax_split("nice", "onetime", 10000, 5000, 5001)
    with pytest.raises(ValueError, match="10%"):
        tax_split("welcome", "onetime", 10000, 0, 1001)


# -- lookups & merchant_uid rules ----------------------------------------------------------
def test_pick_api_channel(merchant: Merchant) -> None:
    assert pick_api_channel(merchant, "kcp", None).pg_provider == "kcp"
    assert pick_api_channel(merchant, "kakaopay", None).type == "api_payment"  # default
    window = next(c for c in merchant.channels if c.type == "payment")
    with pytest.raises(ApiFault) as info:
        pick_api_channel(merchant, None, window.channel_key)
    assert info.value.code == 1 and "비인증결제모듈" in info.value.message
    bare = Merchant(imp_code="imp1", imp_key="k", imp_secret="s", channels=[window])
    with pytest.raises(ApiFault):
        pick_api_channel(bare, "nice", None)


def test_check_merchant_uid(gateway: Gateway, merchant: Merchant, nice: Channel) -> None:
    failed = charge_card(gateway, merchant, nice, merchant_uid="m1", amount=1000,
                         card=card("4000000000000002"))  # fmt: skip
    assert failed.status == "failed"
    check_merchant_uid(gateway, merchant, "m1", 1000)  # failed attempts do not block
    charge_card(gateway, merchant, nice, merchant_uid="m1", amount=1000, card=card())
    with pytest.raises(ApiFault, match="m1"):
        check_merchant_uid(gateway, merchant, "m1", 1000)
    gateway.ledger(merchant).prepared["m2"] = Prepared(
        merchant_uid="m2", amount=5000, currency="KRW", imp_code=merchant.imp_code
    )
    check_merchant_uid(gateway, merchant, "m2", 5000, "KRW")
    with pytest.raises(ApiFault, match="사전등록"):
        check_merchant_uid(gateway, merchant, "m2", 4000, "KRW")
    with pytest.raises(ApiFault):
        check_merchant_uid(gateway, merchant, "m2", 5000, "USD")


# -- the shell ---------------------------------------------------------------------------------
def test_charge_card_approves_with_card_data(
    gateway: Gateway, merchant: Merchant, nice: Channel
) -> None:
    payment = charge_card(gateway, merchant, nice, merchant_uid="a", amount=60000, card=card(),
                          card_quota=6, name="상품", tax_free=1000)  # fmt: skip
    assert payment.status == "paid" and payment.paid_at == int(START)
    assert payment.card_quota == 6 and payment.card_name == "신한카드"
    assert payment.channel == "api" and payment.tax_free == 1000
    assert payment.card_issuer_code is None  # nice reports no issuer
    assert [w.payload["status"] for w in gateway.state.webhooks] == ["paid"]


def test_charge_card_declines_quietly_unless_asked(
    gateway: Gateway, merchant: Merchant, nice: Channel
) -> None:
    quiet = charge_card(gateway, merchant, nice, merchant_uid="d1", amount=1000,
                        card=card("4000000000009995"))  # fmt: skip
    assert quiet.status == "failed" and quiet.fail_reason and quiet.card_name == "현대카드"
    assert gateway.state.webhooks == []
    loud = charge_card(gateway, merchant, nice, merchant_uid="d2", amount=1000,
                       card=card("4000000000009995"), announce_failure=True)  # fmt: skip
    assert [w.payload for w in gateway.state.webhooks] == [
        {"imp_uid": loud.imp_uid, "merchant_uid": "d2", "status": "failed"}
    ]


def test_invalid_card_records_no_payment(
    gateway: Gateway, merchant: Merchant, nice: Channel
) -> None:
    with pytest.raises(CardRejected):
        charge_card(gateway, merchant, nice, merchant_uid="x", amount=1000, card=card("1234"))
    assert gateway.ledger(merchant).payments == {}


def test_issued_key_remembers_outcome_and_reissue_keeps_inserted(
    gateway: Gateway, merchant: Merchant, nice: Channel
) -> None:
    customer = {"customer_name": "홍길동", "customer_tel": None}
    first = issue_billing_key(gateway, merchant, nice, "c1", card("4000000000000002"), customer)
    assert first.card_outcome == "decline" and first.customer_name == "홍길동"
    payment = charge_card(gateway, merchant, nice, merchant_uid="k1", amount=1000, card=first,
                          usage="payment")  # fmt: skip
    assert payment.status == "failed" and payment.customer_uid_usage == "payment"
    gateway.clock.advance(100)
    toss = pick_api_channel(merchant, "tosspayments", None)
    second = issue_billing_key(gateway, merchant, toss, "c1", card(), {"customer_name": None})
    assert second.inserted == first.inserted and second.updated == first.updated + 100
    assert second.customer_name == "홍길동" and second.pg_provider == "tosspayments"
    assert second.card_issuer_name == "신한카드"  # tosspayments reports the issuer
    assert find_key(gateway, merchant, "c1") is second
    with pytest.raises(CardRejected):
        issue_billing_key(gateway, merchant, nice, "c2", card(year=2020), {})


def test_run_due_schedules(gateway: Gateway, merchant: Merchant, nice: Channel) -> None:
    issue_billing_key(gateway, merchant, nice, "ok", card(), {})
    issue_billing_key(gateway, merchant, nice, "no", card("4000000000000002"), {})
    now = gateway.now()
    books = gateway.ledger(merchant).schedules
    for uid, customer_uid, at in (("s1", "ok", now + 10), ("s2", "no", now + 10),
                                  ("s3", "ok", now + 100)):  # fmt: skip
        books[uid] = Schedule(customer_uid=customer_uid, merchant_uid=uid, schedule_at=at,
                              amount=1000, imp_code=merchant.imp_code,
                              notice_url="http://hook")  # fmt: skip
    run_due_schedules(gateway)
    assert all(s.schedule_status == "scheduled" for s in books.values())
    gateway.clock.advance(10)
    run_due_schedules(gateway)
    assert (books["s1"].payment_status, books["s2"].payment_status) == ("paid", "failed")
    assert books["s3"].schedule_status == "scheduled"
    assert sorted((w.payload["merchant_uid"], w.payload["status"], w.url)
                  for w in gateway.state.webhooks) == [
        ("s1", "paid", "http://hook"), ("s2", "failed", "http://hook")]  # fmt: skip
    paid = gateway.ledger(merchant).payments[books["s1"].imp_uid or ""]
    assert paid.customer_uid_usage == "payment.scheduled" and paid.customer_uid == "ok"
