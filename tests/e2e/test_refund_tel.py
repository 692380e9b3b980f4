"""Old smartro's card refund with only the holder's phone, through the API against the emulator.

The emulator, like i'mport, refuses every old-smartro cancel without ``refund_tel``
(a card's included) and needs no refund account for a card: the refund is asked for
with the phone alone, or, owed by us, waits in ``needs_refund_tel`` until
``POST /api/refunds/{id}/tel`` gives it. A missing or malformed phone is a problem
document; the phone never comes back in an answer.
"""

from __future__ import annotations

import pytest

from tests.support.emulator import EmulatorClient

from .harness import Shop, underpaid_by_webhook
from .test_refunds_api import PROBLEM, books_agree, paid_order, refund, settle

pytestmark = pytest.mark.asyncio
TEL = "010-9876-5432"
#: as a merchant's form may send it: +82 is the leading 0, spaces are dropped
ABROAD = "+82 10 9876 5432"
MALFORMED = ["12", "010-1234-567a", "010--1234-5678", "+82-+10-1234-5678", "0101234567890123",
             "010 12 34", "-010-1234-5678", "+1-212-555-0100"]  # fmt: skip


def cancelled_at_the_gateway(emu: EmulatorClient, imp_uid: str) -> int:
    payment = emu.get(f"/payments/{imp_uid}").json()["response"]
    assert payment["status"] == "cancelled", payment
    return int(payment["cancel_amount"])


async def test_an_old_smartro_card_refund_goes_with_the_phone_alone(
    shop: Shop, emu: EmulatorClient
) -> None:
    order, imp_uid = await paid_order(shop, emu, pay_method="card", pg="smartro")
    missing = await refund(shop, order["id"])
    assert (missing.status_code, missing.headers["content-type"]) == (422, PROBLEM)
    assert missing.json()["rule"] == "refund_tel"
    for bad in MALFORMED:
        answer = await refund(shop, order["id"], refund_tel=bad)
        assert (answer.status_code, answer.headers["content-type"]) == (422, PROBLEM), bad
    assert (await shop.http.get(f"/api/orders/{order['id']}/refunds")).json() == []

    answer = await refund(shop, order["id"], refund_tel=TEL)
    assert answer.status_code == 201, answer.text
    made = answer.json()
    assert made["state"] == "succeeded", made
    assert made["refund_account"] is None
    assert TEL not in answer.text and "98765432" not in answer.text
    assert cancelled_at_the_gateway(emu, imp_uid) == 30_000
    assert await books_agree(shop, emu, order, imp_uid) == 30_000


async def test_an_owed_old_smartro_card_refund_waits_for_the_phone_in_the_api(
    shop: Shop, emu: EmulatorClient
) -> None:
    merchant_uid, imp_uid = await underpaid_by_webhook(
        shop, emu, "mug", amount=300, pay_method="card", pg="smartro"
    )
    await settle(shop)  # the refund owed for the wrong amount has no phone to go with

    order = await shop.order_state(merchant_uid)
    [owed] = (await shop.http.get(f"/api/orders/{order['id']}/refunds")).json()
    assert (order["status"], owed["origin"], owed["state"]) == ("flagged", "auto",
                                                                "needs_refund_tel")  # fmt: skip
    assert owed["last_error"].startswith("refund_tel") and owed["attempts"] == []

    url = f"/api/refunds/{owed['id']}/tel"
    for body in [{}, {"refund_tel": None}, *({"refund_tel": bad} for bad in MALFORMED),
                 {"refund_tel": TEL, "refund_holder": "x"}]:  # fmt: skip
        answer = await shop.http.post(url, json=body)
        assert (answer.status_code, answer.headers["content-type"]) == (422, PROBLEM), body
    account = await shop.http.post(f"/api/refunds/{owed['id']}/account", json={
        "refund_holder": "홍길동", "refund_bank": "088", "refund_account": "11122233344"})  # fmt: skip
    assert 400 <= account.status_code < 500 and account.headers["content-type"] == PROBLEM
    assert (await shop.http.get(f"/api/refunds/{owed['id']}")).json()["state"] == (
        "needs_refund_tel")  # fmt: skip

    given = await shop.http.post(url, json={"refund_tel": ABROAD})
    assert (given.status_code, given.json()["state"]) == (200, "succeeded"), given.text
    assert TEL not in given.text and "98765432" not in given.text
    assert given.json()["attempts"][0]["request"]["refund_tel"] == "***32"
    again = await shop.http.post(url, json={"refund_tel": TEL})
    assert (again.status_code, again.json()["rule"]) == (409, "not_waiting")
    assert cancelled_at_the_gateway(emu, imp_uid) == 300
    assert await books_agree(shop, emu, order, imp_uid) == 300
    missing = await shop.http.post("/api/refunds/99999/tel", json={"refund_tel": TEL})
    assert (missing.status_code, missing.headers["content-type"]) == (404, PROBLEM)
