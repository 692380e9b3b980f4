"""Sub-merchants (하위 가맹점) of an agency merchant: its tiers and their sales-slip shares.

``GET /tiers/{tier_code}`` looks up one of the calling merchant's tiers;
``POST /partners/receipts/{imp_uid}`` puts sub-merchants' shares of a KG
Inicis payment on its sales slip (other PGs answer 501, as the spec says).
"""

from __future__ import annotations

import re

from ..gateway.errors import ApiFault, Messages
from ..gateway.params import Params
from .routing import Call, RouteTable

__all__ = ["routes"]

routes = RouteTable()

UNKNOWN_TIER = "존재하지 않거나 삭제된 하위 가맹점입니다. ({code})"
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
