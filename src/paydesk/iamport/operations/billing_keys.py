"""Billing keys stored under a merchant-chosen ``customer_uid`` (§2.7, ``subscribe.customer``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ..errors import NotFound
from ..exchange import ApiRequest, Flow, Timeout, merged, query_pairs, segment, timed
from ..models.customer import Customer, CustomerBatch
from ..models.payment import PaymentPage
from ..models.schedule import SchedulePage
from ..models.wire import to_unix
from .answers import exchange, parse_list

__all__ = [
    "customer",
    "customer_payments",
    "customer_schedules",
    "customers",
    "delete_billing_key",
    "issue_billing_key",
]


def _path(customer_uid: str) -> str:
    return f"/subscribe/customers/{segment(customer_uid)}"


def customer(customer_uid: str, *, timeout: Timeout | None = None) -> Flow[Customer]:
    """One billing key (``GET /subscribe/customers/{customer_uid}``).

    Args:
        customer_uid: the billing key id.

    Returns:
        The ``Customer`` (card data masked).

    Raises:
        NotFound: no such billing key.
    """
    request = ApiRequest(
        "customers.get", "GET", _path(customer_uid), keys={"customer_uid": customer_uid}
    )
    return timed(exchange(request, Customer), timeout)


def customers(
    customer_uids: Sequence[str], *, timeout: Timeout | None = None
) -> Flow[CustomerBatch]:
    """Several billing keys at once (``GET /subscribe/customers``).

    Args:
        customer_uids: billing key ids.

    Returns:
        A ``CustomerBatch``; unknown ids are in ``missing`` (HTTP 207, or 404 for none).

    Raises:
        ValueError: no id given.
    """
    if not customer_uids:
        raise ValueError("give at least one customer_uid")
    request = ApiRequest(
        "customers.get_many",
        "GET",
        "/subscribe/customers",
        query=query_pairs(repeated={"customer_uid": customer_uids}),
        keys={"customer_uids": list(customer_uids)},
    )
    return timed(_batch(request, list(customer_uids)), timeout)


def _batch(request: ApiRequest, wanted: list[str]) -> Flow[CustomerBatch]:
    try:
        envelope = yield request
        found = parse_list(Customer, envelope)
    except NotFound:
        found = []
    known = {c.customer_uid for c in found}
    missing = [uid for uid in wanted if uid not in known]
    return CustomerBatch(found=found, missing=missing, partial=bool(missing))


def issue_billing_key(
    customer_uid: str,
    *,
    card_number: str,
    expiry: str,
    birth: str | None = None,
    pwd_2digit: str | None = None,
    channel_key: str | None = None,
    pg: str | None = None,
    customer_id: str | None = None,
    customer_name: str | None = None,
    customer_tel: str | None = None,
    customer_email: str | None = None,
    customer_addr: str | None = None,
    customer_postcode: str | None = None,
    cvc: str | None = None,
    extra: Mapping[str, Any] | None = None,
    timeout: Timeout | None = None,
) -> Flow[Customer]:
    """Issue and store a billing key from card data (``POST /subscribe/customers/{uid}``).

    Reusing a ``customer_uid`` re-points it to the new card.

    Args:
        customer_uid: the id to store the key under (at most 80 characters).
        card_number: ``dddd-dddd-dddd-dddd``.
        expiry: ``YYYY-MM``.
        birth: ``YYMMDD`` or a 10-digit business number.
        pwd_2digit: first two PIN digits.
        channel_key: the API channel to issue on (required by the newest spec).
        pg: ``provider`` or ``provider.MID`` (older alternative to channel_key).
        customer_id: the PG's customer id (tosspayments requires it).
        customer_name: card holder's name (welcome requires it).
        customer_tel: phone.
        customer_email: e-mail.
        customer_addr: address.
        customer_postcode: postcode.
        cvc: card CVC (paymentwall).
        extra: other documented body fields, sent as given.

    Returns:
        The stored ``Customer``.

    Raises:
        Declined: the card could not be authenticated.
        ApiError: e.g. no API-type PG channel (code 1).
        OutcomeUnknown: no answer: ``customer(customer_uid)`` tells whether it exists.
    """
    body = {
        "card_number": card_number,
        "expiry": expiry,
        "birth": birth,
        "pwd_2digit": pwd_2digit,
        "channel_key": channel_key,
        "pg": pg,
        "customer_id": customer_id,
        "customer_name": customer_name,
        "customer_tel": customer_tel,
        "customer_email": customer_email,
        "customer_addr": customer_addr,
        "customer_postcode": customer_postcode,
        "cvc": cvc,
    }
    request = ApiRequest(
        "customers.issue",
        "POST",
        _path(customer_uid),
        body=merged(body, extra),
        keys={"customer_uid": customer_uid},
    )
    return timed(exchange(request, Customer), timeout)


def delete_billing_key(
    customer_uid: str,
    *,
    reason: str | None = None,
    requester: str | None = None,
    timeout: Timeout | None = None,
) -> Flow[Customer]:
    """Delete a billing key for good (``DELETE /subscribe/customers/{customer_uid}``).

    Args:
        customer_uid: the billing key id.
        reason: deletion reason.
        requester: naverpay only: ``admin`` (default) or ``customer``.

    Returns:
        The deleted ``Customer``.

    Raises:
        NotFound: no such billing key.
    """
    request = ApiRequest(
        "customers.delete",
        "DELETE",
        _path(customer_uid),
        query=query_pairs({"reason": reason, "extra[requester]": requester}),
        keys={"customer_uid": customer_uid},
    )
    return timed(exchange(request, Customer), timeout)


def customer_payments(
    customer_uid: str, *, page: int = 1, timeout: Timeout | None = None
) -> Flow[PaymentPage]:
    """Payments made with a billing key, paged (``GET .../{customer_uid}/payments``).

    Args:
        customer_uid: the billing key id.
        page: 1-based page number.

    Returns:
        A ``PaymentPage``.

    Raises:
        NotFound: no such billing key.
    """
    request = ApiRequest(
        "customers.payments",
        "GET",
        _path(customer_uid) + "/payments",
        query=query_pairs({"page": page}),
        keys={"customer_uid": customer_uid},
    )
    return timed(exchange(request, PaymentPage), timeout)


def customer_schedules(
    customer_uid: str,
    *,
    since: datetime,
    until: datetime,
    status: str | None = None,
    page: int = 1,
    timeout: Timeout | None = None,
) -> Flow[SchedulePage]:
    """Scheduled charges of a billing key in a window (``GET .../{customer_uid}/schedules``).

    Args:
        customer_uid: the billing key id.
        since: window start (schedule_at, inclusive); the window spans at most 3 months.
        until: window end.
        status: scheduled / executed / revoked.
        page: 1-based page number.

    Returns:
        A ``SchedulePage``.

    Raises:
        BadRequest: invalid window or status.
    """
    request = ApiRequest(
        "customers.schedules",
        "GET",
        _path(customer_uid) + "/schedules",
        query=query_pairs(
            {
                "from": to_unix(since),
                "to": to_unix(until),
                "schedule-status": status,
                "page": page,
            }
        ),
        keys={"customer_uid": customer_uid},
    )
    return timed(exchange(request, SchedulePage), timeout)
