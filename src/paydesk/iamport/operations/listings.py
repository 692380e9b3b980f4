"""Whole listings as iterators: every page, and for time ranges every window.

``GET /payments/status`` accepts at most 90 days at a time, so a longer range
is walked window by window, and each window page by page.  These builders
return a ``Pager``; the clients expose them as ``iter_*`` methods yielding
items (a generator, or an async generator).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ..exchange import ApiRequest, Flow, Timeout, query_pairs, timed
from ..models.payment import Payment, PaymentPage
from ..models.schedule import SchedulePage, ScheduleResult
from ..paging import MAX_WINDOW, OffsetPager, WindowPager, windows
from .answers import exchange
from .billing_keys import customer_payments
from .payments import find_payments, status_page_request
from .schedules import BASE

__all__ = [
    "iter_customer_payments",
    "iter_find_payments",
    "iter_payments_by_status",
    "iter_schedules",
]


def _payments(page: PaymentPage) -> list[Payment]:
    return page.payments


def _imp_uid(item: Payment) -> str:
    return item.imp_uid


def _moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def iter_payments_by_status(
    status: str = "all",
    *,
    since: datetime,
    until: datetime,
    limit: int = 100,
    sorting: str | None = None,
    span: timedelta = MAX_WINDOW,
    timeout: Timeout | None = None,
) -> WindowPager[PaymentPage, Payment]:
    """Every payment in a status over any range, never skipping one that stays put.

    ``since``..``until`` (inclusive, whole seconds) is compared, like
    ``payments_by_status``, with the time of each payment's status (paid_at for
    ``paid``...).  Windows are walked oldest first, each read in one request
    (split while it holds more than ``limit``), so payments refunded or added
    during the walk cannot push others out of sight: every payment that is in
    the listing for the whole walk is yielded exactly once.  One that changes
    meanwhile may be yielded in its new state too (status ``all``), or not at
    all if it left the listing.  Within a window the order follows ``sorting``.

    Args:
        status: all / ready / paid / cancelled / failed.
        since: range start (aware datetime).
        until: range end (aware datetime).
        limit: items per request (1..1000); a fuller window is split.
        sorting: order within a window, as for ``payments_by_status``.
        span: the longest window, at most 90 days.
        timeout: each request's timeout.

    Yields:
        Payments.

    Raises:
        ValueError: naive datetimes, ``since`` after ``until``, a bad span or limit.
        BadRequest: an unknown status.
    """

    def fetch(start: int, end: int, page: int, size: int) -> Flow[PaymentPage]:
        request = status_page_request(
            status, since=_moment(start), until=_moment(end), page=page, limit=size,
            sorting=sorting,
        )  # fmt: skip
        return timed(exchange(request, PaymentPage), timeout)

    spans = list(windows(since, until, span))
    return WindowPager(fetch=fetch, spans=spans, items=_payments, key=_imp_uid, limit=limit)


def iter_find_payments(
    merchant_uid: str,
    status: str | None = None,
    *,
    limit: int = 100,
    sorting: str | None = None,
    timeout: Timeout | None = None,
) -> OffsetPager[PaymentPage, Payment]:
    """Every attempt of an order, page by page (``findAll``), each once.

    Yields:
        Payments.

    Raises:
        NotFound: the order has no attempt.
    """

    def page(number: int) -> Flow[PaymentPage]:
        flow = find_payments(merchant_uid, status, page=number, limit=limit, sorting=sorting)
        return timed(flow, timeout)

    return OffsetPager(fetch=page, items=_payments, key=_imp_uid)


def iter_customer_payments(
    customer_uid: str, *, timeout: Timeout | None = None
) -> OffsetPager[PaymentPage, Payment]:
    """Every payment made with a billing key, page by page, each once.

    Yields:
        Payments.

    Raises:
        NotFound: no such billing key.
    """

    def page(number: int) -> Flow[PaymentPage]:
        return timed(customer_payments(customer_uid, page=number), timeout)

    return OffsetPager(fetch=page, items=_payments, key=_imp_uid)


def _schedules(page: SchedulePage) -> list[ScheduleResult]:
    return page.schedules


def _merchant_uid(item: ScheduleResult) -> str:
    return item.merchant_uid


def iter_schedules(
    *,
    since: datetime,
    until: datetime,
    status: str | None = None,
    limit: int = 100,
    sorting: str | None = None,
    span: timedelta = MAX_WINDOW,
    timeout: Timeout | None = None,
) -> WindowPager[SchedulePage, ScheduleResult]:
    """Every scheduled charge with ``schedule_at`` in ``since``..``until`` (inclusive).

    Walked like ``iter_payments_by_status``: one request per window, so a
    schedule that stays put is never skipped while others change.

    Yields:
        ScheduleResult entries.

    Raises:
        ValueError: naive datetimes, ``since`` after ``until``, a bad span or limit.
    """

    def fetch(start: int, end: int, page: int, size: int) -> Flow[SchedulePage]:
        query = query_pairs(
            {
                "schedule_from": start,
                "schedule_to": end + 1,  # i'mport's schedule_to is exclusive
                "schedule_status": status,
                "page": page,
                "limit": size,
                "sorting": sorting,
            }
        )
        request = ApiRequest("schedules.list", "GET", BASE, query=query)
        return timed(exchange(request, SchedulePage), timeout)

    spans = list(windows(since, until, span))
    return WindowPager(fetch=fetch, spans=spans, items=_schedules, key=_merchant_uid, limit=limit)
