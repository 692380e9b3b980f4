"""``POST /iamport/webhook``: i'mport's payment notifications (JSON or form).

Store first: every delivery is committed verbatim (headers, body, source
address, time) together with its processing job before anything else, and
only then answered 200. If it cannot be stored the answer is 503, so i'mport
(when retries are enabled for the merchant) delivers it again.

The sender must be on the allow-list (``PAYDESK_WEBHOOK_ALLOWED_IPS``, by
default i'mport's official addresses; empty = no check, as in the demo where
the emulator posts from 127.0.0.1). Behind a reverse proxy, list it in
``PAYDESK_TRUSTED_PROXIES`` so its ``X-Forwarded-For`` is believed. A refused
delivery is stored too (for the audit) and answered 403.

After the commit the job is run right away, within ``inline_seconds``; if
that fails or takes too long the worker finishes it. Either way it is the same
idempotent job.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ...core.clock import Clock
from ...store.inbox import Delivery
from ..deps import ServicesDep, SettingsDep
from ..forwarding import Network, allowed, source_address
from ..problems import problem_response

__all__ = ["WebhookGate", "read_notification", "router"]

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
        "403": {"description": "Sender not on the allow-list (stored, not processed)."},
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
    """The string fields of a JSON or form body; empty when it is neither."""
    try:
        if content_type.startswith("application/json"):
            loaded: Any = json.loads(body)
            items = loaded.items() if isinstance(loaded, dict) else []
        else:
            items = parse_qsl(body.decode(), keep_blank_values=True)
    except (ValueError, UnicodeDecodeError):
        return {}
    return {str(k): v for k, v in items if isinstance(v, str)}


def _delivery(request: Request, body: bytes, clock: Clock, gate: WebhookGate) -> Delivery:
    peer = request.client.host if request.client else None
    source = source_address(peer, request.headers.get("x-forwarded-for"), gate.trusted_proxies)
    fields = read_notification(request.headers.get("content-type", ""), body)
    imp_uid = fields.get("imp_uid", "")
    return Delivery(
        received_at=clock.now(), source_ip=source, headers=dict(request.headers), body=body,
        imp_uid=imp_uid if 0 < len(imp_uid) <= 32 else None,
        merchant_uid=fields.get("merchant_uid") or None, status=fields.get("status") or None,
    )  # fmt: skip


router = APIRouter(tags=["i'mport"])


@router.post("/iamport/webhook", openapi_extra=_OPENAPI, response_model=None)
async def webhook(request: Request, services: ServicesDep, settings: SettingsDep) -> JSONResponse:
    """A payment notification from i'mport: stored, then verified with i'mport."""
    gate = WebhookGate(settings.webhook_allowed_ips, settings.trusted_proxies)
    delivery = _delivery(request, await request.body(), services.clock, gate)
    refused = None if allowed(delivery.source_ip, gate.allow_list) else "forbidden source"
    try:
        receipt = await services.webhooks.receive(delivery, refused=refused)
    except Exception:
        log.exception("webhook from %s could not be stored", delivery.source_ip)
        return problem_response(503, "Service Unavailable", "The delivery was not stored.")
    if refused is not None:
        log.warning("webhook from %s refused: not on the allow-list", delivery.source_ip)
        return problem_response(403, "Forbidden", "The sender is not allowed.")
    if receipt.job_key is None:
        return problem_response(400, "Bad Request", "Not a payment notification.")
    await services.try_now(receipt.job_key, gate.inline_seconds)
    return JSONResponse({"stored": True, "inbox_id": receipt.inbox_id})
