"""How many statements a confirm costs, pinned: each one is a round trip the answer waits for.

One call at a time (no batching to share the cost), on SQLite and PostgreSQL. An
approval is its lookup (the earlier decision; the order; its lines; its products'
stock: separate indexed reads, see ``services.confirm``) and its batch (lock products, lock orders, hold, save the order,
its holds, its decision, its hold-check job). SQLite adds a ``BEGIN`` to the batch (the
lookup's reads go to the driver with none: each reads committed state on its own). Counted
are SQLAlchemy's statements and the reads sent to the driver itself (``store.driver``,
which logs each one at DEBUG).
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

#: per backend: an approval, a sold-out refusal, a replay
EXPECTED = {"sqlite": (12, 6, 1), "postgresql": (11, 5, 1)}


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
        sent = [r for r in caplog.records if r.name == "paydesk.store.driver"]
        spent.append((len(statements) + len(sent), decision.refusal))

    approval, sold_out, replay = EXPECTED[database.dialect]
    assert spent == [(approval, None), (sold_out, Refusal.SOLD_OUT), (replay, None)]
