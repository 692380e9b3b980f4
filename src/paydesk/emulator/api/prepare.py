"""Amount pre-registration (``/payments/prepare``, reference §2.4).

A merchant registers the amount it expects for a merchant_uid; the payment
window then refuses a different amount.  These handlers only keep the books
(``Ledger.prepared``); the window reads them.
"""

from __future__ import annotations

from typing import Any

from ..gateway.errors import ApiFault, Messages
from ..gateway.records import Prepared
from .routing import Call, RouteTable

__all__ = ["routes"]

routes = RouteTable()


@routes.op("POST", "/payments/prepare")
def register(call: Call) -> dict[str, Any]:
    """Register once per merchant_uid; a second registration is HTTP 200, code 1."""
    merchant_uid = call.params.need_text("merchant_uid", max_len=40)
    amount = call.params.need_amount("amount")
    currency = call.params.text("currency")
    books = call.gateway.ledger(call.merchant).prepared
    if merchant_uid in books:
        raise ApiFault(200, Messages.PREPARE_DUPLICATE, code=1)
    books[merchant_uid] = Prepared(
        merchant_uid=merchant_uid, amount=amount, currency=currency, imp_code=call.merchant.book
    )
    call.gateway.touch()
    return books[merchant_uid].wire()


@routes.op("PUT", "/payments/prepare")
def change(call: Call) -> dict[str, Any]:
    """Change the amount (and the currency when given) of a registration."""
    merchant_uid = call.params.need_text("merchant_uid", max_len=40)
    amount = call.params.need_amount("amount")
    currency = call.params.text("currency")
    prepared = _require(call, merchant_uid)
    prepared.amount = amount
    if currency is not None:
        prepared.currency = currency
    call.gateway.touch()
    return prepared.wire()


@routes.op("GET", "/payments/prepare/{merchant_uid}")
def read(call: Call) -> dict[str, Any]:
    """The spec documents only 200/401; the real server answers 404 (§10)."""
    return _require(call, call.path["merchant_uid"]).wire()


def _require(call: Call, merchant_uid: str) -> Prepared:
    prepared = call.gateway.ledger(call.merchant).prepared.get(merchant_uid)
    if prepared is None:
        raise ApiFault(404, Messages.PREPARE_NOT_FOUND)
    return prepared
