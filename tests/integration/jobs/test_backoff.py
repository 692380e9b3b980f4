"""Retries back off exponentially with jitter, and never sooner than the reason allows.

``jobs.runner.backoff`` is checked on its own (bounds, spread, the reason's
least wait), then through a real runner on both databases: the ``run_at`` a
failed job is queued for is what ``backoff`` allows, and a job out of
attempts is ``dead`` with its last reason.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from paydesk.core.clock import FixedClock
from paydesk.jobs.runner import JobRunner, backoff
from paydesk.services.errors import RefundPending, Unreachable
from paydesk.store import Database, JobRecord, NewJob, retry_delay
from paydesk.store.jobs import JobEntry
from paydesk.store.tables import jobs

KIND = "test.flaky"
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def test_the_wait_doubles_with_jitter_between_half_and_all_of_it() -> None:
    rng = random.Random(7)
    for attempts in (1, 2, 5, 12, 40):
        ceiling = retry_delay(attempts)
        waits = [backoff(attempts, RuntimeError("boom"), rng) for _ in range(200)]
        assert all(ceiling / 2 <= wait <= ceiling for wait in waits), attempts
        assert len(set(waits)) > 150  # spread out, not one instant for every job
    assert max(backoff(40, RuntimeError(), rng) for _ in range(50)) <= timedelta(hours=1)


def test_a_reason_that_names_its_wait_is_not_retried_sooner() -> None:
    rng = random.Random(8)
    quiet = RefundPending("quiet hours", retry_after=timedelta(hours=6))
    waits = [backoff(1, quiet, rng) for _ in range(100)]
    assert all(timedelta(hours=6) <= w <= timedelta(hours=6, minutes=36) for w in waits)
    short = Unreachable("down", retry_after=timedelta(seconds=1))  # less than the backoff
    assert all(timedelta(seconds=1) <= backoff(3, short, rng) <= timedelta(seconds=8)
               for _ in range(100))  # fmt: skip
    assert Unreachable("no hint").retry_after is None


@pytest.mark.asyncio
async def test_a_failed_job_is_queued_for_its_backoff_then_dies_with_its_reason(
    database: Database,
) -> None:
    errors = iter([Unreachable("i'mport down"),
                   RefundPending("vbank quiet hours", retry_after=timedelta(hours=5)),
                   Unreachable("still down")])  # fmt: skip

    async def flaky(job: JobRecord) -> None:
        raise next(errors)

    clock = FixedClock(NOW)
    runner = JobRunner(database, clock, {KIND: flaky}, name="w", rng=random.Random(3))
    async with database.transaction() as uow:
        await uow.jobs.enqueue([NewJob(KIND, {}, NOW, max_attempts=3)], NOW)

    async def the_job() -> JobEntry:
        async with database.reading() as uow:
            [row] = (await uow.connection.execute(select(jobs))).all()
        return JobEntry.from_row(row)

    assert await runner.run_once(5) == 1
    first = await the_job()
    assert first.state == "queued" and first.last_error == "Unreachable: i'mport down"
    assert NOW + timedelta(seconds=1) <= first.run_at <= NOW + timedelta(seconds=2)

    clock.advance((first.run_at - clock.now()).total_seconds())
    assert await runner.run_once(5) == 1
    second = await the_job()
    assert second.run_at - first.run_at >= timedelta(hours=5)  # the reason's own wait

    clock.advance((second.run_at - clock.now()).total_seconds())
    assert await runner.run_once(5) == 1
    dead = await the_job()
    assert (dead.state, dead.attempts, dead.last_error) == ("dead", 3, "Unreachable: still down")
