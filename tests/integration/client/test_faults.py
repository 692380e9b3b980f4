"""Faults injected by the emulator: which calls are retried, and which become
"not sent" or "outcome unknown" — and that an unknown outcome really is unknown."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from paydesk.iamport import (
    AlreadyCancelled,
    ChecksumMismatch,
    NotFound,
    NotSent,
    OutcomeUnknown,
    RetryPolicy,
    ServerError,
    TokenCache,
)
from paydesk.iamport.tokens import Grant
from tests.integration.client.conftest import Clients, Recorder, async_client
from tests.support.emulator import DEMO_KEY, EmulatorClient, seed
from tests.support.servers import free_port

SHORT_READ = httpx.Timeout(connect=2.0, read=0.4, write=2.0, pool=2.0)


def test_a_read_is_retried_through_two_503s(
    emu: EmulatorClient, api: Any, recorder: Recorder
) -> None:
    imp_uid = seed(emu)["imp_uid"]
    emu.fault(path="/payments/*", kind="error", status=503, times=2)
    assert api.payment(imp_uid).imp_uid == imp_uid
    assert recorder.statuses(f"/payments/{imp_uid}") == [503, 503, 200]
    assert len(recorder.sleeps) == 2 and all(0 <= s <= 0.05 for s in recorder.sleeps)


def test_reads_give_up_after_the_attempt_bound(
    emu: EmulatorClient, api: Any, recorder: Recorder
) -> None:
    imp_uid = seed(emu)["imp_uid"]
    emu.fault(path="/payments/*", kind="error", status=503)
    with pytest.raises(ServerError) as caught:
        api.payment(imp_uid)
    assert caught.value.retryable and caught.value.http_status == 503
    assert recorder.statuses(f"/payments/{imp_uid}") == [503] * 4  # FAST_RETRY: 4 attempts


def test_a_write_answered_503_is_not_resent(
    emu: EmulatorClient, api: Any, recorder: Recorder
) -> None:
    imp_uid = seed(emu, amount=10000)["imp_uid"]
    emu.fault(path="/payments/cancel", kind="error", status=503, times=1)
    with pytest.raises(ServerError) as caught:
        api.cancel(imp_uid, checksum=10000)
    assert caught.value.reconcile and not caught.value.retryable
    assert recorder.count("POST", "/payments/cancel") == 1
    assert api.payment(imp_uid).cancel_amount == 0


def test_cancel_without_answer_is_outcome_unknown_and_did_happen(
    emu: EmulatorClient, api: Any, recorder: Recorder
) -> None:
    imp_uid = seed(emu, amount=10000)["imp_uid"]
    emu.fault(path="/payments/cancel", kind="no_answer", times=1)
    with pytest.raises(OutcomeUnknown) as caught:
        api.cancel(imp_uid, amount=4000, checksum=10000)
    lost = caught.value
    assert lost.reconcile and not lost.retryable and lost.operation == "payments.cancel"
    assert lost.keys == {"imp_uid": imp_uid, "amount": 4000, "checksum": 10000}
    assert recorder.count("POST", "/payments/cancel") == 1  # never resent blindly
    assert api.payment(imp_uid).cancel_amount == 4000  # the refund happened
    with pytest.raises(ChecksumMismatch):  # a blind retry cannot refund twice
        api.cancel(imp_uid, amount=4000, checksum=lost.keys["checksum"])


def test_a_dropped_cancel_is_outcome_unknown_and_did_not_happen(
    emu: EmulatorClient, api: Any
) -> None:
    imp_uid = seed(emu, amount=10000)["imp_uid"]
    emu.fault(path="/payments/cancel", kind="drop", times=1)
    with pytest.raises(OutcomeUnknown):
        api.cancel(imp_uid, checksum=10000)
    assert api.payment(imp_uid).cancel_amount == 0  # only a lookup can tell


def test_a_slow_read_is_retried(emu: EmulatorClient, clients: Clients, recorder: Recorder) -> None:
    api = clients.make(timeout=SHORT_READ)
    imp_uid = seed(emu)["imp_uid"]
    emu.fault(path="/payments/*", method="GET", kind="latency", delay=1.0, times=1)
    assert api.payment(imp_uid).imp_uid == imp_uid
    assert recorder.count("GET", f"/payments/{imp_uid}") == 2
    assert recorder.statuses(f"/payments/{imp_uid}") == [200]  # the first never answered


def test_a_trickled_read_ends_at_the_deadline(
    emu: EmulatorClient, clients: Clients, recorder: Recorder
) -> None:
    """Through the caller's own httpx client too: every part of the answer comes within
    the read timeout, the whole takes 10 × 0.3 s, and the call ends at its 1.2 s deadline
    with no time left to try again."""
    api = clients.make(timeout=SHORT_READ,
                       retry=RetryPolicy(attempts=4, base=0.01, cap=0.05, total=1.2))  # fmt: skip
    imp_uid = seed(emu)["imp_uid"]
    api.payment(imp_uid)  # the token first: only the lookup trickles
    emu.fault(path="/payments/*", method="GET", kind="trickle", delay=0.3, times=1)
    started = time.monotonic()
    with pytest.raises(OutcomeUnknown) as caught:
        api.payment(imp_uid)
    assert "ReadTimeout" in str(caught.value)
    assert time.monotonic() - started < 2.5  # not the 3 s the answer takes
    assert recorder.count("GET", f"/payments/{imp_uid}") == 2  # no time for a third


def test_a_slow_write_is_outcome_unknown_and_only_a_lookup_tells(
    emu: EmulatorClient, clients: Clients, recorder: Recorder
) -> None:
    api = clients.make(timeout=SHORT_READ)
    emu.fault(path="/payments/prepare", method="POST", kind="latency", delay=1.0, times=1)
    with pytest.raises(OutcomeUnknown) as caught:
        api.prepare("order_slow", 5000)
    assert caught.value.keys == {"merchant_uid": "order_slow", "amount": 5000}
    assert recorder.count("POST", "/payments/prepare") == 1  # not resent
    time.sleep(1.2)  # past the injected delay
    # Here the emulator saw the client hang up before reading the request, so
    # nothing was registered; the hanging-card test below shows the other case.
    with pytest.raises(NotFound):
        api.prepared("order_slow")


@pytest.fixture
def short_hang(emu: EmulatorClient) -> Iterator[None]:
    before = emu.control("POST", "/settings", json={})["hang_seconds"]
    emu.control("POST", "/settings", json={"hang_seconds": 1.5})
    try:
        yield
    finally:
        emu.control("POST", "/settings", json={"hang_seconds": before})


@pytest.mark.usefixtures("short_hang")
def test_a_charge_whose_answer_hangs_is_outcome_unknown_and_found_by_merchant_uid(
    emu: EmulatorClient, clients: Clients
) -> None:
    api = clients.make(timeout=SHORT_READ)
    merchant_uid = f"order_{uuid.uuid4().hex[:12]}"
    with pytest.raises(OutcomeUnknown) as caught:
        api.pay_onetime(merchant_uid, 10000, card_number="4000-0000-0000-0259",
                        expiry="2030-12", birth="900101", pwd_2digit="00", pg="nice")  # fmt: skip
    assert caught.value.keys["merchant_uid"] == merchant_uid
    assert api.find_payment(merchant_uid).status == "paid"  # reconciled: it was charged


def test_a_closed_port_is_not_sent_and_retried(clients: Clients, recorder: Recorder) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    api = clients.make(base_url=closed)
    with pytest.raises(NotSent) as caught:
        api.prepare("order_x", 1000)
    assert caught.value.retryable and not caught.value.reconcile
    assert caught.value.operation == "payments.prepare"  # the write itself was never sent
    assert len(recorder.sleeps) == 3  # NotSent is safe to retry, writes included


def test_a_write_that_cannot_connect_is_not_sent(clients: Clients, recorder: Recorder) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    tokens = TokenCache()
    tokens.put((closed, DEMO_KEY), Grant("t" * 40, deadline=time.monotonic() + 3600))
    api = clients.make(base_url=closed, tokens=tokens)
    with pytest.raises(NotSent) as caught:
        api.cancel("imp_000000000001", checksum=1000)
    assert "ConnectError" in caught.value.message
    assert recorder.count("POST", "/payments/cancel") == 4  # retried: it never left
    assert recorder.token_calls == 0


@pytest.mark.asyncio
async def test_async_client_in_its_own_loop_reconciles_a_lost_cancel(
    emu: EmulatorClient, recorder: Recorder
) -> None:
    imp_uid = seed(emu, amount=8000)["imp_uid"]
    emu.fault(path="/payments/cancel", kind="no_answer", times=1)
    client = async_client(emu.base_url, recorder)
    try:
        with pytest.raises(OutcomeUnknown) as caught:
            await client.cancel(imp_uid)  # full cancel: checksum read first: 8000
        assert caught.value.keys == {"imp_uid": imp_uid, "checksum": 8000}
        assert (await client.payment(imp_uid)).cancel_amount == 8000
        with pytest.raises(AlreadyCancelled):  # the documented retry cannot refund twice
            await client.cancel(imp_uid, checksum=caught.value.checksum)
        with pytest.raises(AlreadyCancelled):  # nor can a plain full-cancel retry
            await client.cancel(imp_uid)
    finally:
        await client._http.aclose()
