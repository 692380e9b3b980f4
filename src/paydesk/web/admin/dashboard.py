"""The admin console's home page (``/admin``): for now the heading and the navigation.

``dashboard`` is mounted at the package router's own path (``/admin``) by
``web/admin/__init__.py`` — FastAPI refuses an empty path in a router
included without a prefix; the dashboard's other routes (``/admin/...``)
go on ``router``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from .rendering import render
from .session import StaffDep

__all__ = ["router"]

router = APIRouter()


async def dashboard(request: Request, staff: StaffDep) -> HTMLResponse:
    """대시보드."""
    return render(request, staff, "admin/dashboard.html")
