"""``GET /metrics``: the Prometheus exposition of ``services.telemetry``, for operators.

The "ops" audience. Allowed from an address on ``PAYDESK_METRICS_ALLOWED_IPS``
(by default loopback only; behind ``PAYDESK_TRUSTED_PROXIES`` the client they
name counts, as for webhooks; an empty list allows no address), or to anyone
presenting ``Authorization: Bearer <PAYDESK_METRICS_TOKEN>``. A request that
presents credentials is judged by them alone: a wrong token is refused even
from a listed address. Refusals: 401 (with ``WWW-Authenticate: Bearer``) when a
token is configured, else 403.

The backlog gauges are counted from the database at scrape time, at most
every few seconds (``Telemetry.refresh``).
"""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ..settings import Settings
from .deps import ServicesDep, SettingsDep
from .forwarding import allowed, sender
from .problems import problem_response

__all__ = ["router", "scrape_allowed"]

router = APIRouter(include_in_schema=False)


def scrape_allowed(request: Request, settings: Settings) -> bool:
    """Whether ``request`` may read the metrics (see the module)."""
    authorization = request.headers.get("authorization")
    if settings.metrics_token is not None and authorization is not None:
        scheme, _, presented = authorization.partition(" ")
        expected = settings.metrics_token.get_secret_value()
        return scheme.lower() == "bearer" and hmac.compare_digest(
            presented.strip().encode(), expected.encode()
        )
    networks = settings.metrics_allowed_ips
    return bool(networks) and allowed(sender(request, settings.trusted_proxies), networks)


@router.get("/metrics")
async def metrics(request: Request, services: ServicesDep, settings: SettingsDep) -> Response:
    """The metrics in Prometheus' text format."""
    if not scrape_allowed(request, settings):
        if settings.metrics_token is None:
            return problem_response(403, "Forbidden", "Not allowed to read the metrics.")
        answer = problem_response(401, "Unauthorized", "A valid metrics token is required.")
        answer.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return answer
    await services.telemetry.refresh(services.store, services.clock.now())
    body = generate_latest(services.telemetry.registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
