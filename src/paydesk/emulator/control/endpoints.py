"""The control API under ``/_emulator``: what a test or a person does to the gateway
that a real merchant cannot (move the clock, deposit into a vbank, inject faults,
read the webhook records).  Answers use the i'mport envelope too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..envelope import envelope
from ..faults import Fault, FaultBook
from ..gateway.errors import ApiFault
from ..gateway.gateway import Gateway
from ..gateway.params import Params
from .app_support import read_json

__all__ = ["control_routes"]

Endpoint = Callable[[Request], Any]


def control_routes(
    gateway: Gateway, faults: FaultBook, run_tick: Callable[[], None], prefix: str
) -> list[BaseRoute]:
    def guarded(fn: Callable[[Request], Any]) -> Endpoint:
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
            gateway.flush()
            return envelope(result)

        return endpoint

    def health(request: Request) -> dict[str, Any]:
        return {"status": "ok", "now": gateway.now(), "merchants": [*gateway.merchants]}

    def reset(request: Request) -> dict[str, Any]:
        gateway.reset()
        faults.clear()
        return {"reset": True, "now": gateway.now()}

    def clock(request: Request) -> dict[str, Any]:
        return {**gateway.clock.describe(), "timestamp": gateway.now()}

    async def clock_advance(request: Request) -> dict[str, Any]:
        params = Params(await read_json(request))
        gateway.clock.advance(params.amount("seconds", required=True) or 0)
        run_tick()
        return clock(request)

    async def clock_set(request: Request) -> dict[str, Any]:
        params = Params(await read_json(request))
        gateway.clock.set(float(params.need_amount("timestamp")), freeze=params.flag("freeze"))
        run_tick()
        return clock(request)

    def clock_reset(request: Request) -> dict[str, Any]:
        gateway.clock.reset()
        return clock(request)

    def tick_now(request: Request) -> dict[str, Any]:
        run_tick()
        return clock(request)

    def list_webhooks(request: Request) -> list[dict[str, Any]]:
        imp_uid = request.query_params.get("imp_uid")
        merchant = request.query_params.get("imp_code")
        return [
            record.model_dump(mode="json")
            for record in gateway.state.webhooks
            if (not imp_uid or record.payload.get("imp_uid") == imp_uid)
            and (not merchant or record.imp_code == merchant)
        ]

    def list_confirms(request: Request) -> list[dict[str, Any]]:
        return [record.model_dump(mode="json") for record in gateway.state.confirms]

    def list_faults(request: Request) -> list[dict[str, Any]]:
        return [fault.model_dump() for fault in faults.faults]

    async def add_fault(request: Request) -> dict[str, Any]:
        return faults.add(Fault.model_validate(await read_json(request))).model_dump()

    def clear_faults(request: Request) -> dict[str, Any]:
        faults.clear()
        return {"cleared": True}

    def remove_fault(request: Request) -> dict[str, Any]:
        if not faults.remove(request.path_params["fault_id"]):
            raise ApiFault(404, "존재하지 않는 fault입니다.")
        return {"removed": request.path_params["fault_id"]}

    async def deposit(request: Request) -> dict[str, Any]:
        from ..gateway.deposits import deposit_into_vbank

        params = Params(await read_json(request))
        payment = deposit_into_vbank(
            gateway,
            request.path_params["imp_uid"],
            amount=params.amount("amount"),
            depositor_name=params.text("depositor_name"),
        )
        return payment.wire()

    async def seed(request: Request) -> dict[str, Any]:
        from .seeding import seed_payment

        return seed_payment(gateway, await read_json(request)).wire()

    def certification_otp(request: Request) -> dict[str, Any]:
        """The OTP the emulator "sent by SMS" for an OTP verification request."""
        from ..gateway.certifying import find_certification

        found = find_certification(gateway, request.path_params["imp_uid"])
        if found is None:
            raise ApiFault(404, "인증결과가 존재하지 않습니다.")
        return {"imp_uid": found.imp_uid, "otp": found.otp, "certified": found.certified}

    def list_merchants(request: Request) -> list[dict[str, Any]]:
        return [
            m.model_dump(mode="json", exclude={"imp_secret", "channels"})
            for m in gateway.merchants.values()
        ]

    async def merchant_settings(request: Request) -> dict[str, Any]:
        merchant = gateway.merchants.get(request.path_params["imp_code"])
        if merchant is None:
            raise ApiFault(404, "존재하지 않는 가맹점입니다.")
        body = await read_json(request)
        update = {k: v for k, v in body.items() if k in ("webhook_url", "webhook_content_type",
                                                         "confirm_enabled")}  # fmt: skip
        if "delivery" in body:
            update["delivery"] = merchant.delivery.model_validate(
                {**merchant.delivery.model_dump(), **body["delivery"]}
            )
        updated = merchant.model_validate({**merchant.model_dump(), **update})
        gateway.merchants[merchant.imp_code] = updated
        return updated.model_dump(mode="json", exclude={"imp_secret", "channels"})

    async def gateway_settings(request: Request) -> dict[str, Any]:
        """Gateway-wide test knobs: ``hang_seconds`` of the hanging test card."""
        params = Params(await read_json(request))
        seconds = params.amount("hang_seconds")
        if seconds is not None:
            gateway.hang_seconds = float(seconds)
        return {"hang_seconds": gateway.hang_seconds}

    table: list[tuple[str, str, Callable[[Request], Any]]] = [
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
        ("GET", "/certifications/{imp_uid}/otp", certification_otp),
        ("GET", "/merchants", list_merchants),
        ("PUT", "/merchants/{imp_code}/settings", merchant_settings),
        ("POST", "/settings", gateway_settings),
    ]
    return [Route(prefix + path, guarded(fn), methods=[method]) for method, path, fn in table]
