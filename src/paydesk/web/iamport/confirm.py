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

import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final
from urllib.parse import parse_qsl, unquote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.types import Receive, Scope, Send

from ...core.confirm import ConfirmCall, Refusal
from ...logs import accepted_request_id, request_scope
from ...services.container import Services
from ...services.errors import ConfirmUnavailable
from ..confirm_guard import ConfirmGuard
from ..deps import get_confirm_guard, get_services
from ..forwarding import sender, source_address
from ..limits import load_json, storable

__all__ = ["REFUSAL_STATUS", "ConfirmLane", "parse_call", "router"]

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


def _fields(content_type: str, body: bytes) -> dict[str, Any]:
    """The fields of a JSON or ``application/x-www-form-urlencoded`` body (``ValueError``
    for anything else: i'mport sends JSON, its older clients a form)."""
    if content_type.startswith("application/json"):
        data = load_json(body)  # nesting limited
        if not isinstance(data, dict):
            raise ValueError("not an object")
    elif content_type.startswith("application/x-www-form-urlencoded"):
        data = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    else:
        raise ValueError(f"not a confirm body: {content_type[:40]!r}")
    return {key: storable(value) if isinstance(value, str) else value
            for key, value in data.items()}  # fmt: skip


#: An answer: its status and its encoded body.
_Answer = tuple[int, bytes]


def _encoded(status: int, reason: str) -> _Answer:
    return status, json.dumps(
        {"reason": reason}, ensure_ascii=False, separators=(",", ":")
    ).encode()


#: Each refusal's label (for the metrics) and answer, made once.
_REFUSALS: Final[dict[Refusal, tuple[str, _Answer]]] = {
    refusal: (refusal.value.replace(" ", "_"), _encoded(status, refusal.value))
    for refusal, status in REFUSAL_STATUS.items()
}
_APPROVED: Final[_Answer] = (200, b"{}")
_FORBIDDEN: Final[_Answer] = _encoded(403, FORBIDDEN)
_INVALID: Final[_Answer] = _encoded(400, INVALID)
_INVALID_LABEL: Final = INVALID.replace(" ", "_")
_UNAVAILABLE: Final[_Answer] = _encoded(429, UNAVAILABLE)  # deadline, admission, trouble
_TOO_LARGE: Final[_Answer] = (413, b'{"reason": "request too large"}')  # as ``BodyLimit``'s


router = APIRouter(tags=["i'mport"])


@router.post("/iamport/confirm", openapi_extra=_OPENAPI, response_model=None)
async def confirm(request: Request) -> Response:
    """i'mport's Confirm Process call: 200 approves, 4xx refuses with a reason.

    Usually served by ``ConfirmLane`` (outside FastAPI's middleware and routing);
    the route stays for the OpenAPI document and the route walk.
    """
    services, guard = get_services(request), get_confirm_guard(request)
    arrival = _Arrival(sender(request, guard.trusted_proxies),
                       request.headers.get("content-type", ""), request.body,
                       request.query_params.getlist("token"))  # fmt: skip
    status, body = await _admitted(services, guard, arrival)
    return Response(body, status_code=status, media_type="application/json")


@dataclass(frozen=True, slots=True)
class _Arrival:
    """What the answer needs of a confirm, read by the route or by ``ConfirmLane``."""

    source: str  # the sender's address (``X-Forwarded-For`` judged by the trusted proxies)
    content_type: str
    read: Callable[[], Awaitable[bytes]]  # the body, read only once the call is admitted
    tokens: Sequence[str]  # every ``?token=``


async def _admitted(services: Services, guard: ConfirmGuard, arrival: _Arrival) -> _Answer:
    """Admission (``services.admission``), then the answer, timed for the metrics."""
    started = time.perf_counter()
    admission = services.confirm.admission
    if not admission.admit():  # full: refused before the body is read
        services.telemetry.confirm_decided("overloaded", time.perf_counter() - started)
        return _UNAVAILABLE
    try:
        result, answer = await _answer(services, guard, arrival)
    finally:
        admission.done()
    services.telemetry.confirm_decided(result, time.perf_counter() - started)
    return answer


