"""Subscriptions and billing keys (``/admin/subscriptions``): read-only lists.

Subscriptions, newest first, each with its plan, status, next charge and its
latest charge attempt (linked to the payment when it has one); and the
billing keys on record with their masked card metadata — the card's name,
code and last four digits are all we ever keep (``store.billing``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from ...core.subscriptions import SubscriptionStatus
from ..deps import ServicesDep
from .rendering import render
from .session import StaffDep

__all__ = ["router"]

router = APIRouter()
PER_PAGE = 50
STATUSES = tuple(s.value for s in SubscriptionStatus)


@router.get("/subscriptions")
async def subscriptions_page(
    request: Request,
    staff: StaffDep,
    services: ServicesDep,
    status: Annotated[str, Query(max_length=20)] = "",
    before: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    keys_page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    """Subscriptions (``before``: their next page) and billing keys (``keys_page``)."""
    wanted = status if status in STATUSES else None
    found = await services.subscriptions.listing(status=wanted, limit=PER_PAGE + 1,
                                                 before_id=before)  # fmt: skip
    more = len(found) > PER_PAGE
    found = found[:PER_PAGE]
    last = await services.subscriptions.last_charges([s.id for s in found])
    keys = await services.billing_keys.listing(limit=PER_PAGE + 1,
                                               offset=(keys_page - 1) * PER_PAGE)  # fmt: skip
    context = {
        "subscriptions": found, "last_charges": last, "statuses": STATUSES, "status": wanted or "",
        "before": before, "next_before": found[-1].id if more else None,
        "keys": keys[:PER_PAGE], "keys_page": keys_page, "more_keys": len(keys) > PER_PAGE,
    }  # fmt: skip
    return render(request, staff, "admin/subscriptions.html", context)
