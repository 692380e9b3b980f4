"""Who the shop's buyer is: a random id in a cookie, nothing else.

The demo shop has no accounts. The first page a browser loads gets an
unguessable id (``HttpOnly``, ``SameSite=Lax``); the buyer's verified identity
(``customer_ref``) and billing key (``customer_uid``) hang off it, so only the
browser holding the cookie can buy with that identity or see that
subscription.
"""

from __future__ import annotations

import re
import secrets

from fastapi import Request, Response

__all__ = ["COOKIE", "buyer_id", "customer_ref", "customer_uid", "ensure_buyer"]

COOKIE = "paydesk_buyer"
_ID = re.compile(r"^[A-Za-z0-9_-]{22,43}$")
_MAX_AGE = 30 * 86400


def buyer_id(request: Request) -> str | None:
    """The buyer's id from the cookie, if it has a well-formed one."""
    value = request.cookies.get(COOKIE)
    return value if value and _ID.fullmatch(value) else None


def ensure_buyer(request: Request, response: Response) -> str:
    """The buyer's id, set as a cookie on ``response`` when the browser had none."""
    found = buyer_id(request)
    if found is not None:
        return found
    made = secrets.token_urlsafe(16)
    response.set_cookie(COOKIE, made, max_age=_MAX_AGE, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")  # fmt: skip
    return made


def customer_ref(buyer: str) -> str:
    """The buyer's ``customer_ref`` for identity verification and the age gate."""
    return f"shop:{buyer}"


def customer_uid(buyer: str) -> str:
    """The buyer's ``customer_uid`` (billing key) at i'mport."""
    return f"shop_{buyer}"
