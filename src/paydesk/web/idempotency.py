"""``Idempotency-Key`` for every write of the merchant API, as one dependency.

A route takes ``idem: IdempotentDep`` and hands its work to it:

    return await idem.in_transaction(body, lambda uow: ...)   # database-only work
    return await idem.once(body, lambda: ...)                  # work that calls out

The same key with the same body answers the stored answer again (with
``Idempotent-Replayed: true``); with another body, 409; while the first request
is still at work, 409 with ``Retry-After``. Without the header the work runs.
Keys are scoped to the caller (the API key that authorised the request) and
the route (method and path): two callers, or two routes, never share a key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.responses import JSONResponse

from ..services.errors import KeyInFlight, KeyReused
from ..services.idempotency import Answer, IdempotencyKeys
from ..store import UnitOfWork
from .auth import caller_key
from .deps import ServicesDep
from .problems import Problem

__all__ = ["Idempotent", "IdempotentDep", "idempotent"]

KeyHeader = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$",
           description="Makes a retried write safe: the same key gets the same answer."),
]  # fmt: skip


@dataclass(frozen=True)
class Idempotent:
    """The work of one write request, done at most once per key."""

    keys: IdempotencyKeys
    scope: str
    key: str | None

    @property
    def token(self) -> str | None:
        """A stable name for (scope, key), for work that keys itself (``requested_by``)."""
        if self.key is None:
            return None
        digest = hashlib.sha256(f"{self.scope}\n{self.key}".encode()).hexdigest()
        return f"idem:{digest[:32]}"

    async def in_transaction(
        self,
        body: Any,
        action: Callable[[UnitOfWork], Awaitable[Answer]],
        *,
        location: Callable[[Any], str] | None = None,
    ) -> JSONResponse:
        """Database-only work, in the transaction that stores the answer.

        ``location`` names the created resource from the answer's body.
        """
        with _problems():
            answer = await self.keys.run(self.scope, self.key, body, action)
        return _response(answer, location)

    async def once(
        self,
        body: Any,
        action: Callable[[], Awaitable[Answer]],
        *,
        location: Callable[[Any], str] | None = None,
    ) -> JSONResponse:
        """Work that calls out: claimed first, answered after."""
        with _problems():
            answer = await self.keys.once(self.scope, self.key, body, action)
        return _response(answer, location)


def idempotent(request: Request, services: ServicesDep, key: KeyHeader = None) -> Idempotent:
    """The ``Idempotent`` of this request: its caller's and route's scope, and its key.

    Route dependencies (``require_scope``) run before this one, so the caller's
    key is known; a route without one (none of the API's) shares the ``-`` scope.
    """
    caller = caller_key(request)
    route = f"{request.method} {request.url.path}"
    prefix = f"k{caller.id} " if caller is not None else "- "
    return Idempotent(services.idempotency, (prefix + route)[:100], key)


IdempotentDep = Annotated[Idempotent, Depends(idempotent)]


class _problems:
    """Idempotency refusals as problem documents."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, error: BaseException | None, _: object) -> None:
        if isinstance(error, KeyReused):
            raise Problem(409, "Idempotency key reused",
                          "This Idempotency-Key was used for a different request.") from error  # fmt: skip
        if isinstance(error, KeyInFlight):
            raise Problem(409, "Request in progress",
                          "The first request with this Idempotency-Key is still at work.",
                          headers={"Retry-After": "1"}) from error  # fmt: skip


def _response(answer: Answer, location: Callable[[Any], str] | None) -> JSONResponse:
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else {}
    if location is not None and 200 <= answer.status_code < 300:
        headers["Location"] = location(answer.body)
    return JSONResponse(answer.body, status_code=answer.status_code, headers=headers)
