"""How endpoint handlers plug into the emulator.

A group module owns a ``RouteTable`` and decorates plain functions::

    routes = RouteTable()

    @routes.op("GET", "/payments/{imp_uid}")
    def get_payment(call: Call) -> object:
        return call.gateway.require_payment(call.merchant, call.path["imp_uid"]).wire()

A handler returns the envelope's ``response`` (or a ``Reply`` for another
status/code) and raises ``ApiFault`` to refuse.  The app authenticates,
parses parameters, wraps the envelope and saves state; handlers only decide.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from ..gateway.gateway import Gateway
from ..gateway.merchants import Merchant
from ..gateway.params import Params
from .operations import Operation

__all__ = ["Call", "Handler", "Reply", "RouteTable", "run_handler"]


@dataclass(slots=True)
class Call:
    """One authenticated API call as a handler sees it."""

    gateway: Gateway
    merchant: Merchant
    params: Params
    path: dict[str, str]
    request: Request
    operation: Operation | None = None

    @property
    def now(self) -> int:
        return self.gateway.now()


@dataclass(slots=True)
class Reply:
    response: Any = None
    status: int = 200
    code: int = 0
    message: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Call], Any | Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str
    handler: Handler
    auth: bool


class RouteTable:
    """A group's handlers, keyed by method and i'mport path template."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def op(self, method: str, path: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(Route(method.upper(), path, handler, auth))
            return handler

        return register


async def run_handler(handler: Handler, call: Call) -> Reply:
    result = handler(call)
    if inspect.isawaitable(result):
        result = await result
    return result if isinstance(result, Reply) else Reply(result)
