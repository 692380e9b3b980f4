"""The admin console's transaction pages in Chromium, over the whole merchant app.

A buyer pays in the demo shop through the emulator's ``iamport.js``; a staff
user finds the payment by its approval number, opens the order, refunds part
of it, and sees the refund on the timeline — and the emulator says the same.
The dashboard's chart is drawn by chart.js from ``/static``, with no request
to any other host.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

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
from tests.support.admin import create_staff, login
from tests.support.emulator import EmulatorClient

pytestmark = pytest.mark.browser
__all__ = ["database_url", "postgres_database", "sqlite_template", "storefront"]
NewPage = Callable[..., Any]


def buy_by_card(page: Any, storefront: Storefront, product_id: int) -> str:
    """Pay for one product in the shop by card; the order's merchant_uid."""
    page.goto(storefront.page_of(product_id))
    choose(page, "card", "html5_inicis")
    page.click("#pay")
    enter_card(window_frame(page))
    merchant_uid = landed(page)
    assert result(page, "paid") == "결제가 완료되었습니다"
    return merchant_uid


def test_find_by_approval_number_refund_part_and_see_it_everywhere(
    new_page: NewPage, storefront: Storefront, database_url: str, emu: EmulatorClient
) -> None:
    lamp = storefront.product("lamp", price=50_000, stock=3)
    buyer = new_page()
    merchant_uid = buy_by_card(buyer, storefront, lamp)
    approval = buyer.inner_text("#approval")
    [payment] = storefront.order(merchant_uid)["payments"]
    assert approval == payment["apply_num"]

    create_staff(database_url)
    admin = new_page()
    login(admin, storefront.url)
    admin.click("nav >> text=거래 조회")
    admin.fill("input[name=apply_num]", approval)
    admin.click("[data-testid=search] button[type=submit]")
    admin.wait_for_url(re.compile(r".*/admin/payments\?.*apply_num=" + approval))
    rows = admin.locator("[data-testid=results] tbody tr")
    assert rows.count() == 1 and merchant_uid in rows.inner_text()

    admin.click("[data-testid=order-link]")
    admin.wait_for_url(re.compile(r".*/admin/orders/\d+$"))
    assert admin.inner_text("[data-testid=imp-uid]") == payment["imp_uid"]
    assert admin.inner_text("[data-testid=apply-num]") == approval
    assert admin.inner_text("[data-testid=remaining]") == "50,000원"
    admin.fill("input[name=amount]", "20000")
    admin.fill("input[name=reason]", "일부 상품 반품")
    admin.click("[data-testid=refund-submit]")

    admin.wait_for_url(re.compile(r".*/admin/orders/\d+#timeline$"))
    assert "20,000원" in admin.inner_text(".flash--ok")
    assert admin.inner_text("[data-testid=refunded-amount]") == "20,000원"
    assert admin.get_attribute("[data-testid=order-status]", "data-status") == "partially_refunded"
    refund = admin.locator("#timeline li[data-kind=refund]")
    assert refund.count() == 1 and "20000" in refund.inner_text()
    assert refund.locator("[data-testid=refund-state]").inner_text() == "환불 완료"
    attempt = admin.locator("#timeline li[data-kind=refund_attempt]")
    assert "succeeded" in attempt.inner_text()
    gateway = emu.get(f"/payments/{payment['imp_uid']}").json()["response"]
    assert (gateway["amount"], gateway["cancel_amount"]) == (50_000, 20_000)

    admin.click("nav >> text=대시보드")
    admin.wait_for_selector("#sales-chart[data-ready=true]")
    today = admin.evaluate(
        "() => window.paydeskDashboardChart.data.datasets.map(d => d.data[d.data.length - 1])"
    )
    assert today == [50_000, 20_000]
    assert "30,000원" in admin.inner_text("[data-testid=today-net]")


def test_the_dashboard_chart_is_drawn_from_local_assets_only(
    new_page: NewPage, storefront: Storefront, database_url: str
) -> None:
    create_staff(database_url)
    page = new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    login(page, storefront.url)
    page.wait_for_selector("#sales-chart[data-ready=true]")
    size = page.evaluate("() => [document.getElementById('sales-chart').width, "
                         "window.paydeskDashboardChart.data.labels.length]")  # fmt: skip
    assert size[0] > 0 and size[1] == 14
    assert page.evaluate("() => typeof window.Chart") == "function"
    assert not page.is_visible("[data-testid=chart-fallback]")
    ours = urlsplit(storefront.url).netloc
    assert f"{storefront.url}/static/vendor/chart-4.4.7.umd.js" in requested
    assert f"{storefront.url}/static/admin/dashboard.js" in requested
    elsewhere = [url for url in requested
                 if not url.startswith("data:") and urlsplit(url).netloc != ours]  # fmt: skip
    assert elsewhere == []
