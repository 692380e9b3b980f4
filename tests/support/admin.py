"""Helpers for tests of the admin console: make staff users, log in over HTTP or in a browser.

``make_staff`` writes through the real ``StaffAccess`` service (argon2id and
all); ``login`` drives the real login form of a Playwright page, and
``http_login`` does the same with an httpx client (which keeps the cookies).
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from paydesk.core.clock import SystemClock
from paydesk.services.container import Services
from paydesk.services.staff import StaffAccess
from paydesk.store import Database
from paydesk.store.staff import StaffUserRecord
from tests.support.db import run_async

__all__ = ["STAFF_PASSWORD", "create_staff", "csrf_of", "http_login", "login", "make_staff"]

#: A password that passes the length rule; tests use it unless they test passwords.
STAFF_PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def make_staff(
    where: str | Database | Services, username: str = "admin", password: str = STAFF_PASSWORD,
    *, lang: str = "ko",
) -> StaffUserRecord:  # fmt: skip
    """A staff user in ``where``: a database URL, a ``Database`` or the server's ``Services``."""
    if isinstance(where, Services):
        return await where.staff.create_user(username, password, lang=lang)
    database = Database(where) if isinstance(where, str) else where
    try:
        return await StaffAccess(database, SystemClock()).create_user(username, password, lang=lang)
    finally:
        if isinstance(where, str):
            await database.dispose()


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = _CSRF.search(html)
    assert found is not None, "no csrf_token field on the page"
    return found.group(1)


async def http_login(
    http: httpx.AsyncClient, username: str = "admin", password: str = STAFF_PASSWORD,
    *, next_path: str | None = None,
) -> httpx.Response:  # fmt: skip
    """Log ``http`` in through the form; the answer to the POST (303 on success)."""
    form = await http.get("/admin/login")
    assert form.status_code == 200, form.text
    data = {"username": username, "password": password, "csrf_token": csrf_of(form.text),
            "next": next_path or ""}  # fmt: skip
    return await http.post("/admin/login", data=data, follow_redirects=False)


def login(
    page: Any, base_url: str, username: str = "admin", password: str = STAFF_PASSWORD
) -> None:
    """Log a Playwright ``page`` in through the login form; it ends on the dashboard."""
    page.goto(f"{base_url}/admin/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/admin")


def create_staff(database_url: str, username: str = "admin", password: str = STAFF_PASSWORD,
                 *, lang: str = "ko") -> StaffUserRecord:  # fmt: skip
    """``make_staff`` for synchronous tests (Playwright's): runs on its own thread and loop."""
    return run_async(lambda: make_staff(database_url, username, password, lang=lang))
