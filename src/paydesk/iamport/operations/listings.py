"""Whole listings as iterators: every page, and for time ranges every window.

``GET /payments/status`` accepts at most 90 days at a time, so a longer range
is walked window by window, and each window page by page.  These builders
return a ``Pager``; the clients expose them as ``iter_*`` methods yielding
items (a generator, or an async generator).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import partial

from ..exchange import Flow
from ..models.payment import Payment, PaymentPage
from ..models.schedule import SchedulePage, ScheduleResult
from ..paging import MAX_WINDOW, Pager, windows
from .answers import exchange
from .billing_keys import customer_payments
from .payments import find_payments, status_page_request
from .schedules import schedules

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


def _payment_pager(
    sources: Sequence[Callable[[int], Flow[PaymentPage]]],
) -> Pager[PaymentPage, Payment]:
    return Pager(sources=sources, items=_payments, key=_imp_uid)


def _status_page(
    status: str, limit: int, sorting: str | None, window: tuple[datetime, datetime], page: int
) -> Flow[PaymentPage]:
    since, until = window
    request = status_page_request(
        status, since=since, until=until, page=page, limit=limit, sorting=sorting
    )
    return exchange(request, PaymentPage)


def iter_payments_by_status(
    status: str = "all",
    *,
    since: datetime,
    until: datetime,
    limit: int = 100,
    sorting: str | None = None,
    span: timedelta = MAX_WINDOW,
) -> Pager[PaymentPage, Payment]:
    """Every payment in a status over any range, window by window, page by page.

    Each payment is yielded once, even where windows meet.  Within a window the
    order follows ``sorting``; windows are walked oldest first.

    Args:
        status: all / ready / paid / cancelled / failed.
        since: range start (aware datetime).
        until: range end (aware datetime).
        limit: page size (1..1000).
        sorting: as for ``payments_by_status``.
        span: window length, at most 90 days.

    Yields:
        Payments.

    Raises:
        ValueError: ``since`` after ``until`` or a bad span.
        BadRequest: an unknown status.
    """
    sources = [
        partial(_status_page, status, limit, sorting, window)
        for window in windows(since, until, span)
    ]
    return _payment_pager(sources)


def iter_find_payments(
    merchant_uid: str, status: str | None = None, *, limit: int = 100, sorting: str | None = None
) -> Pager[PaymentPage, Payment]:
    """Every attempt of an order, page by page (``findAll``).

    Yields:
        Payments.

    Raises:
        NotFound: the order has no attempt.
    """

    def page(number: int) -> Flow[PaymentPage]:
        return find_payments(merchant_uid, status, page=number, limit=limit, sorting=sorting)

    return _payment_pager([page])


def iter_customer_payments(customer_uid: str) -> Pager[PaymentPage, Payment]:
    """Every payment made with a billing key, page by page.

    Yields:
        Payments.

    Raises:
        NotFound: no such billing key.
    """

    def page(number: int) -> Flow[PaymentPage]:
        return customer_payments(customer_uid, page=number)

    return _payment_pager([page])


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
) -> Pager[SchedulePage, ScheduleResult]:
    """Every scheduled charge with ``schedule_at`` in a range, window by window.

    Yields:
        ScheduleResult entries.

    Raises:
        ValueError: ``since`` after ``until`` or a bad span.
    """

    def source(window: tuple[datetime, datetime], number: int) -> Flow[SchedulePage]:
        start, end = window
        return schedules(
            since=start, until=end, status=status, page=number, limit=limit, sorting=sorting
        )

    sources = [partial(source, window) for window in windows(since, until, span)]
    return Pager(sources=sources, items=_schedules, key=_merchant_uid)
