"""Work that ran out of attempts against the real emulator: listed, acted on, never abandoned.

- A refund whose job died after hours of 503s stays open (never ``failed``),
  its job is in the dead-letter list with the last reason, and the sweep
  gives the refund a new job: once i'mport answers, it is refunded once.
- An order left ``unverified`` whose re-verification died is listed too, and
  ``POST /api/retries/{id}/retry`` verifies it once i'mport answers.
- A virtual account's automatic refund (a tampered amount) waits for its
  refund account in the API (``needs_refund_account``) instead of failing for good,
  and ``POST /api/refunds/{id}/account`` sends it.
"""

from __future__ import annotations

from typing import Any

import pytest

from paydesk.services.job_kinds import REVERIFY_PAYMENT, RUN_REFUND
from tests.support.emulator import EmulatorClient, seed

from .harness import Shop, underpaid_by_webhook
from .test_refunds_api import books_agree, paid_order, refund, settle

pytestmark = pytest.mark.asyncio
HOUR = 3_700  # past the longest backoff (an hour)


async def dead_jobs(shop: Shop, kind: str) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = (await shop.http.get("/api/retries")).json()
    return [job for job in listed if job["kind"] == kind]


async def until_dead(shop: Shop, kind: str, rounds: int = 40) -> dict[str, Any]:
    """Move time and run the worker until a job of ``kind`` is in the dead-letter list."""
    for _ in range(rounds):
        shop.clock.advance(HOUR)
        await shop.run_worker()
        dead = await dead_jobs(shop, kind)
        if dead:
            [job] = dead
            return job
    raise AssertionError(f"no {kind} job died")


async def test_a_refund_whose_job_died_is_listed_kept_open_and_made_once_later(
    shop: Shop, emu: EmulatorClient
) -> None:
    order, imp_uid = await paid_order(shop, emu)
    emu.fault(path="/payments/cancel", method="POST", kind="error", status=503)
    asked = (await refund(shop, order["id"], amount=5_000)).json()
    assert asked["state"] == "unknown"

    job = await until_dead(shop, RUN_REFUND)
    assert job["payload"] == {"refund_id": asked["id"]}
    assert job["attempts"] == job["max_attempts"] and job["last_error"]
    waiting = (await shop.http.get(f"/api/refunds/{asked['id']}")).json()
    assert waiting["state"] in ("unknown", "requested")  # open: never given up as failed
    assert len(waiting["attempts"]) > 1 and all(
        a["classification"] == "unknown" for a in waiting["attempts"])  # fmt: skip
    assert await books_agree(shop, emu, order, imp_uid) == 0

    emu.control("DELETE", "/faults")
    await settle(shop)  # the sweep gives the open refund a new job
    done = (await shop.http.get(f"/api/refunds/{asked['id']}")).json()
    assert done["state"] == "succeeded"
    assert await books_agree(shop, emu, order, imp_uid) == 5_000
    dismissed = await shop.http.post(f"/api/retries/{job['id']}/dismiss")
    assert dismissed.json()["state"] == "dismissed"  # the dead job itself is closed by hand
    assert await dead_jobs(shop, RUN_REFUND) == []


# An order paid without a hold is sold from free stock only before it expires (judged
# when it is verified): a month keeps hours of outage from turning this sale into a refund.
@pytest.mark.parametrize("shop_options", [{"order_ttl_seconds": 30 * 86_400}], indirect=True)
async def test_an_unverified_order_whose_recheck_died_is_retried_from_the_list(
    shop: Shop, emu: EmulatorClient
) -> None:
    product = await shop.product("lamp", stock=1, price=21_000)
    placed = await shop.order((product["id"], 1))
    merchant_uid = placed["request_pay"]["merchant_uid"]
    emu.fault(path="/payments/imp_*", method="GET", kind="error", status=503)
    payment = seed(emu, merchant_uid=merchant_uid, amount=21_000)
    answer = await shop.complete(payment["imp_uid"], merchant_uid)
    assert answer.json()["order"]["status"] == "unverified", answer.text

    job = await until_dead(shop, REVERIFY_PAYMENT)
    assert job["payload"]["imp_uid"] == payment["imp_uid"] and job["last_error"]
    assert (await shop.order_state(merchant_uid))["status"] == "unverified"  # never failed

    emu.control("DELETE", "/faults")
    retried = await shop.http.post(f"/api/retries/{job['id']}/retry")
    assert (retried.status_code, retried.json()["state"]) == (200, "queued")
    assert await shop.run_worker() >= 1
    assert (await shop.order_state(merchant_uid))["status"] == "paid"
    assert await shop.stock(product["id"]) == {"available": 0, "held": 0, "sold": 1}
    assert await dead_jobs(shop, REVERIFY_PAYMENT) == []


async def test_an_owed_virtual_account_refund_waits_for_its_account_in_the_api(
    shop: Shop, emu: EmulatorClient
) -> None:
    merchant_uid, imp_uid = await underpaid_by_webhook(
        shop, emu, "rug", amount=300, pay_method="vbank", pg="nice"
    )
    await settle(shop)  # the refund owed for the wrong amount has no account to go to

    order = await shop.order_state(merchant_uid)
    [owed] = (await shop.http.get(f"/api/orders/{order['id']}/refunds")).json()
    assert (order["status"], owed["origin"], owed["state"]) == (
        "flagged",
        "auto",
        "needs_refund_account",
    )
    assert owed["last_error"].startswith("refund_account")
    assert [a["classification"] for a in owed["attempts"]] == []  # nothing sent without it
    assert await dead_jobs(shop, RUN_REFUND) == []  # waiting for input is not a failure

    bank, number = "088", "11122233344"
    holder = emu.get("/vbanks/holder", params={"bank_code": bank, "bank_num": number})
    account = {"refund_holder": holder.json()["response"]["bank_holder"],
               "refund_bank": bank, "refund_account": number}  # fmt: skip
    given = await shop.http.post(f"/api/refunds/{owed['id']}/account", json=account)
    assert (given.status_code, given.json()["state"]) == (200, "succeeded"), given.text
    assert number not in given.text
    again = await shop.http.post(f"/api/refunds/{owed['id']}/account", json=account)
    assert (again.status_code, again.json()["rule"]) == (409, "not_waiting")
    assert await books_agree(shop, emu, order, imp_uid) == 300
