"""The i'mport V1 REST API: one module per group of operations, routed by ``routing``.

``operations`` lists every documented operation with its HTTP statuses; a
group module decides the answers for its paths.  ``routes`` is the whole API
as Starlette routes, and ``catch_all`` answers what no route matched.
"""

from starlette.routing import BaseRoute, Route

from . import (
    auth,
    cancel,
    certifications,
    codes,
    customers,
    escrows,
    partners,
    payments,
    prepare,
    receipts,
    schedules,
    shipping,
    subscribe,
    vbanks,
)  # fmt: skip
from .routing import fallback, rest_routes

__all__ = ["catch_all", "routes"]

_GROUPS = (auth, payments, prepare, cancel, subscribe, customers, schedules, vbanks,
           receipts, certifications, escrows, codes, partners, shipping)  # fmt: skip

routes: list[BaseRoute] = rest_routes(group.routes for group in _GROUPS)
catch_all = Route("/{rest:path}", fallback, methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
