"""Billing keys: issue (card key-in, or the payment window), look up, delete, reissue.

Card data goes to i'mport and nowhere else: it is neither stored nor logged,
and the errors raised here never repeat it. What is kept is what i'mport shows
back (``MaskedCard``): the PG, the card's name and code, its last digits.

Issuing under a ``customer_uid`` that already has a key re-points it to the new
card (i'mport's rule); a subscription waiting for a new card (past due, or
retrying) is then charged again at once.

Through the window: ``start_window`` records an issuance under a fresh
merchant_uid and answers the ``IMP.request_pay`` parameters (``customer_uid``,
amount 0: key only). Its result, from the completion call or the webhook, is
checked with i'mport (``Verifier`` hands payments of these merchant_uids to
``apply_payment``) and only then is the key recorded.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ..core.clock import Clock
from ..iamport import ApiError, IamportError, NotFound, OutcomeUnknown, Payment
from ..store import UnitsOfWork
from ..store.billing import IssuanceRecord, KeyRecord
from .billing_port import BillingApi, CardData, MaskedCard
from .errors import BillingRefused, NotOnRecord, Unreachable
from .subscriptions import Subscriptions

__all__ = ["BillingKeys", "IssuedKey", "WindowIssue"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IssuedKey:
    """The key as recorded, and the jobs that retry charges waiting for it."""

    key: KeyRecord
    job_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class WindowIssue:
    """A window issuance: its merchant_uid, for ``IMP.request_pay``."""

    merchant_uid: str
    customer_uid: str
    created_at: datetime


def _random_uid(now: datetime) -> str:
    return f"bk{int(now.timestamp())}-{secrets.token_hex(8)}"


#: What every issuance's merchant_uid begins with (``_random_uid``, the only maker of them).
_OURS = re.compile(r"bk[0-9]+-")


class BillingKeys:
    """Billing keys over i'mport and the store."""

    def __init__(
        self,
        database: UnitsOfWork,
        clock: Clock,
        api: BillingApi,
        subscriptions: Subscriptions,
        *,
        new_uid: Callable[[datetime], str] = _random_uid,
    ) -> None:
        self._db = database
        self._clock = clock
        self._api = api
        self._subscriptions = subscriptions
        self._new_uid = new_uid

    async def issue(self, customer_uid: str, card: CardData, *, pg: str | None) -> IssuedKey:
        """Issue (or re-point) the key from card data typed by the customer.

        Raises ``BillingRefused`` (``card_refused``) when i'mport or the PG
        refuses the card, ``Unreachable`` when it could not be asked or did not
        answer (issuing again is safe: it re-points the same key).
        """
        try:
            masked = await self._api.issue_key(customer_uid, card, pg=pg)
        except (OutcomeUnknown, ApiError) as error:
            if isinstance(error, ApiError) and error.http_status < 500:
                raise BillingRefused("card_refused", f"i'mport refused the card: {error.message}",
                                     status=422) from None  # fmt: skip
            raise Unreachable(f"issuing the billing key of {customer_uid}: no answer") from None
        except IamportError:
            raise Unreachable(f"issuing the billing key of {customer_uid}: not sent") from None
        return await self._record(customer_uid, masked, "api")

    async def key(self, customer_uid: str) -> KeyRecord:
        """The key on record. Raises ``NotOnRecord``."""
        async with self._db.reading() as uow:
            found = await uow.billing.key(customer_uid)
        if found is None:
            raise NotOnRecord(f"billing key {customer_uid}")
        return found

    async def listing(self, *, limit: int = 50, offset: int = 0) -> list[KeyRecord]:
        """Billing keys on record (masked card metadata only), the latest issued first."""
        async with self._db.reading() as uow:
            return await uow.billing.keys(limit=max(1, limit), offset=max(0, offset))

    async def delete(self, customer_uid: str) -> KeyRecord:
        """Delete the key at i'mport, then here. Raises ``NotOnRecord``, ``Unreachable``.

        Subscriptions on it are not cancelled: their next charge fails and
        dunning asks for a new card.
        """
        current = await self.key(customer_uid)
        try:
            await self._api.delete_key(customer_uid)
        except NotFound:
            log.info("billing key %s: already gone at i'mport", customer_uid)
        except IamportError as error:
            raise Unreachable(f"deleting {customer_uid}: {type(error).__name__}") from error
        async with self._db.transaction() as uow:
            deleted = await uow.billing.delete_key(customer_uid, self._clock.now())
        return deleted or current

    async def start_window(self, customer_uid: str) -> WindowIssue:
        """Record a window issuance for ``customer_uid``; its merchant_uid goes to request_pay."""
        async with self._db.transaction() as uow:
            now = self._clock.now()
            merchant_uid = self._new_uid(now)
            await uow.billing.add_issuance(merchant_uid, customer_uid, now)
        return WindowIssue(merchant_uid, customer_uid, now)

    async def complete(self, customer_uid: str, imp_uid: str) -> tuple[str, KeyRecord | None]:
        """The window's result for ``customer_uid``, checked with i'mport.

        Returns what became of the issuance (``issued``, ``failed``, ``open``)
        and the key. Raises ``BillingRefused`` (``not_a_billing_payment``) when
        the payment is not a window issuance of this customer, ``Unreachable``.
        """
        try:
            payment = await self._api.fetch(imp_uid)
        except NotFound:
            raise BillingRefused("not_a_billing_payment", f"i'mport knows no {imp_uid}.",
                                 status=404) from None  # fmt: skip
        except IamportError as error:
            raise Unreachable(f"verifying {imp_uid}: {type(error).__name__}") from error
        issuance = await self._issuance(payment.merchant_uid)
        if issuance is None or issuance.customer_uid != customer_uid:
            raise BillingRefused("not_a_billing_payment",
                                 f"{imp_uid} is not a billing key issuance of {customer_uid}.",
                                 status=409)  # fmt: skip
        outcome = await self.apply_payment(payment)
        async with self._db.reading() as uow:
            return outcome, await uow.billing.key(customer_uid)

    # -- payments reported for our issuances -------------------------------------------
    async def owns(self, merchant_uid: str) -> bool:
        """Whether ``merchant_uid`` is one of our window issuances (one we could not have
        made is not looked up: every paid order's webhook asks)."""
        return bool(_OURS.match(merchant_uid)) and await self._issuance(merchant_uid) is not None

    async def apply_payment(self, payment: Payment) -> str:
        """Apply i'mport's answer about a window issuance (idempotent); returns what it meant."""
        issuance = await self._issuance(payment.merchant_uid)
        if issuance is None:
            raise NotOnRecord(f"issuance {payment.merchant_uid}")
        if issuance.state != "open":
            return f"issuance:{issuance.state}"
        if payment.status == "ready":
            return "issuance:open"
        if payment.status == "failed" or payment.customer_uid != issuance.customer_uid:
            reason = payment.fail_reason or "no billing key was issued"
            async with self._db.transaction() as uow:
                await uow.billing.finish_issuance(issuance.merchant_uid, "failed",
                                                  payment.imp_uid, reason, self._clock.now())  # fmt: skip
            return "issuance:failed"
        try:
            masked = await self._api.key(issuance.customer_uid)
        except IamportError as error:
            raise Unreachable(f"reading key {issuance.customer_uid}: {error}") from error
        issued = await self._record(issuance.customer_uid, masked, "window",
                                    issuance=(issuance.merchant_uid, payment.imp_uid))  # fmt: skip
        for job_key in issued.job_keys:
            log.info("billing key %s replaced: job %s retries its charge", issuance.customer_uid,
                     job_key)  # fmt: skip
        return "issuance:issued"

    async def _record(
        self, customer_uid: str, masked: MaskedCard, via: str,
        *, issuance: tuple[str, str] | None = None,
    ) -> IssuedKey:  # fmt: skip
        async with self._db.transaction() as uow:
            now = self._clock.now()
            if issuance is not None and not await uow.billing.finish_issuance(
                issuance[0], "issued", issuance[1], None, now
            ):
                key = await uow.billing.key(customer_uid)
                assert key is not None
                return IssuedKey(key)  # recorded by a concurrent report
            key = await uow.billing.put_key(customer_uid, masked.columns(), via, now)
            jobs = await self._subscriptions.key_replaced(uow, customer_uid, now)
        return IssuedKey(key, tuple(jobs))

    async def _issuance(self, merchant_uid: str) -> IssuanceRecord | None:
        async with self._db.reading() as uow:
            return await uow.billing.issuance(merchant_uid)
