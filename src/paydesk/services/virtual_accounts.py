"""Virtual accounts, whole: issue by REST, send to the payer, delete, expire.

An account issued through the payment window reaches us as any payment does
(the Confirm Process holds the stock, the ``ready`` webhook is settled). This
desk adds what the window does not do:

- **Issue by REST** (``POST /vbanks``): the same decision as a confirm —
  the order must be payable and its stock free — taken through the confirm
  desk right after i'mport issued the account, so it holds stock exactly like
  a window payment. A refusal (the last unit went meanwhile) revokes the
  account at once. A lost answer is settled by looking the order up at i'mport
  (``find`` ``ready``), so a retry never issues a second account.
- **Notify**: every account the order follows is sent to its payer once
  (``vbank.notify`` job, enqueued by ``Settlement``) through a notifier.
- **Delete** (``DELETE /vbanks/{imp_uid}``): the account is revoked at
  i'mport; i'mport's answer (``failed``) is settled, which releases the hold.
- **Expire**: i'mport says nothing when a deadline passes. The sweep finds
  accounts still held past ``vbank_date`` plus the grace period and this desk
  ends them: revoked at i'mport when the policy says so (so no deposit can
  land later), else ended on our side only; either way the hold is released
  and the order may be paid again — by the next buyer, or by the same one
  with a card.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from ..core.clock import Clock
from ..core.confirm import ConfirmCall, Guards, Refusal, decide
from ..core.vbanks import EXPIRED_REASON, expired
from ..iamport import ApiError, IamportError, NotFound, Payment
from ..store import OrderRecord, UnitsOfWork
from ..store.ledger_records import PaymentRecord
from .confirm import ConfirmDesk
from .errors import ConfirmUnavailable, NotOnRecord, ServiceError, Unreachable
from .settlement import Settlement
from .vbank_notices import AccountNotifier, VbankNotice
from .vbank_port import VbankApi, VbankRequest

__all__ = [
    "ExpiryOutcome",
    "IssueAsk",
    "VbankPolicy",
    "VbankRefused",
    "VbankUnavailable",
    "VirtualAccounts",
]

log = logging.getLogger(__name__)


class VbankRefused(ServiceError):
    """The request cannot be done; ``rule`` names why (stable), ``status`` is the HTTP status."""

    def __init__(self, rule: str, message: str, *, status: int = 409) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.status = status


class VbankUnavailable(ServiceError):
    """i'mport could not be asked, or gave no answer we could settle: try again."""


class ExpiryOutcome(StrEnum):
    """What an expiry check did."""

    NOT_DUE = "not_due"  # still within its deadline plus the grace
    SETTLED = "settled"  # no longer awaiting a deposit (paid, failed, ...): applied as reported
    REVOKED = "revoked"  # revoked at i'mport; its answer released the hold
    EXPIRED = "expired"  # ended on our side only; the hold released


@dataclass(frozen=True)
class VbankPolicy:
    """The merchant's choices (from ``Settings``)."""

    due_after: timedelta = timedelta(days=3)  # the deadline when none is asked for
    max_due_after: timedelta = timedelta(days=30)
    grace: timedelta = timedelta(hours=1)
    revoke_on_expiry: bool = True
    holder: str | None = None  # the name shown as the account's holder
    pg: str | None = None  # the PG of REST issuance, unless the request names one
    channel_key: str | None = None
    notice_url: str | None = None
    sales_open: bool = True


@dataclass(frozen=True)
class IssueAsk:
    """A REST issuance for an order: the bank, and optionally the deadline and PG."""

    bank_code: str
    due: datetime | None = None
    pg: str | None = None


