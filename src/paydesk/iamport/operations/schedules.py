"""Scheduled billing-key charges (§2.6): i'mport runs them and posts the result webhook."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ..exchange import ApiRequest, Flow, Timeout, merged, query_pairs, segment, timed
from ..models.payment import Payment
from ..models.schedule import ScheduleEntry, SchedulePage, ScheduleResult
from ..models.wire import to_unix
from .answers import exchange, parse_list
from .charges import charged

__all__ = [
    "reschedule",
    "retry_schedule",
    "schedule",
    "scheduled",
    "schedules",
    "schedules_by_customer",
    "unschedule",
    "update_schedule",
]

BASE = "/subscribe/payments/schedule"


def _results(request: ApiRequest) -> Flow[list[ScheduleResult]]:
    envelope = yield request
    return parse_list(ScheduleResult, envelope)


def schedule(
    customer_uid: str,
    entries: Sequence[ScheduleEntry],
    *,
    card_number: str | None = None,
    expiry: str | None = None,
    birth: str | None = None,
    pwd_2digit: str | None = None,
    channel_key: str | None = None,
    customer_id: str | None = None,
    checking_amount: int | None = None,
    cvc: str | None = None,
    extra: Mapping[str, Any] | None = None,
    timeout: Timeout | None = None,
) -> Flow[list[ScheduleResult]]:
    """Schedule charges of a billing key (``POST /subscribe/payments/schedule``).

    With card data, a billing key is issued first when ``customer_uid`` has none.

    Args:
        customer_uid: the billing key.
        entries: the charges, each with its own fresh ``merchant_uid``.
        card_number: card to issue the key from, if there is no key yet.
        expiry: ``YYYY-MM``.
        birth: ``YYMMDD``.
        pwd_2digit: first two PIN digits.
        channel_key: channel of a super key / for a new key.
        customer_id: the PG's customer id.
        checking_amount: amount to authorise and cancel at once to check the card.
        cvc: card CVC.
        extra: other documented body fields, sent as given.

    Returns:
        The scheduled ``ScheduleResult`` entries.

    Raises:
        NotFound: no billing key and no card data.
        OutcomeUnknown: no answer: ``scheduled(merchant_uid)`` tells what exists.
    """
    if not entries:
        raise ValueError("give at least one schedule entry")
    body = {
        "customer_uid": customer_uid,
        "schedules": [entry.wire() for entry in entries],
        "card_number": card_number,
        "expiry": expiry,
        "birth": birth,
        "pwd_2digit": pwd_2digit,
        "channel_key": channel_key,
        "customer_id": customer_id,
        "checking_amount": checking_amount,
        "cvc": cvc,
    }
    keys = {"customer_uid": customer_uid, "merchant_uids": [e.merchant_uid for e in entries]}
    return timed(
        _results(
            ApiRequest("schedules.schedule", "POST", BASE, body=merged(body, extra), keys=keys)
        ),
        timeout,
    )


def unschedule(
    customer_uid: str | None = None,
    merchant_uids: Sequence[str] = (),
    *,
    timeout: Timeout | None = None,
) -> Flow[list[ScheduleResult]]:
    """Revoke pending charges (``POST /subscribe/payments/unschedule``).

    Args:
        customer_uid: the billing key; alone, every pending charge of it is revoked.
        merchant_uids: only these charges.

    Returns:
        The revoked ``ScheduleResult`` entries.

    Raises:
        NotFound: nothing to revoke.
    """
    if not customer_uid and not merchant_uids:
        raise ValueError("give customer_uid and/or merchant_uids")
    body = {"customer_uid": customer_uid, "merchant_uid": list(merchant_uids) or None}
    request = ApiRequest(
        "schedules.unschedule",
        "POST",
        "/subscribe/payments/unschedule",
        body=body,
        keys={"customer_uid": customer_uid, "merchant_uids": list(merchant_uids)},
    )
    return timed(_results(request), timeout)


def schedules(
    *,
    since: datetime,
    until: datetime,
    status: str | None = None,
    page: int = 1,
    limit: int = 20,
    sorting: str | None = None,
    timeout: Timeout | None = None,
) -> Flow[SchedulePage]:
    """Scheduled charges whose ``schedule_at`` is in a window of at most 3 months.

    ``GET /subscribe/payments/schedule``.

    Args:
        since: window start (inclusive).
        until: window end (exclusive).
        status: scheduled / executed / revoked.
        page: 1-based page number.
        limit: page size (1..1000).
        sorting: ``scheduled`` = oldest first; default newest first.

    Returns:
        A ``SchedulePage``.

    Raises:
        BadRequest: invalid window or status.
    """
    query = query_pairs(
        {
            "schedule_from": to_unix(since),
            "schedule_to": to_unix(until),
            "schedule_status": status,
            "page": page,
            "limit": limit,
            "sorting": sorting,
        }
    )
    return timed(
        exchange(ApiRequest("schedules.list", "GET", BASE, query=query), SchedulePage), timeout
    )


def scheduled(merchant_uid: str, *, timeout: Timeout | None = None) -> Flow[ScheduleResult]:
    """One scheduled charge (``GET /subscribe/payments/schedule/{merchant_uid}``).

    Raises:
        NotFound: no schedule under ``merchant_uid``.
    """
    request = ApiRequest(
        "schedules.get",
        "GET",
        f"{BASE}/{segment(merchant_uid)}",
        keys={"merchant_uid": merchant_uid},
    )
    return timed(exchange(request, ScheduleResult), timeout)


def _move(operation: str, method: str, suffix: str, merchant_uid: str, at: datetime) -> ApiRequest:
    return ApiRequest(
        operation,
        method,
        f"{BASE}/{segment(merchant_uid)}{suffix}",
        body={"schedule_at": to_unix(at)},
        keys={"merchant_uid": merchant_uid, "schedule_at": to_unix(at)},
    )


def update_schedule(
    merchant_uid: str, schedule_at: datetime, *, timeout: Timeout | None = None
) -> Flow[ScheduleResult]:
    """Move a still pending charge (``PUT /subscribe/payments/schedule/{merchant_uid}``).

    Raises:
        BadRequest: already executed or revoked, or ``schedule_at`` in the past.
        NotFound: no such schedule.
    """
    request = _move("schedules.update", "PUT", "", merchant_uid, schedule_at)
    return timed(exchange(request, ScheduleResult), timeout)


def reschedule(
    merchant_uid: str, schedule_at: datetime, *, timeout: Timeout | None = None
) -> Flow[ScheduleResult]:
    """Schedule a failed or revoked charge again (``POST .../{merchant_uid}/reschedule``).

    Raises:
        BadRequest: the charge is not failed/revoked, or ``schedule_at`` is past.
        NotFound: no such schedule.
    """
    request = _move("schedules.reschedule", "POST", "/reschedule", merchant_uid, schedule_at)
    return timed(exchange(request, ScheduleResult), timeout)


def retry_schedule(
    merchant_uid: str, *, raise_on_decline: bool = False, timeout: Timeout | None = None
) -> Flow[Payment]:
    """Run a failed or revoked charge now (``POST .../{merchant_uid}/retry``).

    Args:
        merchant_uid: the scheduled charge.
        raise_on_decline: raise ``Declined`` instead of returning a failed Payment.

    Returns:
        The Payment (check ``status``).

    Raises:
        BadRequest: the charge is not failed/revoked.
        NotFound: no such schedule or billing key.
        OutcomeUnknown: no answer: ``scheduled(merchant_uid)`` tells whether it ran.
    """
    request = ApiRequest(
        "schedules.retry",
        "POST",
        f"{BASE}/{segment(merchant_uid)}/retry",
        keys={"merchant_uid": merchant_uid},
    )
    return timed(_charged(request, raise_on_decline), timeout)


def _charged(request: ApiRequest, raise_on_decline: bool) -> Flow[Payment]:
    envelope = yield request
    return charged(envelope, raise_on_decline=raise_on_decline)


def schedules_by_customer(
    customer_uid: str,
    *,
    since: datetime,
    until: datetime,
    status: str | None = None,
    page: int = 1,
    timeout: Timeout | None = None,
) -> Flow[SchedulePage]:
    """A billing key's scheduled charges (``GET .../schedule/customers/{customer_uid}``).

    Same answer as ``customer_schedules``; kept because both paths exist.

    Raises:
        BadRequest: invalid window or status.
    """
    query = query_pairs(
        {"from": to_unix(since), "to": to_unix(until), "schedule-status": status, "page": page}
    )
    request = ApiRequest(
        "schedules.by_customer",
        "GET",
        f"{BASE}/customers/{segment(customer_uid)}",
        query=query,
        keys={"customer_uid": customer_uid},
    )
    return timed(exchange(request, SchedulePage), timeout)
