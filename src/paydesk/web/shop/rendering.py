"""One way to answer with a shop page: the template, the buyer's cookie, safe headers."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from ...settings import Settings
from ..deps import get_settings
from ..pages import templates
from .buyer import buyer_id, csrf_token, ensure_buyer, new_buyer_id

__all__ = ["page", "shop_key"]

_HEADERS = {
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def page(
    request: Request, template: str, http_status: int = 200, /, **context: Any
) -> HTMLResponse:
    """``shop/<template>`` rendered with ``context`` and the buyer's CSRF token; sets
    the buyer cookie if missing."""
    settings: Settings = get_settings(request)
    buyer = buyer_id(request) or new_buyer_id()
    token = csrf_token(shop_key(settings), buyer)
    response = templates.TemplateResponse(
        request,
        f"shop/{template}",
        {"imp_code": settings.imp_code, "csrf_token": token, **context},
        status_code=http_status,
    )
    ensure_buyer(request, response, buyer)
    response.headers.update(_HEADERS)
    return response


def shop_key(settings: Settings) -> bytes:
    """The key of the shop's CSRF tokens (``create_app`` refuses to start without one)."""
    if settings.secret_key is None:
        raise ValueError("set PAYDESK_SECRET_KEY")
    return settings.secret_key.get_secret_value().encode("utf-8")
