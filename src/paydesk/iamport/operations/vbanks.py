"""Virtual accounts issued by API (§2.8): issue, change, revoke, and holder lookup."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..exchange import ApiRequest, Flow, Timeout, merged, query_pairs, segment, timed
from ..models.codes import VbankHolder
from ..models.payment import Payment
from ..models.wire import to_unix
from .answers import exchange

__all__ = ["edit_vbank", "issue_vbank", "revoke_vbank", "vbank_holder"]

Money = int | Decimal


def issue_vbank(
    merchant_uid: str,
    amount: Money,
    *,
    vbank_code: str,
    vbank_due: datetime,
    vbank_holder: str | None = None,
    channel_key: str | None = None,
    pg: str | None = None,
    name: str | None = None,
    pg_api_key: str | None = None,
    buyer_name: str | None = None,
    buyer_email: str | None = None,
    buyer_tel: str | None = None,
    buyer_addr: str | None = None,
    buyer_postcode: str | None = None,
    notice_url: str | None = None,
    custom_data: str | None = None,
    tax_free: Money | None = None,
    vat_amount: Money | None = None,
    extra: Mapping[str, Any] | None = None,
    timeout: Timeout | None = None,
) -> Flow[Payment]:
    """Issue a virtual account without a payment window (``POST /vbanks``).

    Args:
        merchant_uid: a fresh order id.
        amount: the amount to deposit.
        vbank_code: bank code (PG-specific table).
        vbank_due: deposit deadline.
        vbank_holder: holder name shown to the buyer (some PGs require it).
        channel_key: the PG channel (required by the newest spec).
        pg: ``provider`` or ``provider.MID`` (older alternative to channel_key).
        name: order name.
        pg_api_key: KG Inicis API key (sent in the query string).
        buyer_name: buyer's name (several PGs require it).
        buyer_email: buyer's e-mail.
        buyer_tel: buyer's phone.
        buyer_addr: buyer's address.
        buyer_postcode: buyer's postcode.
        notice_url: webhook URL for this payment.
        custom_data: free data kept with the payment.
        tax_free: tax-free part of ``amount``.
        vat_amount: explicit VAT part.
        extra: other documented body fields, sent as given.

    Returns:
        The Payment in ``ready`` with ``vbank_num`` set.

    Raises:
        ApiError: e.g. no vbank contract with the PG.
        OutcomeUnknown: no answer: look the order up by ``merchant_uid``.
    """
    body = {
        "merchant_uid": merchant_uid,
        "amount": amount,
        "vbank_code": vbank_code,
        "vbank_due": to_unix(vbank_due),
        "vbank_holder": vbank_holder,
        "channel_key": channel_key,
        "pg": pg,
        "name": name,
        "buyer_name": buyer_name,
        "buyer_email": buyer_email,
        "buyer_tel": buyer_tel,
        "buyer_addr": buyer_addr,
        "buyer_postcode": buyer_postcode,
        "notice_url": notice_url,
        "custom_data": custom_data,
        "tax_free": tax_free,
        "vat_amount": vat_amount,
    }
    request = ApiRequest(
        "vbanks.issue",
        "POST",
        "/vbanks",
        query=query_pairs({"pg_api_key": pg_api_key}),
        body=merged(body, extra),
        keys={"merchant_uid": merchant_uid, "amount": amount},
    )
    return timed(exchange(request, Payment), timeout)


def edit_vbank(
    imp_uid: str,
    *,
    amount: Money | None = None,
    vbank_due: datetime | None = None,
    timeout: Timeout | None = None,
) -> Flow[Payment]:
    """Change the amount and/or deadline of an undeposited account (``PUT /vbanks/{imp_uid}``).

    Args:
        imp_uid: the vbank payment.
        amount: the new amount.
        vbank_due: the new deadline.

    Returns:
        The updated Payment.

    Raises:
        BadRequest: not a vbank payment, or not awaiting deposit.
        NotFound: no such payment.
    """
    if amount is None and vbank_due is None:
        raise ValueError("give amount and/or vbank_due")
    body = {"amount": amount, "vbank_due": to_unix(vbank_due) if vbank_due else None}
    request = ApiRequest(
        "vbanks.edit",
        "PUT",
        f"/vbanks/{segment(imp_uid)}",
        body=body,
        keys={"imp_uid": imp_uid, "amount": amount},
    )
    return timed(exchange(request, Payment), timeout)


def revoke_vbank(
    imp_uid: str, *, pg_api_key: str | None = None, timeout: Timeout | None = None
) -> Flow[Payment]:
    """Revoke an undeposited virtual account (``DELETE /vbanks/{imp_uid}``).

    Args:
        imp_uid: the vbank payment.
        pg_api_key: KG Inicis API key (query string).

    Returns:
        The Payment after revocation.

    Raises:
        BadRequest: not a vbank payment, or not awaiting deposit.
        NotFound: no such payment.
    """
    request = ApiRequest(
        "vbanks.revoke",
        "DELETE",
        f"/vbanks/{segment(imp_uid)}",
        query=query_pairs({"pg_api_key": pg_api_key}),
        keys={"imp_uid": imp_uid},
    )
    return timed(exchange(request, Payment), timeout)


def vbank_holder(
    bank_code: str, bank_num: str, *, timeout: Timeout | None = None
) -> Flow[VbankHolder]:
    """The holder name of a bank account (``GET /vbanks/holder``).

    Args:
        bank_code: KFTC bank code.
        bank_num: account number.

    Returns:
        A ``VbankHolder``.

    Raises:
        NotFound: the account could not be looked up.
    """
    request = ApiRequest(
        "vbanks.holder",
        "GET",
        "/vbanks/holder",
        query=query_pairs({"bank_code": bank_code, "bank_num": bank_num}),
        keys={"bank_code": bank_code},
    )
    return timed(exchange(request, VbankHolder), timeout)