async def _answer(
    services: Services, guard: ConfirmGuard, arrival: _Arrival
) -> tuple[str, _Answer]:
    """The result (``approved`` or the refusal's reason, for metrics) and the answer."""
    source, tokens = arrival.source, arrival.tokens
    if not guard.source_allowed(source):
        log.warning("confirm from %s refused: not on the allow-list", source)
        return FORBIDDEN, _FORBIDDEN
    try:
        call = parse_call(_fields(arrival.content_type, await arrival.read()))
    except _TooLarge:
        return "too_large", _TOO_LARGE
    except Exception:  # unreadable body
        call = None
    if call is None:
        return _INVALID_LABEL, _INVALID
    log.debug("confirm %s for %s received", call.imp_uid, call.merchant_uid)
    if not (len(tokens) == 1 and guard.token_valid(call.merchant_uid, tokens[0])):
        log.warning("confirm %r for %r from %s refused: bad confirm_url token",
                    call.imp_uid, call.merchant_uid, source)  # fmt: skip
        return FORBIDDEN, _FORBIDDEN
    try:
        decision = await services.confirm.confirm(call, _as_stored(call))
    except ConfirmUnavailable:
        return "unavailable", _UNAVAILABLE
    except Exception:
        log.exception("confirm %s: unexpected error", call.imp_uid)
        return "unavailable", _UNAVAILABLE
    if decision.refusal is None:
        return "approved", _APPROVED
    return _REFUSALS[decision.refusal]


def _as_stored(call: ConfirmCall) -> dict[str, Any]:
    stored: dict[str, Any] = {"imp_uid": call.imp_uid, "merchant_uid": call.merchant_uid}
    if call.amount is not None:
        stored["amount"] = str(call.amount)
    if call.status is not None:
        stored["status"] = call.status
    return stored


class _TooLarge(Exception):
    """The body passed the gateway limit while it was read (``ConfirmLane``)."""


class ConfirmLane:
    """``POST /iamport/confirm`` served straight off the ASGI scope.

    The same answers as the route (``_admitted``), with what ``GatewayLane`` puts
    around an endpoint done inline, once: the request id (echoed or made, and in
    every log line), the gateway's body limit (413 ``{"reason": ...}``, declared
    or streamed), and 429 "temporarily unavailable" should anything raise. It
    reads the headers in one pass and writes prebuilt answers: in a rush every
    confirm passes here, and Starlette's request, header and response objects
    were most of the cost of a refusal.
    """

    def __init__(self, max_body: int) -> None:
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        offered = content_type = None
        declared: bytes | None = None
        forwarded: list[str] = []
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                offered = offered if offered is not None else value.decode("latin-1")
            elif name == b"content-type":
                content_type = content_type or value.decode("latin-1")
            elif name == b"content-length":
                declared = declared or value
            elif name == b"x-forwarded-for":
                forwarded.append(value.decode("latin-1"))
        request_id = accepted_request_id(offered)
        with request_scope(request_id):  # the access log line, written at the send, has it too
            status, body = await self._serve(scope, receive, content_type or "", declared,
                                             forwarded)  # fmt: skip
            headers = [(b"content-type", b"application/json"),
                       (b"content-length", str(len(body)).encode()),
                       (b"x-request-id", request_id.encode())]  # fmt: skip
            if status == 413:
                headers.append((b"connection", b"close"))
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})

    async def _serve(
        self,
        scope: Scope,
        receive: Receive,
        content_type: str,
        declared: bytes | None,
        forwarded: list[str],
    ) -> _Answer:
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            log.warning("POST /iamport/confirm: body of %s bytes refused (limit %d)",
                        declared.decode(), self.max_body)  # fmt: skip
            return _TOO_LARGE
        try:
            app = scope["app"]
            services, guard = app.state.services, app.state.confirm_guard
            client = scope.get("client")
            source = source_address(client[0] if client else None, forwarded,
                                    guard.trusted_proxies)  # fmt: skip

            async def read() -> bytes:
                return await self._body(receive)

            arrival = _Arrival(source, content_type, read, _tokens(scope["query_string"]))
            return await _admitted(services, guard, arrival)
        except Exception:  # an endpoint that raises gets i'mport's "try later", never a 500
            log.exception("POST /iamport/confirm: unexpected error")
            return _UNAVAILABLE

    async def _body(self, receive: Receive) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                raise ConnectionError("the client went away")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                log.warning("POST /iamport/confirm: streamed body over %d bytes refused",
                            self.max_body)  # fmt: skip
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _tokens(query: bytes) -> list[str]:
    """Every ``token`` in a query string, decoded as Starlette's ``query_params`` would."""
    if b"token" not in query and b"%" not in query:  # nothing else can spell it
        return []
    found = []
    for part in query.split(b"&"):
        name, _, value = part.partition(b"=")
        if unquote(name.decode("latin-1").replace("+", " ")) == "token":
            found.append(unquote(value.decode("latin-1").replace("+", " ")))
    return found
