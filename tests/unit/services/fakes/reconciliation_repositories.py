"""In-memory reconciliation reports: ``ReconciliationBook`` over dicts.

The contract test (``tests/integration/store/test_fake_store_contract.py``)
holds this and the real repository to the same scenarios.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from paydesk.store.reconciliations import (
    MAX_ERROR_CHARS,
    DriftItem,
    NewDriftItem,
    ReconciliationRecord,
)

from .tables import Access, FakeRow, Row, as_json, aware

__all__ = ["InMemoryReconciliations"]


def _sweep(row: Row) -> ReconciliationRecord:
    return ReconciliationRecord.from_row(FakeRow(row))


def _item(row: Row) -> DriftItem:
    return DriftItem.from_row(FakeRow(row))


class InMemoryReconciliations:
    """``ReconciliationBook`` over dicts."""

    def __init__(self, access: Access) -> None:
        self._access = access

    async def start(
        self, trigger: str, range_from: datetime, range_to: datetime, now: datetime
    ) -> int:
        tables = await self._access.step(write=True)
        sweep_id = tables.new_id("reconciliations")
        tables.reconciliations[sweep_id] = {
            "id": sweep_id, "trigger": trigger[:16], "status": "running",
            "range_from": aware(range_from), "range_to": aware(range_to),
            "started_at": aware(now), "finished_at": None, "checked": 0, "counts": {},
            "error": None,
        }  # fmt: skip
        return sweep_id

    async def add_item(self, reconciliation_id: int, item: NewDriftItem, now: datetime) -> int:
        tables = await self._access.step(write=True)
        tables.require("reconciliations", reconciliation_id)
        tables.require("orders", item.order_id)
        item_id = tables.new_id("reconciliation_items")
        tables.reconciliation_items[item_id] = {
            "id": item_id, "reconciliation_id": reconciliation_id, "drift": item.drift,
            "imp_uid": item.imp_uid, "merchant_uid": item.merchant_uid,
            "order_id": item.order_id, "iamport_status": item.iamport_status,
            "detail": as_json(dict(item.detail)), "action": item.action,
            "resolved": item.resolved, "created_at": aware(now),
        }  # fmt: skip
        return item_id

    async def add_items(
        self, reconciliation_id: int, items: Sequence[NewDriftItem], now: datetime
    ) -> None:
        for item in items:
            await self.add_item(reconciliation_id, item, now)

    async def finish(
        self,
        reconciliation_id: int,
        *,
        status: str,
        checked: int,
        counts: Mapping[str, int],
        now: datetime,
        error: str | None = None,
    ) -> None:
        tables = await self._access.step(write=True)
        row = tables.reconciliations.get(reconciliation_id)
        if row is not None:
            row.update(status=status, checked=checked, counts=as_json(dict(counts)),
                       finished_at=aware(now),
                       error=error[:MAX_ERROR_CHARS] if error else None)  # fmt: skip

    async def get(self, reconciliation_id: int) -> ReconciliationRecord | None:
        tables = await self._access.step()
        row = tables.reconciliations.get(reconciliation_id)
        return _sweep(row) if row else None

    async def listing(
        self, *, limit: int = 50, before: int | None = None
    ) -> list[ReconciliationRecord]:
        tables = await self._access.step()
        ids = sorted((i for i in tables.reconciliations if before is None or i < before),
                     reverse=True)  # fmt: skip
        return [_sweep(tables.reconciliations[i]) for i in ids[:limit]]

    async def last_finished(self) -> ReconciliationRecord | None:
        tables = await self._access.step()
        done = [r for r in tables.reconciliations.values() if r["status"] == "finished"]
        if not done:
            return None
        return _sweep(max(done, key=lambda r: (r["range_to"], r["id"])))

    async def items(self, reconciliation_id: int) -> list[DriftItem]:
        tables = await self._access.step()
        rows = tables.reconciliation_items
        return [_item(rows[i]) for i in sorted(rows)
                if rows[i]["reconciliation_id"] == reconciliation_id]  # fmt: skip

    async def orphans(self, *, limit: int = 100) -> list[DriftItem]:
        tables = await self._access.step()
        newest: dict[str, int] = {}
        for item_id, row in tables.reconciliation_items.items():
            if row["drift"] == "orphan":
                newest[row["imp_uid"]] = max(item_id, newest.get(row["imp_uid"], 0))
        ids = sorted(newest.values(), reverse=True)[:limit]
        return [_item(tables.reconciliation_items[i]) for i in ids]
