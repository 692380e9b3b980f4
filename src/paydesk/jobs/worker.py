"""The worker loop (``paydesk worker``): run due jobs, sweep now and then, stop cleanly.

Several workers may share one database: claiming decides who runs what, and
the sweep's jobs are deduplicated per interval. On SIGINT/SIGTERM the loop
finishes the job in hand and returns; a job cut short by a harder kill is
claimed again when its lease runs out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass

from ..services.hold_sweep import HoldSweep
from .runner import JobRunner

__all__ = ["Worker", "WorkerPolicy", "stop_on_signals"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerPolicy:
    """How eagerly the worker polls and sweeps (seconds)."""

    poll: float = 1.0
    sweep_every: float = 60.0
    batch: int = 10


class Worker:
    """Runs jobs until told to stop."""

    def __init__(self, runner: JobRunner, sweep: HoldSweep, policy: WorkerPolicy) -> None:
        self._runner = runner
        self._sweep = sweep
        self._policy = policy

    async def run_once(self) -> int:
        """Sweep, then run one batch of due jobs; returns how many jobs ran."""
        await self.sweep()
        return await self._runner.run_once(self._policy.batch)

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
        """Loop until ``stop`` is set: sweep every ``sweep_every``, poll every ``poll``."""
        log.info("worker %s started", self._runner.name)
        loop = asyncio.get_running_loop()
        next_sweep = loop.time()
        while not stop.is_set():
            if loop.time() >= next_sweep:
                await self.sweep()
                next_sweep = loop.time() + self._policy.sweep_every
            ran = await self._batch()
            if not ran:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self._policy.poll)
        log.info("worker %s stopped", self._runner.name)

    async def _batch(self) -> int:
        try:
            return await self._runner.run_once(self._policy.batch)
        except Exception:  # the database went away: wait, then try again
            log.exception("claiming jobs failed; retrying after %.1f s", self._policy.poll)
            return 0


def stop_on_signals(stop: asyncio.Event) -> None:
    """Set ``stop`` on SIGINT or SIGTERM (call inside the running loop)."""
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
