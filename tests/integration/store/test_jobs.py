"""The jobs table as outbox and queue: same-transaction enqueue, leases, retries."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from paydesk.core.money import Money
from paydesk.store import Database, JobRecord, NewJob, retry_delay

NOW = datetime(2030, 1, 1, tzinfo=UTC)
LEASE = timedelta(seconds=30)


def job(n: int = 0, **overrides: object) -> NewJob:
    values: dict[str, object] = {"kind": "test.echo", "payload": {"n": n}, "run_at": NOW}
    return NewJob(**(values | overrides))  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_a_job_is_committed_with_the_state_change_or_not_at_all(database: Database) -> None:
    async def doomed() -> None:
        async with database.transaction() as uow:
            await uow.products.add(
                sku="x", name="X", price=Money(1), stock=1, on_sale=True, now=NOW
            )
            await uow.jobs.enqueue([job(1)], NOW)
            raise RuntimeError("the state change failed")

    with pytest.raises(RuntimeError, match="state change"):
        await doomed()
    async with database.transaction() as uow:
        assert await uow.jobs.counts() == {}
        await uow.products.add(sku="x", name="X", price=Money(1), stock=1, on_sale=True, now=NOW)
        await uow.jobs.enqueue([job(2)], NOW)
    async with database.transaction() as uow:
        claimed = await uow.jobs.claim("w1", NOW, lease=LEASE)
    assert [(j.kind, j.payload, j.attempts) for j in claimed] == [("test.echo", {"n": 2}, 1)]


@pytest.mark.asyncio
async def test_only_due_jobs_of_the_asked_kinds_are_claimed(database: Database) -> None:
    async with database.transaction() as uow:
        await uow.jobs.enqueue(
            [job(1), job(2, run_at=NOW + timedelta(minutes=1)), job(3, kind="other")], NOW
        )
    async with database.transaction() as uow:
        (first,) = await uow.jobs.claim("w", NOW, lease=LEASE, kinds=["test.echo"])
        assert first.payload == {"n": 1}
        assert await uow.jobs.claim("w", NOW, lease=LEASE, kinds=["test.echo"]) == []
        assert await uow.jobs.complete(first.id, "w", NOW)
    async with database.transaction() as uow:
        later = await uow.jobs.claim("w", NOW + timedelta(minutes=1), lease=LEASE)
    assert sorted(j.payload["n"] for j in later) == [2, 3]


@pytest.mark.asyncio
async def test_completed_jobs_are_not_claimed_again(database: Database) -> None:
    async with database.transaction() as uow:
        await uow.jobs.enqueue([job(1)], NOW)
    async with database.transaction() as uow:
        (claimed,) = await uow.jobs.claim("w", NOW, lease=LEASE)
        assert await uow.jobs.complete(claimed.id, "w", NOW)
    async with database.transaction() as uow:
        assert await uow.jobs.claim("w", NOW + timedelta(hours=1), lease=LEASE) == []
        assert await uow.jobs.counts() == {"done": 1}


@pytest.mark.asyncio
async def test_a_crashed_workers_lease_expires_and_the_job_runs_again(database: Database) -> None:
    async with database.transaction() as uow:
        await uow.jobs.enqueue([job(1)], NOW)
    async with database.transaction() as uow:
        (first,) = await uow.jobs.claim("crashed", NOW, lease=LEASE)
    async with database.transaction() as uow:
        assert await uow.jobs.claim("w2", NOW + LEASE / 2, lease=LEASE) == []
        (again,) = await uow.jobs.claim("w2", NOW + LEASE * 2, lease=LEASE)
    assert again.id == first.id and again.attempts == 2
    async with database.transaction() as uow:
        # the crashed worker came back: its lease is gone, so it cannot finish the job
        assert not await uow.jobs.complete(first.id, "crashed", NOW + LEASE * 2)
        assert await uow.jobs.complete(again.id, "w2", NOW + LEASE * 2)


@pytest.mark.asyncio
async def test_failures_back_off_then_the_job_is_dead(database: Database) -> None:
    async with database.transaction() as uow:
        await uow.jobs.enqueue([job(1, max_attempts=3)], NOW)
    at = NOW
    for attempt in (1, 2):
        async with database.transaction() as uow:
            (claimed,) = await uow.jobs.claim("w", at, lease=LEASE)
            assert claimed.attempts == attempt
            assert await uow.jobs.fail(claimed, "w", "upstream said no", at)
        async with database.transaction() as uow:
            assert (
                await uow.jobs.claim(
                    "w", at + retry_delay(attempt) - timedelta(seconds=1), lease=LEASE
                )
                == []
            )
        at += retry_delay(attempt)
    async with database.transaction() as uow:
        (last,) = await uow.jobs.claim("w", at, lease=LEASE)
        assert await uow.jobs.fail(last, "w", "still no", at)
        assert await uow.jobs.counts() == {"dead": 1}
        assert await uow.jobs.claim("w", at + timedelta(days=1), lease=LEASE) == []


@pytest.mark.asyncio
async def test_a_last_attempt_that_loses_its_lease_is_dead(database: Database) -> None:
    async with database.transaction() as uow:
        await uow.jobs.enqueue([job(1, max_attempts=1)], NOW)
    async with database.transaction() as uow:
        await uow.jobs.claim("crashed", NOW, lease=LEASE)
    async with database.transaction() as uow:
        assert await uow.jobs.claim("w", NOW + LEASE * 2, lease=LEASE) == []
        assert await uow.jobs.counts() == {"dead": 1}


@pytest.mark.asyncio
async def test_dedupe_key_enqueues_once(database: Database) -> None:
    async with database.transaction() as uow:
        await uow.jobs.enqueue(
            [job(1, dedupe_key="hold:imp_1"), job(2, dedupe_key="hold:imp_1")], NOW
        )
    async with database.transaction() as uow:
        await uow.jobs.enqueue([job(3, dedupe_key="hold:imp_1")], NOW)
        assert [j.payload["n"] for j in await uow.jobs.claim("w", NOW, lease=LEASE)] == [1]


@pytest.mark.asyncio
async def test_concurrent_workers_claim_disjoint_jobs(database_url: str) -> None:
    """Several engines (as separate processes would) claim at once: no job twice, none lost."""
    setup = Database(database_url)
    workers = [Database(database_url) for _ in range(4)]
    try:
        async with setup.transaction() as uow:
            await uow.jobs.enqueue([job(n) for n in range(60)], NOW)

        async def drain(name: str, db: Database) -> list[int]:
            taken: list[int] = []
            while True:
                async with db.transaction() as uow:
                    batch = await uow.jobs.claim(name, NOW, lease=LEASE, limit=3)
                    for claimed in batch:
                        assert await uow.jobs.complete(claimed.id, name, NOW)
                if not batch:
                    return taken
                taken += [claimed.payload["n"] for claimed in batch]

        results = await asyncio.gather(*(drain(f"w{i}", db) for i, db in enumerate(workers)))
        everything = [n for taken in results for n in taken]
        assert sorted(everything) == list(range(60))
    finally:
        for db in (setup, *workers):
            await db.dispose()


async def _lapsed(database: Database, n: int, run_at: datetime) -> None:
    """Job ``n`` (kind ``lapsed.n``), due at ``run_at`` and claimed then by a worker that
    died: its lease ran out at ``run_at + LEASE``."""
    async with database.transaction() as uow:
        await uow.jobs.enqueue([job(n, kind=f"lapsed.{n}", run_at=run_at)], run_at)
        assert len(await uow.jobs.claim("crashed", run_at, lease=LEASE, kinds=[f"lapsed.{n}"])) == 1


def _numbers(claimed: list[JobRecord]) -> list[int]:
    return sorted(j.payload["n"] for j in claimed)


@pytest.mark.asyncio
async def test_queued_jobs_and_lapsed_leases_are_claimed_oldest_first_together(
    database: Database,
) -> None:
    """Due queued jobs and jobs whose lease ran out are one queue ordered by (run_at, id),
    whatever order they were added in: a lapsed job older than every queued one comes
    first, ``limit`` spans both, a tie in ``run_at`` goes to the lower id whatever its
    state; not yet due and still held wait."""
    minutes = [timedelta(minutes=m) for m in range(11)]
    await _lapsed(database, 3, NOW - minutes[3])
    async with database.transaction() as uow:
        await uow.jobs.enqueue(
            [job(4, run_at=NOW - minutes[3]), job(5, run_at=NOW - minutes[1]), job(6),
             job(7, run_at=NOW + minutes[1]), job(8, kind="held", run_at=NOW - minutes[8])],
            NOW - minutes[10],
        )  # fmt: skip
        (held,) = await uow.jobs.claim("alive", NOW - LEASE / 2, lease=LEASE, kinds=["held"])
    await _lapsed(database, 1, NOW - minutes[10])
    async with database.transaction() as uow:
        await uow.jobs.enqueue([job(2, run_at=NOW - minutes[5])], NOW)
    async with database.transaction() as uow:
        oldest = await uow.jobs.claim("w", NOW, lease=LEASE, limit=1)
        first = await uow.jobs.claim("w", NOW, lease=LEASE, limit=2)
        rest = await uow.jobs.claim("w", NOW, lease=LEASE)
        assert await uow.jobs.claim("w", NOW, lease=LEASE) == []
        for claimed in oldest + first + rest:
            assert await uow.jobs.complete(claimed.id, "w", NOW)
    assert (_numbers(oldest), _numbers(first)) == ([1], [2, 3])
    assert {j.payload["n"]: j.attempts for j in oldest + first} == {1: 2, 2: 1, 3: 2}
    assert _numbers(rest) == [4, 5, 6]  # not 7 (due in a minute) nor 8 (its lease holds)
    async with database.transaction() as uow:
        later = await uow.jobs.claim("w", NOW + minutes[1], lease=LEASE)
    assert _numbers(later) == [7, 8] and held.payload["n"] == 8


@pytest.mark.asyncio
async def test_the_kinds_filter_holds_for_queued_and_lapsed_jobs_alike(database: Database) -> None:
    await _lapsed(database, 1, NOW - timedelta(minutes=5))
    await _lapsed(database, 2, NOW - timedelta(minutes=4))
    async with database.transaction() as uow:
        await uow.jobs.enqueue([job(3, kind="lapsed.1"), job(4, kind="lapsed.2")], NOW)
    async with database.transaction() as uow:
        mine = await uow.jobs.claim("w", NOW, lease=LEASE, kinds=["lapsed.2"])
        theirs = await uow.jobs.claim("w", NOW, lease=LEASE, kinds=["lapsed.1", "other"])
        assert await uow.jobs.claim("w", NOW, lease=LEASE, kinds=["other"]) == []
    assert (_numbers(mine), _numbers(theirs)) == ([2, 4], [1, 3])


@pytest.mark.asyncio
async def test_workers_drain_queued_and_lapsed_jobs_each_once(database_url: str) -> None:
    """As ``test_concurrent_workers_claim_disjoint_jobs``, with a third of the jobs
    left running by a worker that died: every job is still taken exactly once."""
    setup = Database(database_url)
    workers = [Database(database_url) for _ in range(4)]
    try:
        async with setup.transaction() as uow:
            await uow.jobs.enqueue([job(n) for n in range(60)], NOW - LEASE * 2)
            await uow.jobs.claim("crashed", NOW - LEASE * 2, lease=LEASE, limit=20)

        async def drain(name: str, db: Database) -> list[int]:
            taken: list[int] = []
            while batch := await _claim_and_complete(db, name, 3):
                taken += batch
            return taken

        results = await asyncio.gather(*(drain(f"w{i}", db) for i, db in enumerate(workers)))
        assert sorted(n for taken in results for n in taken) == list(range(60))
    finally:
        for db in (setup, *workers):
            await db.dispose()


async def _claim_and_complete(db: Database, worker: str, limit: int) -> list[int]:
    async with db.transaction() as uow:
        batch = await uow.jobs.claim(worker, NOW, lease=LEASE, limit=limit)
        for claimed in batch:
            assert await uow.jobs.complete(claimed.id, worker, NOW)
    return [claimed.payload["n"] for claimed in batch]


@pytest.mark.asyncio
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # SQLite: one writer at once
async def test_a_claim_skips_jobs_another_open_claim_holds(database_url: str) -> None:
    """On PostgreSQL two claims overlap: the second, made while the first is still
    uncommitted, skips what the first holds and takes as many others; no job twice."""
    setup = Database(database_url)
    await _lapsed(setup, 1, NOW - timedelta(minutes=10))
    await _lapsed(setup, 2, NOW - timedelta(minutes=9))
    async with setup.transaction() as uow:
        due = [job(n, run_at=NOW - timedelta(minutes=11 - n)) for n in range(3, 9)]
        await uow.jobs.enqueue(due, NOW - timedelta(minutes=10))
    await setup.dispose()
    first, second = Database(database_url), Database(database_url)
    try:
        async with first.transaction() as one:
            mine = await one.jobs.claim("w1", NOW, lease=LEASE, limit=3)
            async with second.transaction() as two:
                # waiting on the first claim's locks would wait for ever: fail instead
                await two.connection.exec_driver_sql("SET LOCAL lock_timeout = '2s'")
                theirs = await two.jobs.claim("w2", NOW, lease=LEASE, limit=3)
        async with second.transaction() as two:
            rest = await two.jobs.claim("w2", NOW, lease=LEASE)
        assert _numbers(mine) == [1, 2, 3]
        assert len(theirs) == 3 and not set(_numbers(theirs)) & {1, 2, 3}
        assert sorted(_numbers(mine) + _numbers(theirs) + _numbers(rest)) == list(range(1, 9))
    finally:
        await first.dispose()
        await second.dispose()


def test_retry_delay_doubles_up_to_a_cap() -> None:
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [2, 4, 8, 16]
    assert retry_delay(40) == timedelta(hours=1)


@pytest.mark.asyncio
async def test_a_renewed_lease_is_not_claimed_when_the_first_one_would_have_run_out(
    database: Database,
) -> None:
    async with database.transaction() as uow:
        await uow.jobs.enqueue([job(1)], NOW)
    async with database.transaction() as uow:
        (held,) = await uow.jobs.claim("w1", NOW, lease=LEASE)
    async with database.transaction() as uow:
        assert await uow.jobs.renew([held], "w1", NOW + LEASE * 0.9, LEASE) == {held.id}
    async with database.transaction() as uow:
        # past the first lease, within the renewed one: nobody may take it
        assert await uow.jobs.claim("w2", NOW + LEASE * 1.5, lease=LEASE) == []
        (taken,) = await uow.jobs.claim("w2", NOW + LEASE * 2, lease=LEASE)
    assert taken.id == held.id and taken.attempts == 2
    async with database.transaction() as uow:
        # the first holder's heartbeat now finds the lease lost, and cannot finish the job
        assert await uow.jobs.renew([held], "w1", NOW + LEASE * 2, LEASE) == set()
        assert not await uow.jobs.complete(held.id, "w1", NOW + LEASE * 2, attempt=held.attempts)
        assert not await uow.jobs.fail(held, "w1", "late", NOW + LEASE * 2)
        assert await uow.jobs.renew([taken], "w2", NOW + LEASE * 2, LEASE) == {taken.id}
        assert await uow.jobs.complete(taken.id, "w2", NOW + LEASE * 2, attempt=taken.attempts)
        assert await uow.jobs.counts() == {"done": 1}


@pytest.mark.asyncio
async def test_a_stale_run_cannot_finish_the_same_workers_later_claim(database: Database) -> None:
    """Worker w lost job 1 to w2, which failed it; w claimed it again. w's first run, still
    going, must not complete the second claim: the attempt number tells them apart."""
    async with database.transaction() as uow:
        await uow.jobs.enqueue([job(1)], NOW)
    async with database.transaction() as uow:
        (first,) = await uow.jobs.claim("w", NOW, lease=LEASE)
    async with database.transaction() as uow:
        (stolen,) = await uow.jobs.claim("w2", NOW + LEASE * 2, lease=LEASE)
        assert await uow.jobs.fail(stolen, "w2", "upstream down", NOW + LEASE * 2)
    later = NOW + LEASE * 2 + retry_delay(stolen.attempts)
    async with database.transaction() as uow:
        (second,) = await uow.jobs.claim("w", later, lease=LEASE)
    assert (first.attempts, second.attempts) == (1, 3)
    async with database.transaction() as uow:
        assert await uow.jobs.renew([first], "w", later, LEASE) == set()
        assert not await uow.jobs.complete(first.id, "w", later, attempt=first.attempts)
        assert not await uow.jobs.fail(first, "w", "stale", later)
        assert await uow.jobs.complete(second.id, "w", later, attempt=second.attempts)


@pytest.mark.asyncio
async def test_released_jobs_are_queued_at_once_without_burning_an_attempt(
    database: Database,
) -> None:
    async with database.transaction() as uow:
        await uow.jobs.enqueue([job(1, max_attempts=1), job(2, max_attempts=1)], NOW)
    async with database.transaction() as uow:
        held = await uow.jobs.claim("w", NOW, lease=LEASE)
        assert [j.attempts for j in held] == [1, 1]
    async with database.transaction() as uow:
        # only what w still holds is released: not someone else's claim, not a finished job
        assert await uow.jobs.release(held, "other", NOW) == set()
        assert await uow.jobs.complete(held[1].id, "w", NOW, attempt=1)
        assert await uow.jobs.release(held, "w", NOW) == {held[0].id}
        assert await uow.jobs.counts() == {"queued": 1, "done": 1}
    async with database.transaction() as uow:
        (again,) = await uow.jobs.claim("w2", NOW, lease=LEASE)
    # its one allowed attempt is still there: the release was not a failure
    assert again.id == held[0].id and again.attempts == 1


async def _dead(database: Database, n: int, error: str = "upstream said no") -> int:
    async with database.transaction() as uow:
        await uow.jobs.enqueue([job(n, max_attempts=1)], NOW)
    async with database.transaction() as uow:
        (claimed,) = await uow.jobs.claim("w", NOW, lease=LEASE, limit=1)
        assert await uow.jobs.fail(claimed, "w", error, NOW)
    return claimed.id


@pytest.mark.asyncio
async def test_the_dead_letter_list_shows_dead_retrying_and_dismissed_jobs(
    database: Database,
) -> None:
    first = await _dead(database, 1, "RefundPending: 503 from i'mport")
    second = await _dead(database, 2, "x" * 5000)
    async with database.transaction() as uow:
        await uow.jobs.enqueue([job(3, max_attempts=5), job(4, run_at=NOW + LEASE)], NOW)
        (retrying,) = await uow.jobs.claim("w", NOW, lease=LEASE, limit=1)
        assert await uow.jobs.fail(retrying, "w", "not yet", NOW)
        assert await uow.jobs.dismiss(second, NOW) is not None
    async with database.reading() as uow:
        dead = await uow.jobs.entries()
        every = await uow.jobs.entries(["dead", "retrying", "dismissed"])
        page = await uow.jobs.entries(["dead", "retrying", "dismissed"], limit=2)
        rest = await uow.jobs.entries(["dead", "retrying", "dismissed"], before_id=page[-1].id)
        with pytest.raises(ValueError, match="running"):
            await uow.jobs.entries(["running"])
    assert [(e.id, e.state, e.attempts, e.max_attempts, e.last_error) for e in dead] == [
        (first, "dead", 1, 1, "RefundPending: 503 from i'mport")
    ]
    assert dead[0].payload == {"n": 1} and dead[0].kind == "test.echo"
    assert [(e.id, e.state, e.retrying) for e in every] == [
        (retrying.id, "queued", True), (second, "dismissed", False), (first, "dead", False)
    ]  # fmt: skip
    assert every[1].last_error == "x" * 2000  # errors are kept to a readable size
    assert [e.id for e in page + rest] == [e.id for e in every]


@pytest.mark.asyncio
async def test_a_requeued_dead_job_runs_again_with_fresh_attempts(database: Database) -> None:
    dead = await _dead(database, 1)
    later = NOW + timedelta(days=2)
    async with database.transaction() as uow:
        entry = await uow.jobs.requeue(dead, later)
        assert entry is not None
        assert (entry.state, entry.attempts, entry.run_at) == ("queued", 0, later)
        assert entry.last_error == "upstream said no"  # until it ends again
        # requeued once: a second requeue (a double click) finds nothing dead
        assert await uow.jobs.requeue(dead, later) is None
    async with database.transaction() as uow:
        (claimed,) = await uow.jobs.claim("w", later, lease=LEASE)
        assert (claimed.id, claimed.attempts) == (dead, 1)
        assert await uow.jobs.complete(claimed.id, "w", later, attempt=1)
    async with database.reading() as uow:
        done = await uow.jobs.entry(dead)
    assert done is not None and (done.state, done.last_error) == ("done", None)


@pytest.mark.asyncio
async def test_a_dismissed_job_is_never_claimed_unless_requeued(database: Database) -> None:
    dead = await _dead(database, 1)
    async with database.transaction() as uow:
        await uow.jobs.enqueue([job(2)], NOW)
        (running,) = await uow.jobs.claim("w", NOW, lease=LEASE)
    async with database.transaction() as uow:
        dismissed = await uow.jobs.dismiss(dead, NOW)
        assert dismissed is not None and dismissed.state == "dismissed"
        assert await uow.jobs.dismiss(dead, NOW) is None  # not dead any more
        assert await uow.jobs.dismiss(running.id, NOW) is None  # only dead jobs
        assert await uow.jobs.dismiss(99_999, NOW) is None
        assert await uow.jobs.requeue(running.id, NOW) is None  # only dead or dismissed
    far = NOW + timedelta(days=400)
    async with database.transaction() as uow:
        # the running job's lease ran out long ago, so it is taken; the dismissed one is not
        assert [j.id for j in await uow.jobs.claim("w2", far, lease=LEASE)] == [running.id]
        requeued = await uow.jobs.requeue(dead, far)
        assert requeued is not None and requeued.state == "queued"
        assert [j.id for j in await uow.jobs.claim("w2", far, lease=LEASE)] == [dead]
