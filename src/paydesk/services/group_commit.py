"""Group commit: decide many requests for the same hot key in one transaction.

In a flash-sale rush, hundreds of confirms for one product arrive within
milliseconds. One transaction each would queue them all on the product's row
lock, one round trip at a time. Instead the first request of a burst opens a
*lane* for its key, waits a few milliseconds for company, and hands the whole
batch to ``flush``; requests arriving while a flush runs form the next batch.
One lane runs one flush at a time, so a process never competes with itself
for the same row lock.

The wait is for company that exists: with ``company`` given, a lane whose first
request finds it false (no other request in flight, say) is flushed at once. At
a quiet shop's pace nobody would join it, and the window would only add its
milliseconds and one more timer to wake for.

This only amortises work; it decides nothing. Correctness across processes
still comes from the database (row locks and conditional updates in ``flush``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = ["GroupCommit"]

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")
R = TypeVar("R")


@dataclass
class _Lane(Generic[T, R]):
    waiting: list[tuple[T, asyncio.Future[R]]] = field(default_factory=list)
    runner: asyncio.Task[None] | None = None


class GroupCommit(Generic[K, T, R]):
    """Batches ``submit``-ted items per key and runs ``flush`` on each batch.

    ``flush`` gets the items in arrival order and returns one result per item,
    in the same order. If it raises, every item of that batch gets the error.
    """

    def __init__(
        self,
        flush: Callable[[Sequence[T]], Awaitable[Sequence[R]]],
        *,
        window: float = 0.002,
        max_batch: int = 256,
        company: Callable[[], bool] | None = None,
    ) -> None:
        """``company``: asked when a lane starts; false means nobody could join in the
        window, so the lane flushes at once (``None``: always wait the window)."""
        self._flush = flush
        self._window = window
        self._max_batch = max_batch
        self._company = company
        self._lanes: dict[K, _Lane[T, R]] = {}
        self.batches = 0  # how many flushes ran (for tests and metrics)

    async def submit(self, key: K, item: T) -> R:
        """Queue ``item`` on ``key``'s lane and wait for its result."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        lane = self._lanes.setdefault(key, _Lane())
        lane.waiting.append((item, future))
        if lane.runner is None:
            lane.runner = asyncio.create_task(self._drain(key, lane))
        return await future

    async def drain(self) -> None:
        """Wait until every batch submitted so far is flushed (for a clean shutdown).

        A batch is flushed even if its waiters gave up (a request cancelled by
        the server's shutdown timeout): its transaction is not cut off midway.
        """
        while runners := [lane.runner for lane in self._lanes.values() if lane.runner]:
            await asyncio.gather(*runners, return_exceptions=True)

    async def _drain(self, key: K, lane: _Lane[T, R]) -> None:
        try:
            # asked as the lane starts: whatever arrived in the same turn counts
            if self._window and (self._company is None or self._company()):
                await asyncio.sleep(self._window)  # let the burst gather
            while lane.waiting:
                batch = lane.waiting[: self._max_batch]
                del lane.waiting[: self._max_batch]
                await self._run(batch)
        finally:
            lane.runner = None
            if not lane.waiting:
                self._lanes.pop(key, None)

    async def _run(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        self.batches += 1
        try:
            results = await self._flush([item for item, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError("flush returned the wrong number of results")
        except Exception as exc:  # every waiter of the batch learns of it
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():  # a waiter that gave up has a cancelled future
                future.set_result(result)
