"""The periodic sweep: ask i'mport about payments we are still waiting to hear about.

i'mport sends no webhook when a payment fails, and a browser may never come
back, so stock held for a payment would wait forever on webhooks alone. The
sweep enqueues a hold check for every hold older than ``check_after`` and a
re-verification for every order left unverified. It never releases anything
itself: only an answer from i'mport ends a hold (a ``ready`` vbank stays held) —
or the merchant's own decision that an unpaid virtual account has expired: for
each one past its deadline plus ``vbank_grace`` the sweep enqueues a
``vbank.expire`` job (``services.virtual_accounts``).

Each payment is checked at most once per ``every`` interval: the jobs' dedupe
keys carry the interval number, so several workers sweeping at once enqueue
each check once. The same way, once per ``reconcile_every`` interval it
enqueues one reconciliation sweep (``services.reconciliation``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from ..core.clock import Clock
from ..core.refund_lifecycle import WAITING
from ..store import NewJob, UnitOfWork, UnitsOfWork
from ..store.sweeps import Awaited
from .job_kinds import (
    HOLD_CHECK,
    RECONCILE_SWEEP,
    REVERIFY_PAYMENT,
    RUN_REFUND,
    VBANK_EXPIRE,
    refund_job,
    vbank_expire_job,
)

__all__ = ["HoldSweep", "SweepPart", "SweepPolicy"]


class SweepPart(Protocol):
    """More work the sweep enqueues in its transaction (e.g. subscriptions' due charges)."""

    async def sweep_jobs(self, uow: UnitOfWork, now: datetime) -> list[NewJob]: ...


@dataclass(frozen=True)
class SweepPolicy:
    """How old a hold must be before it is checked, and how often it is re-checked."""

    check_after: timedelta = timedelta(minutes=2)
    every: timedelta = timedelta(minutes=5)
    attempts: int = 10
    #: How long past its deadline an unpaid virtual account keeps its hold.
    vbank_grace: timedelta = timedelta(hours=1)
    #: How often a reconciliation sweep is enqueued (None: never).
    reconcile_every: timedelta | None = None
    reconcile_attempts: int = 3


class HoldSweep:
    """Enqueues checks for holds and unverified orders."""

    def __init__(
        self,
        database: UnitsOfWork,
        clock: Clock,
        policy: SweepPolicy | None = None,
        parts: Sequence[SweepPart] = (),
    ) -> None:
        self._db = database
        self._clock = clock
        self._policy = policy or SweepPolicy()
        self._parts = tuple(parts)

    async def sweep(self) -> int:
        """Enqueue this interval's checks; returns how many payments were found waiting.

        Raises the database's error if the sweep could not run (the worker
        logs it and sweeps again next time).
        """
        now = self._clock.now()
        async with self._db.transaction() as uow:
            holds = await uow.sweeps.stale_holds(now - self._policy.check_after)
            unverified = await uow.sweeps.unverified_orders()
            jobs = [self._job(HOLD_CHECK, waiting, now) for waiting in holds]
            jobs += [self._job(REVERIFY_PAYMENT, waiting, now) for waiting in unverified]
            jobs += await self._orphaned_refunds(uow, now)
            jobs += await self._expired_vbanks(uow, now)
            jobs += self._reconciliation(now)
            for part in self._parts:
                jobs += await part.sweep_jobs(uow, now)
            await uow.jobs.enqueue(jobs, now)
        return len(jobs)

    async def _orphaned_refunds(self, uow: UnitOfWork, now: datetime) -> list[NewJob]:
        """A job for every open refund that has none left (its job died, or was lost).

        A refund is never abandoned: after its job ran out of attempts (and is
        listed with the dead jobs), the sweep gives it a new one each interval.
        A refund waiting for the merchant's input has nothing to run.
        """
        interval = int(now.timestamp() // self._policy.every.total_seconds())
        jobs = []
        for refund in await uow.refunds.open_ones():
            if refund.state in WAITING:
                continue
            if await uow.jobs.live(f"{RUN_REFUND}:{refund.id}"):
                continue
            key = f"{RUN_REFUND}:{refund.id}:sweep:{interval}"
            jobs.append(refund_job(refund.id, now, self._policy.attempts, key=key))
        return jobs

    async def _expired_vbanks(self, uow: UnitOfWork, now: datetime) -> list[NewJob]:
        """A ``vbank.expire`` job per unpaid account past its deadline plus the grace."""
        interval = int(now.timestamp() // self._policy.every.total_seconds())
        jobs = []
        for found in await uow.sweeps.expired_vbanks(now - self._policy.vbank_grace):
            key = f"{VBANK_EXPIRE}:{found.imp_uid}:sweep:{interval}"
            jobs.append(vbank_expire_job(found.imp_uid, found.merchant_uid, now, key=key,
                                         attempts=self._policy.attempts))  # fmt: skip
        return jobs

    def _reconciliation(self, now: datetime) -> list[NewJob]:
        """This interval's reconciliation sweep (one, however many workers sweep)."""
        every = self._policy.reconcile_every
        if every is None or every <= timedelta(0):
            return []
        interval = int(now.timestamp() // every.total_seconds())
        return [NewJob(RECONCILE_SWEEP, {"trigger": "worker"}, now,
                       dedupe_key=f"{RECONCILE_SWEEP}:{interval}",
                       max_attempts=self._policy.reconcile_attempts)]  # fmt: skip

    def _job(self, kind: str, waiting: Awaited, now: datetime) -> NewJob:
        interval = int(now.timestamp() // self._policy.every.total_seconds())
        payload = {"imp_uid": waiting.imp_uid, "merchant_uid": waiting.merchant_uid}
        return NewJob(kind, payload, now, dedupe_key=f"{kind}:{waiting.imp_uid}:sweep:{interval}",
                      max_attempts=self._policy.attempts)  # fmt: skip
