"""Workers beat while they run (``worker_heartbeats``), and say so when they stop cleanly."""

from __future__ import annotations

import asyncio
import os
import socket

import pytest

from paydesk.core.clock import SystemClock
from paydesk.jobs.runner import JobRunner
from paydesk.jobs.worker import Worker, WorkerPolicy
from paydesk.services.hold_sweep import HoldSweep, SweepPolicy
from paydesk.store import Database

pytestmark = pytest.mark.asyncio


async def _beats(database: Database) -> list[tuple[str, str, int, bool]]:
    async with database.reading() as uow:
        return [(b.name, b.role, b.pid, b.stopped_at is not None)
                for b in await uow.heartbeats.latest()]  # fmt: skip


async def test_a_running_worker_beats_and_a_stopped_one_says_so(database: Database) -> None:
    runner = JobRunner(database, SystemClock(), {}, name="worker:test:1", role="worker")
    policy = WorkerPolicy(poll=0.02, sweep_every=3600, heartbeat=0.05)
    worker = Worker(runner, HoldSweep(database, SystemClock(), SweepPolicy()), policy)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    async with asyncio.timeout(10):
        while True:  # polling the database: there is no event to wait on
            if await _beats(database):
                break
            await asyncio.sleep(0.02)
        async with database.reading() as uow:
            first = (await uow.heartbeats.latest())[0]
        while True:  # renewed, not only written once
            async with database.reading() as uow:
                if (await uow.heartbeats.latest())[0].seen_at > first.seen_at:
                    break
            await asyncio.sleep(0.02)
    assert first.host == socket.gethostname()[:64] and first.started_at == first.seen_at
    assert await _beats(database) == [("worker:test:1", "worker", os.getpid(), False)]
    stop.set()
    await running
    assert await _beats(database) == [("worker:test:1", "worker", os.getpid(), True)]
    await runner.beat()  # a restart under the same name is alive again
    assert await _beats(database) == [("worker:test:1", "worker", os.getpid(), False)]


async def test_a_beat_that_cannot_be_written_does_not_stop_the_worker() -> None:
    broken = Database("sqlite+aiosqlite:////nonexistent/folder/paydesk.db")
    runner = JobRunner(broken, SystemClock(), {}, name="worker:test:2")
    try:
        await runner.beat()  # logged, not raised
        await runner.beat(stopping=True)
    finally:
        await broken.dispose()
