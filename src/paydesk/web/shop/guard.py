"""What every write of the demo shop must pass: same origin, JSON, and a per-address rate.

The shop takes writes from anyone (no API key), so each one (``SHOP_WRITE``):

- must come from the shop's own pages: the ``Origin`` header names this
  server (its public base URL, or the host the request was sent to), or the
  browser says ``Sec-Fetch-Site: same-origin``. A page of another site cannot
  forge either, so a cross-site form or fetch is refused 403 (CSRF). A request
  with neither header is refused too: every browser sends ``Origin`` on POST.
- must be ``application/json``: a cross-site HTML form cannot send it, and a
  cross-site ``fetch`` with it needs a CORS preflight, which the shop never grants.
- must carry the buyer's CSRF token (``X-CSRF-Token``, from the page's
  ``<meta name="csrf-token">``; ``buyer.csrf_token``), bound to the buyer cookie:
  without it, or with another buyer's, 403.
- is counted against its sender's token bucket (``rate_limits.RateLimiter``,
  keyed by ``forwarding.sender``): past the burst it is answered 429 with
  ``Retry-After``.

Bodies are small: ``MAX_BODY`` (``create_app`` mounts it for ``/shop/``).
"""

from __future__ import annotations

import hmac
from typing import cast
from urllib.parse import urlsplit

from fastapi import Depends, Request

from ...settings import Settings
from ..deps import get_settings
from ..forwarding import sender
from ..problems import Problem
from ..rate_limits import RateLimiter
from .buyer import CSRF_HEADER, buyer_id, csrf_token
from .rendering import shop_key

__all__ = ["MAX_BODY", "SHOP_WRITE", "same_origin", "shop_write", "write_limiter"]

#: Largest body a shop write takes (an order is a few hundred bytes).
MAX_BODY = 8 * 1024


def write_limiter(settings: Settings) -> RateLimiter:
    """The token bucket of the shop's writes, from the settings."""
    return RateLimiter(settings.shop_writes_per_minute / 60, settings.shop_write_burst)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def same_origin(request: Request, settings: Settings) -> bool:
    """Whether the request comes from a page of this server (see the module docstring)."""
    origin = request.headers.get("origin")
    if origin is not None:
        own = {_origin(settings.public_base_url), _origin(str(request.base_url))}
        return origin.lower().rstrip("/") in own
    return request.headers.get("sec-fetch-site") == "same-origin"


async def shop_write(request: Request) -> None:
    """Refuse a cross-site, non-JSON, token-less or too frequent write (403, 415, 403, 429)."""
    settings = get_settings(request)
    if not same_origin(request, settings):
        raise Problem(403, "Cross-site request refused",
                      "The shop takes writes only from its own pages.")  # fmt: skip
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise Problem(415, "Unsupported Media Type", "Send the body as application/json.")
    buyer, sent = buyer_id(request), request.headers.get(CSRF_HEADER, "")
    if buyer is None or not hmac.compare_digest(
        sent.encode("utf-8", "replace"), csrf_token(shop_key(settings), buyer).encode("ascii")
    ):
        raise Problem(403, "CSRF token missing or wrong",
                      "Reload the page and try again.")  # fmt: skip
    limiter = cast(RateLimiter, request.app.state.shop_limiter)
    admission = limiter.admit(sender(request, settings.trusted_proxies))
    if not admission.allowed:
        raise Problem(429, "Too Many Requests", "잠시 후 다시 시도해주세요.",
                      headers={"Retry-After": admission.retry_after_header})  # fmt: skip


#: The dependency of every shop write route (the route walk checks it is there).
SHOP_WRITE = Depends(shop_write)
