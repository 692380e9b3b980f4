"""Logging in and out of the admin console, the language switch, and the refusal answers.

``POST /admin/login`` checks the pre-session CSRF token, then the login limit,
then the password (``services.staff``); a good login replaces whatever
session the browser had and goes to ``next`` — only ever a local ``/admin``
path. ``install_admin_errors`` turns ``LoginRequired`` into a ``303`` to the
login page and ``CsrfRefused`` into a ``403`` page.
"""

from __future__ import annotations

import inspect
import logging
import math
from contextlib import suppress
from typing import Annotated, cast

from fastapi import APIRouter, FastAPI, Form, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import HTTPExceptionHandler

from ...services.errors import InvalidStaffRequest, LoginThrottled
from ...settings import Settings
from ..deps import ServicesDep, SettingsDep
from ..forwarding import sender
from .i18n import translator
from .rendering import anonymous_lang, apply_headers, remember_lang, render, see_other
from .session import (
    LOGIN_NONCE,
    LOGIN_PATH,
    CsrfRefused,
    FormStaffDep,
    LoginRequired,
    Staff,
    clear_session_cookie,
    cookie_name,
    login_csrf,
    login_csrf_valid,
    login_url,
    require_staff,
    safe_next,
    session_token,
    set_cookie,
    set_session_cookie,
)

__all__ = ["install_admin_errors", "router"]

log = logging.getLogger(__name__)
router = APIRouter()
FormText = Annotated[str, Form()]
NextForm = Annotated[str, Form(alias="next")]  # where to go afterwards (``safe_next``)
NextQuery = Annotated[str | None, Query(alias="next")]


@router.get("/login")
async def login_page(
    request: Request, services: ServicesDep, settings: SettingsDep, next_path: NextQuery = None
) -> Response:
    """The login form (a logged-in user goes straight on to ``next``)."""
    try:
        await require_staff(request, services, settings)
    except LoginRequired:
        return _login_form(request, settings, next_path=safe_next(next_path))
    return see_other(request, safe_next(next_path))


@router.post("/login")
async def log_in(
    request: Request,
    services: ServicesDep,
    settings: SettingsDep,
    username: FormText = "",
    password: FormText = "",
    csrf_token: FormText = "",
    next_path: NextForm = "",
) -> Response:
    """Check the form; a session cookie and ``303`` to ``next``, or the form again."""
    target = safe_next(next_path)
    if not login_csrf_valid(request, settings, csrf_token):
        return _refused(request, None, LOGIN_PATH)
    t = translator(anonymous_lang(request, settings))
    try:
        opened = await services.staff.log_in(
            username, password, source=sender(request, settings.trusted_proxies),
            replacing=session_token(request, settings),
        )  # fmt: skip
    except LoginThrottled as exc:
        error = t("login.throttled", minutes=max(1, math.ceil(exc.retry_after / 60)))
        response = _login_form(request, settings, next_path=target, error=error,
                               username=username, status_code=429)  # fmt: skip
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    if opened is None:
        return _login_form(request, settings, next_path=target, error=t("login.failed"),
                           username=username)  # fmt: skip
    response = see_other(request, target)
    lifetime = int((opened.expires_at - services.clock.now()).total_seconds())
    set_session_cookie(response, settings, opened.token, max_age=max(1, lifetime))
    response.delete_cookie(cookie_name(settings, LOGIN_NONCE), path=LOGIN_PATH)
    return response


@router.post("/logout")
async def log_out(
    request: Request, staff: FormStaffDep, services: ServicesDep, settings: SettingsDep
) -> Response:
    """End this browser's session."""
    await services.staff.log_out(session_token(request, settings))
    log.info("staff user %s logged out", staff.username)
    response = see_other(request, LOGIN_PATH, flash=translator(staff.lang)("login.logged_out"))
    clear_session_cookie(response, settings)
    return response


@router.post("/lang")
async def switch_lang(
    request: Request, staff: FormStaffDep, services: ServicesDep, lang: FormText = "",
    next_path: NextForm = "",
) -> Response:  # fmt: skip
    """Remember the user's language (ko or en) and go back to the page."""
    with suppress(InvalidStaffRequest):  # an unknown language changes nothing
        await services.staff.set_lang(staff.id, lang)
    return see_other(request, safe_next(next_path))


def _login_form(
    request: Request, settings: Settings, *, next_path: str, error: str | None = None,
    username: str = "", status_code: int = 200,
) -> Response:  # fmt: skip
    nonce, token = login_csrf(request, settings)
    context = {"csrf_token": token, "next": next_path, "error": error, "username": username[:64]}
    response = render(request, None, "admin/login.html", context, status_code=status_code)
    set_cookie(response, settings, LOGIN_NONCE, nonce, max_age=3600, path=LOGIN_PATH)
    if "lang" in request.query_params:
        remember_lang(response, settings, anonymous_lang(request, settings))
    return response


def _refused(request: Request, staff: Staff | None, back: str) -> Response:
    lang = staff.lang if staff else anonymous_lang(request, request.app.state.settings)
    context = {"message": translator(lang)("common.csrf_refused"), "back": back}
    return render(request, staff, "admin/refused.html", context, status_code=403)


async def _login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    response = RedirectResponse(login_url(exc.next_path), status_code=303)
    apply_headers(response)
    return response


async def _csrf_refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CsrfRefused)
    log.warning("admin %s %s refused: CSRF token missing or wrong", request.method,
                request.url.path)  # fmt: skip
    return _refused(request, exc.staff, "/admin")


def install_admin_errors(app: FastAPI) -> None:
    """Answer the admin console's refusals and errors as pages, not problem documents.

    Call it after ``install_problem_handlers``: an unknown page (404), a method
    the page does not take (405) or a malformed query or form (422) under
    ``/admin`` become a page that says so; every other path keeps its problem
    document.
    """
    app.add_exception_handler(LoginRequired, _login_required)
    app.add_exception_handler(CsrfRefused, _csrf_refused)
    for kind in (HTTPException, RequestValidationError):
        previous = cast(HTTPExceptionHandler, app.exception_handlers[kind])  # ours, HTTP only
        app.add_exception_handler(kind, _as_page(previous))


def _as_page(handler: HTTPExceptionHandler) -> HTTPExceptionHandler:
    async def problem(request: Request, exc: Exception) -> Response:
        answer = handler(request, exc)
        return await answer if inspect.isawaitable(answer) else answer

    async def handle(request: Request, exc: Exception) -> Response:
        path = request.url.path
        if path != "/admin" and not path.startswith("/admin/"):
            return await problem(request, exc)
        if isinstance(exc, HTTPException):
            status, key, headers = exc.status_code, "common.not_found", dict(exc.headers or {})
            if status != 404:
                key = "common.bad_request"
        else:
            status, key, headers = 422, "common.bad_request", {}
        if status == 405:
            headers["Allow"] = (await problem(request, exc)).headers.get("Allow", "")
        message = translator(anonymous_lang(request, request.app.state.settings))(key)
        context = {"heading": message, "message": message, "back": "/admin"}
        response = render(request, None, "admin/problem.html", context, status_code=status)
        response.headers.update(headers)
        return response

    return handle
