"""``/api/reconciliations``: the reconciliation sweeps' drift reports.

``GET /api/reconciliations`` lists sweeps newest first with their counts per
drift type (key paging with ``before``); ``GET /api/reconciliations/{id}``
adds the drifted payments; ``GET /api/reconciliations/orphans`` lists the
payments i'mport holds money for that no order names (the newest item of each).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from ...services.reconciliation import counts_of
from ...store.reconciliations import DriftItem, ReconciliationRecord
from ..deps import ServicesDep
from ..problems import Problem
from ..schemas import MAX_ID

__all__ = ["DriftItemOut", "ReconciliationDetail", "ReconciliationOut", "router"]


class ReconciliationOut(BaseModel):
    """One sweep: the range it read, where it stands, and its counts per drift type."""

    id: int
    trigger: str = Field(description="cli or worker")
    status: str = Field(description="running, finished or failed")
    range_from: datetime
    range_to: datetime
    started_at: datetime
    finished_at: datetime | None
    checked: int = Field(description="Payments read from i'mport's listings.")
    counts: dict[str, int] = Field(
        description="Items per drift type: orphan, amount_mismatch, cancelled_at_iamport, missed."
    )
    error: str | None

    @classmethod
    def of(cls, record: ReconciliationRecord) -> ReconciliationOut:
        return cls(
            id=record.id, trigger=record.trigger, status=record.status,
            range_from=record.range_from, range_to=record.range_to,
            started_at=record.started_at, finished_at=record.finished_at,
            checked=record.checked, counts=counts_of(record.counts), error=record.error,
        )  # fmt: skip


class DriftItemOut(BaseModel):
    """A payment on which our books and i'mport disagreed, and what the sweep did."""

    id: int
    reconciliation_id: int
    drift: str
    imp_uid: str
    merchant_uid: str
    order_id: int | None
    iamport_status: str
    detail: dict[str, Any]
    action: str
    resolved: bool = Field(description="False: the books still disagree; a person must look.")
    created_at: datetime

    @classmethod
    def of(cls, item: DriftItem) -> DriftItemOut:
        return cls(
            id=item.id, reconciliation_id=item.reconciliation_id, drift=item.drift,
            imp_uid=item.imp_uid, merchant_uid=item.merchant_uid, order_id=item.order_id,
            iamport_status=item.iamport_status, detail=item.detail, action=item.action,
            resolved=item.resolved, created_at=item.created_at,
        )  # fmt: skip


class ReconciliationDetail(ReconciliationOut):
    """A sweep with its drifted payments."""

    items: list[DriftItemOut]


router = APIRouter(prefix="/api/reconciliations", tags=["reconciliations"])


@router.get("", response_model=list[ReconciliationOut])
async def list_reconciliations(
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Only sweeps with a smaller id.")
    ] = None,
) -> list[ReconciliationOut]:
    """Sweeps, newest first, with their counts per drift type."""
    records = await services.reconciler.reports(limit=limit, before=before)
    return [ReconciliationOut.of(record) for record in records]


@router.get("/orphans", response_model=list[DriftItemOut])
async def list_orphans(
    services: ServicesDep, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[DriftItemOut]:
    """Payments paid at i'mport that no order names, as last reported (newest first)."""
    return [DriftItemOut.of(item) for item in await services.reconciler.orphans(limit=limit)]


@router.get("/{reconciliation_id}", response_model=ReconciliationDetail)
async def get_reconciliation(
    reconciliation_id: Annotated[int, Path(ge=1, le=MAX_ID)], services: ServicesDep
) -> ReconciliationDetail:
    """One sweep with its drifted payments."""
    report = await services.reconciler.report(reconciliation_id)
    if report is None:
        raise Problem(404, "Reconciliation not found", f"No reconciliation {reconciliation_id}.")
    summary = ReconciliationOut.of(report.reconciliation)
    items = [DriftItemOut.of(item) for item in report.items]
    return ReconciliationDetail(**summary.model_dump(), items=items)
