"""Billing keys and subscriptions end to end: the server, its worker and the real emulator.

Time moves on both clocks at once (the emulator's ``/_emulator/clock/advance``
and the shop's clock), so periods end, dunning retries fall due and i'mport's
scheduler runs exactly as they would over weeks.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from paydesk.store.tables import webhook_inbox
from tests.support.emulator import EmulatorClient

from .harness import Shop, delivered

pytestmark = pytest.mark.asyncio

GOOD = "4111-1111-1111-1111"
OTHER_GOOD = "5555-5555-5555-4444"
DECLINES = "4000-0000-0000-0002"
NO_FUNDS = "4000-0000-0000-9995"
DAY = 86_400


async def advance(shop: Shop, emu: EmulatorClient, days: float) -> None:
    """Move both clocks; the emulator runs its due schedules before answering."""
    await asyncio.to_thread(emu.advance, days * DAY)
    shop.clock.advance(days * DAY)


async def issue_key(shop: Shop, customer_uid: str, card: str = GOOD, **extra: Any) -> Any:
    body = {"card_number": card, "expiry": "2031-07", "birth": "880315", "pwd_2digit": "47",
            "pg": "nice", **extra}  # fmt: skip
    return await shop.http.post(f"/api/customers/{customer_uid}/billing-key", json=body)


async def plan(shop: Shop, code: str = "monthly", **fields: Any) -> dict[str, Any]:
    body = {"code": code, "name": "월간 구독", "amount": 9900, "interval_unit": "day",
            "interval_count": 30, "dunning_days": [1, 3, 7], **fields}  # fmt: skip
    answer = await shop.http.post("/api/plans", json=body)
    assert answer.status_code == 201, answer.text
    made: dict[str, Any] = answer.json()
    return made


async def subscribe(shop: Shop, plan_id: int, customer_uid: str) -> dict[str, Any]:
    answer = await shop.http.post(
        "/api/subscriptions", json={"plan_id": plan_id, "customer_uid": customer_uid}
    )
    assert answer.status_code == 201, answer.text
    made: dict[str, Any] = answer.json()
    return made


async def subscription(shop: Shop, subscription_id: int) -> dict[str, Any]:
    answer = await shop.http.get(f"/api/subscriptions/{subscription_id}")
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def gateway_payments(emu: EmulatorClient, customer_uid: str) -> list[dict[str, Any]]:
    """Every payment i'mport made with the key, oldest first."""
    answer = emu.get(f"/subscribe/customers/{customer_uid}/payments")
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["response"]["list"]
    return sorted(found, key=lambda p: (p["started_at"], p["imp_uid"]))


def paid(payments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [p for p in payments if p["status"] == "paid"]


# -- billing keys ------------------------------------------------------------------------------
async def test_key_in_issue_keeps_only_masked_card_metadata(shop: Shop) -> None:
    answer = await issue_key(shop, "cust_a")
    assert answer.status_code == 201, answer.text
    key = answer.json()
    assert key == key | {"customer_uid": "cust_a", "state": "active", "pg_provider": "nice",
                         "card_name": "신한카드", "card_code": "366", "card_last4": "1111",
                         "issued_via": "api"}  # fmt: skip
    assert (await shop.http.get("/api/customers/cust_a/billing-key")).json() == key


async def test_a_card_the_pg_cannot_authenticate_is_refused_and_nothing_kept(shop: Shop) -> None:
    answer = await issue_key(shop, "cust_bad", card="4111-1111-1111-1112")  # fails Luhn
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["rule"] == "card_refused"
    assert "4111" not in answer.text
    assert (await shop.http.get("/api/customers/cust_bad/billing-key")).status_code == 404


async def test_delete_the_key_at_iamport_and_here(shop: Shop, emu: EmulatorClient) -> None:
    await issue_key(shop, "cust_del")
    deleted = await shop.http.delete("/api/customers/cust_del/billing-key")
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["state"] == "deleted" and deleted.json()["deleted_at"]
    assert emu.get("/subscribe/customers/cust_del").status_code == 404
    plan_id = (await plan(shop))["id"]
    refused = await shop.http.post("/api/subscriptions",
                                   json={"plan_id": plan_id, "customer_uid": "cust_del"})  # fmt: skip
    assert refused.status_code == 422 and refused.json()["rule"] == "no_billing_key"


async def test_bad_input_is_a_4xx_problem(shop: Shop) -> None:
    for path, body in [
        ("/api/customers/a%20b/billing-key", {"card_number": GOOD, "expiry": "2031-07"}),
        ("/api/customers/cust/billing-key", {"card_number": "12", "expiry": "2031-07"}),
        ("/api/customers/cust/billing-key", {"card_number": GOOD, "expiry": "07/31"}),
        ("/api/plans", {"code": "x", "name": "x", "amount": 0}),
        ("/api/plans", {"code": "x", "name": "x", "amount": 1, "dunning_days": [3, 1]}),
        ("/api/subscriptions", {"plan_id": 2**63, "customer_uid": "c"}),
    ]:
        answer = await shop.http.post(path, json=body)
        assert 400 <= answer.status_code < 500, (path, body, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
    for path in ["/api/subscriptions/9223372036854775808", "/api/plans/0",
                 "/api/subscriptions/1", "/api/customers/nobody/billing-key"]:  # fmt: skip
        answer = await shop.http.get(path)
        assert 400 <= answer.status_code < 500, (path, answer.text)


# -- subscriptions -------------------------------------------------------------------------------
async def test_subscribe_charges_the_first_period_at_once(shop: Shop, emu: EmulatorClient) -> None:
    await issue_key(shop, "cust_first")
    plan_id = (await plan(shop))["id"]
    made = await subscribe(shop, plan_id, "cust_first")
    assert made["status"] == "active" and made["period"] == 1, made
    [charge] = made["charges"]
    assert charge["state"] == "paid" and charge["via"] == "again" and charge["amount"] == 9900
    [payment] = gateway_payments(emu, "cust_first")
    assert payment["merchant_uid"] == charge["merchant_uid"] and payment["status"] == "paid"
    assert made["next_charge_at"] == made["current_period_end"]
    # the charge's webhook is applied too, and taken for no unknown order's payment
    await delivered(emu, payment["imp_uid"])
    await shop.run_worker()
    inbox = await _inbox_outcomes(shop)
    assert inbox and all(o.startswith("billing:charge:paid") for o in inbox), inbox


async def _inbox_outcomes(shop: Shop) -> list[str]:
    async with shop.database.reading() as uow:
        rows = await uow.connection.execute(select(webhook_inbox.c.outcome))
    return [str(r.outcome) for r in rows if r.outcome]
