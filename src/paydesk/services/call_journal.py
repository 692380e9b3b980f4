"""The call journal: every i'mport call and its outcome class, kept for the order timeline.

The i'mport client tells its observers about each exchange (``iamport.CallRecord``);
``CallJournal.record`` is such an observer. It must never slow a payment down
nor break it, so it only appends to a bounded in-memory queue and returns; a
background task (started on the running event loop at the first record)
writes the queue in batches, in transactions of its own. When the queue is
full a record is dropped and counted (``dropped``); a batch the database
refuses is logged, counted and dropped too. ``aclose`` (one of
``Services.closers``, after the client's) writes what is left.

Retention: the journal is a part of the worker's periodic sweep
(``hold_sweep.SweepPart``): each sweep deletes, in its transaction, the calls
older than ``keep`` (``PAYDESK_CALL_JOURNAL_DAYS``, 30 days) — an indexed range
delete, next to nothing once caught up. It adds no job.

Reading: ``UnitOfWork.gateway_calls.about(imp_uids, merchant_uids)``
(``services.backoffice`` puts them on the order timeline).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..core.clock import Clock
from ..iamport import CallRecord
from ..store import NewJob, UnitOfWork, UnitsOfWork
from ..store.gateway_calls import NewGatewayCall

__all__ = ["CallJournal", "JournalPolicy"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JournalPolicy:
    """How much the journal buffers, how much it writes at once, how long it keeps calls."""

    keep: timedelta = timedelta(days=30)
    capacity: int = 10_000  # records queued at most; more are dropped (and counted)
    batch: int = 500  # records per insert

    def __post_init__(self) -> None:
        if self.capacity < 1 or self.batch < 1 or self.keep <= timedelta(0):
            raise ValueError("capacity, batch and keep must be positive")


class CallJournal:
    """Records the client's calls without standing in their way, and prunes old ones."""

    def __init__(
        self, database: UnitsOfWork, clock: Clock, policy: JournalPolicy | None = None
    ) -> None:
        self._db = database
        self._clock = clock
        self._policy = policy or JournalPolicy()
        self._queue: deque[NewGatewayCall] = deque()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.dropped = 0  # records lost: queue full, or a batch the database refused
        self.written = 0

    @property
    def pending(self) -> int:
        """Records queued, not written yet."""
        return len(self._queue)

    def record(self, call: CallRecord) -> None:
        """The client's observer: queue ``call`` (never blocks, never raises on a full queue)."""
        if self._closed or len(self._queue) >= self._policy.capacity:
            self.dropped += 1
            return
        self._queue.append(_row(call, self._clock.now()))
        self._drain_soon()

    async def flush(self) -> int:
        """Write everything queued now (and wait for a running drain); how many were written."""
        before = self.written
        task = self._task
        if task is not None and task.get_loop() is asyncio.get_running_loop():
            await asyncio.shield(task)
        await self._drain()
        return self.written - before

    async def aclose(self) -> None:
        """Stop taking records and write what is queued (a ``Services`` closer)."""
        self._closed = True
        await self.flush()

    async def prune(self) -> int:
        """Delete calls older than the retention period; how many were deleted."""
        cutoff = self._clock.now() - self._policy.keep
        async with self._db.transaction() as uow:
            deleted = await uow.gateway_calls.prune(cutoff)
        if deleted:
            log.info("call journal: pruned %d call(s) before %s", deleted, cutoff.isoformat())
        return deleted

    async def sweep_jobs(self, uow: UnitOfWork, now: datetime) -> list[NewJob]:
        """The sweep's part: delete the calls past the retention period (no job to add)."""
        deleted = await uow.gateway_calls.prune(now - self._policy.keep)
        if deleted:
            log.info("call journal: pruned %d call(s)", deleted)
        return []

    def _drain_soon(self) -> None:
        if self._task is not None and not self._task.done():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a sync client outside any loop: written at the next flush
            return
        self._task = loop.create_task(self._drain(), name="call journal")

    async def _drain(self) -> None:
        while self._queue:
            batch = [
                self._queue.popleft() for _ in range(min(self._policy.batch, len(self._queue)))
            ]
            try:
                async with self._db.transaction() as uow:
                    await uow.gateway_calls.add_many(batch)
            except Exception:
                self.dropped += len(batch)
                log.exception("call journal: %d call(s) could not be written; dropped", len(batch))
                return
            self.written += len(batch)


def _row(call: CallRecord, at: datetime) -> NewGatewayCall:
    return NewGatewayCall(
        at=at, operation=call.operation, method=call.method, path=call.path,
        outcome=call.outcome, imp_uid=call.imp_uid, merchant_uid=call.merchant_uid,
        customer_uid=call.customer_uid, code=call.code, message=call.message, error=call.error,
        http_status=call.http_status, duration_ms=round(call.duration * 1000),
        attempts=call.attempts,
    )  # fmt: skip
