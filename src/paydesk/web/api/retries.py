"""The dead-letter list over HTTP: jobs that ran out of attempts, to retry or dismiss.

``GET /api/retries`` lists them (newest first; ``state`` dead, retrying or
dismissed), ``POST /api/retries/{id}/retry`` queues one again with fresh
attempts, ``POST /api/retries/{id}/dismiss`` closes it for good. The same as
``paydesk retries list|retry|dismiss``. An owed refund whose job died stays
open and is also picked up again by the worker's sweep.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from ...services.errors import JobNotActionable, JobNotFound
from ...store.jobs import JobEntry
from ..auth import AUTH_RESPONSES, READ, WRITE
from ..deps import ServicesDep
from ..problems import Problem, problem_responses
from ..schemas import MAX_ID

__all__ = ["JobOut", "router"]

router = APIRouter(prefix="/api/retries", tags=["retries"],
                   responses=AUTH_RESPONSES | problem_responses(400, 404, 409, 422))  # fmt: skip
JobId = Annotated[int, Path(ge=1, le=MAX_ID)]


class JobOut(BaseModel):
    """A job as the dead-letter list shows it."""

    id: int
    kind: str
    payload: dict[str, Any]
    state: str
    retrying: bool
    attempts: int
    max_attempts: int
    run_at: datetime
    last_error: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, entry: JobEntry) -> JobOut:
        return cls(id=entry.id, kind=entry.kind, payload=entry.payload, state=entry.state,
                   retrying=entry.retrying, attempts=entry.attempts,
                   max_attempts=entry.max_attempts, run_at=entry.run_at,
                   last_error=entry.last_error, created_at=entry.created_at,
                   updated_at=entry.updated_at)  # fmt: skip


@router.get("", response_model=list[JobOut], dependencies=[READ])
async def list_retries(
    services: ServicesDep,
    state: Annotated[Literal["dead", "retrying", "dismissed"], Query()] = "dead",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> list[JobOut]:
    """Jobs that ran out of attempts (or were retried, or dismissed), newest first."""
    entries = await services.retries.listing((state,), limit=limit, before_id=before)
    return [JobOut.of(entry) for entry in entries]


@router.post("/{job_id}/retry", response_model=JobOut, dependencies=[WRITE])
async def retry_job(job_id: JobId, services: ServicesDep) -> JobOut:
    """Queue the job again, due now, with fresh attempts."""
    return JobOut.of(await _acted(services.retries.retry(job_id)))


@router.post("/{job_id}/dismiss", response_model=JobOut, dependencies=[WRITE])
async def dismiss_job(job_id: JobId, services: ServicesDep) -> JobOut:
    """Close the job for good (kept for the record)."""
    return JobOut.of(await _acted(services.retries.dismiss(job_id)))


async def _acted(action: Any) -> JobEntry:
    try:
        entry: JobEntry = await action
    except JobNotFound as missing:
        raise Problem(404, "Not found", str(missing)) from missing
    except JobNotActionable as refused:
        raise Problem(409, "Not actionable", str(refused)) from refused
    return entry
