"""Webhooks, the console and the Confirm Process with a real browser and a real receiver.

The shop server doubles as the merchant's webhook endpoint; its callback also
sends a beacon to ``/callback``, so the order of "browser sent back" and
"webhook arrived" is observed on the merchant side, as a merchant would.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from paydesk.emulator import DEFAULT_MERCHANTS, Gateway, create_app
from paydesk.emulator.delivery.outbound import Outbound, OutboundSettings
from paydesk.emulator.gateway.merchants import DeliveryPolicy
from tests.browser.conftest import SHOP_HTML, Shop
from tests.browser.flows import callback, enter_card, open_shop, window_frame
from tests.support.emulator import EmulatorClient
from tests.support.receiver import Answer
from tests.support.servers import serve
from tests.support.window_http import card_params

pytestmark = pytest.mark.browser
Settings = Callable[..., None]


def statuses(shop: Shop, count: int) -> list[str]:
    return [hit.data()["status"] for hit in shop.receiver.wait_for("/hook", count=count)]


# -- vbank and the console -----------------------------------------------------------
def test_vbank_issue_then_deposit_from_the_console(
    new_page: Callable[..., Any], shop: Shop, emu: EmulatorClient, settings: Settings
) -> None:
    settings(webhook_url=f"{shop.url}/hook")
    page = new_page()
    open_shop(page, shop, card_params(pay_method="vbank", vbank_due="2099-12-31", amount=33000))
    page.click("#buy")
    frame = window_frame(page)
    frame.locator("#bank_code").select_option("004")
    frame.locator("#pay").click()
    rsp = callback(page)
    assert rsp["success"] is True and rsp["status"] == "ready"
    assert rsp["vbank_num"] and rsp["vbank_name"] == "국민은행" and rsp["vbank_date"] > 0
    assert statuses(shop, 1) == ["ready"]

    console = new_page()
    console.goto(f"{emu.base_url}/console/payments/{rsp['imp_uid']}")
    assert console.locator("#payment-status").inner_text() == "ready"
    console.click("#deposit")
    assert "입금되었습니다" in console.locator("#notice").inner_text()
    assert statuses(shop, 2) == ["ready", "paid"]
    assert emu.get(f"/payments/{rsp['imp_uid']}").json()["response"]["status"] == "paid"

    console.locator("tr[data-webhook-id] .resend").first.click()
    assert "재발송: 200" in console.locator("#notice").inner_text()
    hits = shop.receiver.wait_for("/hook", count=3)
    assert hits[2].data() == hits[0].data(), "the first (ready) webhook was resent"


def test_console_cancel_sends_a_webhook(
    new_page: Callable[..., Any], shop: Shop, emu: EmulatorClient, settings: Settings
) -> None:
    settings(webhook_url=f"{shop.url}/hook")
    page = new_page()
    open_shop(page, shop, card_params(amount=20000))
    page.click("#buy")
    enter_card(window_frame(page))
    rsp = callback(page)
    console = new_page()
    console.goto(f"{emu.base_url}/console/payments")
    console.click(f"tr[data-imp-uid='{rsp['imp_uid']}'] a")
    console.fill("#cancel-form input[name=amount]", "5000")
    console.fill("#cancel-form input[name=reason]", "부분 반품")
    console.click("#cancel")
    assert console.locator("#payment-status").inner_text() == "cancelled"
    cancelled = shop.receiver.wait_for("/hook", count=2)[1].data()
    assert cancelled["status"] == "cancelled" and cancelled["cancellation_id"]
    stored = emu.get(f"/payments/{rsp['imp_uid']}").json()["response"]
    assert stored["cancel_amount"] == 5000


def test_console_settings_page_sets_policy_faults_and_clock(
    page: Any, emu: EmulatorClient, settings: Settings
) -> None:
    page.goto(f"{emu.base_url}/console/settings")
    form = page.locator("#settings-imp00000001")
    form.locator("input[name=webhook_url]").fill("http://127.0.0.1:9/hook")
    form.locator("select[name=mode]").select_option("retry")
    form.locator("input[name=retry_interval]").fill("5")
    form.locator("select[name=order]").select_option("after_redirect")
    form.locator("button[type=submit]").click()
    assert "설정을 저장했습니다" in page.locator("#notice").inner_text()
    [demo] = [m for m in emu.control("GET", "/merchants") if m["imp_code"] == "imp00000001"]
    assert demo["webhook_url"] == "http://127.0.0.1:9/hook"
    assert demo["delivery"]["mode"] == "retry" and demo["delivery"]["retry_interval"] == 5
    assert demo["delivery"]["order"] == "after_redirect"

    page.fill("#fault-form input[name=path]", "/payments/cancel")
    page.click("#fault-form button[type=submit]")
    [fault] = emu.control("GET", "/faults")
    assert fault["path"] == "/payments/cancel" and fault["kind"] == "latency"

    before = emu.now()
    page.fill("#clock-advance input[name=seconds]", "3600")
    page.click("#clock-advance button")
    assert emu.now() - before >= 3600


# -- webhook policies, seen from the merchant --------------------------------------------
def test_once_policy_sends_one_webhook(page: Any, shop: Shop, emu: EmulatorClient) -> None:
    open_shop(page, shop, card_params(notice_url=f"{shop.url}/hook"))
    page.click("#buy")
    enter_card(window_frame(page))
    rsp = callback(page)
    [hit] = shop.receiver.wait_for("/hook")
    assert hit.data() == {
        "imp_uid": rsp["imp_uid"],
        "merchant_uid": rsp["merchant_uid"],
        "status": "paid",
    }
    page.wait_for_timeout(400)
    assert len(shop.receiver.hits("/hook")) == 1


def test_retry_policy_resends_after_a_5xx(
    page: Any, shop: Shop, emu: EmulatorClient, settings: Settings
) -> None:
    settings(delivery={"mode": "retry", "retry_interval": 0.3})
    shop.receiver.answer("/hook", Answer(503))
    open_shop(page, shop, card_params(notice_url=f"{shop.url}/hook"))
    page.click("#buy")
    enter_card(window_frame(page))
    callback(page)
    first, second = shop.receiver.wait_for("/hook", count=2)
    assert second.at - first.at >= 0.25 and first.data() == second.data()


def test_duplicate_policy_delivers_twice(
    page: Any, shop: Shop, emu: EmulatorClient, settings: Settings
) -> None:
    settings(delivery={"duplicate_probability": 1})
    open_shop(page, shop, card_params(notice_url=f"{shop.url}/hook"))
    page.click("#buy")
    enter_card(window_frame(page))
    callback(page)
    first, second = shop.receiver.wait_for("/hook", count=2)
    assert first.data() == second.data()


def test_delay_policy_lets_the_callback_win(
    page: Any, shop: Shop, emu: EmulatorClient, settings: Settings
) -> None:
    settings(delivery={"delay": 1.0, "jitter": 0.2})
    open_shop(page, shop, card_params(notice_url=f"{shop.url}/hook"))
    page.click("#buy")
    enter_card(window_frame(page))
    callback(page)
    [beacon] = shop.receiver.wait_for("/callback")
    [hook] = shop.receiver.wait_for("/hook")
    assert hook.at - beacon.at >= 0.5


def _redirect_pay(page: Any, shop: Shop) -> None:
    params = card_params(
        notice_url=f"{shop.url}/hook", m_redirect_url=f"{shop.url}/return", redirect=True
    )
    open_shop(page, shop, params)
    page.click("#buy")
    enter_card(page)
    page.wait_for_selector("#landed")


def test_before_redirect_delivers_before_the_browser_lands(
    page: Any, shop: Shop, emu: EmulatorClient, settings: Settings
) -> None:
    settings(delivery={"order": "before_redirect"})
    shop.receiver.answer("/hook", Answer(200, delay=0.5))
    _redirect_pay(page, shop)
    [hook] = shop.receiver.wait_for("/hook")
    [landing] = shop.receiver.hits("/return", "GET")
    assert hook.at + 0.5 <= landing.at + 0.05, "the 302 waited for the merchant's 200"


def test_after_redirect_lands_the_browser_first(
    page: Any, shop: Shop, emu: EmulatorClient, settings: Settings
) -> None:
    settings(delivery={"order": "after_redirect"})
    _redirect_pay(page, shop)
    [landing] = shop.receiver.hits("/return", "GET")
    [hook] = shop.receiver.wait_for("/hook")
    assert landing.at < hook.at


def test_before_and_after_in_the_modal(
    page: Any, shop: Shop, emu: EmulatorClient, settings: Settings
) -> None:
    for order in ("before_redirect", "after_redirect"):
        shop.receiver.reset()
        settings(delivery={"order": order})
        open_shop(page, shop, card_params(notice_url=f"{shop.url}/hook"))
        page.click("#buy")
        enter_card(window_frame(page))
        callback(page)
        [beacon] = shop.receiver.wait_for("/callback")
        [hook] = shop.receiver.wait_for("/hook")
        assert (hook.at < beacon.at) == (order == "before_redirect"), order


def test_late_failed_payment_turns_paid(page: Any, shop: Shop, emu: EmulatorClient) -> None:
    open_shop(page, shop, card_params(pg="paymentwall", notice_url=f"{shop.url}/hook"))
    page.click("#buy")
    enter_card(window_frame(page), "4000-0000-0000-0002")
    rsp = callback(page)
    assert rsp["status"] == "failed"
    page.wait_for_timeout(300)
    assert shop.receiver.hits("/hook") == []
    emu.control("POST", f"/payments/{rsp['imp_uid']}/late-paid")
    assert statuses(shop, 1) == ["paid"]


# -- the Confirm Process in the browser (an emulator with a 0.5 s confirm timeout) --------
@pytest.fixture(scope="module")
def quick_confirm_emulator() -> Iterator[str]:
    once = DeliveryPolicy.preset("once")  # these tests count hooks: no late random copies
    gateway = Gateway([m.model_copy(deep=True, update={"delivery": once})
                       for m in DEFAULT_MERCHANTS])  # fmt: skip
    outbound = Outbound(OutboundSettings(confirm_timeout=0.5))
    with serve(create_app(gateway, outbound=outbound)) as url:
        yield url


@pytest.fixture
def quick_shop(shop: Shop, quick_confirm_emulator: str) -> Shop:
    shop.receiver.pages["/quick"] = SHOP_HTML.format(emulator=quick_confirm_emulator)
    return shop


def _confirm_pay(page: Any, shop: Shop) -> dict[str, Any]:
    page.goto(shop.page_url("quick"))
    params = card_params(confirm_url=f"{shop.url}/confirm", notice_url=f"{shop.url}/hook")
    page.evaluate("params => { window.__params = params; }", params)
    page.click("#buy")
    enter_card(window_frame(page))
    return callback(page)


def test_confirm_answered_200(page: Any, quick_shop: Shop) -> None:
    rsp = _confirm_pay(page, quick_shop)
    assert rsp["status"] == "paid"
    [call] = quick_shop.receiver.hits("/confirm")
    assert call.data()["imp_uid"] == rsp["imp_uid"] and call.data()["amount"] == 12000
    quick_shop.receiver.wait_for("/hook")


def test_confirm_answered_409_with_reason(page: Any, quick_shop: Shop) -> None:
    body = json.dumps({"reason": "품절"}, ensure_ascii=False)
    quick_shop.receiver.answer("/confirm", Answer(409, body, content_type="application/json"))
    rsp = _confirm_pay(page, quick_shop)
    assert rsp["status"] == "failed"
    assert rsp["error_msg"] == "고객사 요청에 의해 결제를 중단합니다. (상세사유 : 품절)"
    page.wait_for_timeout(300)
    assert quick_shop.receiver.hits("/hook") == []


def test_confirm_timeout(page: Any, quick_shop: Shop) -> None:
    quick_shop.receiver.answer("/confirm", Answer(200, delay=1.5))
    rsp = _confirm_pay(page, quick_shop)
    assert rsp["status"] == "failed"
    assert rsp["error_msg"] == "고객사 요청에 의해 결제를 중단합니다. (상세사유 : 알 수 없음)"
