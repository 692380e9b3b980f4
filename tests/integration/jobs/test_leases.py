"""The runner and the worker under faults: leases, takeovers, concurrency, stopping.

Real databases of both backends and real time; the handlers are the tests' own
(slow, stuck, or counting), so what is under test is the claiming, renewing,
finishing and releasing around them. Each worker has its own ``Database``, as
separate processes would. Time bounds are generous and the interleavings are
forced with events, not with sleeps that hope for the best.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from sqlalchemy import select

from paydesk.core.clock import Clock, SystemClock
from paydesk.jobs.runner import DEFAULT_LEASE, Handler, JobRunner
from paydesk.jobs.worker import Worker, WorkerPolicy
from paydesk.services.hold_sweep import HoldSweep, SweepPolicy
from paydesk.settings import Settings
from paydesk.store import Database, JobRecord, NewJob
from paydesk.store.jobs import JobEntry
from paydesk.store.tables import jobs

pytestmark = pytest.mark.asyncio

KIND = "test.work"


class AheadClock:
    """The wall clock of a host whose clock runs ahead (or a worker that stalled for long)."""

    def __init__(self, ahead: timedelta) -> None:
        self._ahead = ahead

    def now(self) -> datetime:
        return datetime.now(UTC) + self._ahead


@pytest_asyncio.fixture
async def databases(database_url: str) -> AsyncIterator[Callable[[], Database]]:
    """Fresh engines on the test database, one per simulated process; all disposed after."""
    made: list[Database] = []

    def make() -> Database:
        made.append(Database(database_url))
        return made[-1]

    try:
        yield make
    finally:
        for db in made:
            await db.dispose()


async def enqueue(db: Database, count: int, **fields: object) -> None:
    now = datetime.now(UTC)
    values: dict[str, object] = {"kind": KIND, "run_at": now, **fields}
    jobs = [NewJob(payload={"n": n}, **values) for n in range(count)]  # type: ignore[arg-type]
    async with db.transaction() as uow:
        await uow.jobs.enqueue(jobs, now)


async def every_job(db: Database) -> list[JobEntry]:
    async with db.reading() as uow:
        rows = (await uow.connection.execute(select(jobs).order_by(jobs.c.id))).all()
    return [JobEntry.from_row(row) for row in rows]


def runner(
    db: Database, handlers: Mapping[str, Handler], name: str, *, lease: float,
    clock: Clock | None = None,
) -> JobRunner:  # fmt: skip
    return JobRunner(db, clock or SystemClock(), handlers, name=name,
                     lease=timedelta(seconds=lease))  # fmt: skip


def worker(job_runner: JobRunner, db: Database, **policy: float) -> Worker:
    sweep = HoldSweep(db, SystemClock(), SweepPolicy())
    return Worker(job_runner, sweep, WorkerPolicy(**{"poll": 0.05, **policy}))  # type: ignore[arg-type]


@pytest.mark.parametrize("start", ["claimed", "keyed"])
async def test_a_job_longer_than_its_lease_is_not_taken_while_its_worker_lives(
    databases: Callable[[], Database], start: str
) -> None:
    """The heartbeat renews the lease: another worker polling all along never gets the job,
    which runs once, on its first attempt, for 2.5 leases."""
    lease = 2.0
    db_a, db_b = databases(), databases()
    await enqueue(db_a, 1, dedupe_key="the-job")

    started = asyncio.Event()

    async def slow(job: JobRecord) -> None:
        started.set()
        await asyncio.sleep(lease * 2.5)

    async def must_not_run(job: JobRecord) -> None:
        raise AssertionError("the job was stolen")

    a = runner(db_a, {KIND: slow}, "a", lease=lease)
    b = runner(db_b, {KIND: must_not_run}, "b", lease=lease)
    if start == "keyed":
        running = asyncio.create_task(a.run_keyed("the-job"))
    else:
        (claimed,) = await a.claim(1)
        running = asyncio.create_task(a.run(claimed))
    await asyncio.wait_for(started.wait(), timeout=20)  # a holds it (the keyed claim is a's)
    polls = 0
    while not running.done():
        assert await b.claim(1) == []
        polls += 1
        await asyncio.sleep(0.1)
    assert running.result() is True
    assert polls > 10  # b really tried, all along
    (entry,) = await every_job(db_a)
    assert (entry.state, entry.attempts) == ("done", 1)


async def test_a_lost_lease_cancels_the_old_holder_and_leaves_the_job_to_the_new_one(
    databases: Callable[[], Database],
) -> None:
    """a's clock is behind the world (it stalled): b, an hour ahead, finds a's lease run out
    and takes the job. a's next heartbeat learns it, cancels a's handler and records
    nothing; b's run completes the job."""
    db_a, db_b = databases(), databases()
    await enqueue(db_a, 1)
    started, a_cancelled = asyncio.Event(), asyncio.Event()

    async def stuck(job: JobRecord) -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            a_cancelled.set()
            raise

    async def quick(job: JobRecord) -> None:
        await asyncio.sleep(0.05)

    a = runner(db_a, {KIND: stuck}, "a", lease=1.5)
    b = runner(db_b, {KIND: quick}, "b", lease=1.5, clock=AheadClock(timedelta(hours=1)))
    (claimed,) = await a.claim(1)
    a_run = asyncio.create_task(a.run(claimed))
    await started.wait()
    (taken,) = await b.claim(1)
    assert (taken.id, taken.attempts) == (claimed.id, 2)
    began = time.monotonic()
    assert await asyncio.wait_for(a_run, timeout=30) is False
    assert a_cancelled.is_set()
    assert time.monotonic() - began < 15  # noticed at a heartbeat (every 0.5 s), not never
    (entry,) = await every_job(db_a)
    assert (entry.state, entry.attempts) == ("running", 2)  # still b's, untouched by a
    assert await b.run(taken) is True
    (entry,) = await every_job(db_a)
    assert (entry.state, entry.attempts, entry.last_error) == ("done", 2, None)


