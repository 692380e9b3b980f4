"""Charges without a payment window: key-in ``onetime`` and billing-key ``again`` (§2.5).

i'mport answers a declined card with ``code 0`` and a Payment in ``status
failed``: the call worked, the charge did not.  By default that Payment is
returned (check ``status``); ``raise_on_decline=True`` turns it into
``Declined`` carrying the Payment.  A card i'mport cannot even authenticate
is a non-zero answer and always raises ``Declined``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..errors import Declined
from ..exchange import ApiRequest, Envelope, Flow, Timeout, merged, timed
from ..models.payment import Payment
from .answers import parse

__all__ = ["charged", "pay_again", "pay_onetime"]

Money = int | Decimal


def charged(envelope: Envelope, *, raise_on_decline: bool) -> Payment:
    """The Payment of a charge answer; with ``raise_on_decline``, a failed one raises.

    Raises:
        Declined: ``raise_on_decline`` and the payment's status is ``failed``.
    """
    result = parse(Payment, envelope)
    if raise_on_decline and result.status == "failed":
        request = envelope.request
        raise Declined(
            result.fail_reason or "declined",
            payment=result,
            http_status=envelope.http_status,
            code=envelope.code,
            request_id=envelope.request_id,
            **request.context(),
        )
    return result


def _charge(request: ApiRequest, raise_on_decline: bool) -> Flow[Payment]:
    envelope = yield request
    return charged(envelope, raise_on_decline=raise_on_decline)


def _order(merchant_uid: str, amount: Money, name: str | None, **fields: Any) -> dict[str, Any]:
    return {"merchant_uid": merchant_uid, "amount": amount, "name": name, **fields}


def pay_onetime(
    merchant_uid: str,
    amount: Money,
    *,
    card_number: str,
    expiry: str,
    birth: str | None = None,
    pwd_2digit: str | None = None,
    customer_uid: str | None = None,
    pg: str | None = None,
    name: str | None = None,
    currency: str | None = None,
    tax_free: Money | None = None,
    vat_amount: Money | None = None,
    buyer_name: str | None = None,
    buyer_email: str | None = None,
    buyer_tel: str | None = None,
    buyer_addr: str | None = None,
    buyer_postcode: str | None = None,
    card_quota: int | None = None,
    custom_data: str | None = None,
    notice_url: str | None = None,
    cvc: str | None = None,
    product_type: str | None = None,
    raise_on_decline: bool = False,
    extra: Mapping[str, Any] | None = None,
    timeout: Timeout | None = None,
) -> Flow[Payment]:
    """Charge a card by its number (``POST /subscribe/payments/onetime``).

    Args:
        merchant_uid: a fresh order id for this attempt (never reuse one after
            ``OutcomeUnknown`` before looking it up).
        amount: the amount.
        card_number: ``dddd-dddd-dddd-dddd``.
        expiry: ``YYYY-MM``.
        birth: ``YYMMDD`` (10-digit business number for corporate cards).
        pwd_2digit: first two digits of the card PIN.
        customer_uid: also keep the card as this billing key.
        pg: ``provider`` or ``provider.MID`` of the API channel.
        name: order name.
        currency: default KRW.
        tax_free: tax-free part of ``amount``.
        vat_amount: explicit VAT part (None: computed by the PG).
        buyer_name: buyer's name (some PGs require the buyer_* fields).
        buyer_email: buyer's e-mail.
        buyer_tel: buyer's phone.
        buyer_addr: buyer's address.
        buyer_postcode: buyer's postcode.
        card_quota: installment months (0 = lump sum).
        custom_data: free data kept with the payment.
        notice_url: webhook URL for this payment.
        cvc: card CVC (paymentwall).
        product_type: ``real``/``digital`` (ksnet).
        raise_on_decline: raise ``Declined`` instead of returning a failed Payment.
        extra: other documented body fields without a parameter here
            (``browser_ip``, ``promotion_id``, ``bypass``...), sent as given.

    Returns:
        The Payment: ``paid``, or ``failed`` with ``fail_reason`` when declined.

    Raises:
        Declined: the card could not be authenticated (or declined, with
            ``raise_on_decline``).
        OutcomeUnknown: no answer: look the order up by ``merchant_uid``.
    """
    body = _order(
        merchant_uid,
        amount,
        name,
        card_number=card_number,
        expiry=expiry,
        birth=birth,
        pwd_2digit=pwd_2digit,
        customer_uid=customer_uid,
        pg=pg,
        currency=currency,
        tax_free=tax_free,
        vat_amount=vat_amount,
        buyer_name=buyer_name,
        buyer_email=buyer_email,
        buyer_tel=buyer_tel,
        buyer_addr=buyer_addr,
        buyer_postcode=buyer_postcode,
        card_quota=card_quota,
        custom_data=custom_data,
        notice_url=notice_url,
        cvc=cvc,
        product_type=product_type,
    )
    request = ApiRequest(
        "subscribe.onetime",
        "POST",
        "/subscribe/payments/onetime",
        body=merged(body, extra),
        keys={"merchant_uid": merchant_uid, "amount": amount, "customer_uid": customer_uid},
    )
    return timed(_charge(request, raise_on_decline), timeout)


def pay_again(
    customer_uid: str,
    merchant_uid: str,
    amount: Money,
    *,
    name: str,
    currency: str | None = None,
    tax_free: Money | None = None,
    vat_amount: Money | None = None,
    buyer_name: str | None = None,
    buyer_email: str | None = None,
    buyer_tel: str | None = None,
    buyer_addr: str | None = None,
    buyer_postcode: str | None = None,
    card_quota: int | None = None,
    custom_data: str | None = None,
    notice_url: str | None = None,
    channel_key: str | None = None,
    product_type: str | None = None,
    raise_on_decline: bool = False,
    extra: Mapping[str, Any] | None = None,
    timeout: Timeout | None = None,
) -> Flow[Payment]:
    """Charge a stored billing key (``POST /subscribe/payments/again``).

    Args:
        customer_uid: the billing key.
        merchant_uid: a fresh order id for this attempt.
        amount: the amount.
        name: order name (required).
        currency: default KRW.
        tax_free: tax-free part of ``amount``.
        vat_amount: explicit VAT part.
        buyer_name: buyer's name.
        buyer_email: buyer's e-mail.
        buyer_tel: buyer's phone.
        buyer_addr: buyer's address.
        buyer_postcode: buyer's postcode.
        card_quota: installment months.
        custom_data: free data kept with the payment.
        notice_url: webhook URL for this payment.
        channel_key: the channel, for a super billing key.
        product_type: ``real``/``digital`` (ksnet).
        raise_on_decline: raise ``Declined`` instead of returning a failed Payment.
        extra: other documented body fields (``browser_ip``, ``product_count``,
            ``promotion_id``, i'mport's own ``extra`` object...), sent as given.

    Returns:
        The Payment: ``paid``, or ``failed`` with ``fail_reason``.

    Raises:
        NotFound: no billing key under ``customer_uid``.
        Declined: with ``raise_on_decline``, a declined charge.
        OutcomeUnknown: no answer: look the order up by ``merchant_uid``.
    """
    body = _order(
        merchant_uid,
        amount,
        name,
        customer_uid=customer_uid,
        currency=currency,
        tax_free=tax_free,
        vat_amount=vat_amount,
        buyer_name=buyer_name,
        buyer_email=buyer_email,
        buyer_tel=buyer_tel,
        buyer_addr=buyer_addr,
        buyer_postcode=buyer_postcode,
        card_quota=card_quota,
        custom_data=custom_data,
        notice_url=notice_url,
        channel_key=channel_key,
        product_type=product_type,
    )
    request = ApiRequest(
        "subscribe.again",
        "POST",
        "/subscribe/payments/again",
        body=merged(body, extra),
        keys={"customer_uid": customer_uid, "merchant_uid": merchant_uid, "amount": amount},
    )
    return timed(_charge(request, raise_on_decline), timeout)
