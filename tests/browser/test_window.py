"""The payment window in a real browser: a plain merchant page on another origin.

The shop page only points its ``<script src>`` at the emulator.  Card, bank,
vbank, phone and easy pays run through the modal, the popup and the redirect
flow; results are checked in the callback, in the 302 query string and with
``GET /payments/{imp_uid}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import IPHONE, Shop
from tests.browser.flows import callback, enter_card, open_shop, overlay_gone, window_frame
from tests.support.emulator import EmulatorClient
from tests.support.window_http import card_params, order_id

pytestmark = pytest.mark.browser
CANCELLED = "사용자가 결제를 취소하셨습니다"


def stored(emu: EmulatorClient, imp_uid: str) -> dict[str, Any]:
    answer = emu.get(f"/payments/{imp_uid}")
    assert answer.status_code == 200, answer.text
    payment: dict[str, Any] = answer.json()["response"]
    return payment


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


# -- modal ----------------------------------------------------------------------
def test_card_approved_in_the_modal(page: Any, shop: Shop, emu: EmulatorClient) -> None:
    params = card_params(amount=60000, display={"card_quota": [3, 6]}, custom_data={"cart": 7})
    open_shop(page, shop, params)
    page.click("#buy")
    frame = window_frame(page)
    options = frame.locator("#card_quota option").evaluate_all("os => os.map(o => o.value)")
    assert options == ["0", "3", "6"], "display.card_quota limits the installment choices"
    enter_card(frame, quota=6)
    rsp = callback(page)
    assert rsp["success"] is True and rsp["imp_success"] is True and rsp["error_code"] is None
    assert rsp["status"] == "paid" and rsp["paid_amount"] == 60000
    assert rsp["merchant_uid"] == params["merchant_uid"] and rsp["pg_type"] == "payment"
    assert rsp["card_quota"] == 6 and rsp["card_number"] == "411111******1111"
    assert rsp["custom_data"] == {"cart": 7} and rsp["apply_num"]
    assert overlay_gone(page)
    payment = stored(emu, rsp["imp_uid"])
    assert payment["status"] == "paid" and payment["channel"] == "pc"
    assert payment["card_quota"] == 6 and payment["custom_data"] == '{"cart":7}'
    assert payment["pg_tid"] == rsp["pg_tid"]


def test_no_installments_below_50000_won(page: Any, shop: Shop) -> None:
    open_shop(page, shop, card_params(amount=49000))
    page.click("#buy")
    frame = window_frame(page)
    options = frame.locator("#card_quota option").evaluate_all("os => os.map(o => o.value)")
    assert options == ["0"]


def test_card_declined_in_the_modal(page: Any, shop: Shop, emu: EmulatorClient) -> None:
    open_shop(page, shop, card_params())
    page.click("#buy")
    enter_card(window_frame(page), "4000-0000-0000-0002")
    rsp = callback(page)
    assert rsp["success"] is False and rsp["status"] == "failed"
    assert rsp["error_code"] and rsp["error_msg"].startswith("[PG 거절]")
    payment = stored(emu, rsp["imp_uid"])
    assert payment["status"] == "failed" and payment["fail_reason"] == rsp["error_msg"]


def test_invalid_card_number_keeps_the_window_open(page: Any, shop: Shop) -> None:
    open_shop(page, shop, card_params())
    page.click("#buy")
    frame = window_frame(page)
    enter_card(frame, "1234-5678-9012-3456")
    assert "유효하지않은 카드번호" in frame.locator("#window-error").inner_text()
    enter_card(frame)
    assert callback(page)["status"] == "paid"


def test_buyer_cancels_the_modal(page: Any, shop: Shop, emu: EmulatorClient) -> None:
    open_shop(page, shop, card_params())
    page.click("#buy")
    window_frame(page).locator("#paydesk-cancel").click()
    rsp = callback(page)
    assert rsp["success"] is False and rsp["error_msg"] == CANCELLED and rsp["imp_uid"]
    assert overlay_gone(page)
    payment = stored(emu, rsp["imp_uid"])
    assert payment["status"] == "failed" and payment["fail_reason"] == CANCELLED


def test_imp_close_cancels_the_open_window(page: Any, shop: Shop, emu: EmulatorClient) -> None:
    open_shop(page, shop, card_params())
    page.click("#buy")
    window_frame(page).locator("#card_number").wait_for()
    page.evaluate("() => IMP.close()")
    rsp = callback(page)
    assert rsp["error_msg"] == CANCELLED and overlay_gone(page)
    assert stored(emu, rsp["imp_uid"])["status"] == "failed"


# -- popup ------------------------------------------------------------------------
def test_card_approved_in_a_popup(page: Any, shop: Shop, emu: EmulatorClient) -> None:
    open_shop(page, shop, card_params(popup=True))
    with page.expect_popup() as opened:
        page.click("#buy")
    popup = opened.value
    enter_card(popup)
    rsp = callback(page)
    assert rsp["status"] == "paid"
    for _ in range(50):
        if popup.is_closed():
            break
        page.wait_for_timeout(100)
    assert popup.is_closed(), "the SDK closes its popup once the result is in"
    assert stored(emu, rsp["imp_uid"])["status"] == "paid"


def test_buyer_closes_the_popup(page: Any, shop: Shop, emu: EmulatorClient) -> None:
    open_shop(page, shop, card_params(popup=True))
    with page.expect_popup() as opened:
        page.click("#buy")
    popup = opened.value
    popup.wait_for_selector("#card_number")
    popup.close()
    rsp = callback(page)
    assert rsp["success"] is False and rsp["error_msg"] == CANCELLED
    assert stored(emu, rsp["imp_uid"])["status"] == "failed"


def test_card_declined_in_a_popup(page: Any, shop: Shop, emu: EmulatorClient) -> None:
    open_shop(page, shop, card_params(popup=True))
    with page.expect_popup() as opened:
        page.click("#buy")
    enter_card(opened.value, "4000-0000-0000-0002")
    rsp = callback(page)
    assert rsp["success"] is False and rsp["status"] == "failed"
    assert rsp["error_msg"].startswith("[PG 거절]")
    assert stored(emu, rsp["imp_uid"])["fail_reason"] == rsp["error_msg"]


def test_buyer_cancels_in_the_popup(page: Any, shop: Shop, emu: EmulatorClient) -> None:
    open_shop(page, shop, card_params(popup=True))
    with page.expect_popup() as opened:
        page.click("#buy")
    opened.value.locator("#paydesk-cancel").click()
    rsp = callback(page)
    assert rsp["success"] is False and rsp["error_msg"] == CANCELLED
    assert stored(emu, rsp["imp_uid"])["status"] == "failed"


# -- redirect ---------------------------------------------------------------------------
def test_card_approved_by_redirect(page: Any, shop: Shop, emu: EmulatorClient) -> None:
    params = card_params(m_redirect_url=f"{shop.url}/return?order=1", redirect=True)
    open_shop(page, shop, params)
    page.click("#buy")
    page.wait_for_selector("#card_number")
    enter_card(page)
    page.wait_for_selector("#landed")
    landed = query(page.url)
    assert landed["order"] == "1", "the merchant's own query survives"
    assert landed["merchant_uid"] == params["merchant_uid"] and landed["imp_success"] == "true"
    assert "error_code" not in landed
    [hit] = shop.receiver.hits("/return", "GET")
    assert hit.query["imp_uid"] == landed["imp_uid"]
    assert stored(emu, landed["imp_uid"])["status"] == "paid"
    assert page.evaluate("() => window.__rsp") is None, "no callback in the redirect flow"


def test_card_declined_by_redirect(page: Any, shop: Shop) -> None:
    open_shop(page, shop, card_params(m_redirect_url=f"{shop.url}/return", redirect=True))
    page.click("#buy")
    enter_card(page, "4000-0000-0000-9995")
    page.wait_for_selector("#landed")
    landed = query(page.url)
    assert landed["imp_success"] == "false" and landed["imp_uid"].startswith("imp_")
    assert landed["error_code"] and "잔액" in landed["error_msg"]


def test_buyer_cancels_the_redirect_window(page: Any, shop: Shop, emu: EmulatorClient) -> None:
    open_shop(page, shop, card_params(m_redirect_url=f"{shop.url}/return", redirect=True))
    page.click("#buy")
    page.click("#paydesk-cancel")
    page.wait_for_selector("#landed")
    landed = query(page.url)
    assert landed["imp_success"] == "false" and landed["error_msg"] == CANCELLED
    assert stored(emu, landed["imp_uid"])["status"] == "failed"


def test_a_phone_browser_is_redirected(
    new_page: Callable[..., Any], shop: Shop, emu: EmulatorClient
) -> None:
    page = new_page(user_agent=IPHONE)
    open_shop(page, shop, card_params(m_redirect_url=f"{shop.url}/return"))
    page.click("#buy")
    enter_card(page)
    page.wait_for_selector("#landed")
    payment = stored(emu, query(page.url)["imp_uid"])
    assert payment["channel"] == "mobile" and "iPhone" in payment["user_agent"]


def test_pc_with_m_redirect_url_still_uses_the_callback(page: Any, shop: Shop) -> None:
    open_shop(page, shop, card_params(m_redirect_url=f"{shop.url}/return"))
    page.click("#buy")
    enter_card(window_frame(page))
    assert callback(page)["status"] == "paid"
    assert shop.receiver.hits("/return", "GET") == []


# -- refusals before the window -------------------------------------------------------------
def test_a_paid_merchant_uid_is_refused(page: Any, shop: Shop) -> None:
    params = card_params()
    open_shop(page, shop, params)
    page.click("#buy")
    enter_card(window_frame(page))
    assert callback(page)["status"] == "paid"
    open_shop(page, shop, params)
    page.click("#buy")
    rsp = callback(page)
    assert rsp["imp_uid"] is None and rsp["error_code"] == "F1002"
    assert rsp["error_msg"] == "이미 결제가 이루어진 거래건입니다."


def test_redirect_refusal_comes_back_by_callback(page: Any, shop: Shop) -> None:
    """Quirk: a pre-window refusal goes to the callback even in the redirect flow."""
    params = card_params(m_redirect_url=f"{shop.url}/return", redirect=True)
    open_shop(page, shop, params)
    page.click("#buy")
    enter_card(page)
    page.wait_for_selector("#landed")
    open_shop(page, shop, params)
    page.click("#buy")
    rsp = callback(page)
    assert rsp["error_code"] == "F1002" and page.url == shop.page_url()


def test_prepared_amount_mismatch_is_refused(page: Any, shop: Shop, emu: EmulatorClient) -> None:
    merchant_uid = order_id()
    prepared = emu.post("/payments/prepare", json={"merchant_uid": merchant_uid, "amount": 10000})
    assert prepared.json()["code"] == 0
    open_shop(page, shop, card_params(merchant_uid=merchant_uid, amount=100))
    page.click("#buy")
    rsp = callback(page)
    assert rsp["success"] is False and rsp["imp_uid"] is None
    assert "사전등록" in rsp["error_msg"]
    assert emu.get(f"/payments/find/{merchant_uid}").status_code == 404
    page.evaluate("() => { window.__rsp = undefined; window.__params.amount = 10000; }")
    page.click("#buy")
    enter_card(window_frame(page))
    assert callback(page)["status"] == "paid"


def test_amount_as_a_string_is_refused(page: Any, shop: Shop) -> None:
    open_shop(page, shop, card_params(amount="12000"))
    page.click("#buy")
    rsp = callback(page)
    assert rsp["imp_uid"] is None and "숫자" in rsp["error_msg"]


# -- other pay methods --------------------------------------------------------------------
def test_account_transfer(page: Any, shop: Shop, emu: EmulatorClient) -> None:
    open_shop(page, shop, card_params(pay_method="trans"))
    page.click("#buy")
    frame = window_frame(page)
    frame.locator("#bank_code").select_option("088")
    frame.locator("#pay").click()
    rsp = callback(page)
    assert rsp["status"] == "paid" and rsp["bank_name"] == "신한은행"
    payment = stored(emu, rsp["imp_uid"])
    assert payment["pay_method"] == "trans" and payment["bank_code"] == "088"


def test_phone_payment(page: Any, shop: Shop, emu: EmulatorClient) -> None:
    open_shop(page, shop, card_params(pg="danal", pay_method=None, digital=True))
    page.click("#buy")
    frame = window_frame(page)
    frame.locator("#carrier").select_option("KT")
    frame.locator("#phone").fill("01012345678")
    frame.locator("#code").fill("000000")
    frame.locator("#pay").click()
    assert "인증번호" in frame.locator("#window-error").inner_text()
    frame.locator("#code").fill("123456")
    frame.locator("#pay").click()
    rsp = callback(page)
    assert rsp["status"] == "paid" and rsp["pay_method"] == "phone"
    assert stored(emu, rsp["imp_uid"])["pg_provider"] == "danal"


@pytest.mark.parametrize(
    ("pg", "pay_method", "label", "emb"),
    [
        ("kakaopay", "card", "카카오페이", None),
        ("html5_inicis", "naverpay", "네이버페이", "naverpay"),
        ("kcp", "samsungpay", "삼성페이", "samsungpay"),
    ],
)
def test_easy_pay_is_approved_in_the_app(
    page: Any, shop: Shop, emu: EmulatorClient, pg: str, pay_method: str, label: str, emb: str
) -> None:
    open_shop(page, shop, card_params(pg=pg, pay_method=pay_method))
    page.click("#buy")
    frame = window_frame(page)
    assert frame.locator("#easy-provider").inner_text() == label
    frame.locator("#approve").click()
    rsp = callback(page)
    assert rsp["status"] == "paid" and rsp["emb_pg_provider"] == emb
    assert stored(emu, rsp["imp_uid"])["pg_provider"] == pg


def test_new_module_pgs_answer_with_four_fields(page: Any, shop: Shop) -> None:
    open_shop(page, shop, card_params(pg="tosspayments"))
    page.click("#buy")
    enter_card(window_frame(page))
    rsp = callback(page)
    assert set(rsp) == {"imp_uid", "merchant_uid"}, "success / paid_amount are absent"


def test_billing_key_issued_through_the_window(page: Any, shop: Shop, emu: EmulatorClient) -> None:
    customer_uid = f"cust_{order_id()}"
    open_shop(page, shop, card_params(amount=0, customer_uid=customer_uid))
    page.click("#buy")
    frame = window_frame(page)
    assert "빌링키만 발급" in frame.locator("#billing-note").inner_text()
    enter_card(frame, "5555-5555-5555-4444")
    rsp = callback(page)
    assert rsp["success"] is True and rsp["customer_uid"] == customer_uid
    key = emu.get(f"/subscribe/customers/{customer_uid}").json()["response"]
    assert key["card_number"] == "555555******4444" and key["pg_provider"] == "html5_inicis"
    payment = stored(emu, rsp["imp_uid"])
    assert payment["customer_uid_usage"] == "issue" and payment["amount"] == 0


def test_certification_window(page: Any, shop: Shop, emu: EmulatorClient) -> None:
    open_shop(page, shop, {"merchant_uid": order_id(), "pg": "danal"})
    page.click("#verify")
    frame = window_frame(page)
    frame.locator("#name").fill("김철수")
    frame.locator("#birth").fill("900101")
    frame.locator("#gender_digit").fill("1")
    frame.locator("#carrier").select_option("SKT")
    frame.locator("#phone").fill("01098765432")
    frame.locator("#certify").click()
    rsp = callback(page)
    assert rsp["success"] is True and rsp["imp_uid"]
    result = emu.get(f"/certifications/{rsp['imp_uid']}").json()["response"]
    assert result["certified"] is True and result["name"] == "김철수"
    assert result["phone"] == "01098765432" and result["birthday"] == "1990-01-01"
