"""Order progress a PG settles on: PAYCO order status and Paymentwall delivery.

Both answer only for a paid payment of their own PG, and document no 4xx, so
refusals come as HTTP 200 with a non-zero code.  (Escrow shipments have their
own group, ``escrows``.)

Every other PG-specific operation (Naver Pay order-type actions, KCP
quick-pay, Benepia, convenience-store barcodes, the legacy Kakao Pay order
list) is routed to the 501 "not emulated" envelope: they need PG state
(Naver product orders, KCP members, Benepia accounts) that paydesk does not
use, and a guessed answer would be worse than a clear refusal.
"""

from __future__ import annotations

from typing import Any

from ..gateway.errors import Messages
from ..gateway.params import Params
from ..gateway.records import Payment
from .routing import Call, RouteTable

__all__ = ["routes"]

routes = RouteTable()

WRONG_PG = "{pg} 결제건이 아닙니다."
NOT_PAID = "결제완료 상태의 결제건이 아닙니다."


def _paid_of(call: Call, params: Params, imp_uid: str, pg: str) -> Payment:
    """A paid payment of ``pg``; these operations document no 4xx, so refusals use ``params``."""
    payment = call.gateway.find_payment(call.merchant, imp_uid)
    if payment is None:
        raise params.fail(Messages.PAYMENT_NOT_FOUND, code=-1)
    if payment.pg_provider != pg:
        raise params.fail(WRONG_PG.format(pg=pg))
    if payment.status != "paid":
        raise params.fail(NOT_PAID)
    return payment


@routes.op("POST", "/payco/orders/status/{imp_uid}")
def payco_order_status(call: Call) -> dict[str, str]:
    """Move a PAYCO order to a delivery / purchase-decision / cancelled status."""
    params = call.params
    status = params.need_text("status", choices=("DELIVERY_START", "PURCHASE_DECISION", "CANCELED"))
    _paid_of(call, params, call.path["imp_uid"], "payco")
    return {"status": status}


_PW_LIMITS = {
    "carrier_tracking_id": 64, "carrier_type": 64, "reason": 64, "details": 400,
    "shipping_address_email": 50, "shipping_address_country": 40, "shipping_address_city": 40,
    "shipping_address_zip": 40, "shipping_address_state": 40, "shipping_address_street": 40,
    "shipping_address_phone": 40, "shipping_address_firstname": 40,
    "shipping_address_lastname": 40,
}  # fmt: skip
_PW_ADDRESS = tuple(k for k in _PW_LIMITS if k.startswith("shipping_address_"))


@routes.op("POST", "/paymentwall/delivery")
def paymentwall_delivery(call: Call) -> dict[str, Any]:
    """Report delivery of a Paymentwall order (settlement waits for it).

    Physical goods need the shipping address, and a carrier once shipped, as
    Paymentwall's delivery API requires.
    """
    params = call.params
    imp_uid = params.need_text("imp_uid", max_len=40)
    merchant_uid = params.need_text("merchant_uid", max_len=40)
    kind = params.need_text("type", choices=("physical", "digital"))
    status = params.need_text(
        "status", choices=("order_placed", "order_shipped", "delivering", "delivered")
    )
    params.need_integer("estimated_delivery_datetime", minimum=0)
    params.need_integer("estimated_update_datetime", minimum=0)
    params.need_text("refundable", choices=("yes", "no"))
    for name, limit in _PW_LIMITS.items():
        params.text(name, max_len=limit, required=name == "shipping_address_email")
    if kind == "physical":
        shipped = status != "order_placed"
        for name in _PW_ADDRESS + (("carrier_tracking_id", "carrier_type") if shipped else ()):
            params.need_text(name)
    payment = _paid_of(call, params, imp_uid, "paymentwall")
    if payment.merchant_uid != merchant_uid:
        raise params.fail(Messages.invalid("merchant_uid", "imp_uid의 주문번호와 다릅니다"))
    return {"success": 1}
