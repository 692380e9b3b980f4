"""The control API under ``/_emulator``: what a test or a person does to the gateway
that a real merchant cannot (move the clock, deposit into a vbank, inject faults,
read and resend the webhook records, the late-approval scenario).  Answers use the
i'mport envelope too.

Endpoints read the gateway, fault book and courier from ``request.app.state``;
``guarded`` saves state and wraps what they return (or the ``ApiFault`` they
raise) in the envelope.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..delivery.courier import Courier
from ..envelope import envelope
from ..faults import Fault, FaultBook
from ..gateway import Gateway
from ..gateway.certifying import find_certification
from ..gateway.deposits import approve_late, deposit_into_vbank, find_any_payment
from ..gateway.errors import ApiFault
from ..gateway.escrow_events import buyer_decides
from ..gateway.merchants import DeliveryPolicy
from ..gateway.params import Params, decode_pairs
from ..gateway.scheduler import tick
from .seeding import seed_payment, seed_payments

__all__ = ["CONTROL_PREFIX", "routes"]

CONTROL_PREFIX = "/_emulator"
Endpoint = Callable[[Request], Any]


async def read_json(request: Request) -> dict[str, Any]:
    """A JSON or form body as a dict; an empty body is ``{}``."""
    body = await request.body()
    if not body.strip():
        return {}
    if "json" in request.headers.get("content-type", "json"):
        try:
            data = json.loads(body)
        except ValueError:
            raise ApiFault(400, "요청 본문이 올바른 JSON이 아닙니다.", code=1) from None
        if not isinstance(data, dict):
            raise ApiFault(400, "요청 본문은 JSON 객체여야 합니다.", code=1)
        return data
    form = await request.form()
    return decode_pairs((k, v) for k, v in form.multi_items() if isinstance(v, str))


def guarded(fn: Endpoint) -> Endpoint:
    """``fn``'s result (sync or async) in the envelope, after saving state."""

    async def endpoint(request: Request) -> Response:
        try:
            result = fn(request)
            if hasattr(result, "__await__"):
                result = await result
        except ApiFault as fault:
            return envelope(fault.response, code=fault.code, message=fault.message,
                            status=fault.http_status)  # fmt: skip
        except ValidationError as exc:
            return envelope(None, code=1, message=str(exc), status=400)
        _gateway(request).flush()
        return envelope(result)

    return endpoint


def _gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


def _faults(request: Request) -> FaultBook:
    faults: FaultBook = request.app.state.faults
    return faults


# -- gateway and clock ---------------------------------------------------------
def health(request: Request) -> dict[str, Any]:
    gateway = _gateway(request)
    return {"status": "ok", "now": gateway.now(), "merchants": [*gateway.merchants]}


def reset(request: Request) -> dict[str, Any]:
    gateway = _gateway(request)
    gateway.reset()
    _faults(request).clear()
    return {"reset": True, "now": gateway.now()}


def clock(request: Request) -> dict[str, Any]:
    gateway = _gateway(request)
    return {**gateway.clock.describe(), "timestamp": gateway.now()}


async def clock_advance(request: Request) -> dict[str, Any]:
    gateway = _gateway(request)
    params = Params(await read_json(request))
    gateway.clock.advance(params.amount("seconds", required=True) or 0)
    tick(gateway)
    return clock(request)


async def clock_set(request: Request) -> dict[str, Any]:
    gateway = _gateway(request)
    params = Params(await read_json(request))
    gateway.clock.set(float(params.need_amount("timestamp")), freeze=params.flag("freeze"))
    tick(gateway)
    return clock(request)


def clock_reset(request: Request) -> dict[str, Any]:
    _gateway(request).clock.reset()
    return clock(request)


def tick_now(request: Request) -> dict[str, Any]:
    tick(_gateway(request))
    return clock(request)


async def gateway_settings(request: Request) -> dict[str, Any]:
    """Gateway-wide test knobs: ``hang_seconds`` of the hanging test card."""
    gateway = _gateway(request)
    params = Params(await read_json(request))
    seconds = params.amount("hang_seconds")
    if seconds is not None:
        gateway.hang_seconds = float(seconds)
    return {"hang_seconds": gateway.hang_seconds}


# -- records -------------------------------------------------------------------
def list_webhooks(request: Request) -> list[dict[str, Any]]:
    imp_uid = request.query_params.get("imp_uid")
    merchant = request.query_params.get("imp_code")
    return [
        record.model_dump(mode="json")
        for record in _gateway(request).state.webhooks
        if (not imp_uid or record.payload.get("imp_uid") == imp_uid)
        and (not merchant or record.imp_code == merchant)
    ]


async def resend(request: Request) -> dict[str, Any]:
    """Send a recorded webhook again now (recorded as a manual attempt)."""
    courier: Courier = request.app.state.courier
    record = await courier.resend(request.path_params["webhook_id"])
    return record.model_dump(mode="json")


def list_confirms(request: Request) -> list[dict[str, Any]]:
    return [record.model_dump(mode="json") for record in _gateway(request).state.confirms]


def certification_otp(request: Request) -> dict[str, Any]:
    """The OTP the emulator "sent by SMS" for an OTP verification request."""
    found = find_certification(_gateway(request), request.path_params["imp_uid"])
    if found is None:
        raise ApiFault(404, "인증결과가 존재하지 않습니다.")
    return {"imp_uid": found.imp_uid, "otp": found.otp, "certified": found.certified}


# -- faults --------------------------------------------------------------------
def list_faults(request: Request) -> list[dict[str, Any]]:
    return [fault.model_dump() for fault in _faults(request).faults]


