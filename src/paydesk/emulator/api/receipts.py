"""Cash receipts: for i'mport cash payments (``/receipts/{imp_uid}``) and for sales
made elsewhere (``/receipts/external/{merchant_uid}``).

A receipt is issued through the PG of the payment (or of the chosen channel
for an external one); a PG without the feature answers 501, as the spec
documents.  The amount of a payment's receipt is what is left after partial
cancels; VAT is 1/11 of the part that is not tax-free, unless ``vat_amount``
is given (reference §2.9, §2.17).  ``GET /payments/{imp_uid}/naver/cash-amount``
tells what of a Naver Pay payment can still go on one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..gateway import pg_rules
from ..gateway.channel_choice import choose_channel
from ..gateway.errors import ApiFault, Messages
from ..gateway.params import Amount, Params
from ..gateway.records import ExternalReceipt, Payment, Receipt
from .routing import Call, RouteTable

__all__ = ["receipt_vat", "routes"]

routes = RouteTable()

CASH_METHODS = frozenset({"trans", "vbank"})
NOT_NAVERPAY = "네이버페이(결제형) 결제건이 아닙니다."
IDENTIFIER_TYPES = ("person", "business", "phone", "taxcard")
# ``DELETE /receipts/external`` lists fewer PGs than the issue operation (§2.9).
EXTERNAL_REVOKE = frozenset(
    "html5_inicis kcp settle nice tosspayments nice_v2 ksnet smartro_v2 welcome".split()
)
# Per-PG required fields of ``POST /receipts/external`` (spec ``x-portone-per-pg``).
EXTERNAL_REQUIRED: Mapping[str, tuple[str, ...]] = {
    "ksnet": ("product_type", "buyer_name"),
    "kicc": ("identifier_type",),
    "settle": ("identifier_type",),
    "nice_v2": ("identifier_type", "type"),
    "smartro_v2": ("type", "buyer_name", "buyer_tel"),
    "welcome": ("type", "buyer_tel", "corp_reg_no", "pay_method"),
}
NOT_CASH = "현금성 결제(계좌이체, 가상계좌)에 대해서만 현금영수증을 발행할 수 있습니다."
NOT_PAID = "결제완료 상태인 결제건에 대해서만 현금영수증을 발행할 수 있습니다."
ALREADY_ISSUED = "이미 현금영수증이 발행되었습니다."
NONE_ISSUED = "발행된 현금영수증이 존재하지 않습니다."
UNSUPPORTED = "현금영수증 발행을 지원하지 않는 PG사입니다. ({pg})"


@dataclass(frozen=True, slots=True)
class Terms:
    """What the buyer asked the receipt to say."""

    identifier: str
    identifier_type: str | None
    type: Literal["person", "company"]
    tax_free: Amount
    vat_amount: Amount | None


def read_terms(params: Params) -> Terms:
    """The receipt's identifier, type and tax split from the request."""
    identifier = params.need_text("identifier")
    digits = re.sub(r"-", "", identifier)
    if not digits.isdigit() or not 8 <= len(digits) <= 19:
        raise params.fail(Messages.invalid("identifier", "휴대폰·사업자·주민등록·카드 번호"))
    kind = params.text("type", choices=("person", "company"))
    vat_amount = params.amount("vat_amount")
    return Terms(
        identifier=digits,
        identifier_type=params.text("identifier_type", choices=IDENTIFIER_TYPES),
        type="company" if kind == "company" else "person",
        tax_free=params.amount("tax_free") or 0,
        vat_amount=vat_amount if vat_amount is not None else params.amount("vat"),
    )


def receipt_vat(params: Params, amount: Amount, terms: Terms) -> Amount:
    """VAT in ``amount``: as given, else 1/11 of the taxable part, rounded half up."""
    if terms.tax_free > amount:
        raise params.fail(Messages.invalid("tax_free", "발행금액 이하여야 합니다"))
    taxable = amount - terms.tax_free
    if terms.vat_amount is not None:
        if terms.vat_amount > taxable:
            raise params.fail(Messages.invalid("vat_amount", "과세금액 이하여야 합니다"))
        return terms.vat_amount
    return math.floor(taxable / 11 + 0.5)


def _unsupported(pg: str | None) -> ApiFault:
    return ApiFault(501, UNSUPPORTED.format(pg=pg))


def _missing(params: Params, needed: tuple[str, ...]) -> None:
    for name in needed:
        if not params.has(name):
            raise params.fail(Messages.missing(name))


# -- receipts of i'mport payments -----------------------------------------------------


def _payment(call: Call) -> Payment:
    """The path's payment; the write operations document no 404, so unknown is a 400."""
    payment = call.gateway.find_payment(call.merchant, call.path["imp_uid"])
    if payment is None:
        raise ApiFault(400, Messages.PAYMENT_NOT_FOUND)
    return payment


