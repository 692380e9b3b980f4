"""The launch checklist (``/admin/checklist``): the last ``paydesk doctor`` run, and "run now".

The page shows the newest stored run (``services.doctor.last_run``): when it
ran, for which environment, its overall status, and every item of the
service launch checklist in the checklist's order, grouped by section, with
its status, detail and guidance. "Run now" runs the doctor in this process
(it probes our own public URLs and asks i'mport, as the command does) and
stores the run; the page then shows it. Without a doctor (the services were
built without one) the page says so.
"""

from __future__ import annotations

import logging
from itertools import groupby
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from ...core.launch_checklist import CHECKLIST, Status
from ..deps import ServicesDep
from .i18n import translator
from .rendering import render, see_other
from .session import FormStaffDep, StaffDep

__all__ = ["router"]

log = logging.getLogger(__name__)
router = APIRouter()
_ORDER = {item.key: index for index, item in enumerate(CHECKLIST)}


@router.get("/checklist")
async def checklist_page(request: Request, staff: StaffDep, services: ServicesDep) -> HTMLResponse:
    """The last run, item by item in the checklist's order."""
    doctor = services.doctor
    last = await doctor.last_run() if doctor is not None else None
    sections: list[tuple[str, list[dict[str, Any]]]] = []
    counts = {status.value: 0 for status in Status}
    if last is not None:
        results = sorted(last.results, key=lambda r: _ORDER.get(str(r.get("key")), len(_ORDER)))
        for result in results:
            counts[str(result.get("status"))] = counts.get(str(result.get("status")), 0) + 1
        sections = [(name, list(items))
                    for name, items in groupby(results, key=lambda r: str(r.get("section")))]  # fmt: skip
    context = {"configured": doctor is not None, "last": last, "sections": sections,
               "counts": counts}  # fmt: skip
    return render(request, staff, "admin/checklist.html", context)


@router.post("/checklist/run")
async def run_now(
    request: Request,
    staff: FormStaffDep,
    services: ServicesDep,
    production: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Run the doctor now and store the run; back to the page with its overall status."""
    t = translator(staff.lang)
    if services.doctor is None:
        return see_other(request, "/admin/checklist", t("checklist.not_configured"), kind="error")
    report = await services.doctor.run(bool(production))
    log.info("staff user %s ran the launch doctor: %s", staff.username, report.status.value)
    if not report.saved:
        return see_other(request, "/admin/checklist", t("checklist.not_saved"), kind="error")
    status = t(f"checklist.status.{report.status.value}")
    return see_other(request, "/admin/checklist", t("checklist.ran", status=status),
                     kind="error" if report.failed else "ok")  # fmt: skip
