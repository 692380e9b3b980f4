"""The jobs table: an outbox for background work, and the queue workers claim from.

A service enqueues a job in the same transaction as the state change that makes
it necessary, so the two are committed together or not at all. Workers claim
due jobs in small batches, oldest first, each state read from the
``(state, run_at, id)`` index (``_due``):

- PostgreSQL: ``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)``, so
  concurrent workers take disjoint jobs without waiting on each other.
- SQLite: the same statement without the lock clause, inside the single-writer
  ``BEGIN IMMEDIATE`` transaction, which gives the same guarantee.

A claim is a lease of a few seconds, renewed (``renew``) while the job runs:
a job whose worker died stops being renewed, its ``locked_until`` passes and
another worker claims it. A claim is named by its worker *and* its attempt
number, so an old holder can neither renew nor finish a job claimed again
since (by another worker, or by itself after losing the lease). A worker that stops cleanly releases what it
could not finish (``release``), without burning an attempt.

Failures are retried with exponential backoff until ``max_attempts``, then the
job is ``dead``: the dead-letter list (``entries``), where a person can
``requeue`` it with fresh attempts or ``dismiss`` it (``dismissed``: never
claimed again unless requeued).

States: ``queued`` → ``running`` → ``done`` | ``queued`` (retry) | ``dead``;
``dead`` → ``queued`` (requeue) | ``dismissed``; ``dismissed`` → ``queued``. A person
may also make a retrying job (``queued`` after a failure) due now (``hasten``) or close
it (``dismiss(retrying=True)``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    func,
    or_,
    select,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from . import driver
from .records import JobRecord
from .tables import jobs

__all__ = [
    "LISTED_STATES",
    "JobEntry",
    "JobQueue",
    "NewJob",
    "lease_values",
    "retry_delay",
]

MAX_ERROR_CHARS = 2000

#: What ``JobQueue.entries`` can list: the dead, the dismissed, and ``retrying``
#: (queued again after a failed attempt, with that attempt's error).
LISTED_STATES = ("dead", "retrying", "dismissed")
#: A ``retrying`` job: queued again after a failed attempt (its error kept).
_RETRYING = (jobs.c.state == "queued", jobs.c.last_error.is_not(None))


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


@dataclass(frozen=True)
class JobEntry:
    """A job as the dead-letter list shows it: where it stands and how it last failed."""

    id: int
    kind: str
    payload: dict[str, Any]
    state: str
    attempts: int
    max_attempts: int
    run_at: datetime
    last_error: str | None
    dedupe_key: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def retrying(self) -> bool:
        return self.state == "queued" and self.last_error is not None

    @classmethod
    def from_row(cls, row: Row[Any]) -> JobEntry:
        m = row._mapping
        return cls(
            id=m["id"], kind=m["kind"], payload=dict(m["payload"]), state=m["state"],
            attempts=m["attempts"], max_attempts=m["max_attempts"], run_at=m["run_at"],
            last_error=m["last_error"], dedupe_key=m["dedupe_key"],
            created_at=m["created_at"], updated_at=m["updated_at"],
        )  # fmt: skip


def _claims(held: Iterable[JobRecord]) -> ColumnElement[bool]:
    """Rows still carrying these claims: the same job on the same attempt."""
    pairs = [(job.id, job.attempts) for job in held]
    return tuple_(jobs.c.id, jobs.c.attempts).in_(pairs)


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
            await driver.insert(self._db, jobs, plain)
        if keyed:
            await driver.insert(self._db, jobs, keyed, ignore_conflicts=True)

    async def claim(
        self, worker: str, now: datetime, *, lease: timedelta, limit: int = 10,
        kinds: Iterable[str] | None = None,
    ) -> list[JobRecord]:  # fmt: skip
        """Lease up to ``limit`` due jobs (or jobs whose lease ran out) to ``worker``."""
        await self._bury_exhausted(now)
        query = self._due(now, limit, None if kinds is None else list(kinds))
        statement = (
            update(jobs)
            .where(jobs.c.id.in_(query.scalar_subquery()))
            .values(**lease_values(worker, now, lease))
            .returning(jobs)
        )
        claimed = [JobRecord.from_row(r) for r in await self._db.execute(statement)]
        return sorted(claimed, key=lambda job: job.id)

    def _due(self, now: datetime, limit: int, kinds: list[str] | None) -> Select[tuple[int]]:
        """The ids of the ``limit`` oldest due jobs (by ``run_at``, ``id``), locked on PostgreSQL.

        Due is queued with ``run_at`` passed, or running with its lease run out. One
        ``WHERE`` with both (an ``OR``) makes the database fetch and sort every due
        job before it can take the first few; so each state is its own branch, read
        in order from the ``(state, run_at, id)`` index and cut at ``limit``, and only
        those (at most twice ``limit``) are merged. The branches share no row, so the
        oldest ``limit`` of the merge are the oldest ``limit`` of all. Running jobs are
        few (the workers' concurrency), so their branch filters ``locked_until`` as it
        reads them rather than keep an index on it that every lease renewal would write.
        On PostgreSQL each branch skips rows another claimer holds and locks what it
        reads: up to ``limit`` more than are taken, until this claim commits.
        """
        branches = []
        for state, ready in (
            ("queued", jobs.c.run_at <= now),
            ("running", jobs.c.locked_until < now),
        ):
            branch = select(jobs.c.id, jobs.c.run_at).where(jobs.c.state == state, ready)
            if kinds is not None:
                branch = branch.where(jobs.c.kind.in_(kinds))
            branch = branch.order_by(jobs.c.run_at, jobs.c.id).limit(limit)
            if self._dialect == "postgresql":
                branch = branch.with_for_update(skip_locked=True)
            branches.append(select(branch.subquery()))
        due = union_all(*branches).subquery()
        return select(due.c.id).order_by(due.c.run_at, due.c.id).limit(limit)

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

    async def renew(
        self, held: Iterable[JobRecord], worker: str, now: datetime, lease: timedelta
    ) -> set[int]:
        """Extend the leases ``worker`` still holds to ``now + lease``; their ids.

        A job missing from the answer was lost: its lease ran out and someone
        else claimed it (or it was finished or released meanwhile).
        """
        held = list(held)
        if not held:
            return set()
        statement = (
            update(jobs)
            .where(_claims(held), jobs.c.locked_by == worker, jobs.c.state == "running")
            .values(locked_until=now + lease, updated_at=now)
            .returning(jobs.c.id)
        )
        return {int(job_id) for job_id in (await self._db.execute(statement)).scalars()}

    async def release(self, held: Iterable[JobRecord], worker: str, now: datetime) -> set[int]:
        """Give back jobs ``worker`` still holds but will not finish: queued again at once,
        the attempt not counted. Returns the ids released."""
        held = list(held)
        if not held:
            return set()
        statement = (
            update(jobs)
            .where(_claims(held), jobs.c.locked_by == worker, jobs.c.state == "running")
            .values(
                state="queued",
                attempts=jobs.c.attempts - 1,
                locked_by=None,
                locked_until=None,
                updated_at=now,
            )
            .returning(jobs.c.id)
        )
        return {int(job_id) for job_id in (await self._db.execute(statement)).scalars()}

    async def complete(
        self, job_id: int, worker: str, now: datetime, *, attempt: int | None = None
    ) -> bool:
        """Mark a job done; False if ``worker`` no longer holds its lease.

        ``attempt`` (the claimed ``JobRecord.attempts``) also refuses a claim that
        is not this one: the job was claimed again since, even by ``worker``.
        """
        return await self._finish(
            job_id, worker, now, attempt=attempt, state="done", last_error=None
        )

    async def fail(
        self,
        job: JobRecord,
        worker: str,
        error: str,
        now: datetime,
        *,
        delay: timedelta | None = None,
    ) -> bool:
        """Record a failed attempt: retry later with backoff, or ``dead`` when out of attempts.

        ``delay`` is the wait before the next attempt (the runner's, with jitter
        and the error's own hint); without it, ``retry_delay``.
        """
        if job.attempts >= job.max_attempts:
            return await self._finish(
                job.id, worker, now, attempt=job.attempts, state="dead", last_error=error
            )
        run_at = now + (retry_delay(job.attempts) if delay is None else delay)
        return await self._finish(
            job.id, worker, now, attempt=job.attempts, state="queued", last_error=error,
            run_at=run_at,
        )  # fmt: skip

    async def entries(
        self, states: Iterable[str] = ("dead",), *, limit: int = 100,
        before_id: int | None = None,
    ) -> list[JobEntry]:  # fmt: skip
        """Jobs in ``states`` (of ``LISTED_STATES``), newest first, ``limit`` at a time.

        ``before_id`` pages on: pass the last id of the previous page.
        """
        wanted = set(states)
        unknown = wanted - set(LISTED_STATES)
        if unknown:
            raise ValueError(f"cannot list jobs in state(s) {sorted(unknown)}")
        shown: list[ColumnElement[bool]] = [
            jobs.c.state == state for state in sorted(wanted - {"retrying"})
        ]
        if "retrying" in wanted:
            shown.append(and_(*_RETRYING))
        if not shown:
            return []
        query = select(jobs).where(or_(*shown)).order_by(jobs.c.id.desc()).limit(limit)
        if before_id is not None:
            query = query.where(jobs.c.id < before_id)
        return [JobEntry.from_row(row) for row in await self._db.execute(query)]

    async def entry(self, job_id: int) -> JobEntry | None:
        """One job, whatever its state; None if there is no such job."""
        row = (await self._db.execute(select(jobs).where(jobs.c.id == job_id))).first()
        return JobEntry.from_row(row) if row else None

    async def requeue(self, job_id: int, now: datetime) -> JobEntry | None:
        """Queue a ``dead`` (or ``dismissed``) job again, due now, with fresh attempts.

        The last error stays until the job next ends. None if the job is in
        neither state (or does not exist): nothing changed.
        """
        statement = (
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.state.in_(("dead", "dismissed")))
            .values(
                state="queued",
                attempts=0,
                run_at=now,
                locked_by=None,
                locked_until=None,
                updated_at=now,
            )
            .returning(jobs)
        )
        row = (await self._db.execute(statement)).first()
        return JobEntry.from_row(row) if row else None

    async def hasten(self, job_id: int, now: datetime) -> JobEntry | None:
        """Make a ``retrying`` job (queued again after a failure) due now, keeping its attempts.

        None if the job is not retrying (running, done, dead… or missing): nothing changed.
        """
        statement = (
            update(jobs)
            .where(jobs.c.id == job_id, *_RETRYING)
            .values(run_at=now, updated_at=now)
            .returning(jobs)
        )
        row = (await self._db.execute(statement)).first()
        return JobEntry.from_row(row) if row else None

    async def dismiss(
        self, job_id: int, now: datetime, *, retrying: bool = False
    ) -> JobEntry | None:
        """Close a ``dead`` job for good (``dismissed``: never claimed, kept for the record);
        with ``retrying``, a retrying job (queued after a failure, not running) too.

        None if the job is in no such state (or does not exist): nothing changed.
        """
        closable = jobs.c.state == "dead"
        if retrying:
            closable = or_(closable, and_(*_RETRYING))
        statement = (
            update(jobs)
            .where(jobs.c.id == job_id, closable)
            .values(state="dismissed", updated_at=now)
            .returning(jobs)
        )
        row = (await self._db.execute(statement)).first()
        return JobEntry.from_row(row) if row else None

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

    async def overdue(self, cutoff: datetime) -> tuple[int, datetime | None]:
        """How many queued jobs were due before ``cutoff``, and when the oldest was due
        (a queue nobody works off: ``paydesk doctor``)."""
        query = select(func.count(), func.min(jobs.c.run_at)).where(
            jobs.c.state == "queued", jobs.c.run_at < cutoff
        )
        count, oldest = (await self._db.execute(query)).one()
        return int(count), oldest

    async def _finish(
        self, job_id: int, worker: str, now: datetime, *, attempt: int | None, **values: Any
    ) -> bool:
        if values.get("last_error"):
            values["last_error"] = values["last_error"][:MAX_ERROR_CHARS]
        held = [jobs.c.id == job_id, jobs.c.locked_by == worker, jobs.c.state == "running"]
        if attempt is not None:
            held.append(jobs.c.attempts == attempt)
        statement = (
            update(jobs)
            .where(*held)
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
