"""Cash receipts (§2.9): for i'mport payments by imp_uid, and for outside sales by merchant_uid."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..exchange import ApiRequest, Flow, Timeout, merged, segment, timed
from ..models.receipt import ExternalReceipt, Receipt
from .answers import exchange

__all__ = [
    "cancel_external_receipt",
    "cancel_receipt",
    "external_receipt",
    "issue_external_receipt",
    "issue_receipt",
    "receipt",
]


def _receipt(operation: str, method: str, imp_uid: str, body: Any = None) -> Flow[Receipt]:
    request = ApiRequest(
        operation, method, f"/receipts/{segment(imp_uid)}", body=body, keys={"imp_uid": imp_uid}
    )
    return exchange(request, Receipt)


def _external(
    operation: str, method: str, merchant_uid: str, body: Any = None
) -> Flow[ExternalReceipt]:
    request = ApiRequest(
        operation,
        method,
        f"/receipts/external/{segment(merchant_uid)}",
        body=body,
        keys={"merchant_uid": merchant_uid},
    )
    return exchange(request, ExternalReceipt)


def issue_receipt(
    imp_uid: str,
    *,
    identifier: str,
    receipt_type: str | None = None,
    identifier_type: str | None = None,
    buyer_name: str | None = None,
    buyer_email: str | None = None,
    buyer_tel: str | None = None,
    tax_free: int | Decimal | None = None,
    vat_amount: int | Decimal | None = None,
    extra: Mapping[str, Any] | None = None,
    timeout: Timeout | None = None,
) -> Flow[Receipt]:
    """Issue a cash receipt for a cash-type payment (``POST /receipts/{imp_uid}``).

    The amount is the payment's remaining amount.

    Args:
        imp_uid: the payment (vbank / trans).
        identifier: phone, NTS card, resident or business number.
        receipt_type: ``type``: ``person`` (default) or ``company``.
        identifier_type: ``phone``/``business``/``person``/``card`` (some PGs require it).
        buyer_name: buyer's name.
        buyer_email: buyer's e-mail.
        buyer_tel: buyer's phone.
        tax_free: tax-free part.
        vat_amount: VAT part.
        extra: other documented body fields (``company_*``, ``corp_reg_no``...).

    Returns:
        The issued ``Receipt``.

    Raises:
        BadRequest: payment not paid, or a receipt was already issued.
        NotSupported: the PG does not issue cash receipts.
        OutcomeUnknown: no answer: ``receipt(imp_uid)`` tells.
    """
    return timed(
        _receipt(
            "receipts.issue",
            "POST",
            imp_uid,
            merged(
                {
                    "identifier": identifier,
                    "type": receipt_type,
                    "identifier_type": identifier_type,
                    "buyer_name": buyer_name,
                    "buyer_email": buyer_email,
                    "buyer_tel": buyer_tel,
                    "tax_free": tax_free,
                    "vat_amount": vat_amount,
                },
                extra,
            ),
        ),
        timeout,
    )


def receipt(imp_uid: str, *, timeout: Timeout | None = None) -> Flow[Receipt]:
    """The cash receipt of a payment (``GET /receipts/{imp_uid}``).

    Raises:
        NotFound: no payment, or no receipt issued.
    """
    return timed(_receipt("receipts.get", "GET", imp_uid), timeout)


def cancel_receipt(imp_uid: str, *, timeout: Timeout | None = None) -> Flow[Receipt]:
    """Cancel the cash receipt of a payment (``DELETE /receipts/{imp_uid}``).

    Raises:
        BadRequest: no receipt was issued through i'mport.
        NotSupported: the PG does not cancel cash receipts.
    """
    return timed(_receipt("receipts.cancel", "DELETE", imp_uid), timeout)


def issue_external_receipt(
    merchant_uid: str,
    *,
    name: str,
    amount: int | Decimal,
    identifier: str,
    channel_key: str | None = None,
    pg: str | None = None,
    receipt_type: str | None = None,
    identifier_type: str | None = None,
    pay_method: str | None = None,
    buyer_name: str | None = None,
    buyer_email: str | None = None,
    buyer_tel: str | None = None,
    tax_free: int | Decimal | None = None,
    vat_amount: int | Decimal | None = None,
    extra: Mapping[str, Any] | None = None,
    timeout: Timeout | None = None,
) -> Flow[ExternalReceipt]:
    """Issue a cash receipt for a sale made outside i'mport (``POST /receipts/external/...``).

    Args:
        merchant_uid: the sale's order id.
        name: order name.
        amount: receipt amount.
        identifier: phone, NTS card, resident or business number.
        channel_key: the PG channel (required by the newest spec).
        pg: ``provider`` or ``provider.MID`` (older alternative).
        receipt_type: ``type``: ``person`` (default) or ``company``.
        identifier_type: ``phone``/``business``/``person``/``card``.
        pay_method: how the sale was paid.
        buyer_name: buyer's name.
        buyer_email: buyer's e-mail.
        buyer_tel: buyer's phone.
        tax_free: tax-free part.
        vat_amount: VAT part.
        extra: other documented body fields, sent as given.

    Returns:
        The issued ``ExternalReceipt``.

    Raises:
        BadRequest: a receipt was already issued for ``merchant_uid``.
        NotSupported: the PG does not issue cash receipts.
    """
    body = {
        "name": name,
        "amount": amount,
        "identifier": identifier,
        "channel_key": channel_key,
        "pg": pg,
        "type": receipt_type,
        "identifier_type": identifier_type,
        "pay_method": pay_method,
        "buyer_name": buyer_name,
        "buyer_email": buyer_email,
        "buyer_tel": buyer_tel,
        "tax_free": tax_free,
        "vat_amount": vat_amount,
    }
    return timed(
        _external("receipts.external_issue", "POST", merchant_uid, merged(body, extra)), timeout
    )


def external_receipt(merchant_uid: str, *, timeout: Timeout | None = None) -> Flow[ExternalReceipt]:
    """An outside sale's cash receipt (``GET /receipts/external/{merchant_uid}``).

    Raises:
        NotFound: no receipt issued for ``merchant_uid``.
    """
    return timed(_external("receipts.external_get", "GET", merchant_uid), timeout)


def cancel_external_receipt(
    merchant_uid: str, *, timeout: Timeout | None = None
) -> Flow[ExternalReceipt]:
    """Cancel an outside sale's cash receipt (``DELETE /receipts/external/{merchant_uid}``).

    Raises:
        NotFound: no receipt was ever issued for ``merchant_uid``.
    """
    return timed(_external("receipts.external_cancel", "DELETE", merchant_uid), timeout)
