"""Running jobs: claim, dispatch by kind under a renewed lease, then complete or fail.

The claim (``JobQueue.claim``: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the
single writer on SQLite) is the arbiter between worker processes: a job runs
where it was claimed, under a lease of a few seconds. While its handler runs,
a heartbeat renews the lease every third of it; a worker that dies stops
renewing, and another worker claims the job once the lease has run out.

A handler that returns completes its job; one that raises fails it, and the
queue retries it until it runs out of attempts (then it is ``dead``: the
dead-letter list). The wait before the next attempt (``backoff``) is
exponential with jitter, so jobs that failed together do not all come back at
once, and never shorter than the reason's own ``TryLater.retry_after`` (a PG's
quiet hours, a temporary refusal). If the heartbeat
finds the lease lost (this worker stalled past it and someone else claimed the
job), the handler is cancelled and the job is left to its new holder: the old
holder never completes nor fails it. Completing and failing are conditional on
the claim too, for a loss the heartbeat had no time to see. Handlers are
idempotent, so a job that runs twice across a takeover does no harm.

A run that is cancelled (the worker stopping) releases its job: queued again
at once, the attempt not counted.

``run_keyed`` lets the web app do a job it just enqueued at once, by claiming
that very job the same way a worker would, under the same lease and heartbeat.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

from ..core.clock import Clock
from ..services.errors import TryLater
from ..store import JobRecord, StoreError, UnitsOfWork, retry_delay

__all__ = ["DEFAULT_LEASE", "Handler", "JobRunner", "backoff"]

log = logging.getLogger(__name__)

Handler = Callable[[JobRecord], Awaitable[object]]

#: How long a claim lasts without renewal (``PAYDESK_JOB_LEASE_SECONDS``).
DEFAULT_LEASE = timedelta(seconds=20)


class JobRunner:
    """Runs jobs of the kinds it has handlers for, as worker ``name``."""

    def __init__(
        self,
        database: UnitsOfWork,
        clock: Clock,
        handlers: Mapping[str, Handler],
        *,
        name: str,
        lease: timedelta = DEFAULT_LEASE,
        role: str = "worker",
        rng: random.Random | None = None,
    ) -> None:
        if lease <= timedelta(0):
            raise ValueError("the lease must be positive")
        self._db = database
        self._clock = clock
        self._handlers = dict(handlers)
        self.name = name
        self.lease = lease
        self.role = role
        self._rng = rng or random.Random()

    @property
    def renew_every(self) -> float:
        """Seconds between heartbeats: a third of the lease, so two may fail in a row."""
        return self.lease.total_seconds() / 3

    async def claim(self, limit: int) -> list[JobRecord]:
        """Lease up to ``limit`` due jobs of the kinds this runner handles."""
        if limit <= 0:
            return []
        async with self._db.transaction() as uow:
            return await uow.jobs.claim(
                self.name, self._clock.now(), lease=self.lease, limit=limit,
                kinds=self._handlers,
            )  # fmt: skip

    async def beat(self, *, stopping: bool = False) -> None:
        """Record this process's heartbeat (``worker_heartbeats``); ``stopping`` on a clean stop.

        Never raises: a missed beat only makes the worker look late to ``paydesk doctor``.
        """
        now = self._clock.now()
        try:
            async with self._db.transaction() as uow:
                if stopping:
                    await uow.heartbeats.stopped(self.name, now)
                else:
                    await uow.heartbeats.beat(self.name, self.role, socket.gethostname(),
                                              os.getpid(), now)  # fmt: skip
        except Exception as error:  # the database is away: the job loop reports that itself
            log.warning("heartbeat of %s not recorded: %s", self.name, error)

    async def run_once(self, limit: int = 10) -> int:
        """Claim up to ``limit`` due jobs and run them concurrently; returns how many ran."""
        claimed = await self.claim(limit)
        results = await asyncio.gather(*(self.run(job) for job in claimed), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return len(claimed)

    async def run_keyed(self, dedupe_key: str) -> bool:
        """Run the queued job with ``dedupe_key`` now, if no one has claimed it yet."""
        async with self._db.transaction() as uow:
            job = await uow.jobs.claim_keyed(dedupe_key, self.name, self._clock.now(), self.lease)
        if job is None:
            return False
        await self.run(job)
        return True

    async def run(self, job: JobRecord) -> bool:
        """Run one claimed job under its lease and record how it went; True if it completed.

        False if it failed, or if the lease was lost (the job is someone else's
        now). Cancelled, it releases the job and re-raises.
        """
        handler = asyncio.create_task(self._handle(job), name=f"job {job.id} ({job.kind})")
        try:
            held = await self._hold(job, handler)
            if not held:
                await _cancel(handler)
                log.warning("job %d (%s): lease lost, left to the worker that claimed it",
                            job.id, job.kind)  # fmt: skip
                return False
            return await self._record(job, handler)
        except asyncio.CancelledError:
            await _cancel(handler)
            await self.release([job])
            raise

    async def release(self, held: list[JobRecord]) -> set[int]:
        """Give jobs back to the queue unfinished (attempt not counted); the ids released."""
        try:
            async with self._db.transaction() as uow:
                released = await uow.jobs.release(held, self.name, self._clock.now())
        except StoreError as error:
            log.error("jobs %s not released (%s): claimed again when their lease runs out",
                      [job.id for job in held], error)  # fmt: skip
            return set()
        for job in held:
            if job.id in released:
                log.info("job %d (%s) released by %s", job.id, job.kind, self.name)
        return released

    async def _handle(self, job: JobRecord) -> object:
        return await self._handlers[job.kind](job)

    async def _hold(self, job: JobRecord, handler: asyncio.Task[object]) -> bool:
        """Wait for ``handler``, renewing the lease meanwhile; False once it is known lost."""
        while True:
            done, _ = await asyncio.wait({handler}, timeout=self.renew_every)
            if done:
                return True
            try:
                async with self._db.transaction() as uow:
                    held = await uow.jobs.renew([job], self.name, self._clock.now(), self.lease)
            except StoreError as error:  # keep going: finishing is conditional on the claim
                log.warning("job %d (%s): lease not renewed: %s", job.id, job.kind, error)
                continue
            if job.id not in held:
                return False

    async def _record(self, job: JobRecord, handler: asyncio.Task[object]) -> bool:
        """Complete or fail the job whose handler ended; False unless it completed here."""
        error = _error_of(handler)
        now = self._clock.now()
        try:
            async with self._db.transaction() as uow:
                if error is None:
                    recorded = await uow.jobs.complete(job.id, self.name, now, attempt=job.attempts)
                else:
                    self._log_failure(job, error)
                    message = f"{type(error).__name__}: {error}"
                    delay = backoff(job.attempts, error, self._rng)
                    recorded = await uow.jobs.fail(job, self.name, message, now, delay=delay)
        except StoreError as store_error:
            log.error("job %d (%s): outcome not recorded (%s); it runs again after its lease",
                      job.id, job.kind, store_error)  # fmt: skip
            return False
        if not recorded:
            log.warning("job %d (%s): lease lost before its outcome was recorded; "
                        "left to the worker that claimed it", job.id, job.kind)  # fmt: skip
            return False
        if error is None:
            log.info("job %d (%s) done by %s", job.id, job.kind, self.name)
        return error is None

    def _log_failure(self, job: JobRecord, error: BaseException) -> None:
        where = f"job {job.id} ({job.kind}) attempt {job.attempts}/{job.max_attempts}"
        if isinstance(error, TryLater):
            log.info("%s: not yet: %s: %s", where, type(error).__name__, error)
        else:
            log.error("%s failed: %s: %s", where, type(error).__name__, error, exc_info=error)


def backoff(attempts: int, error: BaseException, rng: random.Random) -> timedelta:
    """The wait before attempt ``attempts + 1`` of a job that failed with ``error``.

    Exponential (``store.retry_delay``: 2 s, 4 s, 8 s … an hour) with equal
    jitter: between half and all of it. A ``TryLater`` naming its own
    ``retry_after`` waits at least that long, plus up to a tenth more.
    """
    ceiling = retry_delay(attempts)
    wait = ceiling / 2 + ceiling * (rng.random() / 2)
    least = error.retry_after if isinstance(error, TryLater) else None
    if least is not None and least > wait:
        wait = least + least * (rng.random() / 10)
    return wait


def _error_of(handler: asyncio.Task[object]) -> BaseException | None:
    """How a finished handler ended: None if it returned."""
    if handler.cancelled():
        return asyncio.CancelledError("the handler was cancelled")
    return handler.exception()


async def _cancel(task: asyncio.Task[object]) -> None:
    """Cancel ``task`` and wait until it has ended (whatever it raises)."""
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
