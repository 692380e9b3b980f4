"""The admin console's home page (``/admin``) and its one action, "run a reconciliation now".

The page shows ``backoffice.dashboard``: today's sales, refunds and net (Korean
day); a chart of the last ``DAYS`` days (chart.js from ``/static/vendor``,
drawn by ``/static/admin/dashboard.js`` from a JSON block in the page, with a
table of the same figures for anyone without the chart); the items that need
a look, each a link to the filtered search; the last reconciliation's drift;
the retry and dead-letter depth.

``dashboard`` is mounted at the package router's own path (``/admin``) by
``web/admin/__init__.py`` — FastAPI refuses an empty path in a router
included without a prefix; the dashboard's other routes (``/admin/...``)
go on ``router``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from ...services.backoffice import Dashboard
from ..deps import ServicesDep
from .i18n import translator
from .rendering import render, see_other
from .session import FormStaffDep, StaffDep

__all__ = ["DAYS", "router"]

log = logging.getLogger(__name__)
router = APIRouter()
DAYS = 14


async def dashboard(request: Request, staff: StaffDep, services: ServicesDep) -> HTMLResponse:
    """대시보드."""
    board = await services.backoffice.dashboard(days=DAYS)
    t = translator(staff.lang)
    context = {"board": board, "days": DAYS, "chart": _chart(board, t)}
    return render(request, staff, "admin/dashboard.html", context)


@router.post("/reconcile")
async def reconcile_now(request: Request, staff: FormStaffDep, services: ServicesDep) -> Response:
    """Queue a reconciliation sweep (the worker runs it); back to the dashboard."""
    t = translator(staff.lang)
    asked = await services.actions.reconcile_now()
    if not asked.queued:
        return see_other(request, "/admin", t("dashboard.reconcile_busy"), kind="error")
    log.info("staff user %s queued a reconciliation", staff.username)
    return see_other(request, "/admin", t("dashboard.reconcile_queued"))


def _chart(board: Dashboard, t: Any) -> dict[str, Any]:
    """What ``dashboard.js`` draws: days, the two series, and their labels."""
    return {
        "labels": [day.day.strftime("%m-%d") for day in board.series],
        "series": [
            {"key": "sales", "label": t("dashboard.sales"),
             "values": [day.sales for day in board.series]},
            {"key": "refunds", "label": t("dashboard.refunds"),
             "values": [day.refunds for day in board.series]},
        ],
        "currency": board.currency,
    }  # fmt: skip
