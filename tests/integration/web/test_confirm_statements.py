"""How many round trips a confirm costs, pinned: the answer waits for each one.

One call at a time (no batching to share the cost), on SQLite and PostgreSQL. An
approval is its lookup (the earlier decision; the order; its lines; its products'
stock: separate indexed reads, see ``services.confirm``) and its batch (lock products,
lock orders, then its writes: the stock move, the order, its holds, its hold-check job
and its decision). On SQLite the batch's writes wait and go with its decision's insert,
in one trip (``UnitOfWork.deferred_writes``), and each transaction's ``BEGIN`` goes with
its first statement; the lookup's reads go to the driver with no ``BEGIN`` at all (each
reads committed state on its own). Counted are SQLAlchemy's statements and those sent
to the driver itself (``store.driver``, which logs each one at DEBUG, a deferred write
as deferred).
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import event

from paydesk.core.confirm import Refusal
from paydesk.store import Database

from .test_confirm_deadline import call, desk, seed

pytestmark = pytest.mark.asyncio

#: per backend: the trips of an approval, a sold-out refusal, a replay
EXPECTED = {"sqlite": (7, 5, 1), "postgresql": (11, 5, 1)}
#: and the writes that made no trip of their own (SQLite's batch sends them with its
#: decisions: the stock move, the order, its hold, its job)
DEFERRED = {"sqlite": (4, 0, 0), "postgresql": (0, 0, 0)}


async def test_statements_per_confirm(
    database_url: str, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    _, uids = await seed(database, stock=1, orders=2)
    confirms = desk(database)
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]).split()[0])

    event.listen(database.engine.sync_engine, "before_cursor_execute", count)
    spent = []
    caplog.set_level(logging.DEBUG, logger="paydesk.store.driver")
    for imp_uid, uid in (("imp_ok", uids[0]), ("imp_late", uids[1]), ("imp_ok", uids[0])):
        statements.clear()
        caplog.clear()
        decision = await confirms.confirm(call(imp_uid, uid), {})
        logged = [r.getMessage() for r in caplog.records if r.name == "paydesk.store.driver"]
        deferred = [m for m in logged if m.endswith("deferred)")]
        trips = len(statements) + len(logged) - len(deferred)
        spent.append((trips, len(deferred), decision.refusal))

    (approval, sold_out, replay), (held, _, _) = (
        EXPECTED[database.dialect],
        DEFERRED[database.dialect],
    )
    assert spent == [(approval, held, None), (sold_out, 0, Refusal.SOLD_OUT), (replay, 0, None)]
