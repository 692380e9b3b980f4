"""The emulator's calls out to merchant servers: one HTTP client and its settings.

The real platform calls merchants twice per payment at most: the Confirm
Process right before approval (reference §6) and the webhook afterwards (§5).
Both go through the ``httpx.AsyncClient`` held here, opened and closed in the
app lifespan, so tests aim the emulator at real receivers and shorten the
waits (``OutboundSettings``) without patching anything.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

__all__ = ["Outbound", "OutboundSettings"]


@dataclass(frozen=True, slots=True)
class OutboundSettings:
    """Waits the emulator applies to outgoing calls and browser hand-offs.

    ``confirm_timeout``: the Confirm Process answer deadline (10 s on the real
    platform).  ``after_redirect_grace``: real seconds between the browser
    being sent back and a held webhook becoming due ("after" ordering).
    ``hold_limit``: real seconds a held webhook waits for a browser that never
    comes back.  ``settle_limit``: most real seconds a window waits for the
    delivery attempt ("before" ordering).
    """

    confirm_timeout: float = 10.0
    after_redirect_grace: float = 1.0
    hold_limit: float = 30.0
    settle_limit: float = 45.0


class Outbound:
    """Owns the client used for confirm calls and webhook deliveries."""

    def __init__(
        self, settings: OutboundSettings | None = None, client: httpx.AsyncClient | None = None
    ) -> None:
        self.settings = settings or OutboundSettings()
        self._client = client
        self._owned = client is None

    @property
    def client(self) -> httpx.AsyncClient:
        """The open client; the app lifespan opens it before serving."""
        if self._client is None:
            raise RuntimeError("Outbound.open() was not awaited (app lifespan not started)")
        return self._client

    async def open(self) -> None:
        """Build the client unless one was injected.  No proxies: merchants are direct."""
        if self._client is None:
            self._client = httpx.AsyncClient(follow_redirects=False, trust_env=False)
            self._owned = True

    async def close(self) -> None:
        """Close the client if this object built it."""
        if self._client is not None and self._owned:
            await self._client.aclose()
            self._client = None
