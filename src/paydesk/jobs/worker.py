"""The worker loop (``paydesk worker``): run due jobs side by side, sweep now and then,
stop cleanly.

Several workers may share one database: claiming decides who runs what, and
the sweep's jobs are deduplicated per interval. One worker runs up to
``concurrency`` jobs at once, each in its own task under its own lease
(``runner``); it claims only as many jobs as it has free slots, so a job never
waits in a worker's hands while another worker is idle.

Every ``heartbeat`` seconds the worker records that it is alive
(``worker_heartbeats``: what ``paydesk doctor`` looks for); a clean stop says so.

On SIGINT/SIGTERM the loop stops claiming, gives the jobs in hand ``grace``
seconds to finish, then cancels the rest, which releases them to the queue
(attempt not counted): nothing stays ``running``. A job cut short by a harder
kill is claimed again by another worker once its lease runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass

from ..services.hold_sweep import HoldSweep
from ..store import JobRecord
from .runner import JobRunner

__all__ = ["Worker", "WorkerPolicy", "stop_on_signals"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerPolicy:
    """How eagerly the worker polls and sweeps, how many jobs it runs at once (seconds)."""

    poll: float = 1.0
    sweep_every: float = 60.0
    batch: int = 10  # the most jobs claimed in one statement
    concurrency: int = 4  # the most jobs running at once
    grace: float = 10.0  # on stop, how long jobs in hand may take to finish
    heartbeat: float = 5.0  # seconds between heartbeats (``worker_heartbeats``)

    def __post_init__(self) -> None:
        if self.concurrency < 1 or self.batch < 1:
            raise ValueError("batch and concurrency must be at least 1")
        if self.poll <= 0 or self.grace < 0 or self.heartbeat <= 0:
            raise ValueError("poll must be positive and grace not negative")


class Worker:
    """Runs jobs until told to stop."""

    def __init__(self, runner: JobRunner, sweep: HoldSweep, policy: WorkerPolicy) -> None:
        self._runner = runner
        self._sweep = sweep
        self._policy = policy

    @property
    def name(self) -> str:
        return self._runner.name

    async def run_once(self) -> int:
        """Beat, sweep, then run one batch of due jobs concurrently; returns how many jobs ran."""
        await self._runner.beat()
        await self.sweep()
        return await self._runner.run_once(min(self._policy.batch, self._policy.concurrency))

    async def sweep(self) -> None:
        """Enqueue checks for payments still awaited (errors are logged, not raised)."""
        try:
            found = await self._sweep.sweep()
        except Exception:
            log.exception("sweep failed; will try again")
            return
        if found:
            log.info("sweep: %d payment(s) to check", found)

    async def run(self, stop: asyncio.Event) -> None:
        """Loop until ``stop`` is set: sweep every ``sweep_every``, keep up to
        ``concurrency`` jobs running, look for due jobs every ``poll``; then wind down."""
        policy = self._policy
        log.info("worker %s started: %d job(s) at once, lease %.0f s",
                 self.name, policy.concurrency, self._runner.lease.total_seconds())  # fmt: skip
        loop = asyncio.get_running_loop()
        next_sweep = next_beat = loop.time()
        running: set[asyncio.Task[bool]] = set()
        try:
            while not stop.is_set():
                if loop.time() >= next_beat:
                    await self._runner.beat()
                    next_beat = loop.time() + policy.heartbeat
                if loop.time() >= next_sweep:
                    await self.sweep()
                    next_sweep = loop.time() + policy.sweep_every
                wanted = min(policy.batch, policy.concurrency - len(running))
                claimed = await self._claim(wanted)
                running |= {self._start(job) for job in claimed}
                if claimed and len(claimed) == wanted and len(running) < policy.concurrency:
                    continue  # a full batch: more may be due, and there is room
                await _first_of(stop, running, policy.poll)
                running = _reap(running)
        finally:
            await self._wind_down(running)
            await self._runner.beat(stopping=True)
        log.info("worker %s stopped", self.name)

    def _start(self, job: JobRecord) -> asyncio.Task[bool]:
        return asyncio.create_task(self._runner.run(job), name=f"job {job.id} ({job.kind})")

    async def _claim(self, wanted: int) -> list[JobRecord]:
        if wanted <= 0:
            return []
        try:
            return await self._runner.claim(wanted)
        except Exception:  # the database went away: wait, then try again
            log.exception("claiming jobs failed; retrying after %.1f s", self._policy.poll)
            return []

    async def _wind_down(self, running: set[asyncio.Task[bool]]) -> None:
        """Let the jobs in hand finish within ``grace``; cancel (and so release) the rest."""
        if not running:
            return
        log.info("worker %s stopping: %d job(s) in hand, %.0f s to finish",
                 self.name, len(running), self._policy.grace)  # fmt: skip
        _, late = await asyncio.wait(running, timeout=self._policy.grace)
        for task in late:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        _reap(running)
        if late:
            log.info("worker %s released %d unfinished job(s)", self.name, len(late))


async def _first_of(stop: asyncio.Event, running: set[asyncio.Task[bool]], poll: float) -> None:
    """Wait until ``stop`` is set, a running job ends, or ``poll`` seconds pass."""
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({stopped, *running}, timeout=poll, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await stopped


def _reap(running: set[asyncio.Task[bool]]) -> set[asyncio.Task[bool]]:
    """The tasks still running; a finished one that raised is logged (runs log their own
    outcomes, so that is a bug or a lost database)."""
    for task in running:
        if task.done() and not task.cancelled() and task.exception() is not None:
            log.error("job task %s crashed", task.get_name(), exc_info=task.exception())
    return {task for task in running if not task.done()}


def stop_on_signals(stop: asyncio.Event) -> None:
    """Set ``stop`` on SIGINT or SIGTERM (call inside the running loop)."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
