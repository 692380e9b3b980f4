"""The admin console's access in Chromium: login, the first pages, CSRF and the login limit.

The real merchant server (``admin_server``), a staff user made by the real
service, and the pages driven as a person would: typing, clicking, accepting
the confirm dialog.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.support.admin import STAFF_PASSWORD, login

from .conftest import AdminServer

pytestmark = pytest.mark.browser


def test_an_anonymous_visit_lands_on_the_login_page_and_returns_after_login(
    page: Any, admin_server: AdminServer
) -> None:
    base = admin_server.url
    page.goto(f"{base}/admin/keys")
    assert page.url.startswith(f"{base}/admin/login?next=")
    assert page.locator("h1").inner_text() == "관리자 로그인"
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", STAFF_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/keys")
    assert page.locator("h1").inner_text() == "API 키"


def test_logged_in_staff_see_the_dashboard_and_the_keys_page(
    page: Any, admin_server: AdminServer
) -> None:
    base = admin_server.url
    login(page, base)
    assert page.locator("main h1").inner_text() == "대시보드"
    nav = page.locator("nav.sidenav a")
    assert nav.count() == 9 and nav.first.inner_text() == "대시보드"
    page.click("nav.sidenav >> text=API 키")
    page.wait_for_url(f"{base}/admin/keys")
    assert page.locator("main h1").inner_text() == "API 키"
    assert page.locator("nav.sidenav a.active").inner_text() == "API 키"
    page.click("[data-testid=lang-switch]")
    page.wait_for_url(f"{base}/admin/keys")
    assert page.locator("main h1").inner_text() == "API keys"
    page.click("[data-testid=logout]")
    page.wait_for_url(f"{base}/admin/login")
    page.goto(f"{base}/admin")
    assert page.url.startswith(f"{base}/admin/login")


def test_an_api_key_is_made_shown_once_and_revoked_in_the_page(
    page: Any, admin_server: AdminServer
) -> None:
    base = admin_server.url
    login(page, base)
    page.goto(f"{base}/admin/keys")
    page.fill("[data-testid=create-key] input[name=name]", "주문 연동")
    page.check("input[name=scopes][value=read]")
    page.check("input[name=scopes][value=write]")
    page.click("[data-testid=create-key] button[type=submit]")
    token = page.locator("[data-testid=new-key-token]").inner_text()
    assert token.startswith("pdk_")
    row = page.locator("[data-testid=keys] tbody tr")
    assert row.count() == 1 and "주문 연동" in row.inner_text() and "사용 중" in row.inner_text()

    page.goto(f"{base}/admin/keys")  # the key is never shown again
    assert page.locator("[data-testid=new-key-token]").count() == 0
    assert token not in page.content()
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=keys] >> text=폐기")
    page.wait_for_selector(".flash--ok")
    assert "폐기했습니다" in page.locator(".flash--ok").inner_text()
    assert "폐기됨" in page.locator("[data-testid=keys] tbody tr").inner_text()
    answer = page.request.get(f"{base}/api/products", headers={"Authorization": f"Bearer {token}"})
    assert answer.status == 401


def test_a_dismissed_confirm_dialog_sends_nothing_and_no_inline_script_is_needed(
    page: Any, admin_server: AdminServer
) -> None:
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)  # fmt: skip
    base = admin_server.url
    login(page, base)
    page.goto(f"{base}/admin/keys")
    policy = page.request.get(f"{base}/admin/keys").headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    page.fill("[data-testid=create-key] input[name=name]", "keep me")
    page.check("input[name=scopes][value=read]")
    page.click("[data-testid=create-key] button[type=submit]")
    page.wait_for_selector("[data-testid=new-key-token]")
    asked: list[str] = []

    def dismiss(dialog: Any) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.click("[data-testid=keys] >> text=폐기")
    page.wait_for_timeout(300)  # a sent form would have navigated by now
    assert asked and "keep me" in page.locator("[data-testid=keys] tbody tr").inner_text()
    page.goto(f"{base}/admin/keys")
    assert "사용 중" in page.locator("[data-testid=keys] tbody tr").inner_text()
    page.goto(f"{base}/admin")
    page.wait_for_function("() => window.Chart !== undefined")
    assert refused == []


def test_a_form_with_a_tampered_csrf_token_is_refused(page: Any, admin_server: AdminServer) -> None:
    base = admin_server.url
    login(page, base)
    page.goto(f"{base}/admin/keys")
    page.fill("[data-testid=create-key] input[name=name]", "forged")
    page.check("input[name=scopes][value=refund]")
    page.evaluate("""() => document.querySelector('[data-testid=create-key] input[name=csrf_token]')
                           .value = 'tampered'""")
    with page.expect_navigation() as navigation:
        page.click("[data-testid=create-key] button[type=submit]")
    assert navigation.value.status == 403
    assert "보안 토큰" in page.locator("[data-testid=refused]").inner_text()
    page.goto(f"{base}/admin/keys")
    assert "아직 API 키가 없습니다." in page.locator("main").inner_text()


def test_the_login_limit_shows_its_message(page: Any, admin_server: AdminServer) -> None:
    base = admin_server.url
    page.goto(f"{base}/admin/login")
    for attempt in range(6):
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", f"not the password {attempt}")
        with page.expect_navigation() as navigation:
            page.click("button[type=submit]")
        if attempt < 5:
            assert navigation.value.status == 200
            assert "올바르지 않습니다" in page.locator("[data-testid=login-error]").inner_text()
    assert navigation.value.status == 429
    assert 0 < int(navigation.value.headers["retry-after"]) <= 900
    message = page.locator("[data-testid=login-error]").inner_text()
    assert re.fullmatch(r"로그인 실패가 너무 많습니다\. \d+분 후에 다시 시도하세요\.", message)
    page.fill("input[name=password]", STAFF_PASSWORD)  # even the right password waits
    with page.expect_navigation() as navigation:
        page.click("button[type=submit]")
    assert navigation.value.status == 429
    assert page.url.startswith(f"{base}/admin/login")
