"""``POST /iamport/confirm``: the Confirm Process endpoint i'mport calls before approval.

i'mport approves the payment only on HTTP 200; any other status fails it and
shows our ``{"reason": ...}`` to the buyer. So this endpoint never answers 5xx:
a request it cannot read gets 400, a database it cannot reach gets 429
"temporarily unavailable" (logged), and every refusal carries its reason.
Accepts JSON or form bodies, with ``amount`` (current) or ``status`` (older).

Before anything is held or stored, the call must come to the order's own
signed ``confirm_url`` (``?token=`` the HMAC of its merchant_uid) and, when
``PAYDESK_CONFIRM_ALLOWED_IPS`` is set, from a listed address
(``confirm_guard``); otherwise it is refused 403 ``{"reason": "forbidden"}``.
"""

from __future__ import annotations

import logging
import time
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ...core.confirm import ConfirmCall, Refusal
from ...services.container import Services
from ...services.errors import ConfirmUnavailable
from ..confirm_guard import ConfirmGuard
from ..deps import get_confirm_guard, get_services
from ..forwarding import sender
from ..limits import load_json, storable

__all__ = ["REFUSAL_STATUS", "parse_call", "router", "unavailable"]

log = logging.getLogger(__name__)

#: HTTP status per refusal (any non-200 fails the payment; the code tells our logs why).
REFUSAL_STATUS: Final[dict[Refusal, int]] = {
    Refusal.SALES_CLOSED: 403,
    Refusal.NOT_ON_SALE: 403,
    Refusal.ORDER_NOT_FOUND: 404,
    Refusal.AMOUNT_MISMATCH: 400,
    Refusal.ORDER_EXPIRED: 410,
    Refusal.NOT_PAYABLE: 410,
    Refusal.PAYMENT_IN_PROGRESS: 409,
    Refusal.SOLD_OUT: 409,
}
UNAVAILABLE = "temporarily unavailable"
INVALID = "invalid request"
FORBIDDEN = "forbidden"

_SCHEMA = {
    "type": "object",
    "required": ["imp_uid", "merchant_uid"],
    "properties": {
        "imp_uid": {"type": "string", "maxLength": 32},
        "merchant_uid": {"type": "string", "maxLength": 40},
        "amount": {"type": "number", "description": "current shape"},
        "status": {"type": "string", "description": "older shape"},
    },
}
_OPENAPI = {
    "parameters": [
        {
            "name": "token",
            "in": "query",
            "required": True,
            "schema": {"type": "string"},
            "description": "The HMAC of the order's merchant_uid, as in its `confirm_url`.",
        }
    ],
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _SCHEMA},
            "application/x-www-form-urlencoded": {"schema": _SCHEMA},
        },
    },
    "responses": {
        "200": {"description": "Go ahead: i'mport asks the PG to approve."},
        "4XX": {"description": 'Refused: `{"reason": "..."}` becomes the payment\'s fail_reason.'},
    },
}


def parse_call(fields: dict[str, Any]) -> ConfirmCall | None:
    """The confirm call in ``fields``, or ``None`` if it is not one."""
    imp_uid, merchant_uid = fields.get("imp_uid"), fields.get("merchant_uid")
    if not isinstance(imp_uid, str) or not 0 < len(imp_uid) <= 32:
        return None
    if not isinstance(merchant_uid, str) or not 0 < len(merchant_uid) <= 40:
        return None
    amount = fields.get("amount")
    status = fields.get("status")
    try:
        parsed = None if amount in (None, "") else Decimal(str(amount))
    except InvalidOperation:
        return None
    if parsed is not None and not parsed.is_finite():
        return None
    return ConfirmCall(imp_uid, merchant_uid, parsed, str(status) if status is not None else None)


async def _fields(request: Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        data = load_json(await request.body())  # nesting limited
        if not isinstance(data, dict):
            raise ValueError("not an object")
    else:
        form = await request.form()
        data = {key: value for key, value in form.items() if isinstance(value, str)}
    return {key: storable(value) if isinstance(value, str) else value
            for key, value in data.items()}  # fmt: skip


def _refused(status: int, reason: str) -> tuple[str, JSONResponse]:
    result = "unavailable" if reason == UNAVAILABLE else reason.replace(" ", "_")
    return result, JSONResponse({"reason": reason}, status_code=status)


router = APIRouter(tags=["i'mport"])


@router.post("/iamport/confirm", openapi_extra=_OPENAPI, response_model=None)
async def confirm(request: Request) -> Response:
    """i'mport's Confirm Process call: 200 approves, 4xx refuses with a reason.

    Usually served by ``GatewayLane`` (outside FastAPI's middleware and routing);
    the route stays for the OpenAPI document and the route walk.
    """
    services, guard = get_services(request), get_confirm_guard(request)
    started = time.perf_counter()
    admission = services.confirm.admission
    if not admission.admit():  # full: refused before the body is read (services.admission)
        services.telemetry.confirm_decided("overloaded", time.perf_counter() - started)
        return unavailable()
    try:
        result, answer = await _answer(request, services, guard)
    finally:
        admission.done()
    services.telemetry.confirm_decided(result, time.perf_counter() - started)
    return answer


#: The body of every "temporarily unavailable" answer (deadline or admission).
_UNAVAILABLE_BODY: Final = b'{"reason":"temporarily unavailable"}'


def unavailable() -> Response:
    """429 "temporarily unavailable", the same bytes as ``_refused``'s, encoded once."""
    return Response(_UNAVAILABLE_BODY, status_code=429, media_type="application/json")


async def _answer(
    request: Request, services: Services, guard: ConfirmGuard
) -> tuple[str, JSONResponse]:
    """The result (``approved`` or the refusal's reason, for metrics) and the answer."""
    source = sender(request, guard.trusted_proxies)
    if not guard.source_allowed(source):
        log.warning("confirm from %s refused: not on the allow-list", source)
        return _refused(403, FORBIDDEN)
    try:
        call = parse_call(await _fields(request))
    except Exception:  # unreadable body
        call = None
    if call is None:
        return _refused(400, INVALID)
    log.debug("confirm %s for %s received", call.imp_uid, call.merchant_uid)
    if not _signed(guard, request, call):
        log.warning("confirm %r for %r from %s refused: bad confirm_url token",
                    call.imp_uid, call.merchant_uid, source)  # fmt: skip
        return _refused(403, FORBIDDEN)
    try:
        decision = await services.confirm.confirm(call, _as_stored(call))
    except ConfirmUnavailable:
        return _refused(429, UNAVAILABLE)
    except Exception:
        log.exception("confirm %s: unexpected error", call.imp_uid)
        return _refused(429, UNAVAILABLE)
    if decision.refusal is None:
        return "approved", JSONResponse({}, status_code=200)
    return _refused(REFUSAL_STATUS[decision.refusal], decision.refusal.value)


def _signed(guard: ConfirmGuard, request: Request, call: ConfirmCall) -> bool:
    tokens = request.query_params.getlist("token")
    return len(tokens) == 1 and guard.token_valid(call.merchant_uid, tokens[0])


def _as_stored(call: ConfirmCall) -> dict[str, Any]:
    stored: dict[str, Any] = {"imp_uid": call.imp_uid, "merchant_uid": call.merchant_uid}
    if call.amount is not None:
        stored["amount"] = str(call.amount)
    if call.status is not None:
        stored["status"] = call.status
    return stored
