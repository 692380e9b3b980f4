"""The slice of i'mport the virtual-account desk uses: issue, revoke, find, bank names.

``VbankApi`` is what ``services.virtual_accounts`` sees; ``IamportVbanks``
implements it over the async client. Bank names come from i'mport's code
table (``GET /banks``), read once per process and kept.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pydantic import SecretStr

from ..core.money import Money
from ..iamport import AsyncIamport, IamportError, NotSent, Payment
from .iamport_port import wire_amount

__all__ = ["IamportVbanks", "VbankApi", "VbankRequest"]

#: PGs that want their own API key with vbank calls (sent as ``pg_api_key``, §2.8).
_PG_API_KEY_PGS = frozenset({"html5_inicis"})
_TABLE_TIMEOUT = 3.0  # seconds: the code table is a nicety, never worth a long wait
_RETRY_TABLE_AFTER = 60.0


@dataclass(frozen=True)
class VbankRequest:
    """A virtual account to issue by REST (``POST /vbanks``) for an order."""

    merchant_uid: str
    amount: Money
    bank_code: str
    due: datetime
    name: str
    holder: str | None  # the name shown as the account's holder (the shop)
    buyer_name: str | None
    buyer_email: str | None
    buyer_tel: str | None
    notice_url: str | None
    pg: str | None = None  # "provider" or "provider.MID"
    channel_key: str | None = None


class VbankApi(Protocol):
    """Virtual accounts at i'mport; raises the client's ``IamportError``s."""

    async def issue(self, request: VbankRequest) -> Payment: ...

    async def revoke(self, imp_uid: str, pg: str | None) -> Payment: ...

    async def fetch(self, imp_uid: str) -> Payment: ...

    async def find_ready(self, merchant_uid: str) -> Payment: ...

    async def bank_name(self, code: str) -> str | None: ...


class IamportVbanks:
    """``VbankApi`` over an ``AsyncIamport``.

    ``pg_api_key``: KG Inicis' API key, sent with its revocations (never logged).
    """

    def __init__(self, client: AsyncIamport, *, pg_api_key: SecretStr | None = None) -> None:
        self._client = client
        self._pg_api_key = pg_api_key
        self._banks: dict[str, str | None] = {}
        self._lock = asyncio.Lock()
        self._table_failed_until = 0.0

    async def issue(self, request: VbankRequest) -> Payment:
        """``POST /vbanks``. ``OutcomeUnknown``: look it up with ``find_ready``."""
        return await self._client.issue_vbank(
            request.merchant_uid, wire_amount(request.amount), vbank_code=request.bank_code,
            vbank_due=request.due, vbank_holder=request.holder, channel_key=request.channel_key,
            pg=request.pg, name=request.name, pg_api_key=self._key_for(request.pg),
            buyer_name=request.buyer_name, buyer_email=request.buyer_email,
            buyer_tel=request.buyer_tel, notice_url=request.notice_url,
        )  # fmt: skip

    async def revoke(self, imp_uid: str, pg: str | None) -> Payment:
        """``DELETE /vbanks/{imp_uid}``: the account refuses deposits from now on."""
        return await self._client.revoke_vbank(imp_uid, pg_api_key=self._key_for(pg))

    async def fetch(self, imp_uid: str) -> Payment:
        return await self._client.payment(imp_uid, include_sandbox=True)

    async def find_ready(self, merchant_uid: str) -> Payment:
        """The newest ``ready`` attempt of an order. Raises ``NotFound`` without one."""
        return await self._client.find_payment(merchant_uid, "ready")

    async def bank_name(self, code: str) -> str | None:
        """The KFTC name of bank ``code`` (None if unknown); the table is read once.

        A failed read raises and is not tried again for ``_RETRY_TABLE_AFTER``
        seconds (``NotSent``), so pages naming banks never wait on a down i'mport.
        """
        if code in self._banks:
            return self._banks[code]
        async with self._lock:
            if not self._banks:
                if time.monotonic() < self._table_failed_until:
                    raise NotSent("the bank code table was unavailable moments ago")
                try:
                    table = await self._client.banks(timeout=_TABLE_TIMEOUT)
                except IamportError:
                    self._table_failed_until = time.monotonic() + _RETRY_TABLE_AFTER
                    raise
                self._banks = {bank.code: bank.name for bank in table}
            return self._banks.get(code)

    def _key_for(self, pg: str | None) -> str | None:
        provider = (pg or "").split(".", 1)[0]
        if self._pg_api_key is None or provider not in _PG_API_KEY_PGS:
            return None
        return self._pg_api_key.get_secret_value()
