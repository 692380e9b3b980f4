"""One way to answer with a shop page: the template, the buyer's cookie, safe headers."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from ...settings import Settings
from ..deps import get_settings
from ..pages import templates
from .buyer import ensure_buyer

__all__ = ["page"]

_HEADERS = {
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def page(
    request: Request, template: str, http_status: int = 200, /, **context: Any
) -> HTMLResponse:
    """``shop/<template>`` rendered with ``context``; sets the buyer cookie if missing."""
    settings: Settings = get_settings(request)
    response = templates.TemplateResponse(
        request,
        f"shop/{template}",
        {"imp_code": settings.imp_code, **context},
        status_code=http_status,
    )
    ensure_buyer(request, response)
    response.headers.update(_HEADERS)
    return response
