"""The admin console (``/admin``): server-rendered pages for a merchant's operators.

Every page needs a logged-in staff session (``session.StaffDep``); every form
carries the session's CSRF token (``session.FormStaffDep``). Pages render
through ``rendering.render`` with labels from ``i18n``. Each page module has
its own ``router``, included here.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from . import (
    access,
    checklist,
    dashboard,
    escrows,
    keys,
    orders,
    payments,
    receipts,
    retries,
    subscriptions,
    vbanks,
)
from .access import install_admin_errors

__all__ = ["install_admin_errors", "router"]

router = APIRouter(prefix="/admin", include_in_schema=False)
router.include_router(access.router)
router.add_api_route("", dashboard.dashboard, methods=["GET"], response_class=HTMLResponse)
router.include_router(dashboard.router)
router.include_router(keys.router)
for _pages in (payments, orders, retries, subscriptions, vbanks, receipts, escrows, checklist):
    router.include_router(_pages.router)
