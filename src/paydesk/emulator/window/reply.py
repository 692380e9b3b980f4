"""What the window hands back to the merchant's page (reference §7.3, §7.4).

Two shapes, built here only: the callback object ``rsp`` (desktop: modal or
popup) and the query string appended to ``m_redirect_url`` (redirect flow).
Both generations of clients are served: legacy ``success``/``imp_success``
alongside ``error_code``/``error_msg``.  New-module PGs answer with only
``imp_uid``, ``merchant_uid``, ``error_code`` and ``error_msg`` (§7.3) — a
real quirk that breaks integrations reading ``rsp.paid_amount``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..gateway.records import Payment
from .pay_request import NEW_SDK_PGS

__all__ = ["ErrorCodes", "Failure", "pay_rsp", "redirect_target"]

_VBANK_FIELDS = ("vbank_num", "vbank_name", "vbank_holder", "vbank_date", "vbank_code")
_CARD_FIELDS = ("apply_num", "card_name", "card_number", "card_quota", "bank_name")


class ErrorCodes:
    """``error_code`` values of the emulated window (PG codes are not published, §8.7)."""

    ALREADY_PAID = "F1002"  # as the real SDK answers a reused merchant_uid
    BAD_REQUEST = "F1000"
    PREPARE_MISMATCH = "F1001"
    NO_CHANNEL = "F1003"
    BUYER_CANCEL = "F0001"
    PG_DECLINED = "F0002"
    CONFIRM_REFUSED = "F0003"


@dataclass(frozen=True, slots=True)
class Failure:
    """Why a window ended without a payment: SDK ``error_code`` and ``error_msg``."""

    code: str
    message: str


def _custom_data(payment: Payment, original: Any) -> Any:
    if original is not None:
        return original
    if payment.custom_data is None:
        return None
    try:
        return json.loads(payment.custom_data)
    except ValueError:
        return payment.custom_data


def _succeeded(payment: Payment) -> bool:
    """Legacy ``success``: the transaction finished normally, vbank issuance included."""
    return payment.status == "paid" or (payment.status == "ready" and bool(payment.vbank_num))


def pay_rsp(
    payment: Payment | None,
    *,
    merchant_uid: str,
    failure: Failure | None = None,
    custom_data: Any = None,
) -> dict[str, Any]:
    """The callback object for ``payment`` (None when the SDK refused before a payment)."""
    if payment is None:
        failure = failure or Failure(ErrorCodes.BAD_REQUEST, "결제요청이 처리되지 않았습니다.")
        return {
            "success": False,
            "imp_success": False,
            "error_code": failure.code,
            "error_msg": failure.message,
            "imp_uid": None,
            "merchant_uid": merchant_uid,
        }
    ok = failure is None and _succeeded(payment)
    if failure is None and not ok:
        failure = Failure(ErrorCodes.PG_DECLINED, payment.fail_reason or "결제에 실패하였습니다.")
    if payment.pg_provider in NEW_SDK_PGS:
        slim: dict[str, Any] = {"imp_uid": payment.imp_uid, "merchant_uid": payment.merchant_uid}
        if failure is not None:
            slim.update(error_code=failure.code, error_msg=failure.message)
        return slim
    rsp: dict[str, Any] = {
        "success": ok,
        "imp_success": ok,
        "error_code": failure.code if failure else None,
        "error_msg": failure.message if failure else None,
        "imp_uid": payment.imp_uid,
        "merchant_uid": payment.merchant_uid,
        "pay_method": payment.pay_method,
        "paid_amount": payment.amount if ok else 0,
        "status": payment.status,
        "name": payment.name,
        "pg_provider": payment.pg_provider,
        "emb_pg_provider": payment.emb_pg_provider,
        "pg_tid": payment.pg_tid,
        "pg_type": "payment",
        "currency": payment.currency,
        "custom_data": _custom_data(payment, custom_data),
        "paid_at": payment.paid_at,
        "receipt_url": payment.receipt_url,
        "buyer_name": payment.buyer_name,
        "buyer_email": payment.buyer_email,
        "buyer_tel": payment.buyer_tel,
        "buyer_addr": payment.buyer_addr,
        "buyer_postcode": payment.buyer_postcode,
    }
    rsp.update({name: getattr(payment, name) for name in (*_CARD_FIELDS, *_VBANK_FIELDS)})
    if payment.customer_uid:
        rsp["customer_uid"] = payment.customer_uid
    return rsp


def redirect_target(m_redirect_url: str, rsp: dict[str, Any], flag: str = "imp_success") -> str:
    """``m_redirect_url`` with ``imp_uid``, ``merchant_uid``, ``imp_success`` (+ error) (§7.4).

    Certification redirects carry ``success`` instead (``flag``).
    """
    failed = bool(rsp.get("error_code"))
    query: list[tuple[str, str]] = []
    if rsp.get("imp_uid"):
        query.append(("imp_uid", str(rsp["imp_uid"])))
    query.append(("merchant_uid", str(rsp.get("merchant_uid") or "")))
    query.append((flag, "false" if failed else "true"))
    if failed:
        query.append(("error_code", str(rsp["error_code"])))
        query.append(("error_msg", str(rsp.get("error_msg") or "")))
    parts = urlsplit(m_redirect_url)
    existing = parse_qsl(parts.query, keep_blank_values=True)
    return urlunsplit(parts._replace(query=urlencode([*existing, *query])))
