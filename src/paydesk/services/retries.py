"""The dead-letter list: jobs that ran out of attempts, for a person to retry or dismiss.

A job that keeps failing (i'mport down for hours, a refund i'mport refuses)
ends ``dead`` with its last error. From here it can be

- **retried**: queued again, due now, with fresh attempts (a ``dismissed`` job
  too, should the dismissal have been a mistake);
- **dismissed**: closed for good (``dismissed``), kept for the record.

The admin console's retry queue also acts on jobs still *retrying* (queued
again after a failure): re-attempt makes one due now, dismiss closes it.

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

    async def retry(self, job_id: int, *, retrying: bool = False) -> JobEntry:
        """Queue a dead (or dismissed) job again with fresh attempts; the job as queued.

        With ``retrying`` (the admin console), a job retrying after a failure is
        made due now instead, its attempts kept. Raises ``JobNotFound``, or
        ``JobNotActionable`` if the job is in no such state.
        """
        async with self._db.transaction() as uow:
            now = self._clock.now()
            entry = await uow.jobs.requeue(job_id, now)
            if entry is None and retrying:
                entry = await uow.jobs.hasten(job_id, now)
            if entry is None:
                needed = "dead, dismissed or retrying" if retrying else "dead or dismissed"
                raise _refusal(await uow.jobs.entry(job_id), job_id, "retried", needed)
        return entry

    async def dismiss(self, job_id: int, *, retrying: bool = False) -> JobEntry:
        """Close a dead job for good; the job as dismissed.

        With ``retrying`` (the admin console), a job retrying after a failure
        may be closed too. Raises ``JobNotFound``, or ``JobNotActionable`` if
        the job is in no such state.
        """
        async with self._db.transaction() as uow:
            entry = await uow.jobs.dismiss(job_id, self._clock.now(), retrying=retrying)
            if entry is None:
                needed = "dead or retrying" if retrying else "dead"
                raise _refusal(await uow.jobs.entry(job_id), job_id, "dismissed", needed)
        return entry


def _refusal(entry: JobEntry | None, job_id: int, action: str, needed: str) -> Exception:
    if entry is None:
        return JobNotFound(f"no job {job_id}")
    state = "retrying" if entry.retrying else entry.state
    return JobNotActionable(f"job {job_id} is {state}: only a {needed} job can be {action}")
