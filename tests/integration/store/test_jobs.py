"""The jobs table as outbox and queue: same-transaction enqueue, leases, retries."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from paydesk.core.money import Money
from paydesk.store import Database, NewJob, retry_delay

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


def test_retry_delay_doubles_up_to_a_cap() -> None:
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [2, 4, 8, 16]
    assert retry_delay(40) == timedelta(hours=1)
