"""Billing keys and subscriptions end to end: the server, its worker and the real emulator.

Time moves on both clocks at once (the emulator's ``/_emulator/clock/advance``
and the shop's clock), so periods end, dunning retries fall due and i'mport's
scheduler runs exactly as they would over weeks.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from sqlalchemy import select

from paydesk.store.tables import metadata, webhook_inbox
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


async def test_the_reconciliation_sweep_takes_a_charge_for_no_orphan(
    shop: Shop, emu: EmulatorClient
) -> None:
    """Found by the chaos run: the sweep reported every subscription charge as an orphan."""
    await issue_key(shop, "cust_swept")
    plan_id = (await plan(shop))["id"]
    made = await subscribe(shop, plan_id, "cust_swept")
    [payment] = gateway_payments(emu, "cust_swept")
    assert payment["merchant_uid"] == made["charges"][0]["merchant_uid"]

    report = await shop.services.reconciler.run()

    assert [(i.drift, i.merchant_uid) for i in report.items] == []
    assert (await subscription(shop, made["id"]))["charges"][0]["state"] == "paid"


async def _inbox_outcomes(shop: Shop) -> list[str]:
    async with shop.database.reading() as uow:
        rows = await uow.connection.execute(select(webhook_inbox.c.outcome))
    return [str(r.outcome) for r in rows if r.outcome]


async def test_three_periods_with_one_dunning_cycle(shop: Shop, emu: EmulatorClient) -> None:
    await issue_key(shop, "cust_run")
    plan_id = (await plan(shop))["id"]
    sub_id = (await subscribe(shop, plan_id, "cust_run"))["id"]  # period 1, paid at once

    await advance(shop, emu, 30)
    await shop.run_worker()
    second = await subscription(shop, sub_id)
    assert second["period"] == 2 and second["status"] == "active", second

    # the customer's card runs out of money: the key now points at it
    assert (await issue_key(shop, "cust_run", card=NO_FUNDS)).status_code == 201
    await advance(shop, emu, 30)
    await shop.run_worker()
    retrying = await subscription(shop, sub_id)
    assert retrying["period"] == 2 and retrying["retrying"] and retrying["failures"] == 1
    assert "잔액" in retrying["last_error"]
    for day, failures in ((1, 2), (2, 3)):  # retries after 1 and 3 days
        await advance(shop, emu, day)
        await shop.run_worker()
        assert (await subscription(shop, sub_id))["failures"] == failures
    await advance(shop, emu, 3.5)  # nothing is due between the retries
    await shop.run_worker()
    assert (await subscription(shop, sub_id))["failures"] == 3
    await advance(shop, emu, 0.5)  # the last retry, 7 days after the first failure
    await shop.run_worker()
    past_due = await subscription(shop, sub_id)
    assert past_due["status"] == "past_due" and past_due["needs_new_card"], past_due
    assert past_due["next_charge_at"] is None
    await advance(shop, emu, 5)  # nothing is charged while past due
    await shop.run_worker()
    assert len(gateway_payments(emu, "cust_run")) == 2 + 4

    # a new card: charged at once, and a new run of periods starts today
    reissued = await issue_key(shop, "cust_run", card=OTHER_GOOD)
    assert reissued.status_code == 201 and reissued.json()["card_last4"] == "4444"
    await shop.run_worker()
    third = await subscription(shop, sub_id)
    assert third["status"] == "active" and third["period"] == 3 and not third["retrying"], third
    charges = third["charges"]
    assert [(c["period"], c["state"]) for c in charges] == [
        (1, "paid"), (2, "paid"), (3, "failed"), (3, "failed"), (3, "failed"), (3, "failed"),
        (3, "paid"),
    ]  # fmt: skip
    assert len({c["merchant_uid"] for c in charges}) == len(charges)  # fresh per attempt
    payments = gateway_payments(emu, "cust_run")
    assert {p["merchant_uid"]: p["status"] for p in payments} == {
        c["merchant_uid"]: c["state"] for c in charges
    }
    assert sum(p["amount"] for p in paid(payments)) == 3 * 9900


async def test_a_failing_key_then_reissue_and_success(shop: Shop, emu: EmulatorClient) -> None:
    await issue_key(shop, "cust_decl", card=DECLINES)  # the PG declines this card's charges
    plan_id = (await plan(shop, dunning_days=[2]))["id"]
    made = await subscribe(shop, plan_id, "cust_decl")
    assert made["period"] == 0 and made["retrying"] and made["charges"][0]["state"] == "failed"
    assert made["charges"][0]["fail_reason"]
    reissued = await issue_key(shop, "cust_decl", card=GOOD)  # retried at once, inline
    assert reissued.status_code == 201, reissued.text
    await shop.run_worker()
    after = await subscription(shop, made["id"])
    assert after["status"] == "active" and after["period"] == 1 and after["failures"] == 0
    assert [c["state"] for c in after["charges"]] == ["failed", "paid"]
    at_iamport = {p["merchant_uid"]: p["status"] for p in gateway_payments(emu, "cust_decl")}
    assert at_iamport == {c["merchant_uid"]: c["state"] for c in after["charges"]}


# webhooks are refused (stored, answered 403): only the lookup can tell what happened
@pytest.mark.parametrize("shop_options", [{"webhook_allowed_ips": "192.0.2.1"}], indirect=True)
async def test_a_lost_again_answer_is_looked_up_and_charged_once(
    shop: Shop, emu: EmulatorClient
) -> None:
    await issue_key(shop, "cust_lost")
    plan_id = (await plan(shop))["id"]
    emu.fault(path="/subscribe/payments/again", method="POST", kind="no_answer", mode="drop",
              times=1)  # fmt: skip
    made = await subscribe(shop, plan_id, "cust_lost")
    [charge] = made["charges"]
    assert charge["state"] == "unknown" and made["period"] == 0, made
    await shop.run_worker()  # too soon: it may still be in flight, nothing is retried
    assert [c["state"] for c in (await subscription(shop, made["id"]))["charges"]] == ["unknown"]
    await advance(shop, emu, 0.01)  # past the settle time: looked up by merchant_uid
    await shop.run_worker()
    after = await subscription(shop, made["id"])
    assert after["period"] == 1 and [c["state"] for c in after["charges"]] == ["paid"], after
    assert after["charges"][0]["imp_uid"]
    payments = gateway_payments(emu, "cust_lost")
    assert len(payments) == 1 and payments[0]["merchant_uid"] == charge["merchant_uid"]
    assert {*await _inbox_outcomes(shop)} <= {"forbidden source"}  # no webhook settled it
    await advance(shop, emu, 1)
    await shop.run_worker()
    assert len(gateway_payments(emu, "cust_lost")) == 1


async def test_cancel_at_period_end_then_nothing_more(shop: Shop, emu: EmulatorClient) -> None:
    await issue_key(shop, "cust_end")
    plan_id = (await plan(shop))["id"]
    sub_id = (await subscribe(shop, plan_id, "cust_end"))["id"]
    cancel = await shop.http.post(f"/api/subscriptions/{sub_id}/cancel",
                                  json={"at_period_end": True})  # fmt: skip
    assert cancel.status_code == 200 and cancel.json()["cancel_at_period_end"], cancel.text
    assert cancel.json()["status"] == "active"
    await advance(shop, emu, 31)
    await shop.run_worker()
    ended = await subscription(shop, sub_id)
    assert ended["status"] == "cancelled" and ended["cancelled_at"], ended
    assert len(gateway_payments(emu, "cust_end")) == 1


async def test_cancel_at_once(shop: Shop, emu: EmulatorClient) -> None:
    await issue_key(shop, "cust_now")
    plan_id = (await plan(shop))["id"]
    sub_id = (await subscribe(shop, plan_id, "cust_now"))["id"]
    cancel = await shop.http.post(f"/api/subscriptions/{sub_id}/cancel", json={})
    assert cancel.json()["status"] == "cancelled" and cancel.json()["next_charge_at"] is None
    await advance(shop, emu, 31)
    await shop.run_worker()
    assert len(gateway_payments(emu, "cust_now")) == 1


async def test_a_schedule_plan_is_charged_by_iamport_and_reconciled_from_webhooks(
    shop: Shop, emu: EmulatorClient
) -> None:
    await issue_key(shop, "cust_sched")
    plan_id = (await plan(shop, code="sched", billing="schedule"))["id"]
    made = await subscribe(shop, plan_id, "cust_sched")  # the first period: charged at once
    await shop.run_worker()  # registers the next period's charge with i'mport
    waiting = await subscription(shop, made["id"])
    scheduled = waiting["charges"][-1]
    assert scheduled["state"] == "scheduled" and scheduled["via"] == "schedule", waiting
    assert scheduled["due_at"] == waiting["current_period_end"]
    at_iamport = emu.get(f"/subscribe/payments/schedule/{scheduled['merchant_uid']}").json()
    assert at_iamport["response"]["schedule_status"] == "scheduled"

    await advance(shop, emu, 30)  # i'mport runs it and posts the webhook
    [hook] = await delivered(emu, _imp_uid_of(emu, scheduled["merchant_uid"]))
    assert hook["status"] == 200
    await shop.run_worker()
    second = await subscription(shop, made["id"])
    assert second["period"] == 2 and second["charges"][1]["state"] == "paid", second
    assert second["charges"][-1]["state"] == "scheduled"  # and the next one is registered
    assert any(o == "billing:charge:paid" for o in await _inbox_outcomes(shop))

    # a failure by webhook starts dunning; the retry is scheduled at i'mport too
    assert (await issue_key(shop, "cust_sched", card=DECLINES)).status_code == 201
    third_uid = second["charges"][-1]["merchant_uid"]
    await advance(shop, emu, 30)
    await delivered(emu, _imp_uid_of(emu, third_uid))
    await shop.run_worker()
    dunning = await subscription(shop, made["id"])
    assert dunning["retrying"] and dunning["failures"] == 1, dunning
    retry = dunning["charges"][-1]
    assert retry["state"] == "scheduled" and retry["period"] == 3 and retry["attempt"] == 2

    # cancelled at once: the pending schedule is revoked at i'mport
    await shop.http.post(f"/api/subscriptions/{made['id']}/cancel", json={})
    await shop.run_worker()
    revoked = emu.get(f"/subscribe/payments/schedule/{retry['merchant_uid']}").json()
    assert revoked["response"]["schedule_status"] == "revoked"
    final = await subscription(shop, made["id"])
    assert final["charges"][-1]["state"] == "void" and final["status"] == "cancelled"


# webhooks are refused (stored, answered 403): only the lookup after the grace can settle it
@pytest.mark.parametrize("shop_options", [{"webhook_allowed_ips": "192.0.2.1"}], indirect=True)
async def test_a_scheduled_charge_whose_webhook_never_comes_is_looked_up(
    shop: Shop, emu: EmulatorClient
) -> None:
    await issue_key(shop, "cust_quiet")
    plan_id = (await plan(shop, code="quiet", billing="schedule"))["id"]
    made = await subscribe(shop, plan_id, "cust_quiet")
    await shop.run_worker()  # registers the second period's charge
    scheduled = (await subscription(shop, made["id"]))["charges"][-1]
    assert scheduled["state"] == "scheduled", scheduled

    await advance(shop, emu, 30)  # i'mport charges it; its webhook is refused here
    [hook] = await delivered(emu, _imp_uid_of(emu, scheduled["merchant_uid"]))
    assert hook["status"] == 403
    await shop.run_worker()  # within the grace a late webhook may still come: nothing looked up
    waiting = await subscription(shop, made["id"])
    assert waiting["period"] == 1 and waiting["charges"][-1]["state"] == "scheduled", waiting

    await advance(shop, emu, 31 / (24 * 60))  # past the 30-minute grace
    await shop.run_worker()
    after = await subscription(shop, made["id"])
    charged = next(c for c in after["charges"] if c["merchant_uid"] == scheduled["merchant_uid"])
    assert charged["state"] == "paid" and charged["imp_uid"], after
    assert after["period"] == 2 and after["charges"][-1]["state"] == "scheduled", after
    assert {*await _inbox_outcomes(shop)} <= {"forbidden source"}  # no webhook settled it
    assert len(paid(gateway_payments(emu, "cust_quiet"))) == 2


def _imp_uid_of(emu: EmulatorClient, merchant_uid: str) -> str:
    found = emu.get(f"/payments/find/{merchant_uid}")
    assert found.status_code == 200, found.text
    imp_uid: str = found.json()["response"]["imp_uid"]
    return imp_uid


async def test_a_key_issued_through_the_payment_window(
    shop: Shop, emu: EmulatorClient, window: Any
) -> None:
    opened = await shop.http.post("/api/customers/cust_win/billing-key/window",
                                  json={"pg": "html5_inicis",
                                        "buyer": {"name": "홍길동", "tel": "010-1234-5678"}})  # fmt: skip
    assert opened.status_code == 201, opened.text
    params = opened.json()["request_pay"]
    assert params["customer_uid"] == "cust_win" and params["amount"] == 0
    rsp = await asyncio.to_thread(window.pay_card, {**params, "name": "카드 등록"}, OTHER_GOOD)
    assert rsp["imp_uid"], rsp
    done = await shop.http.post("/api/customers/cust_win/billing-key/window/complete",
                                json={"imp_uid": rsp["imp_uid"]})  # fmt: skip
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["issuance"] == "issued"
    assert body["billing_key"] == body["billing_key"] | {
        "customer_uid": "cust_win", "issued_via": "window", "card_last4": "4444",
        "pg_provider": "html5_inicis", "state": "active",
    }  # fmt: skip
    # the webhook of the same issuance changes nothing, and is no order's payment
    await delivered(emu, rsp["imp_uid"])
    await shop.run_worker()
    assert all(o.startswith("billing:issuance:") for o in await _inbox_outcomes(shop))
    # the key charges a subscription
    plan_id = (await plan(shop))["id"]
    made = await subscribe(shop, plan_id, "cust_win")
    assert made["period"] == 1 and made["charges"][0]["state"] == "paid"
    # another customer's issuance cannot be completed under this one
    other = await shop.http.post("/api/customers/someone/billing-key/window/complete",
                                 json={"imp_uid": rsp["imp_uid"]})  # fmt: skip
    assert other.status_code == 409 and other.json()["rule"] == "not_a_billing_payment"


async def test_card_data_reaches_neither_the_database_nor_the_logs(
    shop: Shop, emu: EmulatorClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets_typed = {"card": OTHER_GOOD, "expiry": "2031-07", "birth": "880315", "pwd": "47"}
    answer = await issue_key(shop, "cust_pci", card=OTHER_GOOD)
    assert answer.status_code == 201
    again = await shop.http.post(
        "/api/customers/cust_pci/billing-key", headers={"Idempotency-Key": "k-1"},
        json={"card_number": OTHER_GOOD, "expiry": "2031-07", "birth": "880315",
              "pwd_2digit": "47", "pg": "nice"},
    )  # fmt: skip
    assert again.status_code == 201, again.text
    refused = await issue_key(shop, "cust_pci2", card="5555-5555-5555-4440")  # Luhn fails
    assert refused.status_code == 422
    plan_id = (await plan(shop))["id"]
    await subscribe(shop, plan_id, "cust_pci")
    await advance(shop, emu, 30)
    await shop.run_worker()

    needles = _card_needles(secrets_typed) + _card_needles({"card": "5555-5555-5555-4440"})
    stored = await _every_value(shop)
    assert stored, "the scan read nothing"
    assert any("4444" in v for v in stored)  # the last digits are kept, the rest is not
    leaks = [(needle, v[:120]) for v in stored for needle in needles if needle in v]
    assert leaks == []
    assert not [v for v in stored if v in ("47", "880315")]
    ours = [r for r in caplog.records if not r.name.startswith("paydesk.emulator")]
    assert ours, "nothing was logged: the check would prove nothing"
    logged = [r.getMessage() + (r.exc_text or "") for r in ours]
    assert [(n, line) for line in logged for n in needles if n in line] == []


def _card_needles(typed: dict[str, str]) -> list[str]:
    needles = []
    if "card" in typed:
        digits = typed["card"].replace("-", "")
        needles += [typed["card"], digits, digits[:12], typed["card"][:14]]
    if "expiry" in typed:
        needles += [typed["expiry"], typed["expiry"].replace("-", "")]
    if "birth" in typed:
        needles.append(typed["birth"])
    if "pwd" in typed:
        needles += ['"pwd_2digit"', "pwd_2digit="]
    return needles


async def _every_value(shop: Shop) -> list[str]:
    """Every non-null value of every row of every table, as text."""
    values: list[str] = []
    async with shop.database.reading() as uow:
        for table in metadata.sorted_tables:
            for row in await uow.connection.execute(select(table)):
                for value in row:
                    if value is None:
                        continue
                    if isinstance(value, bytes):
                        values.append(value.decode("utf-8", "replace"))
                    elif isinstance(value, dict | list):
                        values.append(json.dumps(value, ensure_ascii=False))
                    else:
                        values.append(str(value))
    return values


async def test_plans_subscriptions_and_the_charge_history_are_listed(
    shop: Shop, emu: EmulatorClient
) -> None:
    await issue_key(shop, "cust_list")
    await issue_key(shop, "cust_list_decl", card=DECLINES)
    monthly = await plan(shop, code="list-monthly")
    yearly = await plan(shop, code="list-yearly", amount=99_000, interval_unit="month",
                        interval_count=12, dunning_days=[2])  # fmt: skip
    plans = (await shop.http.get("/api/plans")).json()
    assert {p["code"]: p for p in plans} == {"list-monthly": monthly, "list-yearly": yearly}
    assert (await shop.http.get(f"/api/plans/{yearly['id']}")).json() == yearly

    first = await subscribe(shop, monthly["id"], "cust_list")
    second = await subscribe(shop, yearly["id"], "cust_list_decl")  # declined: dunning
    cancelled = await shop.http.post(f"/api/subscriptions/{first['id']}/cancel", json={})
    assert cancelled.json()["status"] == "cancelled", cancelled.text

    async def listed(**query: str) -> list[int]:
        answer = await shop.http.get("/api/subscriptions", params=query)
        assert answer.status_code == 200, answer.text
        return [s["id"] for s in answer.json()]

    assert await listed() == [second["id"], first["id"]]  # newest first
    assert await listed(customer_uid="cust_list_decl") == [second["id"]]
    assert await listed(status="cancelled") == [first["id"]]
    assert await listed(status="active", customer_uid="cust_list") == []
    assert await listed(limit="1") == [second["id"]]

    # the charge history: every attempt, as i'mport has it
    await issue_key(shop, "cust_list_decl", card=GOOD)  # a new card: charged again at once
    await shop.run_worker()
    history = await shop.http.get(f"/api/subscriptions/{second['id']}/charges")
    assert history.status_code == 200, history.text
    charges = history.json()
    assert charges == (await subscription(shop, second["id"]))["charges"]
    assert [(c["period"], c["attempt"], c["state"], c["amount"]) for c in charges] == [
        (1, 1, "failed", 99_000), (1, 2, "paid", 99_000)]  # fmt: skip
    at_iamport = {p["merchant_uid"]: p["status"] for p in gateway_payments(emu, "cust_list_decl")}
    assert at_iamport == {c["merchant_uid"]: c["state"] for c in charges}

    for path in ("/api/subscriptions/999999/charges", "/api/plans/999999"):
        assert (await shop.http.get(path)).status_code == 404, path
    assert (await shop.http.get("/api/subscriptions", params={"status": "x"})).status_code == 422