@routes.op("POST", "/receipts/{imp_uid}")
def issue_receipt(call: Call) -> dict[str, Any]:
    """Issue a cash receipt for a paid transfer or virtual-account payment."""
    params = call.params
    terms = read_terms(params)
    payment = _payment(call)
    pg = payment.pg_provider
    if not pg_rules.supports(pg, "receipt_issue"):
        raise _unsupported(pg)
    _missing(params, tuple(pg_rules.missing_fields(pg, "receipt_issue", params.data)))
    if payment.pay_method not in CASH_METHODS:
        raise params.fail(NOT_CASH)
    if payment.status not in ("paid", "cancelled") or payment.balance <= 0:
        raise params.fail(NOT_PAID)
    receipts = call.gateway.ledger(call.merchant).receipts
    current = receipts.get(payment.imp_uid)
    if current is not None and not current.cancelled_at:
        raise params.fail(ALREADY_ISSUED)
    receipt = Receipt(
        imp_uid=payment.imp_uid,
        receipt_tid=call.gateway.new_pg_tid(pg),
        apply_num=call.gateway.digits(9),
        type=terms.type,
        amount=payment.balance,
        vat=receipt_vat(params, payment.balance, terms),
        receipt_url=call.gateway.receipt_url("cash", payment.imp_uid),
        applied_at=call.now,
        imp_code=call.merchant.book,
        identifier=terms.identifier,
        identifier_type=terms.identifier_type,
    )
    receipts[payment.imp_uid] = receipt
    payment.cash_receipt_issued = True
    payment.updated_at = call.now
    call.gateway.touch()
    return receipt.wire()


@routes.op("GET", "/receipts/{imp_uid}")
def get_receipt(call: Call) -> dict[str, Any]:
    """The cash receipt of a payment (also after it was cancelled)."""
    payment = call.gateway.require_payment(call.merchant, call.path["imp_uid"])
    receipt = call.gateway.ledger(call.merchant).receipts.get(payment.imp_uid)
    if receipt is None:
        raise ApiFault(404, NONE_ISSUED)
    return receipt.wire()


@routes.op("DELETE", "/receipts/{imp_uid}")
def revoke_receipt(call: Call) -> dict[str, Any]:
    """Cancel the cash receipt issued through i'mport for a payment."""
    payment = _payment(call)
    if not pg_rules.supports(payment.pg_provider, "receipt_revoke"):
        raise _unsupported(payment.pg_provider)
    receipt = call.gateway.ledger(call.merchant).receipts.get(payment.imp_uid)
    if receipt is None or receipt.cancelled_at:
        raise ApiFault(400, NONE_ISSUED)
    receipt.cancelled_at = call.now
    payment.cash_receipt_issued = False
    payment.updated_at = call.now
    call.gateway.touch()
    return receipt.wire()


# -- receipts of sales made outside i'mport -------------------------------------------


@routes.op("POST", "/receipts/external/{merchant_uid}")
def issue_external_receipt(call: Call) -> dict[str, Any]:
    """Issue a cash receipt for a cash sale the merchant made elsewhere."""
    params = call.params
    merchant_uid = call.path["merchant_uid"]
    name = params.need_text("name")
    amount = params.need_amount("amount")
    terms = read_terms(params)
    params.text("pay_method", choices=("trans", "vbank"))
    channel = choose_channel(call.merchant, params, ("api_payment", "payment"))
    pg = channel.pg_provider
    if not pg_rules.supports(pg, "external_receipt"):
        raise _unsupported(pg)
    _missing(params, EXTERNAL_REQUIRED.get(pg, ()))
    receipts = call.gateway.ledger(call.merchant).external_receipts
    current = receipts.get(merchant_uid)
    if current is not None and not current.cancelled_at:
        raise params.fail(ALREADY_ISSUED)
    receipt = ExternalReceipt(
        merchant_uid=merchant_uid,
        receipt_tid=call.gateway.new_pg_tid(pg),
        apply_num=call.gateway.digits(9),
        type=terms.type,
        amount=amount,
        vat=receipt_vat(params, amount, terms),
        receipt_url=call.gateway.receipt_url("cash-external", merchant_uid),
        applied_at=call.now,
        imp_code=call.merchant.book,
        name=name,
        identifier=terms.identifier,
        pg_provider=pg,
    )
    receipts[merchant_uid] = receipt
    call.gateway.touch()
    return receipt.wire()


def _external(call: Call) -> ExternalReceipt:
    receipt = call.gateway.ledger(call.merchant).external_receipts.get(call.path["merchant_uid"])
    if receipt is None:
        raise ApiFault(404, NONE_ISSUED)
    return receipt


@routes.op("GET", "/receipts/external/{merchant_uid}")
def get_external_receipt(call: Call) -> dict[str, Any]:
    """The external receipt issued under a merchant_uid."""
    return _external(call).wire()


@routes.op("DELETE", "/receipts/external/{merchant_uid}")
def revoke_external_receipt(call: Call) -> dict[str, Any]:
    """Cancel an external receipt: 404 if never issued, 400 if already cancelled."""
    receipt = _external(call)
    if receipt.pg_provider not in EXTERNAL_REVOKE:
        raise _unsupported(receipt.pg_provider)
    if receipt.cancelled_at:
        raise ApiFault(400, NONE_ISSUED)
    receipt.cancelled_at = call.now
    call.gateway.touch()
    return receipt.wire()


@routes.op("GET", "/payments/{imp_uid}/naver/cash-amount")
def naver_cash_amount(call: Call) -> dict[str, int]:
    """What of a Naver Pay payment can still go on a cash receipt.

    The emulator's Naver Pay has no points: the whole remaining amount is by
    the primary method, and its VAT is 1/11 of the part that is not tax-free.
    """
    payment = call.gateway.find_payment(call.merchant, call.path["imp_uid"])
    if payment is None or payment.pg_provider != "naverpay":
        raise ApiFault(400, NOT_NAVERPAY)
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