@pytest.mark.parametrize("outcome", ["returns", "raises"])
async def test_a_handler_ending_after_its_lease_was_taken_records_nothing(
    databases: Callable[[], Database], outcome: str
) -> None:
    """The interleaving the heartbeat cannot see: the lease is taken between two heartbeats
    and the old handler ends right then. Its completion (or failure) is refused."""
    db_a, db_b = databases(), databases()
    await enqueue(db_a, 1)
    started, go_on = asyncio.Event(), asyncio.Event()

    async def handler(job: JobRecord) -> None:
        started.set()
        await go_on.wait()
        if outcome == "raises":
            raise RuntimeError("i'mport said 500")

    a = runner(db_a, {KIND: handler}, "a", lease=60)  # no heartbeat during the test
    b = runner(db_b, {KIND: handler}, "b", lease=60, clock=AheadClock(timedelta(hours=1)))
    (claimed,) = await a.claim(1)
    a_run = asyncio.create_task(a.run(claimed))
    await started.wait()
    (taken,) = await b.claim(1)
    go_on.set()
    assert await asyncio.wait_for(a_run, timeout=30) is False
    (entry,) = await every_job(db_a)
    assert (entry.state, entry.attempts, entry.last_error) == ("running", 2, None)
    assert await b.run(taken) is (outcome == "returns")


async def test_a_worker_runs_its_claimed_jobs_side_by_side(
    databases: Callable[[], Database],
) -> None:
    """Four jobs that each wait for all four to be running: only a concurrent run ends.
    Then six one-second jobs take about one second, not six."""
    db = databases()
    await enqueue(db, 4)
    together = asyncio.Barrier(4)

    async def meet(job: JobRecord) -> None:
        await asyncio.wait_for(together.wait(), timeout=20)

    assert await runner(db, {KIND: meet}, "w", lease=5).run_once(limit=4) == 4
    assert {(e.state, e.attempts) for e in await every_job(db)} == {("done", 1)}

    await enqueue(db, 6)

    async def one_second(job: JobRecord) -> None:
        await asyncio.sleep(1.0)

    began = time.monotonic()
    assert await runner(db, {KIND: one_second}, "w", lease=5).run_once(limit=6) == 6
    took = time.monotonic() - began
    assert took < 4.5, f"6 one-second jobs took {took:.1f} s"  # one after another: 6 s or more


