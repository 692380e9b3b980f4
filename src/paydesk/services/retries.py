"""The dead-letter list: jobs that ran out of attempts, for a person to retry or dismiss.

A job that keeps failing (i'mport down for hours, a refund i'mport refuses)
ends ``dead`` with its last error. From here it can be

- **retried**: queued again, due now, with fresh attempts (a ``dismissed`` job
  too, should the dismissal have been a mistake);
- **dismissed**: closed for good (``dismissed``), kept for the record.

Both are conditional on the state, so two people acting at once cannot, say,
retry a job the other has just dismissed and dismiss it again: the second one
is told what the job is now. ``paydesk retries`` and the HTTP API call this.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..core.clock import Clock
from ..store import UnitsOfWork
from ..store.jobs import LISTED_STATES, JobEntry
from .errors import JobNotActionable, JobNotFound

__all__ = ["LISTED_STATES", "JobEntry", "Retries"]


class Retries:
    """List, retry and dismiss dead jobs."""

    def __init__(self, database: UnitsOfWork, clock: Clock) -> None:
        self._db = database
        self._clock = clock

    async def listing(
        self, states: Iterable[str] = ("dead",), *, limit: int = 50, before_id: int | None = None
    ) -> list[JobEntry]:
        """Jobs in ``states`` (``dead``, ``retrying``, ``dismissed``), newest first.

        Raises ``ValueError`` for another state or a ``limit`` below 1.
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        async with self._db.reading() as uow:
            return await uow.jobs.entries(states, limit=limit, before_id=before_id)

    async def get(self, job_id: int) -> JobEntry:
        """One job, whatever its state. Raises ``JobNotFound``."""
        async with self._db.reading() as uow:
            entry = await uow.jobs.entry(job_id)
        if entry is None:
            raise JobNotFound(f"no job {job_id}")
        return entry

    async def retry(self, job_id: int) -> JobEntry:
        """Queue a dead (or dismissed) job again with fresh attempts; the job as queued.

        Raises ``JobNotFound``, or ``JobNotActionable`` if it is neither.
        """
        async with self._db.transaction() as uow:
            entry = await uow.jobs.requeue(job_id, self._clock.now())
            if entry is None:
                raise _refusal(await uow.jobs.entry(job_id), job_id, "retried", "dead or dismissed")
        return entry

    async def dismiss(self, job_id: int) -> JobEntry:
        """Close a dead job for good; the job as dismissed.

        Raises ``JobNotFound``, or ``JobNotActionable`` if it is not dead.
        """
        async with self._db.transaction() as uow:
            entry = await uow.jobs.dismiss(job_id, self._clock.now())
            if entry is None:
                raise _refusal(await uow.jobs.entry(job_id), job_id, "dismissed", "dead")
        return entry


def _refusal(entry: JobEntry | None, job_id: int, action: str, needed: str) -> Exception:
    if entry is None:
        return JobNotFound(f"no job {job_id}")
    state = "retrying" if entry.retrying else entry.state
    return JobNotActionable(f"job {job_id} is {state}: only a {needed} job can be {action}")
