"""Cash receipts (``/admin/receipts``): those of i'mport payments and external ones, apart.

Two tables, as in the books and the API (``services.receipts``): receipts
of our payments (by imp_uid, linked to the order) and external receipts of
sales made elsewhere (by merchant_uid). Each pages on its own (``before``,
``ext_before``). The identifier is shown masked, as it is stored.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from ...core.receipts import ReceiptState
from ...store.receipts import ReceiptQuery, ReceiptRecord
from ..deps import ServicesDep
from .rendering import render
from .session import StaffDep

__all__ = ["router"]

router = APIRouter()
PER_PAGE = 50
STATES = tuple(s.value for s in ReceiptState)
Before = Annotated[int | None, Query(ge=1, le=2**63 - 1)]


@router.get("/receipts")
async def receipts_page(
    request: Request,
    staff: StaffDep,
    services: ServicesDep,
    state: Annotated[str, Query(max_length=20)] = "",
    before: Before = None,
    ext_before: Before = None,
) -> HTMLResponse:
    """Both kinds of receipt, newest first, optionally of one state."""
    wanted = state if state in STATES else None
    ours = await services.receipts.search(
        "payment", ReceiptQuery(state=wanted, before=before, limit=PER_PAGE + 1))  # fmt: skip
    external = await services.receipts.search(
        "external", ReceiptQuery(state=wanted, before=ext_before, limit=PER_PAGE + 1))  # fmt: skip
    context = {"states": STATES, "state": wanted or "", "before": before,
               "ext_before": ext_before, **_page("ours", ours), **_page("external", external)}  # fmt: skip
    return render(request, staff, "admin/receipts.html", context)


def _page(name: str, found: list[ReceiptRecord]) -> dict[str, object]:
    more = len(found) > PER_PAGE
    shown = found[:PER_PAGE]
    return {name: shown, f"{name}_next": shown[-1].id if more else None}
