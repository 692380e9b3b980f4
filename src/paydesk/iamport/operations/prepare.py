"""Pre-registering the amount of an order (reference §2.4, ``payments.validation``)."""

from __future__ import annotations

from decimal import Decimal

from ..exchange import ApiRequest, Flow, Timeout, segment, timed
from ..models.prepare import Prepared
from .answers import exchange

__all__ = ["prepare", "prepared", "update_prepared"]


def _body(merchant_uid: str, amount: int | Decimal, currency: str | None) -> dict[str, object]:
    return {"merchant_uid": merchant_uid, "amount": amount, "currency": currency}


def prepare(
    merchant_uid: str,
    amount: int | Decimal,
    *,
    currency: str | None = None,
    timeout: Timeout | None = None,
) -> Flow[Prepared]:
    """Register the amount the payment window must charge (``POST /payments/prepare``).

    Args:
        merchant_uid: the order id (at most 40 characters).
        amount: the amount (``int``; ``Decimal`` for fractional non-KRW money).
        currency: checked too when given; None = not checked.

    Returns:
        The registered ``Prepared`` amount.

    Raises:
        ApiError: e.g. the merchant_uid is already registered (code 1).
        OutcomeUnknown: no answer; ``prepared()`` tells whether it was registered.
    """
    request = ApiRequest(
        "payments.prepare",
        "POST",
        "/payments/prepare",
        body=_body(merchant_uid, amount, currency),
        keys={"merchant_uid": merchant_uid, "amount": amount},
    )
    return timed(exchange(request, Prepared), timeout)


def update_prepared(
    merchant_uid: str,
    amount: int | Decimal,
    *,
    currency: str | None = None,
    timeout: Timeout | None = None,
) -> Flow[Prepared]:
    """Change a registered amount (``PUT /payments/prepare``).

    Args:
        merchant_uid: the order id.
        amount: the new amount.
        currency: the new currency, None = not checked.

    Returns:
        The updated ``Prepared`` amount.

    Raises:
        NotFound: nothing was registered for ``merchant_uid``.
    """
    request = ApiRequest(
        "payments.prepare_update",
        "PUT",
        "/payments/prepare",
        body=_body(merchant_uid, amount, currency),
        keys={"merchant_uid": merchant_uid, "amount": amount},
    )
    return timed(exchange(request, Prepared), timeout)


def prepared(merchant_uid: str, *, timeout: Timeout | None = None) -> Flow[Prepared]:
    """The amount registered for an order (``GET /payments/prepare/{merchant_uid}``).

    Args:
        merchant_uid: the order id.

    Returns:
        The ``Prepared`` amount.

    Raises:
        NotFound: nothing was registered.
    """
    request = ApiRequest(
        "payments.prepared",
        "GET",
        f"/payments/prepare/{segment(merchant_uid)}",
        keys={"merchant_uid": merchant_uid},
    )
    return timed(exchange(request, Prepared), timeout)
