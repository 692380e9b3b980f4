"""``InMemoryStore``: the ``UnitsOfWork`` the services get in unit tests.

Semantics, chosen to be the strictest the real ``Database`` promises:

- ``transaction()`` runs one at a time (SQLite's single writer; on PostgreSQL
  the row locks the services take give the same outcome). It works on a copy
  of the committed tables that replaces them only when the block ends
  normally: a block that raises leaves no trace, and nobody sees its writes
  before it ends.
- ``reading()`` sees the committed tables as of each call (PostgreSQL's READ
  COMMITTED, the weaker of the two backends) and refuses writes loudly.
- Every repository call yields to the event loop once, so concurrent tasks
  interleave at the points where a real one waits on a round trip.

Besides the protocol, tests may look at what is committed (``stock_holds``,
``jobs``) and inject a failed commit (``fail_next_commit``).
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .billing_repositories import InMemoryBilling
from .ledger_repositories import InMemoryInbox, InMemoryPayments, InMemoryRefunds
from .method_repositories import InMemoryCustomers, InMemoryEscrows, InMemoryReceipts
from .queue_repositories import InMemoryIdempotency, InMemoryJobs, InMemorySweeps
from .reconciliation_repositories import InMemoryReconciliations
from .shop_repositories import InMemoryDecisions, InMemoryOrders, InMemoryProducts
from .tables import Access, Tables

__all__ = ["InMemoryStore", "InMemoryUnitOfWork", "QueuedJob", "StockHold"]


class InMemoryUnitOfWork:
    """The repositories of ``store.UnitOfWork``, over one set of tables."""

    dialect = "memory"

    def __init__(self, tables: Callable[[], Tables], *, writable: bool) -> None:
        access = Access(tables, writable=writable)
        self.products = InMemoryProducts(access)
        self.orders = InMemoryOrders(access)
        self.decisions = InMemoryDecisions(access)
        self.payments = InMemoryPayments(access)
        self.refunds = InMemoryRefunds(access)
        self.inbox = InMemoryInbox(access)
        self.jobs = InMemoryJobs(access)
        self.idempotency = InMemoryIdempotency(access)
        self.sweeps = InMemorySweeps(access)
        self.reconciliations = InMemoryReconciliations(access)
        self.receipts = InMemoryReceipts(access)
        self.customers = InMemoryCustomers(access)
        self.escrows = InMemoryEscrows(access)
        self.billing = InMemoryBilling(access)

    def deferred_writes(self) -> AbstractAsyncContextManager[None]:
        """Nothing to defer: every write lands in the working tables at once."""
        return nullcontext()


@dataclass(frozen=True)
class QueuedJob:
    """A committed job, as a test wants to see it."""

    kind: str
    payload: dict[str, Any]
    run_at: datetime
    dedupe_key: str | None
    state: str
    max_attempts: int


@dataclass(frozen=True)
class StockHold:
    """A committed ``stock_holds`` row."""

    order_id: int
    product_id: int
    imp_uid: str
    quantity: int
    state: str


class InMemoryStore:
    """An in-memory ``UnitsOfWork``: ``transaction()`` and ``reading()``."""

    def __init__(self) -> None:
        self._committed = Tables()
        self._gate: asyncio.Lock | None = None
        self._faults: list[Exception] = []
        self.waiting_writers = 0  # transactions queued behind the one running
        self.commits = 0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[InMemoryUnitOfWork]:
        """A write transaction: committed when the block ends, discarded if it raises."""
        gate = self._gate_lock()
        self.waiting_writers += 1
        try:
            await gate.acquire()
        finally:
            self.waiting_writers -= 1
        try:
            working = copy.deepcopy(self._committed)
            yield InMemoryUnitOfWork(lambda: working, writable=True)
            if self._faults:
                raise self._faults.pop(0)
            self._committed = working
            self.commits += 1
        finally:
            gate.release()

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[InMemoryUnitOfWork]:
        """A read-only unit of work over what is committed; writes raise ``ReadOnlyTransaction``."""
        await asyncio.sleep(0)
        yield InMemoryUnitOfWork(lambda: self._committed, writable=False)

    def fail_next_commit(self, error: Exception) -> None:
        """Make the next transaction raise ``error`` at commit (its writes are lost)."""
        self._faults.append(error)

    def jobs(self, kind: str | None = None) -> list[QueuedJob]:
        """Committed jobs in id order (of ``kind`` only, if given)."""
        rows = [self._committed.jobs[i] for i in sorted(self._committed.jobs)]
        return [
            QueuedJob(
                r["kind"], r["payload"], r["run_at"], r["dedupe_key"], r["state"], r["max_attempts"]
            )
            for r in rows
            if kind is None or r["kind"] == kind
        ]

    def stock_holds(self) -> list[StockHold]:
        """Committed stock holds in id order."""
        rows = self._committed.stock_holds
        return [
            StockHold(
                rows[i]["order_id"],
                rows[i]["product_id"],
                rows[i]["imp_uid"],
                rows[i]["quantity"],
                rows[i]["state"],
            )
            for i in sorted(rows)
        ]

    def _gate_lock(self) -> asyncio.Lock:
        if self._gate is None:
            self._gate = asyncio.Lock()
        return self._gate
