"""The demo shop in Chromium, paying through the emulator's ``iamport.js``.

Each test is what a buyer does: open a product, choose how to pay, go through
the emulator's window, land on the order page. The merchant side is checked
through the API (what the server verified with i'mport), never through the
browser's word.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import IPHONE
from tests.browser.flows import enter_card, window_frame
from tests.browser.storefront import (
    Storefront,
    database_url,
    postgres_database,
    sqlite_template,
    storefront,
)
from tests.support.emulator import EmulatorClient

pytestmark = pytest.mark.browser
__all__ = ["database_url", "postgres_database", "sqlite_template", "storefront"]
NewPage = Callable[..., Any]
ORDER_URL = re.compile(r".*/shop/orders/(ord_[0-9a-f_]+)$")


def choose(page: Any, method: str, pg: str | None = None) -> None:
    page.check(f"input[name=method][value={method}]")
    if pg is not None:
        page.select_option("#pg", pg)


def landed(page: Any) -> str:
    """Wait for the order page; its merchant_uid."""
    page.wait_for_url(ORDER_URL)
    match = ORDER_URL.match(page.url)
    assert match
    return match[1]


def result(page: Any, status: str) -> str:
    page.wait_for_selector(f"#result[data-status={status}]", timeout=20_000)
    text: str = page.inner_text("#result")
    return text


def test_card_purchase_with_installments(new_page: NewPage, storefront: Storefront) -> None:
    bag = storefront.product("bag", price=129_000, stock=5, card_quota=[2, 3, 6])
    page = new_page()
    page.goto(storefront.page_of(bag))
    assert "일시불, 2개월, 3개월, 6개월 할부" in page.inner_text("article.product")
    choose(page, "card", "kcp")
    page.click("#pay")
    frame = window_frame(page)
    options = frame.locator("#card_quota option").evaluate_all("os => os.map(o => o.value)")
    assert options == ["0", "2", "3", "6"]
    enter_card(frame, quota=3)
    merchant_uid = landed(page)
    assert result(page, "paid") == "결제가 완료되었습니다"
    assert page.inner_text("#card-quota") == "3개월 할부"
    assert page.inner_text("#method") == "신용·체크카드 (NHN KCP)"
    assert page.inner_text("#amount") == "129,000원"
    order = storefront.order(merchant_uid)
    [payment] = order["payments"]
    assert order["status"] == "paid" and payment["status"] == "paid"
    assert payment["pg_provider"] == "kcp" and payment["card"]["quota"] == 3
    assert page.inner_text("#approval") == payment["apply_num"]
    stock = storefront.api.get(f"/api/products/{bag}").json()["stock"]
    assert stock == {"available": 4, "held": 0, "sold": 1}


def test_the_catalogue_shows_live_stock(new_page: NewPage, storefront: Storefront) -> None:
    tee = storefront.product("tee", stock=12)
    page = new_page()
    page.goto(f"{storefront.url}/")
    label = page.locator(f"[data-stock-for='{tee}']")
    assert label.inner_text() == "재고 12개"
    storefront.api.patch(f"/api/products/{tee}", json={"stock": 2})
    page.wait_for_function(
        "id => document.querySelector(`[data-stock-for='${id}']`).dataset.available === '2'",
        arg=tee,
        timeout=15_000,
    )
    assert label.inner_text() == "한정 수량 · 2개 남음"


def test_virtual_account_shows_the_account_then_a_deposit_pays_it(
    new_page: NewPage, storefront: Storefront, emu: EmulatorClient
) -> None:
    tee = storefront.product("tee", price=33_000)
    page = new_page()
    page.goto(storefront.page_of(tee))
    choose(page, "vbank", "html5_inicis")
    page.click("#pay")
    frame = window_frame(page)
    frame.locator("#bank_code").select_option("004")
    frame.locator("#pay").click()
    merchant_uid = landed(page)
    assert result(page, "held") == "아래 계좌로 입금해주세요"
    assert page.inner_text("#vbank-bank") == "국민은행"
    number = page.inner_text("#vbank-number")
    assert re.fullmatch(r"\d{14}", number)
    assert page.inner_text("#vbank-holder") == "paydesk demo shop"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", page.inner_text("#vbank-due"))
    [payment] = storefront.order(merchant_uid)["payments"]
    assert payment["vbank"]["number"] == number and payment["status"] == "ready"

    emu.control("POST", f"/vbanks/{payment['imp_uid']}/deposit", json={})
    assert result(page, "paid") == "결제가 완료되었습니다"  # the page saw the webhook's effect
    assert storefront.order(merchant_uid)["status"] == "paid"


def test_an_escrow_transfer_from_the_checkbox_to_a_paid_escrow_order(
    new_page: NewPage, storefront: Storefront, emu: EmulatorClient
) -> None:
    bag = storefront.product("safe-bag", price=89_000)
    page = new_page()
    page.goto(storefront.page_of(bag))
    assert page.is_hidden("#escrow-row")  # cards: no escrow in this shop
    choose(page, "trans", "nice")
    assert page.is_hidden("#escrow-row")  # NICE: no delivery API
    choose(page, "trans", "html5_inicis")
    assert page.is_visible("#escrow-row")
    page.check("#escrow")
    page.click("#pay")
    frame = window_frame(page)
    frame.locator("#bank_code").select_option("088")
    frame.locator("#pay").click()
    merchant_uid = landed(page)
    assert result(page, "paid") == "결제가 완료되었습니다"
    assert page.inner_text("#escrow").startswith("에스크로(구매안전) 결제")
    order = storefront.order(merchant_uid)
    [payment] = order["payments"]
    assert (order["status"], order["escrow"], payment["status"]) == ("paid", True, "paid")
    assert emu.get(f"/payments/{payment['imp_uid']}").json()["response"]["escrow"] is True
    assert page.inner_text("#escrow-stage") == "상품 준비 중"
    assert page.inner_text("#escrow-steps li[aria-current=step]") == "결제 완료"
    party = {"name": "김판매", "tel": "010-0000-0000", "addr": "서울", "postcode": "04524"}
    shipped = storefront.api.post(f"/api/escrows/{payment['imp_uid']}", json={
        "sender": party, "receiver": party,
        "logis": {"company": "EPOST", "invoice": "6070123456789", "sent_at": "2030-01-02T03:04:05Z"},
    })  # fmt: skip
    assert shipped.status_code == 201, shipped.text
    page.reload()
    assert page.inner_text("#escrow-stage") == "배송 중"
    assert page.inner_text("#escrow-steps li[aria-current=step]") == "배송 중"
    assert (page.inner_text("#escrow-courier"), page.inner_text("#escrow-invoice")) == (
        "우체국택배", "6070123456789")  # fmt: skip
    assert "김판매" not in page.content()


def test_flash_sale_sold_out_reaches_the_buyer_in_korean(
    new_page: NewPage, storefront: Storefront
) -> None:
    flash = storefront.product("flash", price=9_900, stock=1)
    late, early = new_page(), new_page()
    late.goto(storefront.page_of(flash))
    late.click("#pay")  # the order is placed and the window opens while one unit is left
    late_window = window_frame(late)

    early.goto(storefront.page_of(flash))
    early.click("#pay")
    enter_card(window_frame(early))
    landed(early)
    result(early, "paid")

    enter_card(late_window)  # the Confirm Process refuses: nothing left to hold
    merchant_uid = landed(late)
    assert result(late, "failed") == "품절되었습니다"
    assert "재고가 모두 팔렸습니다" in late.inner_text("#failure-detail")
    [attempt] = storefront.order(merchant_uid)["payments"]
    assert attempt["status"] == "failed" and "sold out" in attempt["fail_reason"]


def test_a_declined_card_is_shown_on_the_order(new_page: NewPage, storefront: Storefront) -> None:
    tee = storefront.product("tee")
    page = new_page()
    page.goto(storefront.page_of(tee))
    page.click("#pay")
    enter_card(window_frame(page), "4000-0000-0000-0002")
    merchant_uid = landed(page)
    assert result(page, "failed") == "결제가 완료되지 않았습니다"
    reason = page.inner_text("#failure-detail")
    assert reason.startswith("[PG 거절]")
    order = storefront.order(merchant_uid)
    [attempt] = order["payments"]
    assert order["status"] == "failed" and attempt["fail_reason"] == reason


def test_subscription_signup_issues_a_key_and_charges_the_first_period(
    new_page: NewPage, storefront: Storefront, emu: EmulatorClient
) -> None:
    plan = storefront.api.post("/api/plans", json={"code": "coffee", "name": "원두 정기배송",
                                                   "amount": 19_900})  # fmt: skip
    assert plan.status_code == 201, plan.text
    page = new_page()
    page.goto(f"{storefront.url}/shop/subscribe")
    page.click(f"button.subscribe[data-plan-id='{plan.json()['id']}']")
    frame = window_frame(page)
    assert "빌링키만 발급" in frame.locator("#billing-note").inner_text()
    enter_card(frame)
    page.wait_for_url(re.compile(r".*/shop/subscriptions/\d+$"))
    assert page.inner_text("#sub-status") == "이용 중"
    assert page.inner_text("#sub-periods") == "1"
    assert page.locator("#charges tr[data-state=paid]").count() == 1
    subscription_id = int(page.url.rsplit("/", 1)[1])
    made = storefront.api.get(f"/api/subscriptions/{subscription_id}").json()
    assert made["status"] == "active" and [c["state"] for c in made["charges"]] == ["paid"]
    key = emu.get(f"/subscribe/customers/{made['customer_uid']}").json()["response"]
    assert key["customer_uid"] == made["customer_uid"]

    stranger = new_page()  # another browser: another buyer, who may not see it
    assert stranger.goto(page.url).status == 404


def certify(page: Any, birth: str, digit: str) -> None:
    page.click("#verify")
    frame = window_frame(page)
    frame.locator("#name").fill("김철수")
    frame.locator("#birth").fill(birth)
    frame.locator("#gender_digit").fill(digit)
    frame.locator("#phone").fill("01012345678")
    frame.locator("#certify").click()
    page.wait_for_selector("#identity[data-verified=true]")


def test_identity_verification_gates_the_age_restricted_product(
    new_page: NewPage, storefront: Storefront
) -> None:
    wine = storefront.product("wine", price=35_000)
    storefront.api.put(f"/api/products/{wine}/age-gate", json={"min_age": 19})

    minor = new_page()
    minor.goto(storefront.page_of(wine))
    minor.click("#pay")  # not verified yet
    minor.wait_for_selector("#message:not([hidden])")
    assert "본인인증을 해주세요" in minor.inner_text("#message")
    certify(minor, "100101", "3")  # born 2010
    assert "구매 가능 연령이 아닙니다" in minor.inner_text("#identity-status")
    minor.click("#pay")
    minor.wait_for_function("() => document.querySelector('#message').textContent.includes('연령')")
    assert storefront.orders() == []

    adult = new_page()
    adult.goto(storefront.page_of(wine))
    certify(adult, "900101", "1")
    assert "본인인증 완료" in adult.inner_text("#identity-status")
    adult.click("#pay")
    enter_card(window_frame(adult))
    merchant_uid = landed(adult)
    result(adult, "paid")
    assert storefront.order(merchant_uid)["status"] == "paid"


def test_the_mobile_redirect_flow_on_a_phone(new_page: NewPage, storefront: Storefront) -> None:
    tee = storefront.product("tee", price=15_000)
    page = new_page(user_agent=IPHONE, viewport={"width": 390, "height": 844},
                    device_scale_factor=3, is_mobile=True, has_touch=True)  # fmt: skip
    page.goto(storefront.page_of(tee))
    fits = "() => document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(fits), "no sideways scrolling on a phone"
    width = page.evaluate("() => document.querySelector('#pay').getBoundingClientRect().width")
    assert width > 300, "the pay button spans the phone's width"
    page.click("#pay")
    page.wait_for_selector("form.pay")  # the window is the whole page, not a modal
    assert page.locator("#paydesk-frame").count() == 0
    enter_card(page)
    merchant_uid = landed(page)  # 302 to m_redirect_url (/shop/return), checked, then here
    assert result(page, "paid") == "결제가 완료되었습니다"
    assert page.evaluate(fits)
    assert storefront.order(merchant_uid)["status"] == "paid"


@pytest.mark.parametrize(("method", "label"), [("kakaopay", "카카오페이"), ("tosspay", "토스페이")])
def test_easy_pay(new_page: NewPage, storefront: Storefront, method: str, label: str) -> None:
    tee = storefront.product("tee", price=21_000)
    page = new_page()
    page.goto(storefront.page_of(tee))
    choose(page, method)
    assert page.is_hidden("#pg-row")  # an easy pay is its own PG
    page.click("#pay")
    frame = window_frame(page)
    assert frame.locator("#easy-provider").inner_text() == label
    frame.locator("#approve").click()
    merchant_uid = landed(page)
    result(page, "paid")
    assert page.inner_text("#method") == label
    [payment] = storefront.order(merchant_uid)["payments"]
    assert payment["pg_provider"] == method and payment["status"] == "paid"
