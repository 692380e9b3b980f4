"""CORS for the few paths a merchant's shop page calls from another origin.

Off unless ``PAYDESK_CORS_ORIGINS`` lists origins. Even then only
``/api/orders`` (placing an order from the shop page) and ``/iamport/complete``
(the ``IMP.request_pay`` callback) answer cross-origin requests; every other
path stays same-origin, so a page elsewhere cannot read the rest of the API
even with a key in hand. No credentials (cookies) are allowed: the API takes
its key in the ``Authorization`` header.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["CORS_PATHS", "ScopedCors"]

CORS_PATHS = ("/api/orders", "/iamport/complete")


class ScopedCors:
    """Starlette's ``CORSMiddleware`` for ``paths`` only; other paths pass untouched."""

    def __init__(
        self, app: ASGIApp, origins: Sequence[str], paths: Iterable[str] = CORS_PATHS
    ) -> None:
        self.app = app
        self.paths = frozenset(paths)
        self.cors = CORSMiddleware(
            app,
            allow_origins=list(origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
            expose_headers=["Location"],
            allow_credentials=False,
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].rstrip("/") in self.paths:
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