async def add_fault(request: Request) -> dict[str, Any]:
    return _faults(request).add(Fault.model_validate(await read_json(request))).model_dump()


def clear_faults(request: Request) -> dict[str, Any]:
    _faults(request).clear()
    return {"cleared": True}


def remove_fault(request: Request) -> dict[str, Any]:
    if not _faults(request).remove(request.path_params["fault_id"]):
        raise ApiFault(404, "존재하지 않는 fault입니다.")
    return {"removed": request.path_params["fault_id"]}


# -- payments ------------------------------------------------------------------
async def deposit(request: Request) -> dict[str, Any]:
    params = Params(await read_json(request))
    payment = deposit_into_vbank(
        _gateway(request),
        request.path_params["imp_uid"],
        amount=params.amount("amount"),
        depositor_name=params.text("depositor_name"),
    )
    return payment.wire()


async def seed(request: Request) -> dict[str, Any]:
    return seed_payment(_gateway(request), await read_json(request)).wire()


async def seed_bulk(request: Request) -> list[dict[str, Any]]:
    return seed_payments(_gateway(request), await read_json(request))


async def late_paid(request: Request) -> dict[str, Any]:
    """A failed payment approved later and announced ``paid`` (Paymentwall, PayPal)."""
    gateway = _gateway(request)
    payment = find_any_payment(gateway, request.path_params["imp_uid"])
    return approve_late(gateway, payment).wire()


async def escrow_confirm(request: Request) -> dict[str, Any]:
    """The buyer confirms an escrow purchase (``escrow_status`` 3; KG Inicis sends the event)."""
    return await _escrow_decision(request, confirm=True)


async def escrow_refuse(request: Request) -> dict[str, Any]:
    """The buyer refuses an escrow purchase (``escrow_status`` 4, ``denied_reason``)."""
    return await _escrow_decision(request, confirm=False)


async def _escrow_decision(request: Request, *, confirm: bool) -> dict[str, Any]:
    gateway = _gateway(request)
    params = Params(await read_json(request))
    payment = find_any_payment(gateway, request.path_params["imp_uid"])
    escrow, sent = buyer_decides(gateway, payment, confirm=confirm, reason=params.text("reason"))
    return {"imp_uid": payment.imp_uid, "escrow_status": escrow.escrow_status,
            "changed_at": escrow.status_changed_at, "denied_reason": escrow.denied_reason,
            "webhooks": [record.id for record in sent]}  # fmt: skip


# -- merchants -----------------------------------------------------------------
def list_merchants(request: Request) -> list[dict[str, Any]]:
    return [
        m.model_dump(mode="json", exclude={"imp_secret", "channels"})
        for m in _gateway(request).merchants.values()
    ]


async def merchant_settings(request: Request) -> dict[str, Any]:
    gateway = _gateway(request)
    merchant = gateway.merchants.get(request.path_params["imp_code"])
    if merchant is None:
        raise ApiFault(404, "존재하지 않는 가맹점입니다.")
    body = await read_json(request)
    update = {k: v for k, v in body.items() if k in ("webhook_url", "webhook_content_type",
                                                     "confirm_enabled")}  # fmt: skip
    if isinstance(body.get("delivery"), str):  # a preset by name
        update["delivery"] = _preset(body["delivery"])
    elif "delivery" in body:
        given = dict(body["delivery"])
        base = _preset(given.pop("preset")) if "preset" in given else merchant.delivery
        update["delivery"] = base.model_validate({**base.model_dump(), **given})
    updated = merchant.model_validate({**merchant.model_dump(), **update})
    gateway.merchants[merchant.imp_code] = updated
    return updated.model_dump(mode="json", exclude={"imp_secret", "channels"})


def _preset(name: object) -> DeliveryPolicy:
    try:
        return DeliveryPolicy.preset(str(name))
    except ValueError as exc:
        raise ApiFault(400, str(exc)) from exc


_TABLE: list[tuple[str, str, Endpoint]] = [
    ("GET", "/health", health),
    ("POST", "/reset", reset),
    ("GET", "/clock", clock),
    ("POST", "/clock/advance", clock_advance),
    ("POST", "/clock/set", clock_set),
    ("POST", "/clock/reset", clock_reset),
    ("POST", "/tick", tick_now),
    ("GET", "/webhooks", list_webhooks),
    ("GET", "/confirms", list_confirms),
    ("GET", "/faults", list_faults),
    ("POST", "/faults", add_fault),
    ("DELETE", "/faults", clear_faults),
    ("DELETE", "/faults/{fault_id}", remove_fault),
    ("POST", "/vbanks/{imp_uid}/deposit", deposit),
    ("POST", "/payments", seed),
    ("POST", "/payments/bulk", seed_bulk),
    ("GET", "/certifications/{imp_uid}/otp", certification_otp),
    ("GET", "/merchants", list_merchants),
    ("PUT", "/merchants/{imp_code}/settings", merchant_settings),
    ("POST", "/settings", gateway_settings),
    ("POST", "/webhooks/{webhook_id}/resend", resend),
    ("POST", "/payments/{imp_uid}/late-paid", late_paid),
    ("POST", "/escrows/{imp_uid}/confirm", escrow_confirm),
    ("POST", "/escrows/{imp_uid}/refuse", escrow_refuse),
]
routes: list[BaseRoute] = [
    Route(CONTROL_PREFIX + path, guarded(fn), methods=[method]) for method, path, fn in _TABLE
]
