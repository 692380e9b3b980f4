"""Control API for webhook delivery and its scenarios, under ``/_emulator``.

* ``POST /webhooks/{id}/resend``: send a recorded webhook again now (the
  console's "resend"; recorded as a manual attempt).
* ``POST /payments/{imp_uid}/late-paid``: a payment first reported as failed
  is approved later and announced with a ``paid`` webhook, as Paymentwall and
  PayPal can do (reference §5).  Only a failed payment can be flipped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..delivery.courier import Courier
from ..envelope import envelope
from ..gateway.deposits import find_any_payment
from ..gateway.errors import ApiFault
from ..gateway.gateway import Gateway
from ..gateway.records import Payment

__all__ = ["approve_late", "delivery_control_routes"]

NOT_FAILED = "실패 상태의 결제건만 뒤늦은 승인으로 바꿀 수 있습니다. (현재: {status})"


def approve_late(gateway: Gateway, payment: Payment) -> Payment:
    """Flip a failed payment to paid and announce it (the late-approval scenario)."""
    if payment.status != "failed":
        raise ApiFault(400, NOT_FAILED.format(status=payment.status))
    return gateway.approve(payment)


def delivery_control_routes(gateway: Gateway, courier: Courier, prefix: str) -> list[BaseRoute]:
    """The control endpoints above, answered in the i'mport envelope."""

    def guarded(fn: Callable[[Request], Any]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            try:
                result = await fn(request)
            except ApiFault as fault:
                return envelope(
                    fault.response, code=fault.code, message=fault.message, status=fault.http_status
                )
            gateway.flush()
            return envelope(result)

        return endpoint

    async def resend(request: Request) -> dict[str, Any]:
        record = await courier.resend(request.path_params["webhook_id"])
        return record.model_dump(mode="json")

    async def late_paid(request: Request) -> dict[str, Any]:
        payment = find_any_payment(gateway, request.path_params["imp_uid"])
        return approve_late(gateway, payment).wire()

    return [
        Route(f"{prefix}/webhooks/{{webhook_id}}/resend", guarded(resend), methods=["POST"]),
        Route(f"{prefix}/payments/{{imp_uid}}/late-paid", guarded(late_paid), methods=["POST"]),
    ]
