"""The jobs table: an outbox for background work, and the queue workers claim from.

A service enqueues a job in the same transaction as the state change that makes
it necessary, so the two are committed together or not at all. Workers claim
due jobs in small batches:

- PostgreSQL: ``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)``, so
  concurrent workers take disjoint jobs without waiting on each other.
- SQLite: the same statement without the lock clause, inside the single-writer
  ``BEGIN IMMEDIATE`` transaction, which gives the same guarantee.

A claim is a lease: ``locked_until`` expires, and a job whose worker crashed is
claimed again. Failures are retried with exponential backoff until
``max_attempts``, then the job is ``dead`` and kept for a human.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .dialects import insert_or_ignore
from .records import JobRecord
from .tables import jobs

__all__ = ["JobQueue", "NewJob", "lease_values", "retry_delay"]

MAX_ERROR_CHARS = 2000


def retry_delay(attempts: int, *, base: float = 2.0, cap: float = 3600.0) -> timedelta:
    """Wait before attempt ``attempts + 1``: 2 s, 4 s, 8 s … capped at an hour."""
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


@dataclass(frozen=True)
class NewJob:
    """Work to do later: ``kind`` names the handler, ``payload`` is its JSON input."""

    kind: str
    payload: Mapping[str, Any]
    run_at: datetime
    dedupe_key: str | None = None
    max_attempts: int = 10

    def values(self, now: datetime) -> dict[str, Any]:
        return {
            "kind": self.kind, "payload": dict(self.payload), "state": "queued",
            "run_at": self.run_at, "attempts": 0, "max_attempts": self.max_attempts,
            "dedupe_key": self.dedupe_key, "created_at": now, "updated_at": now,
        }  # fmt: skip


def lease_values(worker: str, now: datetime, lease: timedelta) -> dict[str, Any]:
    """The columns that lease a job to ``worker`` until ``now + lease``."""
    return {
        "state": "running",
        "locked_by": worker,
        "locked_until": now + lease,
        "attempts": jobs.c.attempts + 1,
        "updated_at": now,
    }


class JobQueue:
    """Enqueue, claim, finish and retry jobs inside the caller's transaction."""

    def __init__(self, connection: AsyncConnection, dialect: str) -> None:
        self._db = connection
        self._dialect = dialect

    async def enqueue(self, jobs_to_add: Iterable[NewJob], now: datetime) -> None:
        """Add jobs; one whose ``dedupe_key`` is already queued or done is skipped."""
        rows = [job.values(now) for job in jobs_to_add]
        if not rows:
            return
        plain = [r for r in rows if r["dedupe_key"] is None]
        keyed = [r for r in rows if r["dedupe_key"] is not None]
        if plain:
            await self._db.execute(insert(jobs), plain)
        if keyed:
            await self._db.execute(insert_or_ignore(jobs, self._dialect), keyed)

    async def claim(
        self, worker: str, now: datetime, *, lease: timedelta, limit: int = 10,
        kinds: Iterable[str] | None = None,
    ) -> list[JobRecord]:  # fmt: skip
        """Lease up to ``limit`` due jobs (or jobs whose lease ran out) to ``worker``."""
        await self._bury_exhausted(now)
        due = or_(
            and_(jobs.c.state == "queued", jobs.c.run_at <= now),
            and_(jobs.c.state == "running", jobs.c.locked_until < now),
        )
        query = select(jobs.c.id).where(due).order_by(jobs.c.run_at, jobs.c.id).limit(limit)
        if kinds is not None:
            query = query.where(jobs.c.kind.in_(list(kinds)))
        if self._dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        statement = (
            update(jobs)
            .where(jobs.c.id.in_(query.scalar_subquery()))
            .values(**lease_values(worker, now, lease))
            .returning(jobs)
        )
        claimed = [JobRecord.from_row(r) for r in await self._db.execute(statement)]
        return sorted(claimed, key=lambda job: job.id)

    async def claim_keyed(
        self, dedupe_key: str, worker: str, now: datetime, lease: timedelta
    ) -> JobRecord | None:
        """Lease the queued job with ``dedupe_key`` to ``worker``; None if it is not queued.

        For work done inline right after its enqueue (the webhook endpoint): whoever
        wins this claim — the endpoint or a worker's ``claim`` — does the job.
        """
        statement = (
            update(jobs)
            .where(jobs.c.dedupe_key == dedupe_key, jobs.c.state == "queued")
            .values(**lease_values(worker, now, lease))
            .returning(jobs)
        )
        row = (await self._db.execute(statement)).first()
        return JobRecord.from_row(row) if row else None

    async def complete(self, job_id: int, worker: str, now: datetime) -> bool:
        """Mark a job done; False if ``worker`` no longer holds its lease."""
        return await self._finish(job_id, worker, now, state="done", last_error=None)

    async def fail(self, job: JobRecord, worker: str, error: str, now: datetime) -> bool:
        """Record a failed attempt: retry later with backoff, or ``dead`` when out of attempts."""
        if job.attempts >= job.max_attempts:
            return await self._finish(job.id, worker, now, state="dead", last_error=error)
        run_at = now + retry_delay(job.attempts)
        return await self._finish(
            job.id, worker, now, state="queued", last_error=error, run_at=run_at
        )

    async def live(self, key_prefix: str) -> bool:
        """Whether a job whose dedupe key is ``key_prefix`` (or starts with ``key_prefix:``)
        is queued or running."""
        keyed = or_(
            jobs.c.dedupe_key == key_prefix,
            jobs.c.dedupe_key.startswith(key_prefix + ":", autoescape=True),
        )
        query = select(jobs.c.id).where(keyed, jobs.c.state.in_(("queued", "running"))).limit(1)
        return (await self._db.execute(query)).first() is not None

    async def counts(self) -> dict[str, int]:
        """How many jobs are in each state (for health pages and tests)."""
        query = select(jobs.c.state, func.count()).group_by(jobs.c.state)
        return {state: int(count) for state, count in await self._db.execute(query)}

    async def _finish(self, job_id: int, worker: str, now: datetime, **values: Any) -> bool:
        if values.get("last_error"):
            values["last_error"] = values["last_error"][:MAX_ERROR_CHARS]
        statement = (
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.locked_by == worker, jobs.c.state == "running")
            .values(**values, locked_by=None, locked_until=None, updated_at=now)
        )
        return bool((await self._db.execute(statement)).rowcount == 1)

    async def _bury_exhausted(self, now: datetime) -> None:
        """A job whose last allowed attempt lost its lease is dead, not retried forever."""
        statement = (
            update(jobs)
            .where(
                jobs.c.state == "running",
                jobs.c.locked_until < now,
                jobs.c.attempts >= jobs.c.max_attempts,
            )
            .values(
                state="dead",
                locked_by=None,
                locked_until=None,
                updated_at=now,
                last_error="lease expired on the last attempt",
            )
        )
        await self._db.execute(statement)
