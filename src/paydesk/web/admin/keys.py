"""The API keys page (``/admin/keys``): list, create (the key is shown once), revoke.

A new key is shown on the answer to the POST itself, never put in a
redirect, a cookie or a log; reloading that answer would make another key,
so the page says to copy it at once.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from ...core.api_keys import Scope, parse_scopes
from ...services.api_keys import NewKey
from ...services.errors import InvalidKeyRequest, KeyNotFound
from ..deps import ServicesDep
from .i18n import translator
from .rendering import render, see_other
from .session import FormStaffDep, Staff, StaffDep

__all__ = ["router"]

log = logging.getLogger(__name__)
router = APIRouter()
KeyId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.get("/keys")
async def keys_page(request: Request, staff: StaffDep, services: ServicesDep) -> HTMLResponse:
    """Every key, revoked ones included."""
    return await _page(request, staff, services)


@router.post("/keys")
async def create_key(
    request: Request,
    staff: FormStaffDep,
    services: ServicesDep,
    name: Annotated[str, Form()] = "",
    scopes: Annotated[list[str] | None, Form()] = None,
) -> HTMLResponse:
    """Make a key and show it, this once."""
    chosen = scopes or []
    try:
        made = await services.api_keys.create(name, parse_scopes(chosen))
    except (InvalidKeyRequest, ValueError) as exc:
        return await _page(request, staff, services, error=str(exc), name=name[:100],
                           chosen=chosen, status_code=400)  # fmt: skip
    log.info("staff user %s made API key %s (%s)", staff.username, made.record.id,
             made.record.prefix)  # fmt: skip
    return await _page(request, staff, services, new_key=made)


@router.post("/keys/{key_id}/revoke")
async def revoke_key(
    request: Request, staff: FormStaffDep, services: ServicesDep, key_id: KeyId
) -> Response:
    """Stop a key from working; back to the list."""
    t = translator(staff.lang)
    try:
        record = await services.api_keys.revoke(key_id)
    except KeyNotFound:
        return see_other(request, "/admin/keys", t("keys.not_found"), kind="error")
    log.info("staff user %s revoked API key %s", staff.username, record.id)
    return see_other(request, "/admin/keys", t("keys.revoked_done", name=record.name))


async def _page(
    request: Request, staff: Staff, services: Any, *, new_key: NewKey | None = None,
    error: str | None = None, name: str = "", chosen: list[str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    keys = await services.api_keys.listing()
    context = {"keys": keys, "scopes": list(Scope), "new_key": new_key, "error": error,
               "name": name, "chosen": set(chosen or [])}  # fmt: skip
    return render(request, staff, "admin/keys.html", context, status_code=status_code)
