"""``/healthz`` and ``/readyz``: what a load balancer or orchestrator asks.

- ``GET /healthz``: the process answers (no database: a slow database must not get
  healthy servers restarted).
- ``GET /readyz``: the database answers and is migrated to the code's head; else
  503 problem. Either way the answer says nothing about the setup beyond that.

Both are public and GET only (audience "ops" in the route walk).
"""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ..store.migrate import head
from .deps import ServicesDep
from .problems import problem_response, problem_responses

__all__ = ["READY_TIMEOUT_SECONDS", "router"]

log = logging.getLogger(__name__)

READY_TIMEOUT_SECONDS = 3.0

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "alive"}


@router.get("/readyz", response_model=None, responses=problem_responses(503))
async def readyz(services: ServicesDep) -> JSONResponse:
    """The database is reachable and migrated: this server can take requests."""
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS), services.store.reading() as uow:
            revision = await uow.schema.revision()
    except Exception as error:  # any trouble reaching it means "not ready"
        log.warning("readyz: database unreachable: %s", type(error).__name__)
        return problem_response(503, "Service Unavailable", "The database is unreachable.")
    if revision != head():
        log.warning("readyz: database at revision %s, the code needs %s", revision, head())
        return problem_response(503, "Service Unavailable", "The database is not migrated.")
    return JSONResponse({"status": "ready"})
