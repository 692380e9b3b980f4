"""Who the shop's buyer is: a random id in a cookie, nothing else.

The demo shop has no accounts. The first page a browser loads gets an
unguessable id (``HttpOnly``, ``SameSite=Lax``); the buyer's verified identity
(``customer_ref``) and billing key (``customer_uid``) hang off it, so only the
browser holding the cookie can buy with that identity or see that
subscription.

Every shop write also carries the buyer's CSRF token (``X-CSRF-Token``): an HMAC
of the buyer id with ``PAYDESK_SECRET_KEY``, which each page puts in its
``<meta name="csrf-token">`` for ``shop.js``. Another site can neither read the
page nor the cookie, so it cannot send the token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from fastapi import Request, Response

__all__ = [
    "COOKIE",
    "CSRF_HEADER",
    "buyer_id",
    "csrf_token",
    "customer_ref",
    "customer_uid",
    "ensure_buyer",
    "new_buyer_id",
]

COOKIE = "paydesk_buyer"
CSRF_HEADER = "X-CSRF-Token"
_ID = re.compile(r"^[A-Za-z0-9_-]{22,43}$")
_MAX_AGE = 30 * 86400


def buyer_id(request: Request) -> str | None:
    """The buyer's id from the cookie, if it has a well-formed one."""
    value = request.cookies.get(COOKIE)
    return value if value and _ID.fullmatch(value) else None


def new_buyer_id() -> str:
    """A fresh, unguessable buyer id."""
    return secrets.token_urlsafe(16)


def ensure_buyer(request: Request, response: Response, buyer: str | None = None) -> str:
    """The buyer's id, set as a cookie on ``response`` when the browser had none
    (``buyer``, when the page was already rendered for a new id)."""
    found = buyer_id(request)
    if found is not None:
        return found
    made = buyer or new_buyer_id()
    response.set_cookie(COOKIE, made, max_age=_MAX_AGE, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")  # fmt: skip
    return made


def csrf_token(secret_key: bytes, buyer: str) -> str:
    """The CSRF token of ``buyer``'s writes: HMAC-SHA256 of the id, base64url."""
    digest = hmac.new(secret_key, b"shop-csrf:" + buyer.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def customer_ref(buyer: str) -> str:
    """The buyer's ``customer_ref`` for identity verification and the age gate."""
    return f"shop:{buyer}"


def customer_uid(buyer: str) -> str:
    """The buyer's ``customer_uid`` (billing key) at i'mport."""
    return f"shop_{buyer}"
