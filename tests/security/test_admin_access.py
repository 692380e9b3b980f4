"""The admin console's access over HTTP: the real server on a socket, a real database of
each backend, a clock the tests move.

Login and logout, the cookie's attributes, session expiry, CSRF refusals, the
login limit, ``next`` that never leaves the console, and no password or
session token in the database or the logs. The API keys page is the first
page built on it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import func, select

from paydesk.core.clock import FixedClock
from paydesk.store import Database
from paydesk.store.tables import api_keys, metadata, staff_login_failures, staff_sessions
from tests.integration.web.shop import merchant_app
from tests.support.admin import STAFF_PASSWORD, csrf_of, http_login, make_staff

pytestmark = pytest.mark.asyncio
START = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)


@dataclass
class Console:
    url: str
    database_url: str
    clock: FixedClock

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, timeout=30)

    async def count(self, table: Any) -> int:
        database = Database(self.database_url)
        try:
            async with database.reading() as uow:
                return int((await uow.connection.execute(
                    select(func.count()).select_from(table))).scalar_one())  # fmt: skip
        finally:
            await database.dispose()

    async def dump(self) -> str:
        database = Database(self.database_url)
        try:
            async with database.reading() as uow:
                rows = [repr(tuple(r)) for t in metadata.sorted_tables
                        for r in await uow.connection.execute(select(t))]  # fmt: skip
        finally:
            await database.dispose()
        return "\n".join(rows)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def console_options() -> dict[str, Any]:
    return {}


@pytest_asyncio.fixture
async def console(
    database_url: str, clock: FixedClock, console_options: dict[str, Any]
) -> AsyncIterator[Console]:
    await make_staff(database_url)
    with merchant_app(database_url, clock=clock, **console_options) as (url, _):
        yield Console(url, database_url, clock)


@pytest_asyncio.fixture
async def http(console: Console) -> AsyncIterator[httpx.AsyncClient]:
    async with console.client() as client:
        yield client


def _set_cookies(answer: httpx.Response) -> list[str]:
    return answer.headers.get_list("set-cookie")


async def test_an_anonymous_visit_goes_to_the_login_page_and_back_after_login(
    http: httpx.AsyncClient,
) -> None:
    answer = await http.get("/admin/keys?page=2")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/admin/login?next=/admin/keys%3Fpage%3D2"
    form = await http.get(answer.headers["location"])
    assert form.status_code == 200 and "관리자 로그인" in form.text
    assert 'name="next" value="/admin/keys?page=2"' in form.text
    logged_in = await http_login(http, next_path="/admin/keys?page=2")
    assert logged_in.status_code == 303 and logged_in.headers["location"] == "/admin/keys?page=2"
    [cookie] = [c for c in _set_cookies(logged_in) if c.startswith("paydesk_admin=")]
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "path=/admin", "samesite=lax"} <= attributes
    assert "secure" not in attributes and not any(a.startswith("domain") for a in attributes)
    home = await http.get("/admin")
    assert home.status_code == 200
    assert "<h1>대시보드</h1>" in home.text and 'href="/admin/keys"' in home.text
    assert home.headers["cache-control"] == "no-store" and home.headers["x-frame-options"] == "DENY"
    style = await http.get("/static/admin/admin.css")  # served by us, no CDN
    assert style.status_code == 200 and 'href="/static/admin/admin.css"' in home.text
    assert "http" not in re.sub(r'href="/[^"]*"', "", home.text.split("<body")[0])


async def test_admin_errors_are_pages_and_the_api_keeps_problem_documents(
    http: httpx.AsyncClient,
) -> None:
    unknown = await http.get("/admin/no-such-page")
    assert unknown.status_code == 404 and unknown.headers["content-type"].startswith("text/html")
    assert "찾을 수 없습니다" in unknown.text and 'href="/admin"' in unknown.text
    assert unknown.headers["x-frame-options"] == "DENY"
    assert (await http_login(http)).status_code == 303
    malformed = await http.get("/admin/escrows?page=abc")
    assert malformed.status_code == 422 and malformed.headers["content-type"].startswith(
        "text/html"
    )
    assert "입력값을 확인해 주세요" in malformed.text and "abc" not in malformed.text
    wrong_method = await http.put("/admin/keys")
    assert wrong_method.status_code == 405 and "GET" in wrong_method.headers["allow"]
    assert wrong_method.headers["content-type"].startswith("text/html")
    api = await http.get("/api/no-such-thing")
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"
    assert (await http.get("/administrator")).headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("console_options", [{"public_base_url": "https://pay.example.com"}])
async def test_behind_https_the_cookies_are_secure_and_prefixed(http: httpx.AsyncClient) -> None:
    form = await http.get("/admin/login")
    [nonce] = _set_cookies(form)
    assert nonce.startswith("__Secure-paydesk_admin_login=") and "; secure" in nonce.lower()
    value = nonce.split(";")[0]
    data = {"username": "admin", "password": STAFF_PASSWORD, "csrf_token": csrf_of(form.text)}
    answer = await http.post("/admin/login", data=data, headers={"cookie": value})
    assert answer.status_code == 303
    [session] = [c for c in _set_cookies(answer) if c.startswith("__Secure-paydesk_admin=")]
    assert "; secure" in session.lower() and "; httponly" in session.lower()


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/admin", "//evil.example/admin", "/\\evil.example", "/shop",
     "javascript:alert(1)", "/admin/../shop", "/admin\n/x", "/admin/login", "http:/admin"],
)  # fmt: skip
async def test_next_never_leaves_the_console(http: httpx.AsyncClient, target: str) -> None:
    answer = await http_login(http, next_path=target)
    assert answer.status_code == 303 and answer.headers["location"] == "/admin"
    again = await http.get("/admin/login", params={"next": target}, follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/admin"


async def test_a_wrong_password_or_username_gets_the_form_again_and_no_session(
    console: Console, http: httpx.AsyncClient
) -> None:
    for username, password in (("admin", "not the password"), ("ghost", STAFF_PASSWORD)):
        answer = await http_login(http, username, password)
        assert answer.status_code == 200
        assert "아이디 또는 비밀번호가 올바르지 않습니다." in answer.text
        assert not [c for c in _set_cookies(answer) if c.startswith("paydesk_admin=")]
    assert await console.count(staff_sessions) == 0
    assert (await http.get("/admin")).status_code == 303


async def test_a_login_without_the_forms_token_is_refused(
    console: Console, http: httpx.AsyncClient
) -> None:
    form = await http.get("/admin/login")
    good = csrf_of(form.text)
    for token in ("", "0" * 64, good[:-1] + ("0" if good[-1] != "0" else "1")):
        data = {"username": "admin", "password": STAFF_PASSWORD, "csrf_token": token}
        answer = await http.post("/admin/login", data=data)
        assert answer.status_code == 403, token
    async with console.client() as stranger:  # the right token, without the nonce cookie
        data = {"username": "admin", "password": STAFF_PASSWORD, "csrf_token": good}
        assert (await stranger.post("/admin/login", data=data)).status_code == 403
    assert await console.count(staff_sessions) == 0
    assert await console.count(staff_login_failures) == 0


async def test_logout_needs_the_token_and_ends_the_session(
    console: Console, http: httpx.AsyncClient
) -> None:
    await http_login(http)
    page = await http.get("/admin")
    token = csrf_of(page.text)
    cookie = http.cookies.get("paydesk_admin")
    assert cookie
    refused = await http.post("/admin/logout", data={"csrf_token": "wrong"})
    assert refused.status_code == 403 and "보안 토큰" in refused.text
    assert (await http.get("/admin")).status_code == 200
    out = await http.post("/admin/logout", data={"csrf_token": token})
    assert out.status_code == 303 and out.headers["location"] == "/admin/login"
    assert "로그아웃했습니다." in (await http.get("/admin/login")).text
    assert await console.count(staff_sessions) == 0
    async with console.client() as replay:  # the old cookie is worth nothing now
        replay.cookies.set("paydesk_admin", cookie, path="/admin")
        assert (await replay.get("/admin")).status_code == 303


async def test_a_session_ends_after_idling(console: Console, http: httpx.AsyncClient) -> None:
    await http_login(http)
    console.clock.advance(29 * 60)
    assert (await http.get("/admin")).status_code == 200
    console.clock.advance(30 * 60)
    answer = await http.get("/admin")
    assert answer.status_code == 303 and answer.headers["location"] == "/admin/login"


async def test_the_login_limit_answers_429_with_retry_after(
    console: Console, http: httpx.AsyncClient
) -> None:
    for n in range(5):
        assert (await http_login(http, "admin", f"wrong guess {n:04}")).status_code == 200
    refused = await http_login(http)  # the right password, too late
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == str(15 * 60)
    assert "로그인 실패가 너무 많습니다. 15분 후에 다시 시도하세요." in refused.text
    assert (await http.get("/admin")).status_code == 303
    console.clock.advance(15 * 60)
    assert (await http_login(http)).status_code == 303


async def test_no_password_or_session_token_reaches_the_database_or_the_logs(
    console: Console, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await http_login(http, "admin", "a wrong password we typed")
    await http_login(http)
    token = http.cookies.get("paydesk_admin")
    assert token and (await http.get("/admin")).status_code == 200
    stored = await console.dump()
    # the server's records (the test's own httpx/httpcore client logs the headers it got)
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.args!r}" for r in caplog.records
                       if not r.name.startswith(("httpx", "httpcore")))  # fmt: skip
    for secret in (STAFF_PASSWORD, "a wrong password we typed", token):
        assert secret not in stored
        assert secret not in logged
    assert "staff user admin logged in" in logged  # the server's log was captured at all


async def test_api_keys_are_made_shown_once_and_revoked(
    console: Console, http: httpx.AsyncClient
) -> None:
    await http_login(http)
    page = await http.get("/admin/keys")
    assert page.status_code == 200 and "아직 API 키가 없습니다." in page.text
    data = {"csrf_token": csrf_of(page.text), "name": "정산 배치", "scopes": ["read", "refund"]}
    made = await http.post("/admin/keys", data=data)
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    found = re.search(r'data-testid="new-key-token">(pdk_[^<]+)<', made.text)
    assert found is not None
    key = found.group(1)
    assert await console.count(api_keys) == 1 and key not in await console.dump()
    bearer = {"Authorization": f"Bearer {key}"}
    assert (await http.get("/api/products", headers=bearer)).status_code == 200
    listed = await http.get("/admin/keys")
    assert key not in listed.text and "정산 배치" in listed.text
    key_id = re.search(r'data-key-id="(\d+)"', listed.text)
    assert key_id is not None
    revoke = f"/admin/keys/{key_id.group(1)}/revoke"
    assert (await http.post(revoke, data={"csrf_token": "nope"})).status_code == 403
    assert (await http.get("/api/products", headers=bearer)).status_code == 200
    done = await http.post(revoke, data={"csrf_token": csrf_of(listed.text)})
    assert done.status_code == 303 and done.headers["location"] == "/admin/keys"
    after = await http.get("/admin/keys")
    assert "키 정산 배치을(를) 폐기했습니다." in after.text and "폐기됨" in after.text
    assert "폐기했습니다" not in (await http.get("/admin/keys")).text  # a flash shows once
    assert (await http.get("/api/products", headers=bearer)).status_code == 401
    missing = await http.post("/admin/keys/999/revoke", data={"csrf_token": csrf_of(after.text)})
    assert missing.status_code == 303
    assert "그런 키가 없습니다." in (await http.get("/admin/keys")).text


async def test_a_key_without_a_scope_or_a_name_is_refused_with_the_form_again(
    console: Console, http: httpx.AsyncClient
) -> None:
    await http_login(http)
    token = csrf_of((await http.get("/admin/keys")).text)
    for data in ({"name": "x"}, {"name": " ", "scopes": "read"}, {"name": "x", "scopes": "root"}):
        answer = await http.post("/admin/keys", data={"csrf_token": token, **data})
        assert answer.status_code == 400 and 'class="flash flash--error"' in answer.text, data
    assert await console.count(api_keys) == 0


async def test_htmx_sends_the_token_as_a_header_and_language_switches(
    http: httpx.AsyncClient,
) -> None:
    await http_login(http)
    token = csrf_of((await http.get("/admin")).text)
    switched = await http.post("/admin/lang", data={"lang": "en", "next": "/admin/keys"},
                               headers={"X-CSRF-Token": token})  # fmt: skip
    assert switched.status_code == 303 and switched.headers["location"] == "/admin/keys"
    page = await http.get("/admin/keys")
    assert "<h1>API keys</h1>" in page.text and 'lang="en"' in page.text
    back = await http.post("/admin/lang", data={"lang": "ko", "next": "https://evil.example"},
                           headers={"X-CSRF-Token": "wrong"})  # fmt: skip
    assert back.status_code == 403
    assert "<h1>Dashboard</h1>" in (await http.get("/admin")).text


async def test_the_login_page_speaks_english_when_asked(http: httpx.AsyncClient) -> None:
    page = await http.get("/admin/login", params={"lang": "en"})
    assert "<h1>Admin login</h1>" in page.text
    assert "Wrong username or password." in (await http_login(http, "admin", "x" * 12)).text