async def test_the_worker_keeps_at_most_its_limit_running_and_refills_free_slots(
    databases: Callable[[], Database],
) -> None:
    db = databases()
    await enqueue(db, 12)
    running, peak, finished = 0, 0, 0
    stop = asyncio.Event()

    async def counted(job: JobRecord) -> None:
        nonlocal running, peak, finished
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.05 * (job.payload["n"] % 4 + 1))  # uneven: slots free up apart
        running -= 1
        finished += 1
        if finished == 12:
            stop.set()

    loop = worker(runner(db, {KIND: counted}, "w", lease=5), db, concurrency=3, batch=10)
    await asyncio.wait_for(loop.run(stop), timeout=60)
    assert peak == 3
    assert {(e.state, e.attempts) for e in await every_job(db)} == {("done", 1)}


async def test_a_stopping_worker_finishes_what_it_can_and_releases_the_rest(
    databases: Callable[[], Database],
) -> None:
    """Stop with four jobs in hand: two finish within the grace period, two are stuck and
    are cancelled, then released — queued again, attempt not counted, nothing running."""
    db = databases()
    await enqueue(db, 4)
    started, stopping = asyncio.Semaphore(0), asyncio.Event()
    cancelled: list[int] = []

    async def handler(job: JobRecord) -> None:
        started.release()
        await stopping.wait()
        if job.payload["n"] % 2 == 0:
            await asyncio.sleep(0.1)  # finishes during the grace period
            return
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(job.payload["n"])
            raise

    stop = asyncio.Event()
    loop = worker(runner(db, {KIND: handler}, "w", lease=5), db, concurrency=4, grace=1.0)
    looping = asyncio.create_task(loop.run(stop))
    for _ in range(4):
        await asyncio.wait_for(started.acquire(), timeout=20)
    stop.set()
    stopping.set()
    began = time.monotonic()
    await asyncio.wait_for(looping, timeout=30)
    assert time.monotonic() - began < 15  # the grace period (1 s), not a stuck job's forever

    assert sorted(cancelled) == [1, 3]
    by_n = {e.payload["n"]: e for e in await every_job(db)}
    assert {n: (e.state, e.attempts) for n, e in by_n.items()} == {
        0: ("done", 1), 1: ("queued", 0), 2: ("done", 1), 3: ("queued", 0)
    }  # fmt: skip
    assert all(e.last_error is None for e in by_n.values())  # released, not failed
    # due at once for whoever comes next
    other = runner(databases(), {KIND: handler}, "next", lease=5)
    assert sorted(j.payload["n"] for j in await other.claim(10)) == [1, 3]


async def test_a_cancelled_inline_run_releases_its_job_for_the_worker(
    databases: Callable[[], Database],
) -> None:
    """The web app runs a just-stored webhook's job under a time limit; when the limit cuts
    it short, the job goes back to the queue at once instead of waiting out its lease."""
    db = databases()
    await enqueue(db, 1, dedupe_key="webhook.process:1")

    async def slow(job: JobRecord) -> None:
        await asyncio.sleep(60)

    web = runner(db, {KIND: slow}, "web", lease=20)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.3):
            await web.run_keyed("webhook.process:1")
    (entry,) = await every_job(db)
    assert (entry.state, entry.attempts, entry.last_error) == ("queued", 0, None)
    done: list[int] = []

    async def quick(job: JobRecord) -> None:
        done.append(job.id)

    assert await runner(db, {KIND: quick}, "worker", lease=20).run_once() == 1
    assert done == [entry.id]


async def test_the_default_lease_is_the_settings_default() -> None:
    default = Settings.model_fields["job_lease_seconds"].default
    assert timedelta(seconds=default) == DEFAULT_LEASE