class VirtualAccounts:
    """Issues, notifies, deletes and expires virtual accounts."""

    def __init__(
        self,
        store: UnitsOfWork,
        clock: Clock,
        api: VbankApi,
        confirm: ConfirmDesk,
        settlement: Settlement,
        notifier: AccountNotifier,
        policy: VbankPolicy | None = None,
    ) -> None:
        self._db = store
        self._clock = clock
        self._api = api
        self._confirm = confirm
        self._settlement = settlement
        self._notifier = notifier
        self._policy = policy or VbankPolicy()

    # -- issue -------------------------------------------------------------------------
    def deadline(self, asked: datetime | None = None) -> datetime:
        """The deposit deadline of a new account: ``asked``, or the policy's default.

        The same for REST issuance and the payment window (``vbank_due`` of
        ``request_pay``). Raises ``VbankRefused`` (422) for a moment not in the
        next ``max_due_after``.
        """
        now = self._clock.now()
        due = asked or now + self._policy.due_after
        if not now < due <= now + self._policy.max_due_after:
            raise VbankRefused("due", "The deadline must lie in the next "
                               f"{self._policy.max_due_after.days} days.", status=422)  # fmt: skip
        return due

    async def issue(self, order_id: int, ask: IssueAsk) -> str:
        """Issue an account for order ``order_id`` and hold its stock; returns the imp_uid.

        Raises ``NotOnRecord``, ``VbankRefused`` (the order cannot be paid now,
        sold out, i'mport refused) and ``VbankUnavailable`` (i'mport could not
        be asked; nothing was issued, or what was is revoked or settled later).
        """
        record, refusal, following = await self._payable(order_id)
        if following is not None:  # asked again (a retry): the account the order holds for
            return following
        if refusal is not None:
            raise _refused(refusal)
        due = self.deadline(ask.due)
        payment = await self._issued(record, ask, due)
        call = ConfirmCall(payment.imp_uid, payment.merchant_uid, record.order.amount.major())
        try:
            decision = await self._confirm.confirm(call, {"imp_uid": payment.imp_uid,
                                                         "merchant_uid": payment.merchant_uid,
                                                         "source": "POST /vbanks"})  # fmt: skip
        except ConfirmUnavailable as trouble:
            await self._withdraw(payment)
            raise VbankUnavailable("no stock decision in time; try again") from trouble
        if decision.refusal is not None:
            await self._withdraw(payment)
            raise _refused(decision.refusal)
        await self._settlement.apply(payment)
        return payment.imp_uid

    async def _payable(self, order_id: int) -> tuple[OrderRecord, Refusal | None, str | None]:
        """The order, what a confirm would refuse right now (read without locks), and the
        unpaid account it already holds stock for, if any."""
        async with self._db.reading() as uow:
            merchant_uid = await uow.orders.merchant_uid_of(order_id)
            record = await uow.orders.get(merchant_uid) if merchant_uid else None
            if record is None:
                raise NotOnRecord(order_id)
            products = await uow.products.many(line.product_id for line in record.order.lines)
            order = record.order
            current = await uow.payments.get(order.imp_uid) if order.imp_uid else None
        if current is not None and order.holding and current.vbank and current.status == "ready":
            return record, None, current.imp_uid
        available = {p.id: p.stock.available for p in products}
        on_sale = {p.id: p.on_sale for p in products}
        call = ConfirmCall("-", record.order.merchant_uid)
        guards = Guards(sales_open=self._policy.sales_open)
        decision = decide(call, record.order, available, on_sale, guards, self._clock.now())
        return record, decision.refusal, None

    async def _issued(self, record: OrderRecord, ask: IssueAsk, due: datetime) -> Payment:
        """The account i'mport issued for the order: one already waiting, or a new one."""
        merchant_uid = record.order.merchant_uid
        earlier = await self._waiting(merchant_uid)
        if earlier is not None:
            return earlier
        buyer = record.buyer
        request = VbankRequest(
            merchant_uid=merchant_uid, amount=record.order.amount, bank_code=ask.bank_code,
            due=due, name=record.name, holder=self._policy.holder,
            buyer_name=buyer.get("name"), buyer_email=buyer.get("email"),
            buyer_tel=buyer.get("tel"), notice_url=self._policy.notice_url,
            pg=ask.pg or self._policy.pg or record.pg, channel_key=self._policy.channel_key,
        )  # fmt: skip
        try:
            return await self._api.issue(request)
        except ApiError as refused:
            raise VbankRefused("iamport_refused", f"i'mport refused: {refused.message}",
                               status=422) from refused  # fmt: skip
        except IamportError as lost:
            found = await self._waiting(merchant_uid)  # a lost answer: did it happen?
            if found is None:
                raise VbankUnavailable(f"i'mport did not answer: {type(lost).__name__}") from lost
            return found

    async def _waiting(self, merchant_uid: str) -> Payment | None:
        """The order's newest account awaiting its deposit at i'mport, if any."""
        try:
            found = await self._api.find_ready(merchant_uid)
        except NotFound:
            return None
        except IamportError as trouble:
            raise VbankUnavailable(f"i'mport could not be asked: {trouble}") from trouble
        return found if found.awaiting_deposit else None

    async def _withdraw(self, payment: Payment) -> None:
        """Revoke an account we will not hold stock for (best effort: logged if it fails)."""
        try:
            answer = await self._api.revoke(payment.imp_uid, payment.pg_provider)
        except IamportError as trouble:
            log.warning("vbank %s: issued but refused; revoking it failed: %s",
                        payment.imp_uid, type(trouble).__name__)  # fmt: skip
            return
        await self._settlement.apply(answer)

    # -- delete ------------------------------------------------------------------------
    async def revoke(self, imp_uid: str) -> PaymentRecord:
        """Delete an unpaid account at i'mport; its hold is released. The payment after.

        Raises ``NotOnRecord``, ``VbankRefused`` (not a virtual account, not
        awaiting its deposit any more, refused by the PG) and ``VbankUnavailable``.
        """
        record = await self._record(imp_uid)
        if record.pay_method != "vbank" or record.vbank is None:
            raise VbankRefused("not_vbank", f"{imp_uid} is not a virtual account.")
        try:
            answer = await self._api.revoke(imp_uid, record.pg_provider)
        except ApiError as refused:
            current = await self._refresh(imp_uid)
            if current.awaiting_deposit:
                raise VbankRefused("iamport_refused", f"i'mport refused: {refused.message}",
                                   status=422) from refused  # fmt: skip
            raise VbankRefused("not_awaiting_deposit",
                               f"{imp_uid} is {current.status}: only an unpaid account can be "
                               "deleted.") from refused  # fmt: skip
        except IamportError as lost:
            current = await self._refresh(imp_uid)
            if current.awaiting_deposit:
                raise VbankUnavailable(f"i'mport did not answer: {type(lost).__name__}") from lost
        else:
            await self._settlement.apply(answer)
        return await self._record(imp_uid)

    async def _refresh(self, imp_uid: str) -> Payment:
        try:
            payment = await self._api.fetch(imp_uid)
        except IamportError as trouble:
            raise VbankUnavailable(f"i'mport could not be asked: {trouble}") from trouble
        await self._settlement.apply(payment)
        return payment

    async def _record(self, imp_uid: str) -> PaymentRecord:
        async with self._db.reading() as uow:
            record = await uow.payments.get(imp_uid)
        if record is None:
            raise NotOnRecord(imp_uid)
        return record

    # -- expire (the job) ----------------------------------------------------------------
    async def expire(self, imp_uid: str) -> ExpiryOutcome:
        """End an unpaid account past its deadline plus the grace period.

        Raises ``Unreachable`` (the job backs off) when i'mport cannot be asked.
        """
        payment = await self._fetch(imp_uid)
        if not payment.awaiting_deposit:
            await self._settlement.apply(payment)
            return ExpiryOutcome.SETTLED
        if not expired(payment.vbank_date, self._clock.now(), self._policy.grace):
            await self._settlement.apply(payment)
            return ExpiryOutcome.NOT_DUE
        if self._policy.revoke_on_expiry:
            try:
                answer = await self._api.revoke(imp_uid, payment.pg_provider)
            except ApiError as refused:  # the PG offers no revocation, or it changed meanwhile
                log.info("vbank %s: not revoked at i'mport (%s); ended here",
                         imp_uid, refused.message)  # fmt: skip
                payment = await self._fetch(imp_uid)
                if not payment.awaiting_deposit:
                    await self._settlement.apply(payment)
                    return ExpiryOutcome.SETTLED
            except IamportError as trouble:
                raise Unreachable(f"revoking {imp_uid}: {type(trouble).__name__}") from trouble
            else:
                await self._settlement.apply(answer)
                log.info("vbank %s expired unpaid: revoked at i'mport", imp_uid)
                return ExpiryOutcome.REVOKED
        await self._settlement.apply(payment, expired=EXPIRED_REASON)
        log.info("vbank %s expired unpaid: hold released", imp_uid)
        return ExpiryOutcome.EXPIRED

    async def _fetch(self, imp_uid: str) -> Payment:
        try:
            return await self._api.fetch(imp_uid)
        except IamportError as trouble:
            raise Unreachable(f"cannot read {imp_uid}: {type(trouble).__name__}") from trouble

    # -- notify (the job) ----------------------------------------------------------------
    async def notify(self, imp_uid: str) -> bool:
        """Send account ``imp_uid`` to its payer; False when there is nothing to send.

        Nothing is sent for an account that is no longer awaiting its deposit
        (paid, deleted or expired before the job ran). A notifier's error
        propagates: the job tries again.
        """
        async with self._db.reading() as uow:
            payment = await uow.payments.get(imp_uid)
            merchant_uid = (
                await uow.orders.merchant_uid_of(payment.order_id)
                if payment is not None and payment.order_id is not None
                else None
            )
            order = await uow.orders.get(merchant_uid) if merchant_uid else None
        if payment is None or order is None or payment.vbank is None or payment.status != "ready":
            return False
        vbank = payment.vbank
        bank = await self.bank_name(vbank.bank_code) if vbank.bank_code else None
        notice = VbankNotice(
            imp_uid=imp_uid, merchant_uid=payment.merchant_uid, order_name=order.name,
            amount=payment.amount, bank_code=vbank.bank_code, bank_name=bank or vbank.bank_name,
            account=vbank.number, holder=vbank.holder, due=vbank.due,
            buyer_name=order.buyer.get("name"), buyer_email=order.buyer.get("email"),
        )  # fmt: skip
        await self._notifier.send(notice)
        return True

    # -- bank names ----------------------------------------------------------------------
    async def bank_name(self, code: str) -> str | None:
        """The bank's name from i'mport's code table (kept in process); None if unknown/unreachable."""
        try:
            return await self._api.bank_name(code)
        except IamportError as trouble:
            log.warning("bank code table unavailable: %s", type(trouble).__name__)
            return None

    async def bank_names(self, codes: Iterable[str | None]) -> dict[str, str]:
        """Names of the known ``codes`` (unknown or unreachable ones are left out)."""
        names: dict[str, str] = {}
        for code in {c for c in codes if c}:
            name = await self.bank_name(code)
            if name is not None:
                names[code] = name
        return names


def _refused(refusal: Refusal) -> VbankRefused:
    return VbankRefused(refusal.name.lower(), f"The order cannot be paid now: {refusal.value}.")
