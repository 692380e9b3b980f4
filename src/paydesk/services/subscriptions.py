"""Subscriptions: a plan charged every period with the customer's billing key.

How a period is charged (``advance``, the ``subscription.charge`` job, also run
by ``paydesk subscriptions charge-due``):

- A charge that is due *now* (the first period, a period whose end arrived on
  an ``again`` plan, a retry, a retry with a new card) is made with
  ``/subscribe/payments/again`` under a **fresh merchant_uid per attempt**. The
  attempt is committed (``sending``) before the call leaves, under the
  subscription's row lock, so two workers never charge one period at once.
- An attempt whose answer was lost (``unknown``; or ``sending`` after a crash)
  is **looked up by its merchant_uid before anything else** — once it is older
  than ``settle_after``, so a charge still in flight elsewhere is never taken
  for lost. Found: its outcome is applied. Not found: it never happened
  (``void``) and the next attempt gets a new merchant_uid. A period is never
  charged twice.
- On a ``schedule`` plan a charge due *later* (the next period, a dunning
  retry) is registered with i'mport's scheduler instead; its result arrives by
  webhook (``services.webhooks`` → ``Verifier``, which hands payments of our
  merchant_uids to ``apply_payment``) and, should that webhook be lost, the
  charge is looked up once ``schedule_grace`` has passed.

Every outcome goes through the state machine in ``core.subscriptions``; the
dunning schedule and ``past_due`` live there.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..core.clock import Clock
from ..core.subscriptions import (
    OPEN_CHARGES,
    AskForNewCard,
    CancelAtPeriodEnd,
    CancelNow,
    ChargeFailed,
    ChargePaid,
    ChargeState,
    Dunning,
    Effect,
    Fact,
    IllegalSubscriptionMove,
    KeyReplaced,
    PeriodEnded,
    StopScheduledCharges,
    Subscription,
    SubscriptionStatus,
    apply,
    due_action,
)
from ..iamport import ApiError, IamportError, NotFound, NotSent, OutcomeUnknown, Payment
from ..iamport import DuplicateMerchantUid as GatewayDuplicate
from ..store import Conflict, NewJob, UnitOfWork, UnitsOfWork
from ..store.billing import (
    ChargeRecord,
    KeyRecord,
    NewCharge,
    NewPlan,
    PlanRecord,
    SubscriptionRecord,
)
from .billing_port import BillingApi
from .errors import BillingRefused, NotOnRecord, TryLater, Unreachable
from .payment_reports import payment_columns, report_of

__all__ = [
    "SUBSCRIPTION_CHARGE",
    "SubscriptionPolicy",
    "SubscriptionView",
    "Subscriptions",
    "charge_job",
]

log = logging.getLogger(__name__)

#: Bring one subscription closer to its next state (charge, look up, schedule, end);
#: payload ``{"subscription_id"}``.
SUBSCRIPTION_CHARGE = "subscription.charge"


@dataclass(frozen=True)
class SubscriptionPolicy:
    """Knobs of the charge desk."""

    settle_after: timedelta = timedelta(minutes=2)  # an unanswered charge is looked up after
    schedule_grace: timedelta = timedelta(minutes=30)  # a scheduled charge's webhook may be late
    attempts: int = 30  # of one charge job
    every: timedelta = timedelta(minutes=5)  # the sweep's interval (job dedupe)


@dataclass(frozen=True)
class SubscriptionView:
    """A subscription with its charge history (oldest first)."""

    record: SubscriptionRecord
    charges: tuple[ChargeRecord, ...]


def charge_job(subscription_id: int, now: datetime, attempts: int, key: str) -> NewJob:
    """The job that advances subscription ``subscription_id``."""
    return NewJob(SUBSCRIPTION_CHARGE, {"subscription_id": subscription_id}, now,
                  dedupe_key=key, max_attempts=attempts)  # fmt: skip


def _random_uid(subscription_id: int, period: int, attempt: int) -> str:
    return f"sub{subscription_id}-p{period}-a{attempt}-{secrets.token_hex(4)}"[:40]


#: What every merchant_uid of ours begins with (``_random_uid``, the only maker of them).
_OURS = re.compile(r"sub[0-9]+-p")


class Subscriptions:
    """Plans, subscriptions, and charging them."""

    def __init__(
        self,
        database: UnitsOfWork,
        clock: Clock,
        api: BillingApi,
        *,
        notice_url: str | None,
        policy: SubscriptionPolicy | None = None,
        new_uid: Callable[[int, int, int], str] = _random_uid,
    ) -> None:
        self._db = database
        self._clock = clock
        self._api = api
        self._notice_url = notice_url
        self._policy = policy or SubscriptionPolicy()
        self._new_uid = new_uid

    # -- plans -------------------------------------------------------------------------
    async def add_plan(self, plan: NewPlan) -> PlanRecord:
        """Store a plan. Raises ``BillingRefused`` (``duplicate_plan``, ``bad_dunning``)."""
        try:
            Dunning.days(plan.dunning_days)
        except ValueError as exc:
            raise BillingRefused("bad_dunning", str(exc)) from exc
        try:
            async with self._db.transaction() as uow:
                return await uow.billing.add_plan(plan, self._clock.now())
        except Conflict as exc:
            raise BillingRefused("duplicate_plan", f"A plan with code {plan.code!r} exists.",
                                 status=409) from exc  # fmt: skip

    async def plans(self) -> list[PlanRecord]:
        async with self._db.reading() as uow:
            return await uow.billing.plans()

    async def plan(self, plan_id: int) -> PlanRecord:
        """One plan. Raises ``NotOnRecord``."""
        async with self._db.reading() as uow:
            found = await uow.billing.plan(plan_id)
        if found is None:
            raise NotOnRecord(f"plan {plan_id}")
        return found

    # -- subscriptions -----------------------------------------------------------------
    async def subscribe(self, plan_id: int, customer_uid: str) -> tuple[SubscriptionView, str]:
        """Start a subscription whose first charge is due at once.

        Returns it and the key of the job that charges it (the caller may run
        it at once). Raises ``NotOnRecord`` (no plan) and ``BillingRefused``
        (``no_billing_key``, ``plan_inactive``).
        """
        async with self._db.transaction() as uow:
            now = self._clock.now()
            plan = await uow.billing.plan(plan_id)
            if plan is None:
                raise NotOnRecord(f"plan {plan_id}")
            if not plan.active:
                raise BillingRefused("plan_inactive", f"Plan {plan.code} takes no subscribers.")
            key = await uow.billing.key(customer_uid)
            if key is None or not key.active:
                raise BillingRefused("no_billing_key",
                                     f"Customer {customer_uid} has no billing key.")  # fmt: skip
            start = Subscription.start(plan.interval, plan.dunning, now)
            subscription_id = await uow.billing.add_subscription(plan.id, customer_uid, start, now)
            job_key = await self._enqueue(uow, subscription_id, now, reason="start")
        return await self.view(subscription_id), job_key

    async def cancel(self, subscription_id: int, *, at_period_end: bool) -> SubscriptionView:
        """Cancel at once, or let the paid period run out. Raises ``NotOnRecord``."""
        async with self._db.transaction() as uow:
            now = self._clock.now()
            record = await self._locked(uow, subscription_id)
            fact: Fact = CancelAtPeriodEnd(now) if at_period_end else CancelNow(now)
            await self._transition(uow, record, [fact], now)
        return await self.view(subscription_id)

    async def view(self, subscription_id: int) -> SubscriptionView:
        """A subscription with its charges. Raises ``NotOnRecord``."""
        async with self._db.reading() as uow:
            record = await uow.billing.subscription(subscription_id)
            if record is None:
                raise NotOnRecord(f"subscription {subscription_id}")
            charges = await uow.billing.charges(subscription_id)
        return SubscriptionView(record, tuple(charges))

    async def listing(
        self, *, customer_uid: str | None = None, status: str | None = None, limit: int = 100,
        before_id: int | None = None,
    ) -> list[SubscriptionRecord]:  # fmt: skip
        """Subscriptions matching the filters, newest first (``before_id``: the next page)."""
        async with self._db.reading() as uow:
            return await uow.billing.subscriptions(
                customer_uid=customer_uid, status=status, limit=limit, before_id=before_id
            )

    async def last_charges(self, subscription_ids: Sequence[int]) -> dict[int, ChargeRecord]:
        """The newest charge attempt of each of these subscriptions (those with one)."""
        async with self._db.reading() as uow:
            return await uow.billing.last_charges(subscription_ids)

    async def key_replaced(self, uow: UnitOfWork, customer_uid: str, now: datetime) -> list[str]:
        """The customer's key points at a new card: retry what waits for one, at once.

        Runs inside the caller's transaction (the one that recorded the key);
        returns the keys of the jobs it enqueued.
        """
        keys = []
        for found in await uow.billing.subscriptions(customer_uid=customer_uid):
            if found.subscription.status == SubscriptionStatus.CANCELLED:
                continue
            record = await self._locked(uow, found.id)
            before = record.subscription
            after = await self._transition(uow, record, [KeyReplaced(now)], now)
            if after != before:
                keys.append(await self._enqueue(uow, record.id, now, reason="card"))
        return keys

    # -- the charge job ----------------------------------------------------------------
    async def advance(self, subscription_id: int) -> str:
        """Do what the subscription needs now; returns what was done.

        Raises ``TryLater`` while an outcome is pending (an answer lost, i'mport
        unreachable, a charge in flight elsewhere): the job backs off.
        """
        outcome = await self._settle_open_charge(subscription_id)
        if outcome is not None:
            return outcome
        async with self._db.transaction() as uow:
            now = self._clock.now()
            record = await self._locked(uow, subscription_id)
            if await _open_charge(uow, subscription_id) is not None:
                raise TryLater(f"subscription {subscription_id}: a charge is in flight")
            sub = record.subscription
            action = due_action(sub, now)
            if action == "end":
                await self._transition(uow, record, [PeriodEnded(now)], now)
                return "ended"
            if action == "wait":
                if not self._wants_schedule(record, now):
                    return "not due"
                charge = await self._new_charge(uow, record, ChargeState.SCHEDULED, now)
            else:
                charge = await self._new_charge(uow, record, ChargeState.SENDING, now)
        if charge.state == ChargeState.SCHEDULED:
            return await self._register_schedule(record, charge)
        return await self._charge_now(record, charge)

    async def charge_due(self) -> dict[str, int]:
        """Advance every subscription that is due now (``paydesk subscriptions charge-due``).

        Returns how many ended in each outcome (``pending`` for those that must
        wait, e.g. an answer was lost; the worker keeps at them).
        """
        async with self._db.reading() as uow:
            due = await uow.billing.due(self._clock.now())
            due += [c.subscription_id for c in await self._overdue_charges(uow)]
        results: dict[str, int] = {}
        for subscription_id in dict.fromkeys(due):
            try:
                outcome = await self.advance(subscription_id)
            except TryLater as later:
                log.info("subscription %d: not yet: %s", subscription_id, later)
                outcome = "pending"
            results[outcome] = results.get(outcome, 0) + 1
        return results

    async def sweep_jobs(self, uow: UnitOfWork, now: datetime) -> list[NewJob]:
        """The sweep's share: a job for every subscription due, or with a charge overdue.

        A subscription whose job is still queued or running gets no second one.
        """
        due = await uow.billing.due(now)
        due += [c.subscription_id for c in await self._overdue_charges(uow, now)]
        interval = int(now.timestamp() // self._policy.every.total_seconds())
        jobs = []
        for subscription_id in dict.fromkeys(due):
            if await uow.jobs.live(f"{SUBSCRIPTION_CHARGE}:{subscription_id}"):
                continue
            key = f"{SUBSCRIPTION_CHARGE}:{subscription_id}:sweep:{interval}"
            jobs.append(charge_job(subscription_id, now, self._policy.attempts, key))
        return jobs

    # -- payments reported for our charges (webhooks, completion, lookups) -------------
    async def owns(self, merchant_uid: str) -> bool:
        """Whether ``merchant_uid`` is one of our subscription charges (one we could not have
        made is not looked up: every paid order's webhook asks)."""
        if not _OURS.match(merchant_uid):
            return False
        async with self._db.reading() as uow:
            return await uow.billing.charge(merchant_uid) is not None

    async def apply_payment(self, payment: Payment) -> str:
        """Apply i'mport's ``payment`` to the charge it belongs to; returns what it meant.

        Idempotent: the same answer twice changes nothing. Raises ``NotOnRecord``
        when the merchant_uid is not one of our charges.
        """
        report = report_of(payment)
        async with self._db.transaction() as uow:
            now = self._clock.now()
            charge = await uow.billing.charge(payment.merchant_uid)
            if charge is None:
                raise NotOnRecord(f"charge {payment.merchant_uid}")
            record = await self._locked(uow, charge.subscription_id)
            charge = await uow.billing.charge(payment.merchant_uid)  # again, under the lock
            assert charge is not None
            await uow.payments.put(payment_columns(payment, report, now), None, now)
            return await self._apply_locked(uow, record, charge, payment, now)

    async def _apply_locked(
        self, uow: UnitOfWork, record: SubscriptionRecord, charge: ChargeRecord,
        payment: Payment, now: datetime,
    ) -> str:  # fmt: skip
        status = payment.status
        if status == "paid" or (status == "cancelled" and payment.paid_at is not None):
            if charge.state == ChargeState.PAID:
                if status == "cancelled":
                    await uow.billing.finish_charge(charge.id, ChargeState.CANCELLED, now)
                    return "charge:cancelled"
                return "charge:paid"
            period_paid = record.subscription.period >= charge.period
            await uow.billing.finish_charge(charge.id, ChargeState.PAID, now,
                                            imp_uid=payment.imp_uid)  # fmt: skip
            if period_paid:
                log.error("subscription %d: period %d paid again by %s (%s): refund it",
                          record.id, charge.period, payment.imp_uid, charge.merchant_uid)  # fmt: skip
                await self._note(uow, record, f"period {charge.period} paid twice", now)
                return "charge:paid-twice"
            paid_at = payment.paid_at or now
            await self._transition(uow, record, [ChargePaid(charge.period, paid_at)], now)
            await self._schedule_next(uow, record, now)
            if status == "cancelled":  # paid, then refunded before we heard of it
                await uow.billing.finish_charge(charge.id, ChargeState.CANCELLED, now)
                return "charge:cancelled"
            return "charge:paid"
        if status == "failed":
            if charge.state not in OPEN_CHARGES:
                return f"charge:{charge.state.value}"
            reason = payment.fail_reason or "declined"
            await uow.billing.finish_charge(charge.id, ChargeState.FAILED, now,
                                            imp_uid=payment.imp_uid, fail_reason=reason)  # fmt: skip
            await self._failed(uow, record, charge, reason, now)
            await self._schedule_next(uow, record, now)
            return "charge:failed"
        return f"charge:{status}"  # ready: nothing has ended yet

    async def _schedule_next(self, uow: UnitOfWork, record: SubscriptionRecord,
                             now: datetime) -> None:  # fmt: skip
        """A ``schedule`` plan registers its next charge (period or retry) at once."""
        if record.plan.billing == "schedule":
            await self._enqueue(uow, record.id, now, reason="next")

    # -- internals ---------------------------------------------------------------------
    async def _settle_open_charge(self, subscription_id: int) -> str | None:
        """Look up (or revoke) the subscription's open charge; None when there is none."""
        async with self._db.reading() as uow:
            record = await uow.billing.subscription(subscription_id)
            if record is None:
                raise NotOnRecord(f"subscription {subscription_id}")
            charge = await _open_charge(uow, subscription_id)
        if charge is None:
            return None
        now = self._clock.now()
        if charge.state == ChargeState.SCHEDULED:
            return await self._settle_scheduled(record, charge, now)
        if now - charge.created_at < self._policy.settle_after:
            raise TryLater(f"charge {charge.merchant_uid} may still be in flight")
        try:
            payment = await self._api.find(charge.merchant_uid)
        except NotFound:
            await self._void(charge, "not found at i'mport: it never happened")
            return None  # the next attempt gets a fresh merchant_uid
        except IamportError as error:
            raise Unreachable(f"looking up {charge.merchant_uid}: {error}") from error
        return await self.apply_payment(payment)

    async def _settle_scheduled(
        self, record: SubscriptionRecord, charge: ChargeRecord, now: datetime
    ) -> str | None:
        sub = record.subscription
        wanted = (
            sub.status == SubscriptionStatus.ACTIVE
            and not sub.cancel_at_period_end
            and sub.next_charge_at == charge.due_at
        )
        if not wanted:
            try:
                await self._api.unschedule(record.customer_uid, charge.merchant_uid)
            except NotFound:
                pass  # already ran, or revoked: the lookup below tells which
            except IamportError as error:
                raise Unreachable(f"revoking {charge.merchant_uid}: {error}") from error
        elif now < charge.due_at + self._policy.schedule_grace:
            return "scheduled"  # its webhook will tell
        try:
            payment = await self._api.find(charge.merchant_uid)
        except NotFound:
            payment = None
        except IamportError as error:
            raise Unreachable(f"looking up {charge.merchant_uid}: {error}") from error
        if payment is not None:
            return await self.apply_payment(payment)
        try:
            schedule_status, _ = await self._api.schedule_status(charge.merchant_uid)
        except NotFound:
            schedule_status = None
        except IamportError as error:
            raise Unreachable(f"looking up schedule {charge.merchant_uid}: {error}") from error
        if schedule_status == "scheduled":
            if wanted:
                raise TryLater(f"schedule {charge.merchant_uid} has not run yet")
            raise TryLater(f"schedule {charge.merchant_uid} is not revoked yet")
        await self._void(charge, f"schedule {schedule_status or 'missing'} without a payment")
        return None

    async def _register_schedule(self, record: SubscriptionRecord, charge: ChargeRecord) -> str:
        try:
            await self._api.schedule(
                record.customer_uid, charge.merchant_uid, charge.due_at, charge.amount,
                name=record.plan.name, notice_url=self._notice_url,
            )  # fmt: skip
        except GatewayDuplicate:
            pass  # our earlier registration went through
        except NotSent as error:
            await self._void(charge, "schedule not sent")
            raise Unreachable(f"scheduling {charge.merchant_uid}: {error}") from error
        except ApiError as refused:
            await self._void(charge, f"schedule refused: {refused}")
            await self._note_refusal(record.id, f"i'mport refused the schedule: {refused}")
            return "schedule-refused"
        except IamportError as error:
            # may be registered: the lookup after ``schedule_grace`` (or a revoke) settles it
            log.warning("schedule %s: no answer (%s)", charge.merchant_uid, error)
        return "scheduled"

    async def _charge_now(self, record: SubscriptionRecord, charge: ChargeRecord) -> str:
        key = await self._key(record.customer_uid)
        if key is None or not key.active:
            return await self._fail_unsent(record, charge, "no billing key: a new card is needed")
        try:
            payment = await self._api.charge(
                record.customer_uid, charge.merchant_uid, charge.amount,
                name=record.plan.name, notice_url=self._notice_url,
            )  # fmt: skip
        except NotSent as error:
            await self._void(charge, "not sent")
            raise Unreachable(f"charging {charge.merchant_uid}: {error}") from error
        except (OutcomeUnknown, ApiError) as error:
            if isinstance(error, ApiError) and not _is_lost(error):
                return await self._fail_unsent(record, charge, f"refused: {error}")
            await self._mark_unknown(charge, f"{type(error).__name__}: {error}")
            raise Unreachable(
                f"charge {charge.merchant_uid}: no answer; it is looked up before any retry"
            ) from error
        return await self.apply_payment(payment)

    async def _fail_unsent(self, record: SubscriptionRecord, charge: ChargeRecord,
                           reason: str) -> str:  # fmt: skip
        """i'mport refused to try (no key, bad request): a failed attempt, dunning goes on."""
        async with self._db.transaction() as uow:
            now = self._clock.now()
            locked = await self._locked(uow, record.id)
            await uow.billing.finish_charge(charge.id, ChargeState.FAILED, now, fail_reason=reason)
            await self._failed(uow, locked, charge, reason, now)
        return "charge:failed"

    async def _failed(self, uow: UnitOfWork, record: SubscriptionRecord, charge: ChargeRecord,
                      reason: str, now: datetime) -> None:  # fmt: skip
        await self._transition(uow, record, [ChargeFailed(charge.period, now, reason)], now)
        await self._note(uow, record, reason, now)

    async def _transition(
        self, uow: UnitOfWork, record: SubscriptionRecord, facts: Sequence[Fact], now: datetime
    ) -> Subscription:
        sub = record.subscription
        effects: list[Effect] = []
        for fact in facts:
            try:
                moved = apply(sub, fact)
            except IllegalSubscriptionMove as refused:
                log.warning("subscription %d: %s ignored (%s)", record.id, fact, refused)
                continue
            sub = moved.subscription
            effects.extend(moved.effects)
        await uow.billing.save_subscription(record.id, sub, now)
        for effect in effects:
            match effect:
                case AskForNewCard():
                    log.warning("subscription %d is past due: every retry failed (%s); "
                                "the customer must replace the billing key", record.id,
                                effect.reason)  # fmt: skip
                case StopScheduledCharges():
                    if record.plan.billing == "schedule":
                        await self._enqueue(uow, record.id, now, reason="stop")
        return sub

    async def _new_charge(
        self, uow: UnitOfWork, record: SubscriptionRecord, state: ChargeState, now: datetime
    ) -> ChargeRecord:
        sub = record.subscription
        period = sub.period + 1
        attempt = 1 + sum(1 for c in await uow.billing.charges(record.id) if c.period == period)
        due_at = now if state == ChargeState.SENDING else (sub.next_charge_at or now)
        new = NewCharge(
            subscription_id=record.id, period=period, attempt=attempt,
            merchant_uid=self._new_uid(record.id, period, attempt), amount=record.plan.price,
            via="again" if state == ChargeState.SENDING else "schedule", state=state,
            due_at=due_at,
        )  # fmt: skip
        return await uow.billing.add_charge(new, now)

    def _wants_schedule(self, record: SubscriptionRecord, now: datetime) -> bool:
        """A ``schedule`` plan registers its next charge ahead, while nothing is registered."""
        sub = record.subscription
        return (
            record.plan.billing == "schedule"
            and sub.status == SubscriptionStatus.ACTIVE
            and not sub.cancel_at_period_end
            and sub.next_charge_at is not None
            and sub.next_charge_at > now
        )

    async def _overdue_charges(
        self, uow: UnitOfWork, now: datetime | None = None
    ) -> list[ChargeRecord]:
        now = now or self._clock.now()
        found = await uow.billing.open_charges(now - self._policy.settle_after)
        return [
            c
            for c in found
            if c.state != ChargeState.SCHEDULED or c.due_at + self._policy.schedule_grace <= now
        ]

    async def _enqueue(self, uow: UnitOfWork, subscription_id: int, now: datetime, *,
                       reason: str) -> str:  # fmt: skip
        key = f"{SUBSCRIPTION_CHARGE}:{subscription_id}:{reason}:{int(now.timestamp() * 1000)}"
        await uow.jobs.enqueue([charge_job(subscription_id, now, self._policy.attempts, key)], now)
        return key

    async def _locked(self, uow: UnitOfWork, subscription_id: int) -> SubscriptionRecord:
        record = await uow.billing.subscription(subscription_id, lock=True)
        if record is None:
            raise NotOnRecord(f"subscription {subscription_id}")
        return record

    async def _key(self, customer_uid: str) -> KeyRecord | None:
        async with self._db.reading() as uow:
            return await uow.billing.key(customer_uid)

    async def _void(self, charge: ChargeRecord, reason: str) -> None:
        async with self._db.transaction() as uow:
            now = self._clock.now()
            await self._locked(uow, charge.subscription_id)
            current = await uow.billing.charge(charge.merchant_uid)
            if current is None or current.state not in OPEN_CHARGES:
                return  # settled meanwhile (a webhook won the race)
            await uow.billing.finish_charge(charge.id, ChargeState.VOID, now, fail_reason=reason)

    async def _mark_unknown(self, charge: ChargeRecord, error: str) -> None:
        async with self._db.transaction() as uow:
            now = self._clock.now()
            await self._locked(uow, charge.subscription_id)
            current = await uow.billing.charge(charge.merchant_uid)
            if current is None or current.state != ChargeState.SENDING:
                return  # a webhook told us meanwhile
            await uow.billing.finish_charge(charge.id, ChargeState.UNKNOWN, now, fail_reason=error)

    async def _note(self, uow: UnitOfWork, record: SubscriptionRecord, error: str,
                    now: datetime) -> None:  # fmt: skip
        current = await uow.billing.subscription(record.id)
        assert current is not None
        await uow.billing.save_subscription(record.id, current.subscription, now,
                                            last_error=error[:500])  # fmt: skip

    async def _note_refusal(self, subscription_id: int, error: str) -> None:
        async with self._db.transaction() as uow:
            record = await self._locked(uow, subscription_id)
            await self._note(uow, record, error, self._clock.now())


async def _open_charge(uow: UnitOfWork, subscription_id: int) -> ChargeRecord | None:
    return next((c for c in await uow.billing.charges(subscription_id) if c.open), None)


def _is_lost(error: ApiError) -> bool:
    """An i'mport answer that says nothing about the charge (a 5xx): it may have happened."""
    return error.http_status >= 500 and error.http_status != 501
