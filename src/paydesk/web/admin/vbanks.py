"""Virtual accounts (``/admin/vbanks``): those awaiting a deposit, and the latest paid.

Read from our books (``services.lookups``: payments by virtual account as last
verified with i'mport), so a deposit shows here once its webhook was applied.
An account past its due date is marked overdue: the worker's expiry job
closes it at i'mport's word, never on the clock alone.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from ...store.payment_book import PaymentQuery
from ..deps import ServicesDep
from .rendering import render
from .session import StaffDep

__all__ = ["router"]

router = APIRouter()
PER_PAGE = 50
RECENTLY_PAID = 20


@router.get("/vbanks")
async def vbanks_page(
    request: Request,
    staff: StaffDep,
    services: ServicesDep,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    """Accounts awaiting a deposit (paged, newest first), then the latest paid."""
    waiting = await services.lookups.payments(PaymentQuery(
        status="ready", pay_method="vbank", limit=PER_PAGE, offset=(page - 1) * PER_PAGE))  # fmt: skip
    paid = await services.lookups.payments(
        PaymentQuery(status="paid", pay_method="vbank", limit=RECENTLY_PAID)
    )
    pages = max(1, -(-waiting.total // PER_PAGE))
    context = {"waiting": waiting, "paid": paid.items, "page": page, "pages": pages,
               "now": services.clock.now()}  # fmt: skip
    return render(request, staff, "admin/vbanks.html", context)
