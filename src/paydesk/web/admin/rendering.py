"""How admin pages answer: ``render`` a template, or ``see_other`` after a form (with a flash).

Every admin template ``{% extends "admin/base.html" %}`` and fills ``title``
and ``content``. ``render`` gives it ``staff``, ``t`` (labels, ``i18n``),
``lang``, ``csrf_token``, ``csrf_field()`` and ``flash`` (the message the
last ``see_other`` left). ``{% from "admin/macros.html" import csrf_field %}``
works too: the macro reads the token of the page being rendered.

A flash message travels in a short-lived cookie signed with
``PAYDESK_SECRET_KEY`` (nobody else can put words on our pages) and is shown
once. Never put a secret in one: show it on the answer to the POST instead.

Admin answers are never cached and never framed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from contextvars import ContextVar
from typing import Any, cast

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup
from starlette.responses import Response

from ...settings import Settings
from ..pages import templates
from .i18n import DEFAULT_LANG, LANGS, translator
from .session import CSRF_FIELD, Staff, cookie_name, set_cookie

__all__ = ["NAVIGATION", "anonymous_lang", "apply_headers", "remember_lang", "render", "see_other"]

FLASH = "paydesk_admin_flash"
LANG = "paydesk_admin_lang"

#: (path, label key) of the navigation, in order.
NAVIGATION = (
    ("/admin", "nav.dashboard"),
    ("/admin/payments", "nav.payments"),
    ("/admin/retries", "nav.retries"),
    ("/admin/subscriptions", "nav.subscriptions"),
    ("/admin/vbanks", "nav.vbanks"),
    ("/admin/receipts", "nav.receipts"),
    ("/admin/escrows", "nav.escrows"),
    ("/admin/keys", "nav.keys"),
    ("/admin/checklist", "nav.checklist"),
)
HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; "
        "form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

_csrf: ContextVar[str] = ContextVar("admin_csrf_token", default="")


def _csrf_field() -> Markup:
    """The hidden input carrying the CSRF token of the page being rendered."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, _csrf.get())


templates.env.globals["admin_csrf_field"] = _csrf_field


def render(
    request: Request,
    staff: Staff | None,
    template_name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """The page ``template_name`` for ``staff`` (``None`` only on the login page)."""
    settings = _settings(request)
    lang = staff.lang if staff else anonymous_lang(request, settings)
    token = staff.csrf_token if staff else (context or {}).get("csrf_token", "")
    flash = _read_flash(request, settings)
    values = {"staff": staff, "t": translator(lang), "lang": lang, "csrf_token": token,
              "csrf_field": _csrf_field, "flash": flash, "navigation": NAVIGATION,
              "current_path": request.url.path, **(context or {})}  # fmt: skip
    reset = _csrf.set(token)
    try:
        response = templates.TemplateResponse(request, template_name, values,
                                              status_code=status_code)  # fmt: skip
    finally:
        _csrf.reset(reset)
    if flash is not None:
        response.delete_cookie(cookie_name(settings, FLASH), path="/admin")
    apply_headers(response)
    return cast(HTMLResponse, response)


def see_other(
    request: Request, url: str, flash: str | None = None, *, kind: str = "ok"
) -> Response:
    """``303`` to ``url`` (a local path), leaving ``flash`` for the next page (``kind``:
    ``ok`` or ``error``)."""
    response = RedirectResponse(url, status_code=303)
    if flash is not None:
        settings = _settings(request)
        set_cookie(response, settings, FLASH, _sign_flash(settings, flash, kind), max_age=60)
    apply_headers(response)
    return response


def apply_headers(response: Response) -> None:
    """No caching, no framing, no sniffing, no referrer to other sites."""
    for name, value in HEADERS.items():
        response.headers[name] = value


def anonymous_lang(request: Request, settings: Settings) -> str:
    """The language of a page without a session: ``?lang=``, then the language cookie."""
    lang = request.query_params.get("lang") or request.cookies.get(cookie_name(settings, LANG))
    return lang if lang in LANGS else DEFAULT_LANG


def remember_lang(response: Response, settings: Settings, lang: str) -> None:
    set_cookie(response, settings, LANG, lang, max_age=365 * 86400)


def _settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


def _mac(settings: Settings, payload: str) -> str:
    secret = settings.secret_key.get_secret_value() if settings.secret_key else ""
    return hmac.new(secret.encode(), f"admin-flash:{payload}".encode(), hashlib.sha256).hexdigest()


def _sign_flash(settings: Settings, text: str, kind: str) -> str:
    body = json.dumps({"text": text[:500], "kind": kind}, ensure_ascii=True)
    payload = base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")
    return f"{payload}.{_mac(settings, payload)}"


def _read_flash(request: Request, settings: Settings) -> dict[str, str] | None:
    value = request.cookies.get(cookie_name(settings, FLASH))
    if not value or "." not in value:
        return None
    payload, mac = value.rsplit(".", 1)
    if not hmac.compare_digest(mac.encode(), _mac(settings, payload).encode()):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    kind = "error" if data.get("kind") == "error" else "ok"
    return {"text": str(data.get("text", "")), "kind": kind}
