"""The slice of i'mport the merchant server's services use, behind small interfaces.

Services see ``PaymentsApi`` (look a payment up, refund it, walk a status listing) and F's
``AmountRegistrar`` (pre-register an amount); ``IamportPayments`` implements
both over the async client. Money crosses here: ``Money`` in minor units on our
side, exact major-unit amounts on the wire.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from ..core.money import EXPONENTS, Money
from ..iamport import ApiError, AsyncIamport, OutcomeUnknown, Payment
from ..store.ledger_records import RefundAccount

__all__ = ["IamportPayments", "PaymentsApi", "RefundParts", "wire_amount"]


class PaymentsApi(Protocol):
    """Reading and refunding payments at i'mport; raises the client's ``IamportError``s."""

    async def fetch(self, imp_uid: str) -> Payment: ...

    async def refund(
        self,
        imp_uid: str,
        *,
        amount: Money,
        checksum: Money,
        reason: str,
        parts: RefundParts | None = None,
    ) -> Payment: ...

    async def account_holder(self, bank: str, account: str) -> str: ...

    def walk(
        self, status: str, *, since: datetime, until: datetime, limit: int = 100
    ) -> AsyncIterator[Payment]: ...


@dataclass(frozen=True)
class RefundParts:
    """What a cancel may carry besides the amount: tax parts, a virtual account's refund
    account, and the holder's phone (``refund_tel``, with or without the account)."""

    tax_free: Money | None = None
    vat_amount: Money | None = None
    account: RefundAccount | None = None
    tel: str | None = field(default=None, repr=False)


def wire_amount(money: Money) -> int | Decimal:
    """The amount as i'mport wants it: whole won as ``int``, cents as ``Decimal`` dollars."""
    return money.amount if EXPONENTS[money.currency] == 0 else money.major()


class IamportPayments:
    """``PaymentsApi`` and ``AmountRegistrar`` over an ``AsyncIamport``.

    ``include_sandbox``: also see payments made on test channels (lookups hide
    them otherwise, which would make a test-channel payment look forged).
    """

    def __init__(self, client: AsyncIamport, *, include_sandbox: bool = True) -> None:
        self._client = client
        self._include_sandbox = include_sandbox

    async def fetch(self, imp_uid: str) -> Payment:
        """``GET /payments/{imp_uid}``. Raises ``NotFound`` or a communication error."""
        return await self._client.payment(imp_uid, include_sandbox=self._include_sandbox)

    async def refund(
        self,
        imp_uid: str,
        *,
        amount: Money,
        checksum: Money,
        reason: str,
        parts: RefundParts | None = None,
    ) -> Payment:
        """``POST /payments/cancel`` of ``amount`` guarded by ``checksum`` (our balance)."""
        parts = parts or RefundParts()
        account = parts.account
        return await self._client.cancel(
            imp_uid, amount=wire_amount(amount), checksum=wire_amount(checksum), reason=reason,
            tax_free=wire_amount(parts.tax_free) if parts.tax_free else None,
            vat_amount=wire_amount(parts.vat_amount) if parts.vat_amount else None,
            refund_holder=account.holder if account else None,
            refund_bank=account.bank if account else None,
            refund_account=account.account if account else None,
            refund_tel=parts.tel or (account.tel if account else None),
        )  # fmt: skip

    async def account_holder(self, bank: str, account: str) -> str:
        """The holder name of a bank account (``GET /vbanks/holder``)."""
        found = await self._client.vbank_holder(bank, account)
        return found.bank_holder

    async def walk(
        self, status: str, *, since: datetime, until: datetime, limit: int = 100
    ) -> AsyncIterator[Payment]:
        """Every payment in ``status`` whose status time is in ``since``..``until``.

        ``GET /payments/status/{status}``, window by window (at most 90 days
        each) and ``limit`` per request, through the client's
        ``iter_payments_by_status``: a payment that stays in the listing while
        others change is yielded exactly once. Raises the client's errors.
        """
        async for payment in self._client.iter_payments_by_status(
            status, since=since, until=until, limit=limit
        ):
            yield payment

    async def prepare(self, merchant_uid: str, amount: Money) -> None:
        """Register ``amount`` for ``merchant_uid`` (``POST /payments/prepare``).

        A lost answer, or a refusal because the merchant_uid is already
        registered, is settled by reading the registration back: the same
        amount means it worked. Raises ``IamportError`` otherwise.
        """
        try:
            await self._client.prepare(merchant_uid, wire_amount(amount), currency=amount.currency)
        except (OutcomeUnknown, ApiError):
            registered = await self._client.prepared(merchant_uid)
            if Decimal(str(registered.amount)) != amount.major():
                raise
