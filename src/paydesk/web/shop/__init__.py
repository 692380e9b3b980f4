"""The demo shop (``/`` and ``/shop/*``): a buyer's pages that pay through ``iamport.js``.

- ``storefront``: the catalogue with live stock, a product's checkout page;
- ``checkout``: placing an order, the return from the window, the order page;
- ``identity``: storing the buyer's ``IMP.certification`` (age-gated products);
- ``subscribing``: a billing key through the window, then a subscription.

Every write takes ``guard.SHOP_WRITE`` (same origin, JSON, rate-limited per
address); pages are server-rendered (``web/templates/shop``) with a little
plain JS (``web/static/shop``). The buyer is a random id in a cookie (``buyer``).
"""

from __future__ import annotations

from fastapi import APIRouter

from . import checkout, identity, storefront, subscribing
from .guard import MAX_BODY, SHOP_WRITE, write_limiter

__all__ = ["MAX_BODY", "SHOP_WRITE", "router", "write_limiter"]

router = APIRouter(include_in_schema=False)
router.include_router(storefront.router)
router.include_router(checkout.router)
router.include_router(identity.router)
router.include_router(subscribing.router)
