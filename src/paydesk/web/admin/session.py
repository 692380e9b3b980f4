"""Who is using the admin console: the session cookie, the staff it opens, and CSRF checks.

Pages take ``staff: StaffDep``; every POST takes ``staff: FormStaffDep``:

- no good session: a page answers ``303`` to ``/admin/login?next=<path>``, a
  form ``303`` to ``/admin/login`` (its path is no page to come back to);
- a session but no CSRF token, or a wrong one (form field ``csrf_token`` or
  header ``X-CSRF-Token`` for htmx): ``403``, and nothing was done.

The cookie holds a random token; the server keeps its SHA-256 with the
session (``services.staff``). It is ``HttpOnly``, ``SameSite=Lax``,
``Path=/admin``, host-only (no ``Domain``), and ``Secure`` with the
``__Secure-`` name prefix when ``PAYDESK_PUBLIC_BASE_URL`` is https.
(``__Host-`` would need ``Path=/``; a cookie seen only under ``/admin`` is
worth more here.)

Before a session exists, the login form carries a double-submit token: a
random nonce in a cookie, and in the form an HMAC of it under
``PAYDESK_SECRET_KEY`` (a cookie planted by a sibling host cannot come with a
matching form value).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from starlette.responses import Response

from ...settings import Settings
from ..deps import ServicesDep, SettingsDep

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "CsrfRefused",
    "FormStaffDep",
    "LoginRequired",
    "Staff",
    "StaffDep",
    "clear_session_cookie",
    "cookie_name",
    "login_csrf",
    "login_csrf_valid",
    "require_staff",
    "require_staff_form",
    "safe_next",
    "set_cookie",
    "set_session_cookie",
]

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SESSION = "paydesk_admin"
LOGIN_NONCE = "paydesk_admin_login"
LOGIN_PATH = "/admin/login"
HOME = "/admin"
_NONCE = re.compile(r"[A-Za-z0-9_-]{43}")


@dataclass(frozen=True)
class Staff:
    """The staff user behind a request, and the CSRF token their forms must carry."""

    id: int
    username: str
    csrf_token: str
    lang: str = "ko"


class LoginRequired(Exception):
    """No good session: answered with ``303`` to the login page (``next`` for a page)."""

    def __init__(self, next_path: str | None) -> None:
        super().__init__("login required")
        self.next_path = next_path


class CsrfRefused(Exception):
    """A form without the session's CSRF token (or with another): answered ``403``."""

    def __init__(self, staff: Staff | None) -> None:
        super().__init__("CSRF token missing or wrong")
        self.staff = staff


# -- cookies ---------------------------------------------------------------------------


def secure(settings: Settings) -> bool:
    """Whether browsers reach us over https (then cookies are ``Secure``)."""
    return settings.public_base_url.lower().startswith("https://")


def cookie_name(settings: Settings, base: str = SESSION) -> str:
    """``base``, with the ``__Secure-`` prefix when cookies are ``Secure``."""
    return f"__Secure-{base}" if secure(settings) else base


def set_cookie(
    response: Response, settings: Settings, base: str, value: str, *, max_age: int | None,
    path: str = HOME,
) -> None:  # fmt: skip
    """Set one of the console's cookies, hardened as the module says."""
    response.set_cookie(cookie_name(settings, base), value, max_age=max_age, path=path,
                        secure=secure(settings), httponly=True, samesite="lax")  # fmt: skip


def set_session_cookie(response: Response, settings: Settings, token: str, max_age: int) -> None:
    set_cookie(response, settings, SESSION, token, max_age=max_age)


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(cookie_name(settings), path=HOME, secure=secure(settings),
                           httponly=True, samesite="lax")  # fmt: skip


def session_token(request: Request, settings: Settings) -> str | None:
    return request.cookies.get(cookie_name(settings))


# -- the dependencies ------------------------------------------------------------------


async def _staff(request: Request, services: ServicesDep, settings: SettingsDep) -> Staff | None:
    active = await services.staff.resume(session_token(request, settings))
    if active is None:
        return None
    user = active.user
    return Staff(id=user.id, username=user.username, csrf_token=active.csrf_token,
                 lang=user.lang)  # fmt: skip


async def require_staff(request: Request, services: ServicesDep, settings: SettingsDep) -> Staff:
    """The logged-in staff user; raises ``LoginRequired`` (303 to the login page)."""
    staff = await _staff(request, services, settings)
    if staff is None:
        raise LoginRequired(_here(request) if request.method in ("GET", "HEAD") else None)
    return staff


async def require_staff_form(
    request: Request, services: ServicesDep, settings: SettingsDep
) -> Staff:
    """``require_staff``, and the session's CSRF token in the form or the header;
    raises ``LoginRequired`` or ``CsrfRefused`` (403)."""
    staff = await _staff(request, services, settings)
    if staff is None:
        raise LoginRequired(None)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent.encode(), staff.csrf_token.encode()):
        raise CsrfRefused(staff)
    return staff


StaffDep = Annotated[Staff, Depends(require_staff)]
FormStaffDep = Annotated[Staff, Depends(require_staff_form)]


# -- where to go after logging in --------------------------------------------------------


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def safe_next(value: str | None) -> str:
    """``value`` if it is a page of this console (a local ``/admin`` path), else ``/admin``.

    Refuses anything a browser could read as another host (``//evil``,
    ``/\\evil``, ``https://...``), control characters, and the login page itself.
    """
    if not value or len(value) > 2000 or not value.isprintable() or "\\" in value:
        return HOME
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/"):
        return HOME
    if parts.path != HOME and not parts.path.startswith(HOME + "/"):
        return HOME
    if parts.path.startswith(LOGIN_PATH) or "/../" in parts.path or parts.path.endswith("/.."):
        return HOME
    return value


def login_url(next_path: str | None) -> str:
    target = safe_next(next_path) if next_path else HOME
    return LOGIN_PATH if target == HOME else f"{LOGIN_PATH}?next={quote(target, safe='/')}"


# -- CSRF before a session exists: the login form ---------------------------------------


def _sign(settings: Settings, nonce: str) -> str:
    secret = settings.secret_key.get_secret_value() if settings.secret_key else ""
    message = f"admin-login:{nonce}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def login_csrf(request: Request, settings: Settings) -> tuple[str, str]:
    """(nonce for the cookie, token for the form); the browser's nonce is kept if it has one."""
    nonce = request.cookies.get(cookie_name(settings, LOGIN_NONCE), "")
    if not _NONCE.fullmatch(nonce):
        nonce = secrets.token_urlsafe(32)
    return nonce, _sign(settings, nonce)


def login_csrf_valid(request: Request, settings: Settings, sent: str | None) -> bool:
    """Whether the login form's token matches the nonce cookie."""
    nonce = request.cookies.get(cookie_name(settings, LOGIN_NONCE), "")
    if not sent or not _NONCE.fullmatch(nonce):
        return False
    return hmac.compare_digest(sent.encode(), _sign(settings, nonce).encode())
