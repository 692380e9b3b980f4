"""Webhook delivery over real HTTP: every policy observed by a real merchant receiver.

Payments are seeded through the control API (which announces them like any
other door), or driven through the window over HTTP; the receiver records
what arrives and answers as each test scripts it.  Reference §5.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from paydesk.emulator.gateway.merchants import DeliveryPolicy
from tests.support.emulator import DEMO_CODE, EmulatorClient, seed
from tests.support.receiver import Answer, Receiver
from tests.support.servers import free_port
from tests.support.window_http import WindowClient, card_params

Settings = Callable[..., None]


@pytest.fixture
def settings(emu: EmulatorClient) -> Iterator[Settings]:
    """Change the demo merchant's webhook settings for one test, then restore them."""

    def apply(**changes: Any) -> None:
        emu.control("PUT", f"/merchants/{DEMO_CODE}/settings", json=changes)

    yield apply
    apply(webhook_url=None, webhook_content_type="json", confirm_enabled=True, delivery="realistic")


def records(emu: EmulatorClient, imp_uid: str, until: Callable[[list[dict]], bool]) -> list[dict]:
    """The payment's webhook records once ``until`` holds (polls for up to 10 s)."""
    deadline = time.monotonic() + 10
    while True:
        found = emu.webhooks(imp_uid)
        if until(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def settled(found: list[dict]) -> bool:
    return bool(found) and all(r["state"] != "pending" for r in found)


def test_once_delivers_json_with_the_documented_payload(
    emu: EmulatorClient, merchant: tuple[Receiver, str]
) -> None:
    receiver, url = merchant
    payment = seed(emu, status="paid", notice_url=f"{url}/hook")
    [hit] = receiver.wait_for("/hook")
    assert hit.headers["content-type"] == "application/json"
    assert hit.data() == {
        "imp_uid": payment["imp_uid"],
        "merchant_uid": payment["merchant_uid"],
        "status": "paid",
    }
    [record] = records(emu, payment["imp_uid"], settled)
    assert record["state"] == "delivered" and record["url"] == f"{url}/hook"
    [attempt] = record["attempts"]
    assert attempt["status"] == 200 and attempt["error"] is None and not attempt["manual"]
    time.sleep(0.3)
    assert len(receiver.hits("/hook")) == 1, "the default policy sends once"


def test_console_url_and_form_content_type(
    emu: EmulatorClient, merchant: tuple[Receiver, str], settings: Settings
) -> None:
    receiver, url = merchant
    settings(webhook_url=f"{url}/console-hook", webhook_content_type="form")
    payment = seed(emu, status="paid")
    [hit] = receiver.wait_for("/console-hook")
    assert hit.headers["content-type"] == "application/x-www-form-urlencoded"
    assert hit.data() == {
        "imp_uid": payment["imp_uid"],
        "merchant_uid": payment["merchant_uid"],
        "status": "paid",
    }


def test_notice_url_replaces_the_console_url(
    emu: EmulatorClient, merchant: tuple[Receiver, str], settings: Settings
) -> None:
    receiver, url = merchant
    settings(webhook_url=f"{url}/console-hook")
    seed(emu, status="paid", notice_url=[f"{url}/a", f"{url}/b"])
    receiver.wait_for("/a")
    receiver.wait_for("/b")
    time.sleep(0.3)
    assert receiver.hits("/console-hook") == []


def test_once_does_not_retry_a_5xx(emu: EmulatorClient, merchant: tuple[Receiver, str]) -> None:
    receiver, url = merchant
    receiver.answer("/hook", Answer(500, "boom"))
    payment = seed(emu, status="paid", notice_url=f"{url}/hook")
    [record] = records(emu, payment["imp_uid"], settled)
    assert record["state"] == "failed"
    assert [a["status"] for a in record["attempts"]] == [500]
    time.sleep(0.4)
    assert len(receiver.hits("/hook")) == 1


def test_retry_resends_5xx_until_delivered(
    emu: EmulatorClient, merchant: tuple[Receiver, str], settings: Settings
) -> None:
    receiver, url = merchant
    settings(delivery={"mode": "retry", "retry_interval": 0.3})
    receiver.answer("/hook", Answer(500), Answer(503))
    payment = seed(emu, status="paid", notice_url=f"{url}/hook")
    hits = receiver.wait_for("/hook", count=3)
    assert hits[1].at - hits[0].at >= 0.25 and hits[2].at - hits[1].at >= 0.25
    [record] = records(emu, payment["imp_uid"], settled)
    assert [a["status"] for a in record["attempts"]] == [500, 503, 200]
    assert record["state"] == "delivered"


def test_retry_gives_up_after_max_retries(
    emu: EmulatorClient, merchant: tuple[Receiver, str], settings: Settings
) -> None:
    receiver, url = merchant
    settings(delivery={"mode": "retry", "retry_interval": 0.1, "max_retries": 2})
    receiver.answer("/hook", default=Answer(502))
    payment = seed(emu, status="paid", notice_url=f"{url}/hook")
    [record] = records(emu, payment["imp_uid"], settled)
    assert [a["status"] for a in record["attempts"]] == [502, 502, 502]
    assert record["state"] == "failed"


def test_retry_ignores_4xx(
    emu: EmulatorClient, merchant: tuple[Receiver, str], settings: Settings
) -> None:
    receiver, url = merchant
    settings(delivery={"mode": "retry", "retry_interval": 0.1})
    receiver.answer("/hook", Answer(404, "no such route"))
    payment = seed(emu, status="paid", notice_url=f"{url}/hook")
    [record] = records(emu, payment["imp_uid"], settled)
    assert record["state"] == "failed" and len(record["attempts"]) == 1


def test_retry_on_network_errors(emu: EmulatorClient, settings: Settings) -> None:
    settings(delivery={"mode": "retry", "retry_interval": 0.1, "max_retries": 1})
    payment = seed(emu, status="paid", notice_url=f"http://127.0.0.1:{free_port()}/hook")
    [record] = records(emu, payment["imp_uid"], settled)
    assert record["state"] == "failed"
    assert len(record["attempts"]) == 2
    assert all(a["status"] is None and "Connect" in a["error"] for a in record["attempts"])


def test_retries_are_scheduled_on_the_gateway_clock(
    emu: EmulatorClient, merchant: tuple[Receiver, str], settings: Settings
) -> None:
    receiver, url = merchant
    settings(delivery={"mode": "retry"})  # the real one-minute interval
    receiver.answer("/hook", Answer(500))
    payment = seed(emu, status="paid", notice_url=f"{url}/hook")
    receiver.wait_for("/hook")
    [record] = records(emu, payment["imp_uid"], lambda found: bool(found[0]["attempts"]))
    assert record["state"] == "pending"
    assert record["next_attempt_at"] - record["attempts"][0]["at"] == pytest.approx(60, abs=1)
    time.sleep(0.4)
    assert len(receiver.hits("/hook")) == 1, "a minute has not passed yet"
    emu.advance(61)
    receiver.wait_for("/hook", count=2)
    [record] = records(emu, payment["imp_uid"], settled)
    assert record["state"] == "delivered"


def test_first_delivery_read_timeout(
    emu: EmulatorClient, merchant: tuple[Receiver, str], settings: Settings
) -> None:
    receiver, url = merchant
    settings(delivery={"read_timeout": 0.3})
    receiver.answer("/hook", Answer(200, delay=1.0))
    payment = seed(emu, status="paid", notice_url=f"{url}/hook")
    [record] = records(emu, payment["imp_uid"], settled)
    [attempt] = record["attempts"]
    assert record["state"] == "failed" and "ReadTimeout" in attempt["error"]
    assert 250 <= attempt["elapsed_ms"] < 1000


def test_duplicate_delivery(
    emu: EmulatorClient, merchant: tuple[Receiver, str], settings: Settings
) -> None:
    receiver, url = merchant
    settings(delivery={"duplicate_probability": 1.0})
    payment = seed(emu, status="paid", notice_url=f"{url}/hook")
    first, second = receiver.wait_for("/hook", count=2)
    assert first.data() == second.data()
    [record] = records(emu, payment["imp_uid"], lambda f: len(f[0]["attempts"]) == 2)
    assert [a["duplicate"] for a in record["attempts"]] == [False, True]
    assert record["state"] == "delivered"


def test_delay_and_jitter(
    emu: EmulatorClient, merchant: tuple[Receiver, str], settings: Settings
) -> None:
    receiver, url = merchant
    settings(delivery={"delay": 0.6, "jitter": 0.3})
    started = time.monotonic()
    seed(emu, status="paid", notice_url=f"{url}/hook")
    [hit] = receiver.wait_for("/hook")
    assert 0.55 <= hit.at - started < 2.0


def test_manual_resend(emu: EmulatorClient, merchant: tuple[Receiver, str]) -> None:
    receiver, url = merchant
    receiver.answer("/hook", Answer(500))
    payment = seed(emu, status="paid", notice_url=f"{url}/hook")
    [record] = records(emu, payment["imp_uid"], settled)
    assert record["state"] == "failed"
    resent = emu.control("POST", f"/webhooks/{record['id']}/resend")
    assert resent["state"] == "delivered"
    assert [(a["status"], a["manual"]) for a in resent["attempts"]] == [(500, False), (200, True)]
    assert len(receiver.hits("/hook")) == 2
    answer = emu.http.post("/_emulator/webhooks/wh_nope/resend")
    assert answer.status_code == 404


def test_resend_of_an_undeliverable_record_uses_the_url_set_since(
    emu: EmulatorClient, merchant: tuple[Receiver, str], settings: Settings
) -> None:
    receiver, url = merchant
    payment = seed(emu, status="paid")
    [record] = emu.webhooks(payment["imp_uid"])
    assert record["state"] == "undeliverable" and record["url"] is None
    refused = emu.http.post(f"/_emulator/webhooks/{record['id']}/resend")
    assert refused.status_code == 400
    settings(webhook_url=f"{url}/hook")
    resent = emu.control("POST", f"/webhooks/{record['id']}/resend")
    assert resent["state"] == "delivered" and resent["url"] == f"{url}/hook"
    receiver.wait_for("/hook")


def test_vbank_issue_then_deposit(emu: EmulatorClient, merchant: tuple[Receiver, str]) -> None:
    receiver, url = merchant
    payment = seed(emu, status="ready", pay_method="vbank", notice_url=f"{url}/hook")
    [issued] = receiver.wait_for("/hook")
    assert issued.data()["status"] == "ready"
    emu.control("POST", f"/vbanks/{payment['imp_uid']}/deposit")
    deposited = receiver.wait_for("/hook", count=2)[1]
    assert deposited.data() == {**issued.data(), "status": "paid"}


def test_late_failed_to_paid(emu: EmulatorClient, merchant: tuple[Receiver, str]) -> None:
    receiver, url = merchant
    payment = seed(emu, status="failed", pg="paymentwall", notice_url=f"{url}/hook")
    time.sleep(0.3)
    assert receiver.hits("/hook") == [], "a plain failure sends no webhook"
    flipped = emu.control("POST", f"/payments/{payment['imp_uid']}/late-paid")
    assert flipped["status"] == "paid" and flipped["fail_reason"] is None
    [hit] = receiver.wait_for("/hook")
    assert hit.data()["status"] == "paid"
    again = emu.http.post(f"/_emulator/payments/{payment['imp_uid']}/late-paid")
    assert again.status_code == 400, "only a failed payment can be flipped"


def test_console_cancel_sends_cancelled_with_cancellation_id(
    emu: EmulatorClient, merchant: tuple[Receiver, str]
) -> None:
    receiver, url = merchant
    payment = seed(emu, status="paid", amount=20000, notice_url=f"{url}/hook")
    receiver.wait_for("/hook")
    answer = emu.http.post(
        f"/console/payments/{payment['imp_uid']}/cancel", data={"amount": "5000", "reason": "반품"}
    )
    assert answer.status_code == 303
    cancelled = receiver.wait_for("/hook", count=2)[1].data()
    assert cancelled["status"] == "cancelled" and cancelled["cancellation_id"]
    stored = emu.get(f"/payments/{payment['imp_uid']}").json()["response"]
    assert stored["cancel_history"][0]["cancellation_id"] == cancelled["cancellation_id"]


def test_plain_window_failures_send_no_webhook(
    emu: EmulatorClient, merchant: tuple[Receiver, str], emulator_url: str
) -> None:
    receiver, url = merchant
    window = WindowClient(emulator_url)
    try:
        declined = window.pay_card(card_params(notice_url=f"{url}/hook"), "4000-0000-0000-0002")
        opened = window.open(card_params(notice_url=f"{url}/hook"))
        cancelled = window.rsp(window.cancel(window.sid(opened)))
    finally:
        window.close()
    assert declined["status"] == "failed" and cancelled["status"] == "failed"
    time.sleep(0.3)
    assert receiver.hits("/hook") == []
    assert emu.webhooks(declined["imp_uid"]) == [] == emu.webhooks(cancelled["imp_uid"])


def _redirect_payment(emulator_url: str, url: str) -> tuple[float, float, str]:
    """Pay in redirect mode over HTTP; returns (submitted, answered) times and the Location."""
    window = WindowClient(emulator_url)
    try:
        params = card_params(notice_url=f"{url}/hook", m_redirect_url=f"{url}/return")
        sid = window.sid(window.open(params, mode="redirect"))
        submitted = time.monotonic()
        answer = window.submit(sid, card_number="4111111111111111", expiry="12/30", card_quota="0")
        answered = time.monotonic()
    finally:
        window.close()
    assert answer.status_code == 302
    return submitted, answered, answer.headers["location"]


def test_before_redirect_waits_for_the_webhook(
    emu: EmulatorClient, merchant: tuple[Receiver, str], settings: Settings, emulator_url: str
) -> None:
    receiver, url = merchant
    settings(delivery={"order": "before_redirect"})
    receiver.answer("/hook", Answer(200, delay=0.5))
    submitted, answered, location = _redirect_payment(emulator_url, url)
    [hit] = receiver.hits("/hook")
    assert submitted < hit.at < answered
    assert answered - submitted >= 0.5, "the 302 waited for the merchant's answer"
    assert location.startswith(f"{url}/return?imp_uid=imp_")


def test_after_redirect_sends_the_browser_back_first(
    emu: EmulatorClient, merchant: tuple[Receiver, str], settings: Settings, emulator_url: str
) -> None:
    receiver, url = merchant
    settings(delivery={"order": "after_redirect"})
    _, answered, location = _redirect_payment(emulator_url, url)
    assert receiver.hits("/hook") == [], "nothing was sent before the 302"
    [hit] = receiver.wait_for("/hook")
    assert hit.at > answered
    assert "imp_success=true" in location


def test_presets_by_name(emu: EmulatorClient, settings: Settings) -> None:
    settings(delivery="realistic")
    [demo] = [m for m in emu.control("GET", "/merchants") if m["imp_code"] == DEMO_CODE]
    assert demo["delivery"] == DeliveryPolicy.preset("realistic").model_dump()
    settings(delivery={"preset": "once", "delay": 0.2})  # a preset, then changes to it
    [demo] = [m for m in emu.control("GET", "/merchants") if m["imp_code"] == DEMO_CODE]
    assert demo["delivery"] == {**DeliveryPolicy.preset("once").model_dump(), "delay": 0.2}
    answer = emu.http.put(f"/_emulator/merchants/{DEMO_CODE}/settings",
                          json={"delivery": "chaotic"})  # fmt: skip
    assert answer.status_code == 400 and "realistic" in answer.json()["message"]


def test_realistic_preset_duplicates_some_webhooks_and_spreads_them(
    emu: EmulatorClient, merchant: tuple[Receiver, str], settings: Settings
) -> None:
    receiver, url = merchant
    settings(delivery="realistic")
    started = time.monotonic()
    payments = [seed(emu, status="paid", notice_url=f"{url}/hook") for _ in range(40)]
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        found = [emu.webhooks(p["imp_uid"])[0] for p in payments]
        if all(r["state"] == "delivered" for r in found):
            break
        time.sleep(0.2)
    time.sleep(2.0)  # the copies follow within the jitter
    found = [emu.webhooks(p["imp_uid"])[0] for p in payments]
    copies = sum(1 for r in found for a in r["attempts"] if a["duplicate"])
    # one in four on average: 40 payments with no copy or all copied is ~1e-5 likely
    assert 0 < copies < 40
    arrivals = sorted(hit.at - started for hit in receiver.hits("/hook"))
    assert len(arrivals) == 40 + copies
    assert arrivals[-1] - arrivals[0] > 0.3, "spread by the jitter, not all at once"
