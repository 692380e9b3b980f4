"""Refunds that can never refund twice: asked for by the merchant, or owed by us.

i'mport V1 has no idempotency key, so the rules of ``core.refund_lifecycle``
are kept by the order of our writes:

1. **Ask** (``ask``, the API): under the order's lock, the amount is checked
   against the *local* refundable balance — paid, minus refunded, minus every
   refund of ours still open — and the PG's rules (``core.pg_rules``); the
   refund is recorded ``requested`` with its job in the same transaction.
   Concurrent asks therefore never reserve more than was paid.
2. **Send** (``run``, the job): under the order's lock, and only when no other
   cancel of the payment is in flight, the refund becomes ``sending`` and an
   attempt is recorded (checksum = the balance i'mport must still have) —
   committed *before* the cancel leaves.
3. **Answer**: the cancel's answer is classified (``refund_outcomes``) and
   recorded on the attempt; a success is booked by ``Settlement`` like any
   report (the new cancellation settles the refund in flight).
4. **No answer**: the refund is ``unknown`` and the next run re-reads the
   payment first; only a refund provably absent from the cancel history is
   sent again, with a fresh checksum.

Every state write is conditional on the state it came from, so two
overlapping runs of one refund cannot turn a success into a failure.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from ..core.clock import Clock
from ..core.money import Money
from ..core.orders import OrderStatus
from ..core.pg_rules import RefundCase, RuleRefusal, refund_refusal
from ..core.refund_lifecycle import (
    IN_FLIGHT,
    OPEN,
    WAITING,
    Classification,
    RefundState,
    after_attempt,
)
from ..core.taxes import VAT_PGS, RefundTaxes, refund_taxes
from ..iamport import IamportError, NotFound, Payment
from ..store import OrderRecord, UnitOfWork, UnitsOfWork
from ..store.ledger_records import AttemptRecord, PaymentRecord, RefundAccount, RefundRecord
from ..store.refund_book import NewRefund, account_values, tel_values
from .errors import NotOnRecord, RefundPending, RefundRefused, TryLater
from .iamport_port import PaymentsApi, RefundParts
from .job_kinds import RUN_REFUND, refund_job
from .refund_outcomes import BOOKS_DIFFER, classify
from .settlement import Settlement

__all__ = ["RefundAsk", "RefundPolicy", "RefundView", "Refunds"]

log = logging.getLogger(__name__)
REASON_PREFIX = "paydesk auto refund: "
_KEPT = (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED)


@dataclass(frozen=True)
class RefundPolicy:
    """How hard the job tries before the refund lands in the dead-letter list."""

    attempts: int = 20


@dataclass(frozen=True)
class RefundAsk:
    """A merchant's refund request; ``amount`` None = everything left.

    ``tel`` is the holder's phone (``refund_tel``) where the PG needs it without a refund
    account (old smartro's card cancels); with an account it may also come as its ``tel``.
    """

    reason: str
    amount: Money | None = None
    tax_free: Money | None = None
    vat_amount: Money | None = None
    account: RefundAccount | None = None
    requested_by: str | None = None
    tel: str | None = field(default=None, repr=False)

    @property
    def refund_tel(self) -> str | None:
        """The phone to send: given on its own, else the account's."""
        return self.tel or (self.account.tel if self.account else None)


@dataclass(frozen=True)
class RefundView:
    """A refund with every cancel sent for it."""

    refund: RefundRecord
    attempts: list[AttemptRecord]
    job_key: str | None = None  # the job just queued for it, to run at once if one may


class Refunds:
    """Asks for, sends, reconciles and lists refunds."""

    def __init__(
        self,
        store: UnitsOfWork,
        clock: Clock,
        api: PaymentsApi,
        settlement: Settlement,
        policy: RefundPolicy | None = None,
    ) -> None:
        self._db = store
        self._clock = clock
        self._api = api
        self._settlement = settlement
        self._policy = policy or RefundPolicy()

    # -- asking --------------------------------------------------------------------
    async def ask(self, order_id: int, ask: RefundAsk) -> RefundView:
        """Record a refund of order ``order_id`` and queue it; the refund as recorded.

        Raises ``NotOnRecord`` (no such order) and ``RefundRefused`` (nothing to
        refund, over the balance, a PG rule, a refund account whose holder does
        not match); nothing is recorded then.
        """
        if ask.requested_by is not None:
            earlier = await self._asked(order_id, ask.requested_by)
            if earlier is not None:  # the same request again (an idempotency take-over)
                return earlier
        if ask.account is not None:
            await self._check_holder(ask.account)
        async with self._db.transaction() as uow:
            now = self._clock.now()
            record = await _order(uow, order_id, lock=True)
            order = record.order
            if order.status not in _KEPT or order.imp_uid is None:
                raise RefundRefused("not_refundable", f"Order {order_id} is {order.status}: "
                                    "only a paid order can be refunded.", status=409)  # fmt: skip
            payment = await uow.payments.get(order.imp_uid)
            if payment is None:
                raise RefundRefused("not_refundable", "The payment is not on record.", status=409)
            ours = await uow.refunds.of_payment(order.imp_uid)
            reserved = _sum((r.amount for r in ours if r.state in _OPEN), order.paid.currency)
            balance = order.paid - order.refunded - reserved
            amount = ask.amount or balance
            parts = refund_taxes(_taxes(record, payment, ours), amount, balance, ask.tax_free,
                                 ask.vat_amount)  # fmt: skip
            if isinstance(parts, RuleRefusal):
                raise _refused(parts, now)
            refusal = refund_refusal(_case(payment, amount, balance, ask.reason, now,
                                           ask.account, ask.refund_tel, parts.tax_free,
                                           parts.vat_amount))  # fmt: skip
            if refusal is not None:
                raise _refused(refusal, now)
            new = NewRefund(record.id, order.imp_uid, amount, ask.reason, "merchant",
                            parts.tax_free, parts.vat_amount, ask.account,
                            ask.requested_by, ask.refund_tel)  # fmt: skip
            refund_id = await uow.refunds.add(new, now)
            job = refund_job(refund_id, now, self._policy.attempts)
            await uow.jobs.enqueue([job], now)
            refund = await uow.refunds.get(refund_id)
        assert refund is not None
        return RefundView(refund, [], job.dedupe_key)

    async def _asked(self, order_id: int, requested_by: str) -> RefundView | None:
        for view in await self.of_order(order_id):
            if view.refund.requested_by == requested_by:
                return view
        return None

    async def supply_account(
        self, refund_id: int, account: RefundAccount, *, order_id: int | None = None
    ) -> RefundView:
        """Give a refund waiting for a refund account its account, and queue it again.

        An account without a phone keeps a phone given before. Raises ``NotOnRecord``,
        and ``RefundRefused`` when the refund is not waiting for an account or the holder
        does not match the account.
        """
        await self._check_holder(account)
        values = account_values(account)
        if account.tel is None:
            del values["refund_tel"]
        return await self._supply(refund_id, order_id, RefundState.NEEDS_REFUND_ACCOUNT,
                                  "account", values)  # fmt: skip

    async def supply_tel(
        self, refund_id: int, tel: str, *, order_id: int | None = None
    ) -> RefundView:
        """Give a refund waiting for the holder's phone (``needs_refund_tel``) the phone, and
        queue it again: old smartro's card cancel needs ``refund_tel`` and no account.

        Raises ``NotOnRecord``, and ``RefundRefused`` when the refund is not waiting for a
        phone (one waiting for a whole account gets it with the account).
        """
        return await self._supply(refund_id, order_id, RefundState.NEEDS_REFUND_TEL, "tel",
                                  tel_values(tel))  # fmt: skip

    async def _supply(
        self,
        refund_id: int,
        order_id: int | None,
        waiting: RefundState,
        what: str,
        values: dict[str, Any],
    ) -> RefundView:
        """Move a refund from ``waiting`` back to ``requested`` with ``values``; queue it."""
        async with self._db.transaction() as uow:
            now = self._clock.now()
            refund = await uow.refunds.get(refund_id)
            if refund is None or (order_id is not None and refund.order_id != order_id):
                raise NotOnRecord(refund_id)
            moved = await uow.refunds.move(refund_id, [waiting], RefundState.REQUESTED, now,
                                           last_error=None, **values)  # fmt: skip
            if not moved:
                wanted = "a refund account" if what == "account" else "the holder's phone"
                raise RefundRefused("not_waiting", f"Refund {refund_id} is {refund.state}, "
                                    f"not waiting for {wanted}.", status=409)  # fmt: skip
            key = f"{RUN_REFUND}:{refund_id}:{what}:{now.timestamp():.0f}"
            await uow.jobs.enqueue([refund_job(refund_id, now, self._policy.attempts, key=key)],
                                   now)  # fmt: skip
        view = await self.view(refund_id)
        return RefundView(view.refund, view.attempts, key)

    async def view(self, refund_id: int) -> RefundView:
        """One refund with its attempts. Raises ``NotOnRecord``."""
        async with self._db.reading() as uow:
            refund = await uow.refunds.get(refund_id)
            if refund is None:
                raise NotOnRecord(refund_id)
            return RefundView(refund, await uow.refunds.attempts_of(refund))

    async def of_order(self, order_id: int) -> list[RefundView]:
        """Every refund of order ``order_id`` with its attempts. Raises ``NotOnRecord``."""
        async with self._db.reading() as uow:
            await _order(uow, order_id)
            refunds = await uow.refunds.of_order(order_id)
            return [RefundView(r, await uow.refunds.attempts_of(r)) for r in refunds]

    # -- running (the job) -----------------------------------------------------------
    async def run(self, refund_id: int) -> str:
        """Bring refund ``refund_id`` one step closer to an outcome; its state afterwards.

        Raises ``RefundPending`` when it must be tried again later (no answer,
        i'mport unreachable, another cancel of the payment in flight, a
        temporary refusal): the job backs off.
        """
        refund = (await self.view(refund_id)).refund
        if refund.state in (RefundState.SENDING, RefundState.UNKNOWN):
            refund = await self._reconcile(refund)
        if refund.state != RefundState.REQUESTED:
            return refund.state  # succeeded, failed, or waiting for input
        return await self._send(refund_id)

    async def _reconcile(self, refund: RefundRecord) -> RefundRecord:
        """Re-read the payment and book its history; a refund absent from it may be sent again."""
        await self._refresh(refund.imp_uid)
        async with self._db.transaction() as uow:
            now = self._clock.now()
            moved = await uow.refunds.move(
                refund.id, IN_FLIGHT, RefundState.REQUESTED, now,
                last_error="not in i'mport's cancel history: to be sent again",
            )  # fmt: skip
            if moved:
                log.warning("refund %d: not found at i'mport; it will be sent again", refund.id)
            found = await uow.refunds.get(refund.id)
        assert found is not None
        return found

    async def _refresh(self, imp_uid: str) -> Payment:
        try:
            payment = await self._api.fetch(imp_uid)
        except IamportError as trouble:
            raise RefundPending(f"cannot re-read {imp_uid}: {trouble}") from trouble
        await self._settlement.apply(payment)
        return payment

    async def _send(self, refund_id: int) -> str:
        prepared = await self._prepare(refund_id)
        if isinstance(prepared, str):
            return prepared
        refund, amount, checksum, attempt_id = prepared
        reason = refund.reason if refund.origin != "auto" else REASON_PREFIX + refund.reason
        parts = RefundParts(refund.tax_free, refund.vat_amount, refund.account, refund.tel)
        try:
            answer = await self._api.refund(refund.imp_uid, amount=amount, checksum=checksum,
                                            reason=reason, parts=parts)  # fmt: skip
        except IamportError as error:
            return await self._refused(refund, attempt_id, error)
        await self._finish(attempt_id, Classification.SUCCEEDED, response=_summary(answer))
        await self._settlement.apply(answer)
        settled = (await self.view(refund.id)).refund
        if settled.state in IN_FLIGHT:  # i'mport's entry did not match ours: look again
            raise RefundPending("the cancellation was not matched to this refund")
        return settled.state

    async def _prepare(self, refund_id: int) -> tuple[RefundRecord, Money, Money, int] | str:
        """Under the order's lock: the refund ``sending`` with its attempt, or its state."""
        async with self._db.transaction() as uow:
            now = self._clock.now()
            refund = await uow.refunds.get(refund_id)
            if refund is None:
                raise NotOnRecord(refund_id)
            record = None
            if refund.order_id is not None:
                record = await _order(uow, refund.order_id, lock=True)
            refund = await uow.refunds.get(refund_id)
            assert refund is not None
            if refund.state != RefundState.REQUESTED:
                return refund.state
            others = await uow.refunds.of_payment(refund.imp_uid)
            if any(r.id != refund.id and r.state in _IN_FLIGHT for r in others):
                raise RefundPending(f"another cancel of {refund.imp_uid} is in flight")
            payment = await uow.payments.get(refund.imp_uid)
            if payment is None:
                raise RefundPending(f"payment {refund.imp_uid} is not on record yet")
            balance = payment.balance
            amount = refund.amount if refund.origin == "merchant" else min(refund.amount, balance)
            if not balance.is_positive():
                return await self._end(uow, refund, RefundState.FAILED, "nothing left to refund")
            cancels = payment.cancellations
            if record is not None and refund.origin == "auto" and refund.tax_free is None:
                refund = await _auto_taxes(uow, refund, record, payment, amount, balance)
            refusal = refund_refusal(_case(payment, amount, balance, refund.reason, now,
                                           refund.account, refund.tel, refund.tax_free,
                                           refund.vat_amount, cancels))  # fmt: skip
            if refusal is not None:
                if refusal.later:
                    raise RefundPending(refusal.message, retry_after=_wait(refusal, now))
                state = _waiting_for(refusal.rule) if refusal.needs_input else RefundState.FAILED
                return await self._end(uow, refund, state, f"{refusal.rule}: {refusal.message}")
            moved = await uow.refunds.move(refund_id, [RefundState.REQUESTED],
                                           RefundState.SENDING, now, checksum=balance.amount,
                                           amount=amount.amount, last_error=None)  # fmt: skip
            if not moved:
                return refund.state
            request = _request(refund, amount, balance)
            attempt_id = await uow.refunds.start_attempt(refund, amount, balance, request, now)
        return refund, amount, balance, attempt_id

    async def _refused(self, refund: RefundRecord, attempt_id: int, error: IamportError) -> str:
        classification = classify(error)
        await self._finish(attempt_id, classification, error=f"{type(error).__name__}: {error}")
        if isinstance(error, BOOKS_DIFFER):
            await self._refresh(refund.imp_uid)  # may settle it (a cancel we had not heard of)
        after = after_attempt(classification)
        if after in WAITING:
            after = _waiting_for(_missing(str(error)))
        async with self._db.transaction() as uow:
            moved = await uow.refunds.move(refund.id, [RefundState.SENDING], after,
                                           self._clock.now(), last_error=str(error))  # fmt: skip
            state = (await uow.refunds.get(refund.id) or refund).state
        if not moved:
            return state
        log.warning("refund %d: %s (%s)", refund.id, classification.value, type(error).__name__)
        if after in (RefundState.UNKNOWN, RefundState.REQUESTED):
            # books that differed were re-read above: send again with the fresh balance
            pause = None if isinstance(error, BOOKS_DIFFER) else _PAUSE.get(classification)
            raise RefundPending(f"{classification.value}: {error}", retry_after=pause) from error
        return state

    async def _finish(
        self,
        attempt_id: int,
        classification: Classification,
        *,
        response: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        async with self._db.transaction() as uow:
            await uow.refunds.finish_attempt(attempt_id, classification.value, self._clock.now(),
                                             response=response, error=error)  # fmt: skip

    async def _end(
        self, uow: UnitOfWork, refund: RefundRecord, state: RefundState, why: str
    ) -> str:
        moved = await uow.refunds.move(refund.id, [RefundState.REQUESTED], state,
                                       self._clock.now(), last_error=why)  # fmt: skip
        if moved:
            log.warning("refund %d: %s (%s)", refund.id, state.value, why)
        return state.value if moved else refund.state

    async def _check_holder(self, account: RefundAccount) -> None:
        """The account's holder, as the bank has it, must be the one given (§2.8)."""
        try:
            holder = await self._api.account_holder(account.bank, account.account)
        except NotFound as unknown:
            raise RefundRefused("refund_account", "No such bank account.") from unknown
        except IamportError as trouble:
            raise TryLater(f"the account holder could not be checked: {trouble}") from trouble
        if holder.strip() != account.holder.strip():
            raise RefundRefused("refund_holder", "The holder does not match the account.")


_OPEN = tuple(OPEN)
_IN_FLIGHT = tuple(IN_FLIGHT)
#: The least wait before a refund is sent again, per the class of its last answer; the
#: job's exponential backoff (with jitter) applies beyond it. A PG's temporary refusal
#: is not asked again within seconds; a cancel that was not sent, or whose answer was
#: lost (re-read first), is.
_PAUSE: dict[Classification, timedelta] = {
    Classification.REJECTED_RETRYABLE: timedelta(minutes=1),
}


async def _order(uow: UnitOfWork, order_id: int, *, lock: bool = False) -> OrderRecord:
    merchant_uid = await uow.orders.merchant_uid_of(order_id)
    record = await uow.orders.get(merchant_uid, lock=lock) if merchant_uid else None
    if record is None:
        raise NotOnRecord(order_id)
    return record


def _taxes(record: OrderRecord, payment: PaymentRecord, refunds: list[RefundRecord]) -> RefundTaxes:
    """What the order was paid with, and what its other refunds (not failed) took of it."""
    currency = record.order.amount.currency
    zero = Money.zero(currency)
    taken = [r for r in refunds if r.state != RefundState.FAILED]
    return RefundTaxes(
        tax_free=record.tax_free or zero, vat=record.vat_amount,
        refunded_tax_free=_sum((r.tax_free for r in taken if r.tax_free), currency),
        refunded_vat=_sum((r.vat_amount for r in taken if r.vat_amount), currency),
        vat_accepted=(payment.pg_provider or "") in VAT_PGS,
    )  # fmt: skip


async def _auto_taxes(
    uow: UnitOfWork,
    refund: RefundRecord,
    record: OrderRecord,
    payment: PaymentRecord,
    amount: Money,
    balance: Money,
) -> RefundRecord:
    """A refund we owe on an order with tax parts: its parts by ``core.taxes``, at each send."""
    if record.tax_free is None and record.vat_amount is None:
        return refund
    others = [r for r in await uow.refunds.of_payment(refund.imp_uid) if r.id != refund.id]
    parts = refund_taxes(_taxes(record, payment, others), amount, balance, None, None)
    if isinstance(parts, RuleRefusal):  # cannot happen for the whole balance; send as is
        return refund
    return replace(refund, tax_free=parts.tax_free, vat_amount=parts.vat_amount)


def _case(
    payment: PaymentRecord,
    amount: Money,
    balance: Money,
    reason: str,
    now: datetime,
    account: RefundAccount | None,
    tel: str | None,
    tax_free: Money | None,
    vat_amount: Money | None,
    cancels: int | None = None,
) -> RefundCase:
    return RefundCase(
        pg=payment.pg_provider, pay_method=payment.pay_method, paid_at=payment.paid_at,
        amount=amount, balance=balance,
        cancels_so_far=payment.cancellations if cancels is None else cancels,
        reason=reason, now=now, has_refund_account=account is not None,
        has_refund_tel=bool(tel), tax_free=tax_free, vat_amount=vat_amount,
    )  # fmt: skip


def _waiting_for(rule: str) -> RefundState:
    """The state of a refund waiting for what ``rule`` misses: only the phone, or an account."""
    return (
        RefundState.NEEDS_REFUND_TEL if rule == "refund_tel" else RefundState.NEEDS_REFUND_ACCOUNT
    )


def _missing(message: str) -> str:
    """What i'mport's refusal asks for: the phone alone when it names no account field."""
    if "refund_tel" in message and not any(f in message for f in _ACCOUNT_FIELDS):
        return "refund_tel"
    return "refund_account"


_ACCOUNT_FIELDS = ("refund_holder", "refund_bank", "refund_account")


def _refused(refusal: RuleRefusal, now: datetime) -> RefundRefused:
    status = 409 if refusal.later else 422
    retry = _wait(refusal, now) if refusal.later else None
    return RefundRefused(refusal.rule, refusal.message, status=status, retry_after=retry)


def _wait(refusal: RuleRefusal, now: datetime) -> timedelta:
    """How long a rule that holds only for now (quiet hours) still holds."""
    if refusal.until is None:
        return timedelta(minutes=30)
    return max(refusal.until - now, timedelta(seconds=1))


def _sum(amounts: Any, currency: str) -> Money:
    total = Money.zero(currency)
    for amount in amounts:
        total += amount
    return total


def _request(refund: RefundRecord, amount: Money, checksum: Money) -> dict[str, Any]:
    """The cancel as sent, for the attempt log: the refund account and phone masked."""
    request: dict[str, Any] = {"imp_uid": refund.imp_uid, "amount": amount.amount,
                               "checksum": checksum.amount, "reason": refund.reason}  # fmt: skip
    if refund.tax_free:
        request["tax_free"] = refund.tax_free.amount
    if refund.vat_amount:
        request["vat_amount"] = refund.vat_amount.amount
    if refund.account:
        request["refund_bank"] = refund.account.bank
        request["refund_account"] = "***" + refund.account.account[-3:]
    if refund.tel:
        request["refund_tel"] = _mask_tel(refund.tel)
    return request


def _mask_tel(tel: str) -> str:
    """The holder's phone as the attempt log and the console show it: its last two digits."""
    return "***" + tel.replace("-", "")[-2:]


def _summary(payment: Payment) -> dict[str, Any]:
    """What the attempt log keeps of a cancel's answer (no buyer data)."""
    return {
        "imp_uid": payment.imp_uid,
        "status": payment.status,
        "cancel_amount": str(payment.cancel_amount),
        "cancellations": [c.cancellation_id for c in payment.cancel_history],
    }
