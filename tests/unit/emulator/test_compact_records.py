"""Fields kept in a smaller form (memory per payment) read, dump and reload as before."""

from __future__ import annotations

import gc
import json
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from paydesk.emulator import DEFAULT_MERCHANTS, Clock, Gateway, load_state
from paydesk.emulator.gateway.records import (
    DERIVED,
    CompactSlot,
    Payment,
    WebhookRecord,
    _compact_payload,
)

SALES = "https://iamport.example/receipts/sales/"


def stateful(path: Path) -> Gateway:
    merchants = [m.model_copy(deep=True) for m in DEFAULT_MERCHANTS]
    state = load_state(path) if path.exists() else None
    return Gateway(merchants, clock=Clock(lambda: 1_700_000_000.0), state=state, state_path=path)


def allocated(make: Callable[[], Any], count: int = 2000) -> float:
    """Bytes per object that stay allocated while ``count`` of ``make()`` are kept."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = [make() for _ in range(count)]
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(kept) == count
    return (after - before) / count


def paid(gw: Gateway, merchant_uid: str) -> Payment:
    merchant = gw.merchant("imp00000001")
    channel = merchant.pick("nice", "api_payment")
    assert channel is not None
    payment = gw.start_payment(merchant, channel, merchant_uid=merchant_uid, amount=1000)
    return gw.approve(payment, card_code="366")


def test_a_paid_payments_receipt_url_is_rebuilt_from_its_imp_uid(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    gw = stateful(path)
    payment = paid(gw, "order-1")
    url = SALES + payment.imp_uid
    assert Payment.__dict__["receipt_url"].stored(payment) is DERIVED
    assert payment.receipt_url == url
    assert payment.wire()["receipt_url"] == url
    assert payment.model_dump()["receipt_url"] == url
    assert list(payment.model_dump()).index("receipt_url") == 45  # the same key order
    assert f"receipt_url='{url}'" in repr(payment)
    gw.flush()
    gw.close()
    snapshot = json.loads(path.read_text())  # the first save is a snapshot
    assert snapshot["ledgers"]["imp00000001"]["payments"][payment.imp_uid]["receipt_url"] == url
    again = load_state(path).ledger("imp00000001").payments[payment.imp_uid]
    assert again.receipt_url == url and again == payment
    # any other URL, or none, is kept as given
    payment.receipt_url = SALES + "imp_000000000000"
    assert payment.receipt_url == SALES + "imp_000000000000"
    payment.receipt_url = None
    assert payment.receipt_url is None and payment.wire()["receipt_url"] is None
    payment.receipt_url = url
    assert payment.receipt_url == url


def test_the_derived_marker_is_what_the_slot_holds() -> None:
    payment = Payment(imp_uid="imp_1", merchant_uid="m", amount=1, imp_code="c")
    payment.receipt_url = SALES + "imp_1"
    slot = Payment.__dict__["receipt_url"]
    assert isinstance(slot, CompactSlot)
    assert slot.stored(payment) is DERIVED
    payment.receipt_url = "https://elsewhere.example/r"
    assert slot.stored(payment) == "https://elsewhere.example/r"
    built = Payment(imp_uid="imp_2", merchant_uid="m", amount=1, imp_code="c",
                    receipt_url=SALES + "imp_2")  # fmt: skip
    assert slot.stored(built) is DERIVED and built.receipt_url == SALES + "imp_2"


def test_webhook_ids_and_plain_payloads_are_compact_and_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    gw = stateful(path)
    payment = paid(gw, "order-1")
    record = gw.state.webhooks[-1]
    expected = {"imp_uid": payment.imp_uid, "merchant_uid": "order-1", "status": "paid"}
    assert record.payload == expected and type(record.payload) is dict
    assert json.dumps(record.payload) == json.dumps(expected)  # same keys, same order
    assert allocated(lambda: _compact_payload(dict(expected))) < 0.7 * allocated(
        lambda: dict(expected)
    )  # a split dict: about 100 bytes against 184
    assert record.id == f"wh_{gw.state.sequence:08d}"
    assert WebhookRecord.__dict__["id"].stored(record) == gw.state.sequence  # an int
    dumped = record.model_dump(mode="json")
    assert dumped["id"] == record.id and dumped["payload"] == expected
    assert list(dumped) == [
        "id", "imp_code", "url", "content_type", "payload", "event", "created_at", "attempts",
        "state", "next_attempt_at",
    ]  # fmt: skip
    gw.flush()
    gw.close()
    loaded = load_state(path).webhooks[-1]
    assert loaded == record and loaded.id == record.id and loaded.payload == expected
    # other ids and payloads are kept as given
    odd = WebhookRecord(
        id="wh_１２３４５６７８", imp_code="c", url=None,
        payload={"status": "paid", "imp_uid": "imp_1", "merchant_uid": "m"},
        event="paid", created_at=1.0,
    )  # fmt: skip
    assert odd.id == "wh_１２３４５６７８"
    assert list(odd.payload) == ["status", "imp_uid", "merchant_uid"]
    for other in ("wh_123", "wh_000000001", "hook-1"):
        odd.id = other
        assert odd.id == other
    # an event webhook's payload has more keys: kept as an ordinary dict
    extra = {"imp_uid": "imp_1", "merchant_uid": "m", "status": "paid", "event": "x"}
    odd.payload = extra
    assert odd.payload == extra
