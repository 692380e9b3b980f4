"""Running jobs: claim, dispatch by kind, then complete or fail — one job at a time.

The claim (``JobQueue.claim``: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the
single writer on SQLite) is the arbiter between worker processes: a job runs
where it was claimed, under a lease. A handler that returns completes its
job; one that raises fails it, and the queue retries it with backoff until it
runs out of attempts. Handlers are idempotent, so a job whose lease ran out
and that runs twice does no harm.

``run_keyed`` lets the web app do a job it just enqueued at once, by claiming
that very job the same way a worker would.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

from ..core.clock import Clock
from ..services.errors import TryLater
from ..store import JobRecord, UnitsOfWork

__all__ = ["Handler", "JobRunner"]

log = logging.getLogger(__name__)

Handler = Callable[[JobRecord], Awaitable[object]]


class JobRunner:
    """Runs jobs of the kinds it has handlers for, as worker ``name``."""

    def __init__(
        self,
        database: UnitsOfWork,
        clock: Clock,
        handlers: Mapping[str, Handler],
        *,
        name: str,
        lease: timedelta = timedelta(minutes=2),
    ) -> None:
        self._db = database
        self._clock = clock
        self._handlers = dict(handlers)
        self.name = name
        self._lease = lease

    async def run_once(self, limit: int = 10) -> int:
        """Claim up to ``limit`` due jobs and run them; returns how many ran."""
        async with self._db.transaction() as uow:
            claimed = await uow.jobs.claim(
                self.name, self._clock.now(), lease=self._lease, limit=limit,
                kinds=self._handlers,
            )  # fmt: skip
        for job in claimed:
            await self.run(job)
        return len(claimed)

    async def run_keyed(self, dedupe_key: str) -> bool:
        """Run the queued job with ``dedupe_key`` now, if no one has claimed it yet."""
        async with self._db.transaction() as uow:
            job = await uow.jobs.claim_keyed(dedupe_key, self.name, self._clock.now(), self._lease)
        if job is None:
            return False
        await self.run(job)
        return True

    async def run(self, job: JobRecord) -> bool:
        """Run one claimed job and record how it went; True if it completed."""
        try:
            await self._handlers[job.kind](job)
        except Exception as error:
            self._log_failure(job, error)
            async with self._db.transaction() as uow:
                await uow.jobs.fail(job, self.name, f"{type(error).__name__}: {error}",
                                    self._clock.now())  # fmt: skip
            return False
        async with self._db.transaction() as uow:
            await uow.jobs.complete(job.id, self.name, self._clock.now())
        return True

    def _log_failure(self, job: JobRecord, error: Exception) -> None:
        where = f"job {job.id} ({job.kind}) attempt {job.attempts}/{job.max_attempts}"
        if isinstance(error, TryLater):
            log.info("%s: not yet: %s: %s", where, type(error).__name__, error)
        else:
            log.error("%s failed: %s: %s", where, type(error).__name__, error, exc_info=error)
