"""Escrow delivery registration (``/escrows/logis/{imp_uid}``): register, modify, look up.

An escrow payment's PG holds the money until the buyer confirms receipt, so
the merchant reports the shipment.  Statuses follow the spec: 404 unknown
payment, 400 missing fields or a PG/payment without the feature, 409 for a
conflict with what is registered.  Choices where the spec leaves room:

* ``PUT`` with nothing registered is a 409 (the spec's "cannot be modified"),
  not a 404, which the spec reserves for an unknown payment.
* Registering for an escrow payment that is not ``paid`` is a 409 ("cannot
  register"): there is nothing to ship before the money arrived.
* ``PUT`` moves ``applied_at`` to the time of the change.
* An unknown courier code is stored as ``ETC`` (reference §8.5).
* Registering a KG Inicis delivery sends ``Inicis.Escrow.Changed`` with
  ``escrow_status: "2"`` (delivery registered; ``gateway.escrow_events``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..gateway import pg_rules
from ..gateway.code_tables import courier_code
from ..gateway.errors import ApiFault, Messages
from ..gateway.escrow_events import escrow_changed
from ..gateway.params import Params
from ..gateway.records import Escrow, Payment
from .routing import Call, RouteTable

__all__ = ["routes"]

routes = RouteTable()

NOT_ESCROW = "에스크로 결제건이 아닙니다."
UNSUPPORTED = "에스크로 배송정보 {action}을(를) 지원하지 않는 PG사입니다. ({pg})"
NOT_PAID = "결제완료 상태가 아니어서 배송정보를 등록할 수 없습니다."
ALREADY = "이미 배송정보가 등록되어 있습니다."
NOTHING = "등록된 배송정보가 없습니다."

# Per-PG required fields (spec ``x-portone-per-pg`` on the sender/receiver/logis objects).
SENDER: Mapping[str, tuple[str, ...]] = {
    "html5_inicis": ("name", "tel", "addr", "postcode"),
    "smartro_v2": ("name", "tel", "postcode", "formed_address"),
    "daou": ("relationship",),
}
RECEIVER: Mapping[str, tuple[str, ...]] = {
    "html5_inicis": ("name", "tel", "addr", "postcode"),
    "smartro_v2": ("name", "tel", "postcode", "formed_address"),
}
LOGIS: Mapping[str, tuple[str, ...]] = {"daou": ("receiving_at", "address")}
PRODUCT_FIELDS = ("id", "name", "amount")


def _escrow_payment(call: Call, operation: str, action: str) -> Payment:
    payment = call.gateway.require_payment(call.merchant, call.path["imp_uid"])
    if not payment.escrow:
        raise ApiFault(400, NOT_ESCROW)
    if not pg_rules.supports(payment.pg_provider, operation):
        raise ApiFault(400, UNSUPPORTED.format(action=action, pg=payment.pg_provider))
    return payment


def _require(part: Params, prefix: str, names: tuple[str, ...]) -> None:
    for name in names:
        if not part.has(name):
            raise part.fail(Messages.missing(f"{prefix}.{name}"))


def _read_delivery(params: Params, pg: str) -> dict[str, Any]:
    """The sender, receiver, logis and products objects, checked for ``pg``."""
    sender = params.nested("sender", required=True)
    receiver = params.nested("receiver", required=True)
    logis = params.nested("logis", required=True)
    _require(sender, "sender", SENDER.get(pg, ()))
    _require(receiver, "receiver", RECEIVER.get(pg, ()))
    _require(logis, "logis", ("company", "invoice", "sent_at", *LOGIS.get(pg, ())))
    sent_at = logis.need_integer("sent_at", minimum=0)
    receiving_at = logis.text("receiving_at")
    if receiving_at is not None and not (receiving_at.isdigit() and len(receiving_at) == 8):
        raise params.fail(Messages.invalid("logis.receiving_at", "YYYYMMDD"))
    products = params.records("products", required=pg == "welcome")
    for index, product in enumerate(products):
        _require(Params(product, params.bad_status), f"products[{index}]", PRODUCT_FIELDS)
    return {
        "company": courier_code(logis.need_text("company")),
        "invoice": logis.need_text("invoice"),
        "sent_at": sent_at,
        "sender": sender.data,
        "receiver": receiver.data,
        "logis": logis.data,
        "products": products,
    }


@routes.op("POST", "/escrows/logis/{imp_uid}")
def register_delivery(call: Call) -> dict[str, Any]:
    """Register the shipment of a paid escrow payment."""
    payment = _escrow_payment(call, "escrow_logis", "등록")
    escrows = call.gateway.ledger(call.merchant).escrows
    if payment.imp_uid in escrows:
        raise ApiFault(409, ALREADY)
    if payment.status != "paid":
        raise ApiFault(409, NOT_PAID)
    registered = _store_delivery(call, payment)
    escrow_changed(call.gateway, payment, escrows[payment.imp_uid], "2")
    return registered


@routes.op("PUT", "/escrows/logis/{imp_uid}")
def modify_delivery(call: Call) -> dict[str, Any]:
    """Replace the registered shipment (not offered by nice_v2)."""
    payment = _escrow_payment(call, "escrow_logis_edit", "수정")
    escrows = call.gateway.ledger(call.merchant).escrows
    if payment.imp_uid not in escrows:
        raise ApiFault(409, NOTHING)
    return _store_delivery(call, payment)


def _store_delivery(call: Call, payment: Payment) -> dict[str, Any]:
    """Read the shipment from the request and (re)place it on ``payment``."""
    delivery = _read_delivery(call.params, payment.pg_provider or "")
    before = call.gateway.ledger(call.merchant).escrows.get(payment.imp_uid)
    kept: dict[str, Any] = {} if before is None else {"escrow_status": before.escrow_status,
                                      "status_changed_at": before.status_changed_at,
                                      "denied_reason": before.denied_reason}  # fmt: skip
    escrow = Escrow(
        imp_uid=payment.imp_uid, imp_code=call.merchant.book, applied_at=call.now,
        **delivery, **kept,
    )  # fmt: skip
    call.gateway.ledger(call.merchant).escrows[payment.imp_uid] = escrow
    call.gateway.touch()
    return escrow.wire()


@routes.op("GET", "/escrows/logis/{imp_uid}")
def get_delivery(call: Call) -> dict[str, Any]:
    """The registered shipment; 409 while none is registered."""
    payment = _escrow_payment(call, "escrow_logis", "조회")
    escrow = call.gateway.ledger(call.merchant).escrows.get(payment.imp_uid)
    if escrow is None:
        raise ApiFault(409, NOTHING)
    return escrow.wire()
