"""The rest of the spec that is cheap to emulate faithfully: sub-merchant tiers,
PAYCO order status, Paymentwall delivery, Naver Pay cash-receipt amounts and
KG Inicis partner (sub-merchant) sales slips.

Every other PG-specific operation (Naver Pay order-type actions, KCP
quick-pay, Benepia, convenience-store barcodes, the legacy Kakao Pay order
list) is routed by the app to the 501 "not emulated" envelope: they need PG
state (Naver product orders, KCP members, Benepia accounts) that paydesk does
not use, and a guessed answer would be worse than a clear refusal.
"""

from __future__ import annotations

import math
import re
from typing import Any

from ..gateway.errors import ApiFault, Messages
from ..gateway.params import Params
from ..gateway.records import Payment
from .routing import Call, RouteTable

__all__ = ["routes"]

routes = RouteTable()

UNKNOWN_TIER = "존재하지 않거나 삭제된 하위 가맹점입니다. ({code})"
WRONG_PG = "{pg} 결제건이 아닙니다."
NOT_PAID = "결제완료 상태의 결제건이 아닙니다."
PARTNER_PG = "하위 상점 거래 등록을 지원하지 않는 PG사입니다. ({pg})"
PARTNER_OVER = "하위 상점 거래 금액의 합이 결제금액을 초과합니다."
_TIER = re.compile(r"^[A-Z0-9]{3}$")


@routes.op("GET", "/tiers/{tier_code}")
def get_tier(call: Call) -> dict[str, str]:
    """A sub-merchant of the calling (agency) merchant; 404 when unknown."""
    code = call.path["tier_code"]
    name = call.merchant.tiers.get(code) if _TIER.match(code) else None
    if name is None:
        raise ApiFault(404, UNKNOWN_TIER.format(code=code))
    return {"tier_code": code, "tier_name": name}


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


@routes.op("GET", "/payments/{imp_uid}/naver/cash-amount")
def naver_cash_amount(call: Call) -> dict[str, int]:
    """What of a Naver Pay payment can still go on a cash receipt.

    The emulator's Naver Pay has no points: the whole remaining amount is by
    the primary method, and its VAT is 1/11 of the part that is not tax-free.
    """
    payment = call.gateway.find_payment(call.merchant, call.path["imp_uid"])
    if payment is None or payment.pg_provider != "naverpay":
        raise ApiFault(400, WRONG_PG.format(pg="네이버페이(결제형)"))
    total = int(payment.balance) if payment.status in ("paid", "cancelled") else 0
    tax_free = min(total, int(payment.tax_free - payment.cancelled_tax_free))
    vat = math.floor((total - tax_free) / 11 + 0.5)
    return {
        "amount_total": total,
        "amount_by_npoint": 0,
        "amount_by_primary": total,
        "amount_supply": total - vat,
        "amount_vat": vat,
    }


@routes.op("POST", "/partners/receipts/{imp_uid}")
def partner_receipts(call: Call) -> dict[str, str]:
    """Put sub-merchants' shares of a KG Inicis payment on its sales slip."""
    params = call.params
    payment = call.gateway.require_payment(call.merchant, call.path["imp_uid"])
    if payment.pg_provider != "html5_inicis":
        raise ApiFault(501, PARTNER_PG.format(pg=payment.pg_provider))
    if payment.status != "paid":
        raise params.fail(NOT_PAID)
    total = 0.0
    for index, entry in enumerate(params.records("data", required=True)):
        part = Params(entry, params.bad_status)
        for name in ("business_registration_number", "company_name"):
            if not part.has(name):
                raise params.fail(Messages.missing(f"data[{index}].{name}"))
        total += part.amount("amount", required=True, positive=True) or 0
    if total > payment.amount:
        raise params.fail(PARTNER_OVER)
    return {"receipt_url": call.gateway.receipt_url("partners", payment.imp_uid)}
