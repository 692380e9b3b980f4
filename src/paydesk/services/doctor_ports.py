"""What the launch doctor asks the outside world: i'mport, and our own public URLs.

``GatewayCheck`` is i'mport seen through the client: a fresh getToken (credentials
and i'mport's clock), the PG channels, the bank code table. ``SelfProbe`` calls our
own ``notice_url``, ``confirm_url`` and ``m_redirect_url`` over the network, the way
i'mport and buyers would, with the doctor's signed probe mark where the call must
change nothing. Both are thin: every verdict is ``core.launch_rules``'.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import httpx

from ..core.confirm_tokens import confirm_token
from ..core.doctor_probe import PROBE_HEADER, sign_probe
from ..core.launch_rules import ChannelView
from ..iamport import AsyncIamport

__all__ = ["Answer", "GatewayCheck", "IamportCheck", "SelfProbe", "Unreachable"]


class GatewayCheck(Protocol):
    """i'mport, as far as the doctor needs it. Raises the client's ``IamportError``s."""

    async def server_now(self) -> datetime:
        """i'mport's clock, from a fresh getToken (which also proves the key and secret)."""
        ...

    async def channels(self) -> list[ChannelView]: ...

    async def bank_count(self) -> int: ...


class IamportCheck:
    """``GatewayCheck`` over the async client and the credentials it was built with."""

    def __init__(self, client: AsyncIamport, imp_key: str, imp_secret: str) -> None:
        self._client = client
        self._key = imp_key
        self._secret = imp_secret

    async def server_now(self) -> datetime:
        token = await self._client.get_token(self._key, self._secret)
        return token.now

    async def channels(self) -> list[ChannelView]:
        return [ChannelView(c.pg_provider, c.pg_id, c.sandbox, c.type, c.channel_key)
                for c in await self._client.pg_settings()]  # fmt: skip

    async def bank_count(self) -> int:
        return len(await self._client.banks())


class Unreachable(Exception):
    """Our own URL did not answer (connection refused, DNS, TLS, timeout)."""


@dataclass(frozen=True)
class Answer:
    """What one of our URLs answered: the status and the JSON body (empty if not JSON)."""

    status: int
    body: dict[str, Any]


def _probe_uid() -> str:
    return f"doctor_probe_{secrets.token_hex(8)}"


class SelfProbe:
    """Calls our own public URLs; ``transport`` replaces the network in tests."""

    def __init__(
        self, *, timeout: float = 10.0, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._timeout = timeout
        self._transport = transport

    async def webhook(self, notice_url: str, key: bytes, kind: str, now: int) -> Answer:
        """POST a synthetic delivery marked as a doctor probe of ``kind``, sent at ``now``
        (unix seconds); the server stores nothing of it."""
        uid = _probe_uid()
        body = json.dumps({"imp_uid": uid, "merchant_uid": uid, "status": "paid"}).encode()
        mark = sign_probe(key, kind, now, body)
        headers = {"content-type": "application/json", PROBE_HEADER: mark}
        return await self._send("POST", notice_url, content=body, headers=headers)

    async def confirm(self, confirm_url: str, key: bytes) -> Answer:
        """POST a confirm call, signed as an order's own ``confirm_url`` would be, for an
        order that does not exist (expected: 404 "order not found").

        The refusal is recorded like any other (a confirm decision for
        ``doctor_probe_…``); nothing is held.
        """
        uid = _probe_uid()
        return await self._send("POST", confirm_url, params={"token": confirm_token(key, uid)},
                                json={"imp_uid": uid, "merchant_uid": uid, "amount": 1000})  # fmt: skip

    async def redirect(self, m_redirect_url: str) -> Answer:
        """GET the redirect page for an order that does not exist (expected: 404 problem)."""
        return await self._send("GET", m_redirect_url, params={"merchant_uid": _probe_uid()})

    async def _send(self, method: str, url: str, **kwargs: Any) -> Answer:
        async with httpx.AsyncClient(timeout=self._timeout, transport=self._transport,
                                     follow_redirects=False) as http:  # fmt: skip
            try:
                response = await http.request(method, url, **kwargs)
            except httpx.HTTPError as error:
                raise Unreachable(f"{type(error).__name__}: {error}" if str(error)
                                  else type(error).__name__) from error  # fmt: skip
        try:
            body = response.json()
        except ValueError:
            body = {}
        return Answer(response.status_code, body if isinstance(body, dict) else {})
