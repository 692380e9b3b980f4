"""Who may call the merchant API: ``Authorization: Bearer <API key>`` with a scope.

``require_scope(Scope.READ)`` is a FastAPI dependency for an ``/api`` route.
Without a usable key the answer is 401 (a problem document, with
``WWW-Authenticate: Bearer`` as RFC 6750 asks); with a valid key that lacks
the scope, 403. The key is checked through ``ApiKeys.authenticate`` and never
logged. The security scheme (HTTP bearer) is declared in the OpenAPI
description of every operation that depends on it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from ..core.api_keys import Scope
from ..store.api_keys import ApiKeyRecord
from .deps import get_services
from .problems import problem_responses

__all__ = ["AUTH_RESPONSES", "BEARER", "READ", "REFUND", "WRITE", "caller_key", "require_scope"]

BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    bearerFormat="pdk_<prefix>_<secret>",
    description="A merchant API key made with `paydesk keys create` (scopes: read, write, refund).",
)
#: The answers every protected operation may give, for its OpenAPI description.
AUTH_RESPONSES = problem_responses(401, 403)

Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]


def _unauthorized(detail: str, error: str | None = None) -> HTTPException:
    challenge = 'Bearer realm="paydesk"' + (f', error="{error}"' if error else "")
    return HTTPException(401, detail, headers={"WWW-Authenticate": challenge})


def require_scope(scope: Scope) -> Callable[..., Awaitable[ApiKeyRecord]]:
    """A dependency: the caller's key, if it is valid and has ``scope``; else 401/403."""

    async def check(request: Request, credentials: Credentials) -> ApiKeyRecord:
        if credentials is None:
            raise _unauthorized("Send an API key: `Authorization: Bearer <key>`.")
        key = await get_services(request).api_keys.authenticate(credentials.credentials)
        if key is None:
            raise _unauthorized("The API key is not valid (unknown or revoked).", "invalid_token")
        if scope not in key.scopes:
            challenge = f'Bearer realm="paydesk", error="insufficient_scope", scope="{scope}"'
            raise HTTPException(403, f"This API key lacks the {scope!s} scope.",
                                headers={"WWW-Authenticate": challenge})  # fmt: skip
        request.state.api_key = key
        return key

    check.__name__ = f"require_{scope.value}"
    return check


def caller_key(request: Request) -> ApiKeyRecord | None:
    """The key that authorised this request, once ``require_scope`` has run."""
    key: Any = getattr(request.state, "api_key", None)
    return key if isinstance(key, ApiKeyRecord) else None


#: Route dependencies: ``@router.get(..., dependencies=[READ])``.
READ = Depends(require_scope(Scope.READ))
WRITE = Depends(require_scope(Scope.WRITE))
REFUND = Depends(require_scope(Scope.REFUND))
