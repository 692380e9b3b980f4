"""The retry queue (``/admin/retries``): jobs retrying after a failure and the dead letters.

Each row can be re-attempted (a dead or dismissed job is queued again with
fresh attempts; a retrying one is made due now) or dismissed (closed for
good, kept for the record), through ``services.retries``. Both are
conditional on the job's state, so a second person pressing the same button
is told what the job is now instead of acting twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from ...services.errors import JobNotActionable, JobNotFound
from ...store.jobs import JobEntry
from ..deps import ServicesDep
from .i18n import translator
from .rendering import render, see_other
from .session import FormStaffDep, StaffDep

__all__ = ["router"]

log = logging.getLogger(__name__)
router = APIRouter()
PER_PAGE = 50
JobId = Annotated[int, Path(ge=1, le=2**63 - 1)]
#: The page's tabs: which states each shows.
VIEWS: dict[str, tuple[str, ...]] = {
    "open": ("retrying", "dead"),
    "dead": ("dead",),
    "retrying": ("retrying",),
    "dismissed": ("dismissed",),
}
View = Literal["open", "dead", "retrying", "dismissed"]


@router.get("/retries")
async def retries_page(
    request: Request,
    staff: StaffDep,
    services: ServicesDep,
    view: Annotated[View, Query(alias="state")] = "open",
    before: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> HTMLResponse:
    """One page of the queue, newest first (``before``: the next page)."""
    jobs = await services.retries.listing(VIEWS[view], limit=PER_PAGE + 1, before_id=before)
    more = len(jobs) > PER_PAGE
    jobs = jobs[:PER_PAGE]
    context = {"jobs": jobs, "view": view, "views": list(VIEWS),
               "next_before": jobs[-1].id if more else None, "before": before}  # fmt: skip
    return render(request, staff, "admin/retries.html", context)


@router.post("/retries/{job_id}/retry")
async def retry_job(
    request: Request, job_id: JobId, staff: FormStaffDep, services: ServicesDep
) -> Response:
    """Re-attempt the job; back to the queue with what happened."""
    return await _act(request, staff.lang, staff.username, "retry",
                      services.retries.retry(job_id, retrying=True))  # fmt: skip


@router.post("/retries/{job_id}/dismiss")
async def dismiss_job(
    request: Request, job_id: JobId, staff: FormStaffDep, services: ServicesDep
) -> Response:
    """Close the job for good; back to the queue with what happened."""
    return await _act(request, staff.lang, staff.username, "dismiss",
                      services.retries.dismiss(job_id, retrying=True))  # fmt: skip


async def _act(
    request: Request, lang: str, username: str, action: str, done: Awaitable[JobEntry]
) -> Response:
    t = translator(lang)
    back = _back(request)
    try:
        entry = await done
    except JobNotFound:
        return see_other(request, back, t("retries.not_found"), kind="error")
    except JobNotActionable as refused:
        return see_other(request, back, t(f"retries.{action}_refused", reason=str(refused)),
                         kind="error")  # fmt: skip
    log.info("staff user %s: %s job %s (%s)", username, action, entry.id, entry.kind)
    return see_other(request, back, t(f"retries.{action}_done", id=entry.id, kind=entry.kind))


def _back(request: Request) -> str:
    """The queue's tab the form was sent from (only a known one)."""
    view = request.query_params.get("state", "open")
    return (
        "/admin/retries" if view not in VIEWS or view == "open" else f"/admin/retries?state={view}"
    )
