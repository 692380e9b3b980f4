"""``POST /payments/cancel``: find the payment to refund, then hand it to ``refunds``.

Only the door is here (target selection and parameter reading, reference §4.1);
every rule about what may be refunded lives in ``paydesk.emulator.refunds`` so
the console's cancel button obeys the same rules.
"""

from __future__ import annotations

from typing import Any

from ..gateway.errors import ApiFault, Messages
from ..gateway.params import Params
from ..gateway.records import Payment
from ..gateway.refunds import CancelRequest, cancel_payment
from .routing import Call, RouteTable

__all__ = ["routes"]

routes = RouteTable()


@routes.op("POST", "/payments/cancel")
def cancel(call: Call) -> dict[str, Any]:
    """Refund fully or partly; every refusal is HTTP 200 with code 1 (§4.10)."""
    payment = _target(call)
    request = read_cancel_request(call.params)
    return cancel_payment(call.gateway, payment, request, source="api").wire()


def read_cancel_request(params: Params) -> CancelRequest:
    """The cancel parameters of §2.3, with the field sizes of §4.2."""
    return CancelRequest(
        amount=params.amount("amount"),
        tax_free=params.amount("tax_free"),
        vat_amount=params.amount("vat_amount"),
        checksum=params.amount("checksum"),
        reason=params.text("reason", max_len=256),
        refund_holder=params.text("refund_holder", max_len=16),
        refund_bank=params.text("refund_bank", max_len=4),
        refund_account=params.text("refund_account", max_len=16),
        refund_tel=params.text("refund_tel", max_len=16),
        enable_webhook=params.flag("enable_webhook"),
        extra=params.mapping("extra"),
        retain_promotion=params.flag("retain_promotion"),
    )


def _target(call: Call) -> Payment:
    """imp_uid wins over merchant_uid; an unknown imp_uid fails even with a good merchant_uid."""
    imp_uid = call.params.text("imp_uid")
    merchant_uid = call.params.text("merchant_uid")
    if imp_uid:
        payment = call.gateway.find_payment(call.merchant, imp_uid)
    elif merchant_uid:
        payment = pick_attempt(call.gateway.ledger(call.merchant).by_merchant_uid(merchant_uid))
    else:
        raise ApiFault(200, Messages.CANCEL_NO_TARGET, code=1)
    if payment is None:
        raise ApiFault(200, Messages.CANCEL_NOT_FOUND, code=1)
    return payment


def pick_attempt(attempts: list[Payment]) -> Payment | None:
    """The attempt a merchant_uid cancel means: newest with money left to refund,
    else newest fully cancelled (→ "already cancelled"), else the newest attempt."""

    def rank(indexed: tuple[int, Payment]) -> tuple[int, int]:
        index, payment = indexed
        refundable = payment.status in ("paid", "cancelled") and payment.balance > 0
        return (2 if refundable else 1 if payment.status == "cancelled" else 0, index)

    if not attempts:
        return None
    return max(enumerate(attempts), key=rank)[1]
