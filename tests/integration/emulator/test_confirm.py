"""The Confirm Process over real HTTP: a real merchant endpoint decides each approval.

An emulator with a short confirm timeout (0.5 s) calls a real receiver; the
window is driven over HTTP as a browser would.  Reference §6.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from paydesk.emulator import DEFAULT_MERCHANTS, Gateway, create_app
from paydesk.emulator.delivery.outbound import Outbound, OutboundSettings
from paydesk.emulator.gateway.merchants import DeliveryPolicy, load_merchants
from tests.support.emulator import DEMO_CODE, EmulatorClient
from tests.support.receiver import Answer, Receiver
from tests.support.servers import free_port, serve
from tests.support.window_http import WindowClient, card_params

CONFIRM_TIMEOUT = 0.5
REFUSED = "고객사 요청에 의해 결제를 중단합니다. (상세사유 : {})"


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    gateway = Gateway([m.model_copy(deep=True) for m in DEFAULT_MERCHANTS])
    outbound = Outbound(OutboundSettings(confirm_timeout=CONFIRM_TIMEOUT))
    with serve(create_app(gateway, outbound=outbound)) as url:
        yield url


@pytest.fixture
def emu(emulator: str) -> Iterator[EmulatorClient]:
    client = EmulatorClient(emulator)
    client.reset()
    client.control("PUT", f"/merchants/{DEMO_CODE}/settings", json={"confirm_enabled": True})
    yield client
    client.close()


@pytest.fixture
def window(emulator: str) -> Iterator[WindowClient]:
    client = WindowClient(emulator)
    yield client
    client.close()


def payment(emu: EmulatorClient, imp_uid: str) -> dict:
    answer = emu.get(f"/payments/{imp_uid}")
    assert answer.status_code == 200, answer.text
    return answer.json()["response"]


def test_confirm_answered_200_lets_the_payment_be_approved(
    emu: EmulatorClient, window: WindowClient, merchant: tuple[Receiver, str]
) -> None:
    receiver, url = merchant
    params = card_params(amount=34000, confirm_url=f"{url}/confirm", notice_url=f"{url}/hook")
    rsp = window.pay_card(params)
    assert rsp["success"] is True and rsp["status"] == "paid"
    [call] = receiver.hits("/confirm")
    assert call.content_type.startswith("application/json")
    body = call.data()
    assert body["imp_uid"] == rsp["imp_uid"]
    assert body["merchant_uid"] == params["merchant_uid"]
    assert body["amount"] == 34000
    hook = receiver.wait_for("/hook")[0]
    assert call.at < hook.at, "the confirm call comes before approval and its webhook"
    [record] = emu.control("GET", "/confirms")
    assert record["decision"] == "approve" and record["status"] == 200
    assert payment(emu, rsp["imp_uid"])["status"] == "paid"


def test_confirm_refusal_with_reason_fails_the_payment_without_webhook(
    emu: EmulatorClient, window: WindowClient, merchant: tuple[Receiver, str]
) -> None:
    receiver, url = merchant
    reason = json.dumps({"reason": "재고가 부족합니다"}, ensure_ascii=False)
    receiver.answer("/confirm", Answer(409, reason, content_type="application/json"))
    params = card_params(confirm_url=f"{url}/confirm", notice_url=f"{url}/hook")
    rsp = window.pay_card(params)
    expected = REFUSED.format("재고가 부족합니다")
    assert rsp["success"] is False and rsp["status"] == "failed"
    assert rsp["error_msg"] == expected and rsp["imp_uid"]
    stored = payment(emu, rsp["imp_uid"])
    assert stored["status"] == "failed" and stored["fail_reason"] == expected
    assert stored["paid_at"] == 0 and stored["apply_num"] is None
    [record] = emu.control("GET", "/confirms")
    assert record["status"] == 409 and record["decision"] == "refuse"
    assert record["fail_reason"] == expected
    assert emu.webhooks(rsp["imp_uid"]) == [] and receiver.hits("/hook") == []


def test_refusal_without_a_reason_says_unknown(
    emu: EmulatorClient, window: WindowClient, merchant: tuple[Receiver, str]
) -> None:
    receiver, url = merchant
    receiver.answer("/confirm", Answer(500, "<h1>oops</h1>", content_type="text/html"))
    rsp = window.pay_card(card_params(confirm_url=f"{url}/confirm"))
    assert rsp["error_msg"] == REFUSED.format("알 수 없음")
    receiver.answer("/confirm", Answer(201, "{}", content_type="application/json"))
    rsp = window.pay_card(card_params(confirm_url=f"{url}/confirm"))
    assert rsp["error_msg"] == REFUSED.format("알 수 없음"), "only 200 lets approval go on"


def test_confirm_timeout_fails_the_payment(
    emu: EmulatorClient, window: WindowClient, merchant: tuple[Receiver, str]
) -> None:
    receiver, url = merchant
    receiver.answer("/confirm", Answer(200, "late", delay=CONFIRM_TIMEOUT + 1.0))
    rsp = window.pay_card(card_params(confirm_url=f"{url}/confirm"))
    assert rsp["status"] == "failed"
    assert rsp["error_msg"] == REFUSED.format("알 수 없음")
    [record] = emu.control("GET", "/confirms")
    assert record["status"] is None and record["error"]
    assert CONFIRM_TIMEOUT * 1000 * 0.8 <= record["elapsed_ms"] < (CONFIRM_TIMEOUT + 1.0) * 1000


def test_unreachable_confirm_url_fails_the_payment(
    emu: EmulatorClient, window: WindowClient
) -> None:
    rsp = window.pay_card(card_params(confirm_url=f"http://127.0.0.1:{free_port()}/confirm"))
    assert rsp["status"] == "failed"
    assert rsp["error_msg"] == REFUSED.format("알 수 없음")
    [record] = emu.control("GET", "/confirms")
    assert record["decision"] == "refuse" and "Connect" in record["error"]


def test_confirm_url_is_ignored_when_not_enabled_for_the_merchant(
    emu: EmulatorClient, window: WindowClient, merchant: tuple[Receiver, str]
) -> None:
    receiver, url = merchant
    receiver.answer("/confirm", default=Answer(500, '{"reason": "would refuse"}'))
    emu.control("PUT", f"/merchants/{DEMO_CODE}/settings", json={"confirm_enabled": False})
    rsp = window.pay_card(card_params(confirm_url=f"{url}/confirm"))
    assert rsp["status"] == "paid", "approved: the refusing endpoint was never asked"
    assert receiver.hits("/confirm") == []
    [record] = emu.control("GET", "/confirms")  # ...but the console says why
    assert record["decision"] == "ignored" and record["status"] is None
    assert record["request"]["imp_uid"] == rsp["imp_uid"] and "not enabled" in record["error"]
    page = emu.http.get(f"/console/payments/{rsp['imp_uid']}")
    assert page.status_code == 200 and "ignored" in page.text and "호출 안 함" in page.text


def test_confirm_is_asked_for_a_vbank_and_a_key_only_billing_issuance(
    emu: EmulatorClient, window: WindowClient, merchant: tuple[Receiver, str]
) -> None:
    receiver, url = merchant
    vbank = card_params(pay_method="vbank", amount=30000, confirm_url=f"{url}/confirm")
    sid = window.sid(window.open(vbank))
    issued = window.rsp(window.submit(sid, bank_code="004"))
    key_only = card_params(pg="tosspayments", customer_uid="cust_cf", amount=5000,
                           confirm_url=f"{url}/confirm")  # fmt: skip
    billing = window.pay_card(key_only)
    asked = [hit.data() for hit in receiver.hits("/confirm")]
    assert [a["imp_uid"] for a in asked] == [issued["imp_uid"], billing["imp_uid"]]
    assert asked[1]["amount"] == 0, "a key-only issuance is confirmed with amount 0"
    assert issued["vbank_num"] and payment(emu, billing["imp_uid"])["amount"] == 0


def test_a_confirm_that_times_out_is_not_retried(
    emu: EmulatorClient, window: WindowClient, merchant: tuple[Receiver, str]
) -> None:
    receiver, url = merchant
    receiver.answer("/confirm", default=Answer(200, delay=CONFIRM_TIMEOUT * 3))
    rsp = window.pay_card(card_params(confirm_url=f"{url}/confirm"))
    assert rsp["status"] == "failed"
    time.sleep(CONFIRM_TIMEOUT * 6)  # long enough for any retry to have been made
    assert len(receiver.hits("/confirm")) == 1
    assert [r["decision"] for r in emu.control("GET", "/confirms")] == ["refuse"]


def test_a_card_typing_mistake_does_not_reach_the_merchant(
    emu: EmulatorClient, window: WindowClient, merchant: tuple[Receiver, str]
) -> None:
    receiver, url = merchant
    opened = window.open(card_params(confirm_url=f"{url}/confirm"))
    sid = window.sid(opened)
    retry = window.submit(sid, card_number="4111-1111-1111-1112", expiry="12/30", card_quota="0")
    assert window.error(retry) == "유효하지않은 카드번호를 입력하셨습니다."
    assert receiver.hits("/confirm") == []
    done = window.submit(sid, card_number="4111111111111111", expiry="12/30", card_quota="0")
    assert window.rsp(done)["status"] == "paid"
    assert len(receiver.hits("/confirm")) == 1


def test_a_double_submit_asks_and_pays_once(
    emu: EmulatorClient, emulator: str, merchant: tuple[Receiver, str]
) -> None:
    receiver, url = merchant
    receiver.answer("/confirm", default=Answer(200, delay=0.3))
    opener = WindowClient(emulator)
    sid = opener.sid(opener.open(card_params(confirm_url=f"{url}/confirm")))
    clients = [WindowClient(emulator) for _ in range(2)]

    def pay(client: WindowClient) -> dict:
        page = client.submit(sid, card_number="4111111111111111", expiry="12/30", card_quota="0")
        return client.rsp(page)

    try:
        with ThreadPoolExecutor(2) as pool:
            first, second = pool.map(pay, clients)
    finally:
        for client in (opener, *clients):
            client.close()
    assert first == second and first["status"] == "paid"
    assert len(receiver.hits("/confirm")) == 1
    assert [w["event"] for w in emu.webhooks(first["imp_uid"])] == ["paid"]


def test_merchants_file_has_no_confirm_process_unless_asked(tmp_path: Path) -> None:
    listed = [
        {"imp_code": "imp90000001", "imp_key": "k1", "imp_secret": "s1"},
        {"imp_code": "imp90000002", "imp_key": "k2", "imp_secret": "s2", "confirm_enabled": True,
         "delivery": "realistic"},
    ]  # fmt: skip
    path = tmp_path / "merchants.json"
    path.write_text(json.dumps(listed), encoding="utf-8")
    plain, asked = load_merchants(path)
    assert not plain.confirm_enabled and asked.confirm_enabled
    assert plain.delivery == DeliveryPolicy.preset("once")
    assert asked.delivery == DeliveryPolicy.preset("realistic")
    demo = next(m for m in DEFAULT_MERCHANTS if m.imp_code == DEMO_CODE)
    assert demo.confirm_enabled and demo.delivery == DeliveryPolicy.preset("realistic")
