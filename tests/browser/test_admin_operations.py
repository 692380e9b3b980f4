"""The admin console's operations pages in Chromium, over the whole merchant app.

A buyer pays in the demo shop (through the emulator's ``iamport.js``); the
operator then finds it in the console: a virtual account paid by a deposit
made at the emulator, and a subscription's first charge. Last, a walk over
every admin page of the app's route table: each renders for a logged-in
user, in the console's frame, without a console error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.flows import enter_card, window_frame
from tests.browser.storefront import (
    Storefront,
    database_url,
    postgres_database,
    sqlite_template,
    storefront,
)
from tests.browser.test_shop import choose, landed, result
from tests.security.test_routes import audience, walk
from tests.support.admin import create_staff, login
from tests.support.emulator import EmulatorClient

pytestmark = pytest.mark.browser
__all__ = ["database_url", "postgres_database", "sqlite_template", "storefront"]
NewPage = Callable[..., Any]


def console_errors(page: Any) -> list[str]:
    """Collect the page's console errors and uncaught exceptions from now on."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)  # fmt: skip
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def staff_page(new_page: NewPage, storefront: Storefront, database_url: str) -> Any:
    create_staff(database_url)
    page = new_page()
    login(page, storefront.url)
    return page


def test_a_virtual_account_paid_at_the_emulator_shows_paid_in_the_admin(
    new_page: NewPage, storefront: Storefront, emu: EmulatorClient, database_url: str
) -> None:
    tee = storefront.product("tee", price=33_000)
    buyer = new_page()
    buyer.goto(storefront.page_of(tee))
    choose(buyer, "vbank", "html5_inicis")
    buyer.click("#pay")
    frame = window_frame(buyer)
    frame.locator("#bank_code").select_option("004")
    frame.locator("#pay").click()
    merchant_uid = landed(buyer)
    result(buyer, "held")
    [payment] = storefront.order(merchant_uid)["payments"]
    imp_uid = payment["imp_uid"]

    admin = staff_page(new_page, storefront, database_url)
    errors = console_errors(admin)
    admin.click("nav.sidenav >> text=가상계좌")
    admin.wait_for_url(f"{storefront.url}/admin/vbanks")
    waiting = admin.locator(f"[data-testid=vbanks-waiting] tr[data-imp-uid='{imp_uid}']")
    assert waiting.count() == 1
    assert payment["vbank"]["number"] in waiting.inner_text()
    assert "33,000 KRW" in waiting.inner_text()

    emu.control("POST", f"/vbanks/{imp_uid}/deposit", json={})
    result(buyer, "paid")  # the server applied the deposit's webhook
    admin.reload()
    assert admin.locator(f"tr[data-imp-uid='{imp_uid}']").count() == 1
    paid = admin.locator(f"[data-testid=vbanks-paid] tr[data-imp-uid='{imp_uid}']")
    assert "입금 완료" in paid.inner_text()
    assert admin.locator("[data-testid=vbanks-none-waiting]").is_visible()
    order_id = storefront.order(merchant_uid)["id"]
    assert paid.locator("a").get_attribute("href") == f"/admin/orders/{order_id}"
    assert errors == []


def test_a_subscription_signed_up_in_the_shop_shows_its_first_charge_in_the_admin(
    new_page: NewPage, storefront: Storefront, database_url: str
) -> None:
    plan = storefront.api.post("/api/plans", json={"code": "coffee", "name": "원두 정기배송",
                                                   "amount": 19_900})  # fmt: skip
    assert plan.status_code == 201, plan.text
    buyer = new_page()
    buyer.goto(f"{storefront.url}/shop/subscribe")
    buyer.click(f"button.subscribe[data-plan-id='{plan.json()['id']}']")
    enter_card(window_frame(buyer))
    buyer.wait_for_url(re.compile(r".*/shop/subscriptions/\d+$"))
    subscription_id = int(buyer.url.rsplit("/", 1)[1])
    made = storefront.api.get(f"/api/subscriptions/{subscription_id}").json()
    [charge] = made["charges"]

    admin = staff_page(new_page, storefront, database_url)
    errors = console_errors(admin)
    admin.click("nav.sidenav >> text=구독")
    admin.wait_for_url(f"{storefront.url}/admin/subscriptions")
    line = admin.locator(f"tr[data-subscription-id='{subscription_id}']")
    assert line.get_attribute("data-status") == "active"
    assert "원두 정기배송" in line.inner_text() and made["customer_uid"] in line.inner_text()
    last = line.locator("[data-charge-state]")
    assert last.get_attribute("data-charge-state") == "paid" and last.inner_text() == "결제 완료"
    assert charge["imp_uid"] in line.inner_text() and "19,900 KRW" in line.inner_text()
    key = admin.locator(
        f"[data-testid=billing-keys] tr[data-customer-uid='{made['customer_uid']}']"
    )
    assert "**** 1111" in key.inner_text()
    assert "4111-1111" not in admin.content()
    assert errors == []


def admin_pages(storefront: Storefront) -> list[str]:
    """Every admin GET route of the app that takes no path parameter (the security walk's
    view of the route table, included routers and all)."""
    assert storefront.app is not None
    return sorted({path for path, methods, _ in walk(storefront.app.routes)
                   if audience(path) == "admin" and "GET" in methods and "{" not in path})  # fmt: skip


def test_every_admin_page_renders_in_the_frame_without_console_errors(
    new_page: NewPage, storefront: Storefront, database_url: str
) -> None:
    admin = staff_page(new_page, storefront, database_url)
    errors = console_errors(admin)
    paths = admin_pages(storefront)
    for path in ("/admin", "/admin/retries", "/admin/subscriptions", "/admin/vbanks",
                 "/admin/receipts", "/admin/escrows", "/admin/checklist", "/admin/keys"):  # fmt: skip
        assert path in paths
    for path in paths:
        head = admin.request.get(f"{storefront.url}{path}")  # the session's cookies
        assert head.status == 200, (path, head.status)
        if not head.headers.get("content-type", "").startswith("text/html"):
            continue  # a download (e.g. a CSV export): nothing to render
        answer = admin.goto(f"{storefront.url}{path}")
        assert answer is not None and answer.status == 200, path
        assert admin.locator("nav.sidenav a").count() >= 9, path
        assert admin.locator("main h1").count() >= 1, path
        assert errors == [], (path, errors)
