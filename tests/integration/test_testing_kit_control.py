"""``paydesk.testing``'s fixtures and control helper, used here as a merchant would.

The plugin is loaded by its ``pytest11`` entry point (this suite imports no
fixture from it); each test reads the effect of a control call through the
public REST API or a real webhook receiver.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from paydesk.testing import ControlError, IamportControl, RunningEmulator
from tests.support.receiver import Receiver
from tests.support.servers import serve


@pytest.fixture
def api(iamport_emulator: RunningEmulator) -> Iterator[httpx.Client]:
    """i'mport's public REST API on the emulator, with the demo merchant's token."""
    with httpx.Client(base_url=iamport_emulator.base_url, timeout=10) as client:
        answer = client.post("/users/getToken", json={"imp_key": iamport_emulator.imp_key,
                                                      "imp_secret": iamport_emulator.imp_secret})  # fmt: skip
        assert answer.status_code == 200, answer.text
        client.headers["Authorization"] = f"Bearer {answer.json()['response']['access_token']}"
        yield client


def status_of(api: httpx.Client, imp_uid: str) -> str:
    answer = api.get(f"/payments/{imp_uid}")
    assert answer.status_code == 200, answer.text
    status: str = answer.json()["response"]["status"]
    return status


def test_the_emulator_serves_the_demo_merchant_and_the_sdk(
    iamport_emulator: RunningEmulator,
) -> None:
    assert iamport_emulator.imp_code == "imp00000001"
    script = httpx.get(iamport_emulator.iamport_js_url, timeout=10)
    assert script.status_code == 200
    assert "request_pay" in script.text
    refused = httpx.post(f"{iamport_emulator.base_url}/users/getToken",
                         json={"imp_key": iamport_emulator.imp_key, "imp_secret": "wrong"})  # fmt: skip
    assert refused.status_code == 401


def test_a_deposit_pays_the_virtual_account(
    iamport_control: IamportControl, api: httpx.Client
) -> None:
    vbank = iamport_control.seed_payment(amount=30000, pay_method="vbank", status="ready")
    assert status_of(api, vbank["imp_uid"]) == "ready"

    paid = iamport_control.deposit(vbank["imp_uid"], depositor_name="홍길동")

    assert paid["status"] == "paid"
    assert status_of(api, vbank["imp_uid"]) == "paid"
    with pytest.raises(ControlError) as refused:
        iamport_control.deposit(vbank["imp_uid"])  # already paid
    assert refused.value.status == 400


def test_a_deposit_into_an_unknown_account_is_a_control_error(
    iamport_control: IamportControl,
) -> None:
    with pytest.raises(ControlError) as refused:
        iamport_control.deposit("imp_000000000000")
    assert refused.value.status == 404


def test_an_injected_fault_fires_as_often_as_asked_then_the_api_answers(
    iamport_control: IamportControl, api: httpx.Client
) -> None:
    payment = iamport_control.seed_payment(amount=1000)
    fault = iamport_control.inject_fault("/payments/*", method="get", status=502, times=2)

    assert [api.get(f"/payments/{payment['imp_uid']}").status_code for _ in range(3)] == [
        502, 502, 200,
    ]  # fmt: skip
    iamport_control.remove_fault(fault)
    iamport_control.inject_fault("/payments/*", kind="error", status=503)
    assert api.get(f"/payments/{payment['imp_uid']}").status_code == 503
    iamport_control.clear_faults()
    assert api.get(f"/payments/{payment['imp_uid']}").status_code == 200


def test_moving_the_clock_expires_the_token(
    iamport_control: IamportControl, api: httpx.Client
) -> None:
    payment = iamport_control.seed_payment(amount=1000)
    before = iamport_control.now()

    after = iamport_control.advance_clock(31 * 60)

    assert after - before >= 31 * 60
    assert api.get(f"/payments/{payment['imp_uid']}").status_code == 401
    frozen = iamport_control.set_clock(before, freeze=True)
    assert frozen == before
    assert iamport_control.now() == before


def test_webhooks_are_delivered_and_read_back(iamport_control: IamportControl) -> None:
    receiver = Receiver()
    with serve(receiver.app) as url:
        settings = iamport_control.configure_webhooks(f"{url}/hook", content_type="form")
        assert settings.webhook_url == f"{url}/hook"
        payment = iamport_control.seed_payment(amount=5000, merchant_uid="order_kit_1")

        sent = iamport_control.wait_for_webhooks(payment["imp_uid"])

        hit = receiver.wait_for("/hook")[0]
    assert [(w.status, w.state, w.merchant_uid) for w in sent] == [
        ("paid", "delivered", "order_kit_1"),
    ]
    assert [a.status for a in sent[0].attempts] == [200]
    assert hit.content_type.startswith("application/x-www-form-urlencoded")
    assert hit.data()["imp_uid"] == payment["imp_uid"]


def test_reset_forgets_payments_and_restores_the_settings_it_started_with(
    iamport_control: IamportControl, iamport_emulator: RunningEmulator, api: httpx.Client
) -> None:
    started = {m.imp_code: m for m in iamport_control.merchants()}
    payment = iamport_control.seed_payment(amount=1000)
    iamport_control.configure_webhooks("http://127.0.0.1:9/hook", delivery="once")
    iamport_control.inject_fault("/payments/prepare")

    iamport_control.reset()

    assert api.get(f"/payments/{payment['imp_uid']}").status_code == 401  # tokens too
    token = httpx.post(f"{iamport_emulator.base_url}/users/getToken",
                       json={"imp_key": iamport_emulator.imp_key,
                             "imp_secret": iamport_emulator.imp_secret}).json()["response"]  # fmt: skip
    api.headers["Authorization"] = f"Bearer {token['access_token']}"
    assert api.get(f"/payments/{payment['imp_uid']}").status_code == 404
    assert (
        api.post("/payments/prepare", json={"merchant_uid": "o1", "amount": 1}).status_code == 200
    )
    assert {m.imp_code: m for m in iamport_control.merchants()} == started
    assert started["imp00000001"].webhook_url is None
    assert started["imp00000001"].delivery["duplicate_probability"] == 0.25  # 'realistic'
    assert iamport_control.webhooks() == []
