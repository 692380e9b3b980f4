"""``POST /iamport/webhook``: i'mport's payment notifications (JSON or form).

Store first: every delivery is committed verbatim (headers, body, source
address, time) together with its processing job before anything else, and
only then answered 200. If it cannot be stored the answer is 503, so i'mport
(when retries are enabled for the merchant) delivers it again.

The sender must be on the allow-list (``PAYDESK_WEBHOOK_ALLOWED_IPS``, by
default i'mport's official addresses; empty = no check, as in the demo where
the emulator posts from 127.0.0.1). Behind a reverse proxy, list it in
``PAYDESK_TRUSTED_PROXIES`` so its ``X-Forwarded-For`` is believed. A refused
delivery is recorded for the audit — address, headers, size and time, never
its body — and answered 403.

Whatever the body holds, a delivery that fits the size limit is stored: JSON
nested too deeply is not parsed (``load_json``), and lone surrogates, NUL or
invalid UTF-8 in the fields we read are stored escaped (``storable``); the
raw body is kept as bytes. Such a delivery is no payment notification, so it
is answered 400 — never a 5xx that i'mport would redeliver forever.

A delivery marked by ``paydesk doctor`` (``core.doctor_probe``: a header holding
an HMAC under ``PAYDESK_SECRET_KEY``) is answered without being stored: 200 for
a ``delivery`` probe, the allow-list's verdict for an ``allow-list`` probe, 403 if
the mark is forged or stale. Its answer tells the doctor which sender the server
saw, so it can tell whether a proxy hides the real addresses.

The answer goes out right after the commit, never after the job. Then the
job is run in this process (``Services.try_soon``: within ``inline_seconds``,
a few at a time); if that fails, takes too long or too many are already
running, the worker does it. Either way it is the same idempotent job.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.background import BackgroundTask

from ...core.clock import Clock
from ...core.doctor_probe import PROBE_HEADER, probe_kind
from ...settings import Settings
from ...store.inbox import Delivery
from ..deps import get_services, get_settings
from ..forwarding import Network, allowed, sender
from ..limits import load_json, storable
from ..problems import problem_response

__all__ = ["WebhookGate", "answer_probe", "read_notification", "router"]

log = logging.getLogger(__name__)

_FIELDS = {
    "type": "object",
    "properties": {
        name: {"type": "string"}
        for name in ("imp_uid", "merchant_uid", "status", "cancellation_id", "event")
    }
    | {"extra": {"type": "object", "description": "Of an event webhook (Inicis.Escrow.Changed)."}},
}
_OPENAPI = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _FIELDS},
            "application/x-www-form-urlencoded": {"schema": _FIELDS},
        },
    },
    "responses": {
        "200": {"description": "Stored (and usually processed)."},
        "400": {"description": "Stored, but not a payment notification (nothing to process)."},
        "403": {"description": "Sender not on the allow-list (recorded without its body)."},
        "413": {"description": "Body over the gateway limit: refused unread, nothing stored."},
        "503": {"description": "Could not be stored: deliver again."},
    },
}


@dataclass(frozen=True)
class WebhookGate:
    """Who may deliver, and how long to process inline before leaving it to the worker."""

    allow_list: Sequence[Network] = ()
    trusted_proxies: Sequence[Network] = ()
    inline_seconds: float = 10.0


def read_notification(content_type: str, body: bytes) -> dict[str, str]:
    """The string fields of a JSON or form body, storable; empty when it is neither.

    JSON nested past ``MAX_JSON_DEPTH`` is not parsed; invalid UTF-8 reads as
    U+FFFD; lone surrogates and NUL come back escaped.
    """
    try:
        if content_type.startswith("application/json"):
            loaded: Any = load_json(body)
            items = loaded.items() if isinstance(loaded, dict) else []
        else:
            items = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    except ValueError:
        return {}
    return {storable(str(k)): storable(v) for k, v in items if isinstance(v, str)}


def _headers(request: Request) -> dict[str, str]:
    return {name: storable(value) for name, value in request.headers.items()}


def _delivery(request: Request, body: bytes, source: str, clock: Clock) -> Delivery:
    fields = read_notification(request.headers.get("content-type", ""), body)
    imp_uid = fields.get("imp_uid", "")
    return Delivery(
        received_at=clock.now(), source_ip=source, headers=_headers(request), body=body,
        imp_uid=imp_uid if 0 < len(imp_uid) <= 32 else None,
        merchant_uid=fields.get("merchant_uid") or None, status=fields.get("status") or None,
    )  # fmt: skip


def _refused_delivery(request: Request, size: int, source: str, clock: Clock) -> Delivery:
    """What is kept of a refused delivery: who, when, headers and size — not the body."""
    return Delivery(received_at=clock.now(), source_ip=source, headers=_headers(request),
                    body=b"", body_size=size)  # fmt: skip


router = APIRouter(tags=["i'mport"])


@router.post("/iamport/webhook", openapi_extra=_OPENAPI, response_model=None)
async def webhook(request: Request) -> JSONResponse:
    """A payment notification from i'mport: stored, then verified with i'mport.

    Usually served by ``GatewayLane``, like the confirm endpoint.
    """
    services, settings = get_services(request), get_settings(request)
    gate = WebhookGate(settings.webhook_allowed_ips, settings.trusted_proxies)
    source = sender(request, gate.trusted_proxies)
    body = await request.body()  # at most the gateway limit: BodyLimit refuses more with 413
    mark = request.headers.get(PROBE_HEADER)
    if mark is not None:
        return answer_probe(request, settings, gate, source, mark, body, services.clock)
    if allowed(source, gate.allow_list):
        refused, delivery = None, _delivery(request, body, source, services.clock)
    else:
        refused = "forbidden source"
        delivery = _refused_delivery(request, len(body), source, services.clock)
    try:
        receipt = await services.webhooks.receive(delivery, refused=refused)
    except Exception:
        log.exception("webhook from %s could not be stored", delivery.source_ip)
        services.telemetry.webhook_received("unstored")
        return problem_response(503, "Service Unavailable", "The delivery was not stored.")
    if refused is not None:
        log.warning("webhook from %s refused: not on the allow-list", delivery.source_ip)
        services.telemetry.webhook_received("forbidden")
        return problem_response(403, "Forbidden", "The sender is not allowed.")
    if receipt.job_key is None:
        services.telemetry.webhook_received("unreadable")
        return problem_response(400, "Bad Request", "Not a payment notification.")
    services.telemetry.webhook_received("stored")
    # answered as soon as it is stored; the job runs after the answer has gone out
    later = BackgroundTask(services.try_soon, receipt.job_key, gate.inline_seconds)
    return JSONResponse({"stored": True, "inbox_id": receipt.inbox_id}, background=later)


def answer_probe(
    request: Request,
    settings: Settings,
    gate: WebhookGate,
    source: str,
    mark: str,
    body: bytes,
    clock: Clock,
) -> JSONResponse:
    """Answer a doctor's probe (``core.doctor_probe``) without storing anything."""
    key = settings.secret_key.get_secret_value().encode() if settings.secret_key else b""
    kind = probe_kind(key, mark, body, int(clock.now().timestamp())) if key else None
    if kind is None:
        log.warning("webhook from %s refused: bad doctor probe mark", source)
        return problem_response(403, "Forbidden", "Not a valid doctor probe.")
    sight = {"source": source, "peer": request.client.host if request.client else "unknown",
             "forwarded": bool(request.headers.getlist("x-forwarded-for"))}  # fmt: skip
    if kind == "allow-list" and not allowed(source, gate.allow_list):
        return problem_response(403, "Forbidden", "The sender is not allowed.", probe=kind, **sight)
    allowed_here = allowed(source, gate.allow_list)
    return JSONResponse({"probe": kind, "stored": False, "allowed": allowed_here, **sight})
