"""The client as a library: typed options, refusals a merchant can act on, the
deadline, event loops, logging without secrets, and a closed client."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from paydesk.iamport import (
    AsyncIamport,
    BadRequest,
    ChecksumMismatch,
    ClientClosed,
    DuplicateMerchantUid,
    Iamport,
    NotFound,
    NotSent,
    OutcomeUnknown,
    RefundAccountRequired,
    RetryPolicy,
    TokenCache,
    Unauthorized,
)
from tests.integration.client.conftest import Clients, Recorder, capture_bodies
from tests.support.emulator import DEMO_KEY, DEMO_SECRET, EmulatorClient, seed

CARD = {"card_number": "4111-1111-1111-1111", "expiry": "2030-12", "birth": "900101",
        "pwd_2digit": "00", "pg": "nice"}  # fmt: skip
DECLINED = {**CARD, "card_number": "4000-0000-0000-0002"}


def order() -> str:
    return f"order_{uuid.uuid4().hex[:12]}"


# -- 1. money: a retried partial refund cannot refund twice ---------------------------
def test_a_partial_refund_retried_after_a_lost_answer_is_refused(
    emu: EmulatorClient, api: Any, recorder: Recorder
) -> None:
    imp_uid = seed(emu, amount=10000)["imp_uid"]
    emu.fault(path="/payments/cancel", kind="no_answer", times=1)
    with pytest.raises(OutcomeUnknown) as caught:
        api.cancel(imp_uid, amount=5000, checksum=10000)
    assert caught.value.checksum == 10000 and caught.value.reconcile
    with pytest.raises(ValueError, match="checksum"):  # the unsafe retry cannot be written
        api.cancel(imp_uid, amount=5000)
    with pytest.raises(ChecksumMismatch):  # the documented retry is refused: it happened
        api.cancel(imp_uid, amount=5000, checksum=caught.value.checksum)
    assert api.payment(imp_uid).cancel_amount == 5000
    assert recorder.count("POST", "/payments/cancel") == 2


def test_a_partial_refund_retried_after_a_dropped_request_refunds_once(
    emu: EmulatorClient, api: Any
) -> None:
    imp_uid = seed(emu, amount=10000)["imp_uid"]
    emu.fault(path="/payments/cancel", kind="drop", times=1)
    with pytest.raises(OutcomeUnknown) as caught:
        api.cancel(imp_uid, amount=5000, checksum=10000)
    assert api.cancel(imp_uid, amount=5000, checksum=caught.value.checksum).cancel_amount == 5000
    with pytest.raises(ChecksumMismatch):
        api.cancel(imp_uid, amount=5000, checksum=caught.value.checksum)
    assert api.payment(imp_uid).cancel_amount == 5000


# -- 3. typed options: a typo fails, timeout is an option ------------------------------
def test_a_misspelt_option_fails_before_anything_is_sent(api: Any, recorder: Recorder) -> None:
    with pytest.raises(TypeError, match="raise_on_declined"):
        api.pay_onetime(order(), 1000, **DECLINED, raise_on_declined=True)
    assert recorder.requests == []


def test_timeout_is_an_option_and_extra_fields_go_only_through_extra(
    emu: EmulatorClient, api: Any
) -> None:
    bodies = capture_bodies(api)
    merchant_uid = order()
    failed = api.pay_onetime(
        merchant_uid, 1000, **DECLINED, timeout=5, extra={"browser_ip": "10.0.0.1"}
    )
    assert failed.status == "failed"
    sent = [b for b in bodies if b.get("merchant_uid") == merchant_uid]
    assert len(sent) == 1 and "timeout" not in sent[0] and sent[0]["browser_ip"] == "10.0.0.1"
    with pytest.raises(ValueError, match="card_quota"):
        api.pay_onetime(order(), 1000, **CARD, extra={"card_quota": 3})


def test_a_per_call_timeout_applies_to_that_call(
    emu: EmulatorClient, api: Any, recorder: Recorder
) -> None:
    imp_uid = seed(emu)["imp_uid"]
    emu.fault(path="/payments/*", method="GET", kind="latency", delay=1.0, times=1)
    started = time.monotonic()
    assert api.payment(imp_uid, timeout=0.3).imp_uid == imp_uid
    assert recorder.count("GET", f"/payments/{imp_uid}") == 2  # the slow one timed out
    assert time.monotonic() - started < 1.0


# -- 5. documented refusals are their own errors ---------------------------------------
def test_documented_refusals_map_to_their_errors(emu: EmulatorClient, api: Any) -> None:
    merchant_uid = order()
    api.prepare(merchant_uid, 1000)
    with pytest.raises(DuplicateMerchantUid):
        api.prepare(merchant_uid, 1000)
    paid = order()
    api.pay_onetime(paid, 1000, **CARD)
    with pytest.raises(DuplicateMerchantUid):
        api.pay_onetime(paid, 1000, **CARD)
    vbank = seed(emu, pay_method="vbank", status="paid", pg="nice")["imp_uid"]
    with pytest.raises(RefundAccountRequired) as refused:
        api.cancel(vbank, checksum=10000)
    assert "환불계좌" in refused.value.message and not refused.value.reconcile
    due = datetime.now(UTC) + timedelta(days=3)
    with pytest.raises(BadRequest, match="누락"):
        api.issue_vbank(order(), 1000, vbank_code="004", vbank_due=due, pg="nice")


# -- 8. the deadline -------------------------------------------------------------------
def test_total_is_a_deadline_over_every_attempt(
    emu: EmulatorClient, clients: Clients, recorder: Recorder
) -> None:
    slow = httpx.Timeout(connect=5.0, read=30.0, write=5.0, pool=5.0)
    api = clients.make(timeout=slow, retry=RetryPolicy(attempts=5, base=0.01, cap=0.01, total=1.5))
    imp_uid = seed(emu)["imp_uid"]
    emu.fault(path="/payments/*", method="GET", kind="latency", delay=3.0, times=3)
    started = time.monotonic()
    with pytest.raises(OutcomeUnknown):
        api.payment(imp_uid)
    took = time.monotonic() - started
    assert 1.4 < took < 2.0, took


def test_a_read_timeout_is_retried_within_the_deadline(
    emu: EmulatorClient, clients: Clients, recorder: Recorder
) -> None:
    short = httpx.Timeout(connect=5.0, read=0.5, write=5.0, pool=5.0)
    api = clients.make(timeout=short, retry=RetryPolicy(attempts=3, base=0.01, cap=0.01, total=3))
    imp_uid = seed(emu)["imp_uid"]
    emu.fault(path="/payments/*", method="GET", kind="latency", delay=1.0, times=1)
    assert api.payment(imp_uid).imp_uid == imp_uid
    assert recorder.count("GET", f"/payments/{imp_uid}") == 2


def test_waiting_for_another_callers_token_refresh_keeps_the_deadline(
    emu: EmulatorClient,
) -> None:
    """A caller queued behind a slow token fetch gives up at its own deadline, sync and async."""
    imp_uid = seed(emu)["imp_uid"]
    patient, hasty = RetryPolicy(total=10), RetryPolicy(attempts=3, base=0.01, total=0.5)

    def sync() -> None:
        tokens = TokenCache()
        first = Iamport(DEMO_KEY, DEMO_SECRET, base_url=emu.base_url, tokens=tokens, retry=patient)
        second = Iamport(DEMO_KEY, DEMO_SECRET, base_url=emu.base_url, tokens=tokens, retry=hasty)
        with first, second:
            found: list[str] = []
            fetching = threading.Thread(target=lambda: found.append(first.payment(imp_uid).imp_uid))
            fetching.start()
            time.sleep(0.3)  # the first caller is inside the 2 s getToken, holding the lock
            started = time.monotonic()
            with pytest.raises(NotSent, match="token refresh"):
                second.payment(imp_uid)
            assert time.monotonic() - started < 0.6
            fetching.join()
            assert found == [imp_uid]  # the patient one still got its answer

    async def asynchronous() -> None:
        tokens = TokenCache()
        first = AsyncIamport(DEMO_KEY, DEMO_SECRET, base_url=emu.base_url, tokens=tokens)
        second = AsyncIamport(
            DEMO_KEY, DEMO_SECRET, base_url=emu.base_url, tokens=tokens, retry=hasty
        )
        async with first, second:
            fetching = asyncio.create_task(first.payment(imp_uid))
            await asyncio.sleep(0.3)
            started = time.monotonic()
            with pytest.raises(NotSent, match="token refresh"):
                await second.payment(imp_uid)
            assert time.monotonic() - started < 0.6
            assert (await fetching).imp_uid == imp_uid

    emu.fault(path="/users/getToken", kind="latency", delay=2.0, times=1)
    sync()
    emu.fault(path="/users/getToken", kind="latency", delay=2.0, times=1)
    asyncio.run(asynchronous())


# -- 7. event loops --------------------------------------------------------------------
def test_clients_on_two_loops_share_a_token_cache_under_contention(emu: EmulatorClient) -> None:
    imp_uid = seed(emu)["imp_uid"]
    tokens = TokenCache()
    results: list[Any] = []

    async def many() -> None:
        async with AsyncIamport(DEMO_KEY, DEMO_SECRET, base_url=emu.base_url, tokens=tokens) as c:
            found = await asyncio.gather(*(c.payment(imp_uid) for _ in range(10)))
            results.extend(p.imp_uid for p in found)

    threads = [threading.Thread(target=asyncio.run, args=(many(),)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [imp_uid] * 20


def test_one_client_on_a_second_loop_fails_at_once_and_clearly(emu: EmulatorClient) -> None:
    imp_uid = seed(emu)["imp_uid"]
    client = AsyncIamport(DEMO_KEY, DEMO_SECRET, base_url=emu.base_url)

    async def first() -> str:
        found = await client.payment(imp_uid)
        await client._http.aclose()  # the pool of this loop; the client stays "open"
        return found.imp_uid

    assert asyncio.run(first()) == imp_uid
    with pytest.raises(RuntimeError, match="one AsyncIamport per event loop"):
        asyncio.run(client.payment(imp_uid))  # no contention needed to see it


# -- 10/11. logging without secrets, a closed client -----------------------------------
def test_debug_logging_shows_requests_and_retries_but_no_secret(
    emu: EmulatorClient, api: Any, caplog: pytest.LogCaptureFixture
) -> None:
    emu.fault(path="/subscribe/payments/onetime", kind="error", status=503, times=1)
    caplog.set_level(logging.DEBUG, logger="paydesk.iamport")
    with pytest.raises(Exception):  # noqa: B017 - a 503 on a write: reconcile
        api.pay_onetime(order(), 1000, **CARD)
    api.banks()
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "/users/getToken" in text and "/subscribe/payments/onetime" in text
    assert "HTTP 503" in text and "HTTP 200" in text
    for secret in (DEMO_SECRET, "4111-1111-1111-1111", "900101", "'00'", "2030-12"):
        assert secret not in text, secret


# -- 11. the Tier header of an agency's sub-merchant ----------------------------------------
def test_tier_is_sent_with_every_authorised_call_and_checked_at_once(
    emu: EmulatorClient, clients: Clients, recorder: Recorder
) -> None:
    imp_uid = seed(emu, tier="ABC")["imp_uid"]  # a payment of the sub-merchant ABC
    api = clients.make(tier="ABC")
    assert api.payment(imp_uid).imp_uid == imp_uid
    api.banks()
    tiers = {path: headers.get("tier") for path, headers in recorder.headers}
    assert tiers == {"/users/getToken": None, f"/payments/{imp_uid}": "ABC", "/banks": "ABC"}
    plain = clients.make()
    plain.banks()
    assert recorder.headers[-1][0] == "/banks" and "tier" not in recorder.headers[-1][1]
    for wrong in ("abc", "AB", "ABCD", "A-C", ""):
        with pytest.raises(ValueError, match="tier"):
            clients.make(tier=wrong)


def test_a_sub_merchants_calls_see_its_books_and_an_unknown_tier_is_unauthorised(
    emu: EmulatorClient, clients: Clients
) -> None:
    """The emulator keeps each tier's books apart, as i'mport does: the agency's own
    client does not see a sub-merchant's payment, and a tier it lacks is refused."""
    imp_uid = seed(emu, tier="ABC", amount=7000)["imp_uid"]
    agency, tiered = clients.make(), clients.make(tier="ABC")
    with pytest.raises(NotFound):
        agency.payment(imp_uid)
    cancelled = tiered.cancel(imp_uid, amount=2000, checksum=7000, reason="부분 환불")
    assert (cancelled.cancel_amount, tiered.payment(imp_uid).cancel_amount) == (2000, 2000)
    with pytest.raises(Unauthorized) as refused:
        clients.make(tier="XYZ").payment(imp_uid)
    assert (refused.value.http_status, refused.value.code) == (401, -1)
    assert "XYZ" in str(refused.value)


def test_a_closed_client_says_so(emu: EmulatorClient, clients: Clients) -> None:
    api = clients.make()
    client = getattr(api, "client", api)
    if hasattr(client, "aclose"):
        asyncio.run(client.aclose())
    else:
        client.close()
    with pytest.raises(ClientClosed):
        api.banks()
