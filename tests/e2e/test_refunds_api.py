"""Refunds through the API against the emulator, under every fault class of the taxonomy.

Each test ends the same way: what our books say was refunded equals the
gateway's ``cancel_amount``, and never more than was paid.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.emulator import EmulatorClient, seed

from .harness import Shop
from .test_cancel import console_cancel

pytestmark = pytest.mark.asyncio
PROBLEM = "application/problem+json"


async def paid_order(shop: Shop, emu: EmulatorClient, *, price: int = 30_000,
                     **payment: Any) -> tuple[dict[str, Any], str]:  # fmt: skip
    """An order paid at the emulator and settled by the completion call (no webhooks)."""
    product = await shop.product(f"p{price}{len(payment)}", stock=5, price=price)
    placed = await shop.order((product["id"], 1))
    merchant_uid = placed["request_pay"]["merchant_uid"]
    paid = seed(emu, merchant_uid=merchant_uid, amount=price, **payment)
    done = await shop.http.post("/iamport/complete", json={"imp_uid": paid["imp_uid"]})
    assert done.json()["order"]["status"] == "paid", done.text
    return placed["order"], paid["imp_uid"]


async def refund(shop: Shop, order_id: int, **body: Any) -> Any:
    return await shop.http.post(f"/api/orders/{order_id}/refunds",
                                json={"reason": "고객 요청", **body})  # fmt: skip


async def settle(shop: Shop) -> None:
    """Let the worker finish what the request left (time moves past every backoff)."""
    for _ in range(6):
        shop.clock.advance(120)
        await shop.run_worker()


async def books_agree(shop: Shop, emu: EmulatorClient, order: dict[str, Any], imp_uid: str) -> int:
    state = await shop.order_state(order["merchant_uid"])
    gateway = emu.get(f"/payments/{imp_uid}").json()["response"]
    ours = sum(r["amount"] for r in state["refunds"] if r["state"] == "succeeded")
    assert ours == state["refunded_amount"] == gateway["cancel_amount"] <= gateway["amount"]
    return int(ours)


async def test_a_full_refund_succeeds_at_once_and_is_listed_with_its_attempt(
    shop: Shop, emu: EmulatorClient
) -> None:
    order, imp_uid = await paid_order(shop, emu)
    answer = await refund(shop, order["id"])
    assert answer.status_code == 201, answer.text
    made = answer.json()
    assert (made["state"], made["amount"], made["origin"]) == ("succeeded", 30_000, "merchant")
    assert [(a["number"], a["classification"], a["checksum"]) for a in made["attempts"]] == [
        (1, "succeeded", 30_000)]  # fmt: skip
    assert answer.headers["location"] == f"/api/refunds/{made['id']}"

    listed = (await shop.http.get(f"/api/orders/{order['id']}/refunds")).json()
    assert [r["id"] for r in listed] == [made["id"]]
    assert (await shop.http.get(f"/api/refunds/{made['id']}")).json()["state"] == "succeeded"
    assert (await shop.order_state(order["merchant_uid"]))["status"] == "refunded"
    assert await books_agree(shop, emu, order, imp_uid) == 30_000


async def test_partial_refunds_stop_at_the_balance_with_a_named_rule(
    shop: Shop, emu: EmulatorClient
) -> None:
    order, imp_uid = await paid_order(shop, emu)
    assert (await refund(shop, order["id"], amount=10_000)).json()["state"] == "succeeded"
    assert (await refund(shop, order["id"], amount=15_000)).json()["state"] == "succeeded"
    over = await refund(shop, order["id"], amount=6_000)
    assert (over.status_code, over.headers["content-type"]) == (422, PROBLEM)
    assert over.json()["rule"] == "balance"
    rest = await refund(shop, order["id"])  # no amount: what is left
    assert (rest.json()["state"], rest.json()["amount"]) == ("succeeded", 5_000)
    assert await books_agree(shop, emu, order, imp_uid) == 30_000
    done = await refund(shop, order["id"])
    assert (done.status_code, done.json()["rule"]) == (409, "not_refundable")


async def test_the_same_idempotency_key_returns_the_same_refund_and_refunds_once(
    shop: Shop, emu: EmulatorClient
) -> None:
    order, imp_uid = await paid_order(shop, emu)
    key = {"Idempotency-Key": "refund-1"}
    url = f"/api/orders/{order['id']}/refunds"
    first = await shop.http.post(url, json={"reason": "r", "amount": 1_000}, headers=key)
    again = await shop.http.post(url, json={"reason": "r", "amount": 1_000}, headers=key)
    assert first.json()["id"] == again.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    other = await shop.http.post(url, json={"reason": "r", "amount": 2_000}, headers=key)
    assert (other.status_code, other.headers["content-type"]) == (409, PROBLEM)
    assert await books_agree(shop, emu, order, imp_uid) == 1_000


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param({"kind": "no_answer", "mode": "drop"}, id="timeout-after-commit"),
        pytest.param({"kind": "error", "status": 503}, id="5xx-nothing-done"),
        pytest.param({"kind": "drop", "mode": "drop"}, id="lost-before-doing-anything"),
    ],
)
async def test_a_cancel_whose_answer_is_lost_is_reconciled_never_repeated(
    shop: Shop, emu: EmulatorClient, fault: dict[str, Any]
) -> None:
    order, imp_uid = await paid_order(shop, emu)
    emu.fault(path="/payments/cancel", method="POST", times=1, **fault)
    answer = await refund(shop, order["id"], amount=7_000)
    assert answer.status_code == 201, answer.text
    assert answer.json()["state"] == "unknown"

    await settle(shop)
    [made] = (await shop.http.get(f"/api/orders/{order['id']}/refunds")).json()
    assert made["state"] == "succeeded"
    assert made["attempts"][0]["classification"] == "unknown"
    assert await books_agree(shop, emu, order, imp_uid) == 7_000


async def test_a_console_cancel_we_never_heard_of_is_caught_by_the_checksum(
    shop: Shop, emu: EmulatorClient
) -> None:
    order, imp_uid = await paid_order(shop, emu)  # no webhooks: we miss the console cancel
    console_cancel(emu, imp_uid, 5_000)
    answer = await refund(shop, order["id"], amount=10_000)
    assert answer.json()["attempts"][0]["classification"] == "rejected-retryable"

    await settle(shop)
    refunds = (await shop.http.get(f"/api/orders/{order['id']}/refunds")).json()
    assert sorted((r["origin"], r["state"], r["amount"]) for r in refunds) == [
        ("external", "succeeded", 5_000), ("merchant", "succeeded", 10_000)]  # fmt: skip
    assert await books_agree(shop, emu, order, imp_uid) == 15_000


async def test_a_temporary_refusal_by_the_pg_is_retried_until_it_succeeds(
    shop: Shop, emu: EmulatorClient
) -> None:
    order, imp_uid = await paid_order(shop, emu)
    # i'mport's envelope with code -1 and a temporary PG failure, nothing cancelled
    emu.fault(path="/payments/cancel", method="POST", kind="error", status=200, times=1)
    answer = await refund(shop, order["id"], amount=4_000)
    made = answer.json()
    assert (answer.status_code, made["state"]) == (201, "requested"), answer.text
    assert made["attempts"][0]["classification"] == "rejected-retryable"

    await settle(shop)
    done = (await shop.http.get(f"/api/refunds/{made['id']}")).json()
    assert done["state"] == "succeeded"
    assert [a["classification"] for a in done["attempts"]] == ["rejected-retryable", "succeeded"]
    assert await books_agree(shop, emu, order, imp_uid) == 4_000


async def test_a_refusal_by_imports_own_rules_fails_the_refund_for_good(
    shop: Shop, emu: EmulatorClient
) -> None:
    order, imp_uid = await paid_order(shop, emu, pay_method="phone", pg="danal")
    emu.advance(40 * 86_400)  # i'mport's clock is in a later month; ours has not moved
    answer = await refund(shop, order["id"])
    made = answer.json()
    assert (answer.status_code, made["state"]) == (201, "failed"), answer.text
    assert made["attempts"][0]["classification"] == "rejected-permanent"
    assert made["last_error"]

    await settle(shop)
    again = (await shop.http.get(f"/api/refunds/{made['id']}")).json()
    assert (again["state"], len(again["attempts"])) == ("failed", 1)  # never sent again
    assert await books_agree(shop, emu, order, imp_uid) == 0


async def test_a_payment_cancelled_in_full_elsewhere_fails_the_refund_for_good(
    shop: Shop, emu: EmulatorClient
) -> None:
    order, imp_uid = await paid_order(shop, emu)
    console_cancel(emu, imp_uid)
    answer = await refund(shop, order["id"], amount=1_000)
    made = answer.json()
    assert made["state"] == "failed" and made["last_error"]
    assert made["attempts"][0]["classification"] == "rejected-permanent"
    await settle(shop)
    assert (await shop.http.get(f"/api/refunds/{made['id']}")).json()["state"] == "failed"
    assert await books_agree(shop, emu, order, imp_uid) == 30_000


async def test_a_virtual_account_refund_needs_and_checks_the_refund_account(
    shop: Shop, emu: EmulatorClient
) -> None:
    order, imp_uid = await paid_order(shop, emu, pay_method="vbank", pg="nice")
    missing = await refund(shop, order["id"])
    assert (missing.status_code, missing.json()["rule"]) == (422, "refund_account")

    bank, number = "004", "12345678901"
    holder = emu.get("/vbanks/holder", params={"bank_code": bank, "bank_num": number}).json()
    name = holder["response"]["bank_holder"]
    wrong = await refund(shop, order["id"], refund_holder=name + "x", refund_bank=bank,
                         refund_account=number)  # fmt: skip
    assert (wrong.status_code, wrong.json()["rule"]) == (422, "refund_holder")

    answer = await refund(shop, order["id"], refund_holder=name, refund_bank=bank,
                          refund_account=number, refund_tel="01012345678")  # fmt: skip
    made = answer.json()
    assert made["state"] == "succeeded", made
    assert made["refund_account"] is None  # forgotten once final
    assert number not in answer.text
    assert await books_agree(shop, emu, order, imp_uid) == 30_000


async def test_bad_refund_requests_are_problem_documents(shop: Shop, emu: EmulatorClient) -> None:
    order, _ = await paid_order(shop, emu)
    for path, body in [
        (f"/api/orders/{order['id']}/refunds", {"amount": 1_000}),  # no reason
        (f"/api/orders/{order['id']}/refunds", {"reason": "r", "amount": 0}),
        (f"/api/orders/{order['id']}/refunds", {"reason": "r", "refund_bank": "004"}),
        (f"/api/orders/{order['id']}/refunds", {"reason": "r", "amount": 2**70}),
        ("/api/orders/99999/refunds", {"reason": "r"}),
        ("/api/orders/18446744073709551617/refunds", {"reason": "r"}),
    ]:
        answer = await shop.http.post(path, json=body)
        assert 400 <= answer.status_code < 500, (path, body, answer.text)
        assert answer.headers["content-type"] == PROBLEM
    assert (await shop.http.get("/api/refunds/99999")).status_code == 404
