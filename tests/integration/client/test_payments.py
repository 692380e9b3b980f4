"""Payment lookups and verification through both clients, against the emulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from paydesk.iamport import NotFound, Payment, Verdict
from tests.support.emulator import EmulatorClient, seed


def test_payment_by_imp_uid(emu: EmulatorClient, api: Any) -> None:
    seeded = seed(emu, amount=15000, buyer_name="홍길동")
    found = api.payment(seeded["imp_uid"])
    assert isinstance(found, Payment)
    assert found.imp_uid == seeded["imp_uid"] and found.merchant_uid == seeded["merchant_uid"]
    assert found.amount == 15000 and type(found.amount) is int and found.status == "paid"
    assert found.paid_at == datetime.fromtimestamp(seeded["paid_at"], UTC)
    assert found.failed_at is None and found.cancelled_at is None
    assert found.card_number and found.apply_num


def test_unknown_payment_is_not_found(api: Any) -> None:
    with pytest.raises(NotFound) as caught:
        api.payment("imp_000000000000")
    assert caught.value.http_status == 404 and caught.value.keys == {"imp_uid": "imp_000000000000"}


def test_multi_lookup_partial_and_none(emu: EmulatorClient, api: Any) -> None:
    one, two = seed(emu), seed(emu)
    batch = api.payments([one["imp_uid"], "imp_000000000000"], [two["merchant_uid"], "nope"])
    assert {p.imp_uid for p in batch.found} == {one["imp_uid"], two["imp_uid"]}
    assert batch.missing_imp_uids == ["imp_000000000000"]
    assert batch.missing_merchant_uids == ["nope"] and batch.partial
    nothing = api.payments(["imp_000000000000"])
    assert nothing.found == [] and nothing.partial


def test_find_and_find_all_by_merchant_uid(emu: EmulatorClient, api: Any) -> None:
    seed(emu, merchant_uid="order_77", status="failed")
    paid = seed(emu, merchant_uid="order_77", amount=7700)
    assert api.find_payment("order_77").imp_uid == paid["imp_uid"]
    assert api.find_payment("order_77", "failed").status == "failed"
    page = api.find_payments("order_77", limit=1)
    assert page.total == 2 and len(page.payments) == 1 and page.next == 2
    assert len(list(api.iter_find_payments("order_77", limit=1))) == 2
    with pytest.raises(NotFound):
        api.find_payment("order_none")


def test_status_listing_walks_windows_and_pages(emu: EmulatorClient, api: Any) -> None:
    now = emu.now()
    days = [0, 1, 100, 101, 200]  # spread over three 90-day windows
    expected = {seed(emu, paid_at=now - d * 86400)["imp_uid"] for d in days}
    seed(emu, status="failed")
    since = datetime.fromtimestamp(now - 250 * 86400, UTC)
    until = datetime.fromtimestamp(now + 60, UTC)
    walked = list(api.iter_payments_by_status("paid", since=since, until=until, limit=1))
    assert [p.imp_uid for p in walked] and {p.imp_uid for p in walked} == expected
    assert len(walked) == len(expected)
    first = api.payments_by_status("paid", since=until - timedelta(days=90), until=until, limit=1)
    assert first.total == 2 and first.next == 2


def test_verify_payment_verdicts(emu: EmulatorClient, api: Any) -> None:
    paid = seed(emu, amount=30000, merchant_uid="order_v1")
    ready = seed(emu, amount=30000, merchant_uid="order_v2", status="ready")
    assert api.verify_payment(paid["imp_uid"], 30000, "order_v1").verdict is Verdict.OK
    assert api.verify_payment(paid["imp_uid"], 29000, "order_v1").verdict is Verdict.AMOUNT_MISMATCH
    assert (
        api.verify_payment(paid["imp_uid"], 30000, "order_v2").verdict
        is Verdict.MERCHANT_UID_MISMATCH
    )
    not_paid = api.verify_payment(ready["imp_uid"], 30000, "order_v2")
    assert not_paid.verdict is Verdict.NOT_PAID and not_paid.status == "ready"
    forged = api.verify_payment("imp_999999999999", 30000, "order_v1")
    assert forged.verdict is Verdict.UNKNOWN and forged.payment is None


def test_prepare_lifecycle(api: Any) -> None:
    registered = api.prepare("order_p1", 12000)
    assert registered.merchant_uid == "order_p1" and registered.amount == 12000
    assert api.update_prepared("order_p1", 15000, currency="KRW").amount == 15000
    assert api.prepared("order_p1").amount == 15000
    with pytest.raises(NotFound):
        api.prepared("order_unknown")
