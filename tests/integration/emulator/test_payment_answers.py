"""GET /payments/{imp_uid} reuses a payment's encoded answer: never after the payment changed.

Every door that changes a payment is walked through; after each step the single
lookup must equal the multi lookup (``GET /payments?imp_uid[]=``, which always
renders afresh), and its bytes must be the envelope's own encoding.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.support.emulator import EmulatorClient, seed

SETTLE_API = "channel-key-demo-settle-api"
PHONE = "01012345678"


def answer(emu: EmulatorClient, imp_uid: str) -> dict[str, Any]:
    """The single lookup, checked against a fresh rendering of the same payment."""
    single = emu.get(f"/payments/{imp_uid}")
    assert single.status_code == 200, single.text
    body = single.json()
    assert body["code"] == 0 and body["message"] is None, body
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    assert single.content == raw  # the envelope's bytes, in the same order
    fresh = emu.get("/payments", params={"imp_uid[]": [imp_uid]}).json()["response"]
    assert body["response"] == fresh[0]
    result: dict[str, Any] = body["response"]
    return result


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200 and response.json()["code"] == 0, response.text
    result: dict[str, Any] = response.json()["response"]
    return result


def test_a_card_payment_through_receipt_and_cancels(emu: EmulatorClient) -> None:
    imp_uid = seed(emu, pay_method="trans", pg="html5_inicis", amount=10000)["imp_uid"]
    first = answer(emu, imp_uid)
    assert answer(emu, imp_uid) == first  # read twice: the kept answer, unchanged
    assert first["status"] == "paid" and first["cash_receipt_issued"] is False
    ok(emu.post(f"/receipts/{imp_uid}", json={"identifier": PHONE}))
    assert answer(emu, imp_uid)["cash_receipt_issued"] is True
    ok(emu.delete(f"/receipts/{imp_uid}"))
    assert answer(emu, imp_uid)["cash_receipt_issued"] is False
    ok(emu.post("/payments/cancel", json={"imp_uid": imp_uid, "amount": 3000}))
    partly = answer(emu, imp_uid)
    assert partly["cancel_amount"] == 3000 and len(partly["cancel_history"]) == 1
    ok(emu.post("/payments/cancel", json={"imp_uid": imp_uid}))
    cancelled = answer(emu, imp_uid)
    assert cancelled["status"] == "cancelled" and cancelled["cancel_amount"] == 10000
    assert len(cancelled["cancel_receipt_urls"]) == 2


def test_a_virtual_account_through_edit_deposit_and_revoke(emu: EmulatorClient) -> None:
    body = {"channel_key": SETTLE_API, "amount": 25000, "vbank_code": "004",
            "vbank_due": emu.now() + 3 * 86400, "name": "가상계좌 주문", "vbank_holder": "페이데스크"}  # fmt: skip
    issued = ok(emu.post("/vbanks", json={**body, "merchant_uid": uuid.uuid4().hex}))
    imp_uid = issued["imp_uid"]
    assert answer(emu, imp_uid)["status"] == "ready"
    ok(emu.put(f"/vbanks/{imp_uid}", json={"amount": 30000}))
    assert answer(emu, imp_uid)["amount"] == 30000
    due = emu.now() + 5 * 86400
    ok(emu.put(f"/vbanks/{imp_uid}", json={"vbank_due": due}))
    assert answer(emu, imp_uid)["vbank_date"] == due
    emu.advance(60)
    deposit = emu.http.post(f"/_emulator/vbanks/{imp_uid}/deposit", json={"depositor_name": "홍"})
    assert deposit.status_code == 200, deposit.text
    paid = answer(emu, imp_uid)
    assert paid["status"] == "paid" and paid["paid_at"] == deposit.json()["response"]["paid_at"]
    other = ok(emu.post("/vbanks", json={**body, "merchant_uid": uuid.uuid4().hex}))["imp_uid"]
    assert answer(emu, other)["status"] == "ready"
    revoked = ok(emu.delete(f"/vbanks/{other}"))
    assert answer(emu, other) == revoked and revoked["status"] == "failed"


def test_a_failed_payment_paid_late_and_an_escrow_decision(emu: EmulatorClient) -> None:
    imp_uid = seed(emu, status="failed")["imp_uid"]
    assert answer(emu, imp_uid)["status"] == "failed"
    late = emu.http.post(f"/_emulator/payments/{imp_uid}/late-paid")
    assert late.status_code == 200, late.text
    paid = answer(emu, imp_uid)
    assert paid["status"] == "paid" and paid["fail_reason"] is None
    escrow = seed(emu, escrow=True, pg="html5_inicis")["imp_uid"]
    before = answer(emu, escrow)
    logis = {"company": "CJ", "invoice": "123", "sent_at": emu.now()}
    sender = {"name": "판매자", "tel": "0212345678", "addr": "서울", "postcode": "12345"}
    receiver = {"name": "구매자", "tel": "01012345678", "addr": "부산", "postcode": "54321"}
    registered = emu.post(
        f"/escrows/logis/{escrow}", json={"logis": logis, "sender": sender, "receiver": receiver}
    )
    assert registered.json()["code"] == 0, registered.text
    refused = emu.http.post(f"/_emulator/escrows/{escrow}/refuse", json={"reason": "파손"})
    assert refused.status_code == 200, refused.text
    assert answer(emu, escrow)["imp_uid"] == before["imp_uid"]
    ok(emu.post("/payments/cancel", json={"imp_uid": escrow}))
    assert answer(emu, escrow)["status"] == "cancelled"


def test_a_reset_and_a_new_payment_under_the_same_merchant_uid(emu: EmulatorClient) -> None:
    first = seed(emu, merchant_uid="order-same")["imp_uid"]
    answer(emu, first)
    emu.reset()
    assert emu.get(f"/payments/{first}").json()["code"] != 0  # gone with the reset
    second = seed(emu, merchant_uid="order-same", amount=777)["imp_uid"]
    assert answer(emu, second)["amount"] == 777
