"""What the admin console reads: the dashboard, the transaction search and export, an
order's timeline, the retry queue. Read-only, over our books (nothing asks i'mport).

``Services.backoffice`` is a ``Backoffice``; its methods (all async):

- ``dashboard(now=None, days=14) -> Dashboard``: today's sales and refunds and a
  per-day series (Korean days, oldest first, ending today) for charts; counts of
  orders awaiting payment, unverified orders, items whose outcome at i'mport is
  unknown (payments, and refunds ``sending``/``unknown``), refunds waiting for
  input, flagged orders; the latest reconciliation and its drift; the retry and
  dead-letter depth. Raises ``ValueError`` unless 1 <= days <= 92.
- ``search(filters, page=1, per_page=50) -> SearchPage``: one page of
  ``TransactionRow`` (an order with its current payment), newest first (creation,
  then id), with the total; ``per_page`` is capped at ``MAX_PER_PAGE`` (100).
- ``export(filters) -> AsyncIterator[TransactionRow]``: every matching row in the
  same order, read ``EXPORT_CHUNK`` at a time by key (constant memory, one short
  transaction per chunk); ``services.transaction_csv.csv_stream`` turns it into CSV.
- ``timeline(order_id=None, merchant_uid=None) -> Timeline``: the order and every
  ``TimelineEntry`` about it, time-ordered (``services.timeline``). Raises
  ``NotOnRecord``.
- ``retry_queue(limit=50) -> list[JobEntry]``: jobs ``retrying`` or ``dead``,
  newest first (act on them with ``Services.retries``).

Filters are a ``TransactionQuery`` (``store.backoffice``); ``parse_filters(params)``
reads one from a page's query parameters (``imp_uid``, ``merchant_uid``,
``apply_num``, ``pg_tid``, ``buyer``, ``status``, ``method``, ``attention``
(``unknown``, ``needs_refund_account`` or ``needs_refund_tel``), ``date_from``, ``date_to``: Korean calendar
days ``YYYY-MM-DD``, both inclusive) and raises
``InvalidFilters`` (a ``ValueError``) with a message fit for the page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Final

from ..core.clock import Clock
from ..core.orders import OrderStatus
from ..store import UnitOfWork, UnitsOfWork
from ..store.backoffice import ATTENTION, DayTotal, OrderHeader, TransactionQuery, TransactionRow
from ..store.jobs import JobEntry
from ..store.reconciliations import ReconciliationRecord
from .errors import InvalidFilters, NotOnRecord
from .timeline import OrderHistory, TimelineEntry, entries_of, job_key_prefixes
from .transaction_csv import KST

__all__ = [
    "EXPORT_CHUNK",
    "FILTER_FIELDS",
    "MAX_PER_PAGE",
    "Backoffice",
    "Dashboard",
    "DayFigures",
    "SearchPage",
    "Timeline",
    "TransactionQuery",
    "TransactionRow",
    "parse_filters",
]

MAX_PER_PAGE: Final = 100
EXPORT_CHUNK: Final = 500
MAX_DAYS: Final = 92
#: ``unknown_counts`` keys of refunds waiting for the merchant's input, not for i'mport.
_NEEDS_INPUT: Final = ("refund_needs_refund_account", "refund_needs_refund_tel")
#: The query parameters ``parse_filters`` reads.
FILTER_FIELDS: Final = ("imp_uid", "merchant_uid", "apply_num", "pg_tid", "buyer", "status",
                        "method", "attention", "date_from", "date_to")  # fmt: skip
_LIMITS = {"imp_uid": 32, "merchant_uid": 40, "apply_num": 20, "pg_tid": 64, "buyer": 100,
           "method": 20}  # fmt: skip


@dataclass(frozen=True)
class DayFigures:
    """One Korean calendar day: money paid and refunded (smallest unit), and how many."""

    day: date
    sales: int = 0
    sales_count: int = 0
    refunds: int = 0
    refund_count: int = 0

    @property
    def net(self) -> int:
        return self.sales - self.refunds


@dataclass(frozen=True)
class Dashboard:
    """The dashboard's figures (money in ``currency``'s smallest unit)."""

    currency: str
    today: DayFigures
    series: list[DayFigures]  # oldest first; the last is today
    pending: int  # orders awaiting payment: pending (not expired) or held by a confirm
    unverified: int  # a result arrived but could not be checked with i'mport yet
    unknown: int  # payments and refunds whose outcome at i'mport is unknown
    needs_input: int  # refunds waiting for a refund account
    needs_tel: int  # refunds waiting for the holder's phone alone (Smartro's old module)
    flagged: int  # paid but not fulfillable: a refund is owed
    orders_by_status: dict[str, int]
    unknown_by_kind: dict[str, int]  # payment_unknown, refund_sending, refund_unknown
    reconciliation: ReconciliationRecord | None  # the newest finished sweep
    last_sweep: ReconciliationRecord | None  # the newest sweep, whatever its status
    drift: int  # items of the newest finished sweep's report
    retrying: int  # jobs queued again after a failure
    dead: int  # the dead-letter list
    jobs_by_state: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchPage:
    """One page of the transaction search."""

    rows: list[TransactionRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True)
class Timeline:
    """An order and everything that happened to it, oldest first."""

    order: OrderHeader
    entries: list[TimelineEntry]


def day_start(day: date) -> datetime:
    """Midnight (Korean time) starting ``day``, as an aware instant."""
    return datetime.combine(day, time(), KST)


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidFilters(f"{name}: expected a date like 2026-01-31, got {value!r}") from None


def parse_filters(params: Mapping[str, str]) -> TransactionQuery:
    """A ``TransactionQuery`` from query parameters (blank ones ignored; see the module).

    Raises ``InvalidFilters`` for a bad date, a ``date_from`` after ``date_to``, an
    unknown status or attention, a control character, or a value longer than its column.
    """
    given = {k: params[k].strip() for k in FILTER_FIELDS if params.get(k, "").strip()}
    for name, value in given.items():
        if not value.isprintable():
            raise InvalidFilters(f"{name}: control characters are not allowed")
    for name, size in _LIMITS.items():
        if len(given.get(name, "")) > size:
            raise InvalidFilters(f"{name}: at most {size} characters")
    status = given.get("status")
    if status is not None and status not in {s.value for s in OrderStatus}:
        raise InvalidFilters(f"status: unknown status {status!r}")
    attention = given.get("attention")
    if attention is not None and attention not in ATTENTION:
        raise InvalidFilters(f"attention: expected one of {', '.join(ATTENTION)}")
    since = day_start(_day(given["date_from"], "date_from")) if "date_from" in given else None
    until = None
    if "date_to" in given:
        until = day_start(_day(given["date_to"], "date_to") + timedelta(days=1))
    if since is not None and until is not None and since >= until:
        raise InvalidFilters("date_from must not be after date_to")
    return TransactionQuery(
        imp_uid=given.get("imp_uid"), merchant_uid=given.get("merchant_uid"),
        apply_num=given.get("apply_num"), pg_tid=given.get("pg_tid"), buyer=given.get("buyer"),
        status=status, pay_method=given.get("method"), since=since, until=until,
        attention=attention,
    )  # fmt: skip


class Backoffice:
    """Read-only queries of the admin console (see the module for the API)."""

    def __init__(
        self, database: UnitsOfWork, clock: Clock, *, currency: str = "KRW",
        export_chunk: int = EXPORT_CHUNK,
    ) -> None:  # fmt: skip
        self._db = database
        self._clock = clock
        self._currency = currency
        self._chunk = export_chunk

    async def dashboard(self, now: datetime | None = None, days: int = 14) -> Dashboard:
        """The dashboard as of ``now`` (the clock's by default), with ``days`` days of series."""
        if not 1 <= days <= MAX_DAYS:
            raise ValueError(f"days must be between 1 and {MAX_DAYS}")
        now = now or self._clock.now()
        today = now.astimezone(KST).date()
        first = today - timedelta(days=days - 1)
        bounds = [day_start(first + timedelta(days=i)) for i in range(days + 1)]
        async with self._db.reading() as uow:
            q = uow.backoffice
            sales = await q.daily_sales(bounds, self._currency)
            refunds = await q.daily_refunds(bounds, self._currency)
            orders = await q.order_counts(now)
            unknown = await q.unknown_counts()
            retrying = await q.retrying_jobs()
            jobs = await uow.jobs.counts()
            finished = await uow.reconciliations.last_finished()
            latest = await uow.reconciliations.listing(limit=1)
        series = [_figures(first + timedelta(days=i), s, r)
                  for i, (s, r) in enumerate(zip(sales, refunds, strict=True))]  # fmt: skip
        return Dashboard(
            currency=self._currency, today=series[-1], series=series,
            pending=orders.get("pending", 0) + orders.get("held", 0),
            unverified=orders.get("unverified", 0),
            unknown=sum(n for k, n in unknown.items() if k not in _NEEDS_INPUT),
            needs_input=unknown.get("refund_needs_refund_account", 0),
            needs_tel=unknown.get("refund_needs_refund_tel", 0),
            flagged=orders.get("flagged", 0), orders_by_status=orders,
            unknown_by_kind={k: n for k, n in unknown.items() if k not in _NEEDS_INPUT},
            reconciliation=finished, last_sweep=latest[0] if latest else None,
            drift=sum(finished.counts.values()) if finished else 0,
            retrying=retrying, dead=jobs.get("dead", 0), jobs_by_state=jobs,
        )  # fmt: skip

    async def search(
        self, filters: TransactionQuery, page: int = 1, per_page: int = 50
    ) -> SearchPage:
        """Page ``page`` (from 1) of the matching transactions; ``per_page`` capped at 100."""
        page = max(1, page)
        per_page = min(max(1, per_page), MAX_PER_PAGE)
        async with self._db.reading() as uow:
            rows, total = await uow.backoffice.transactions(
                filters, limit=per_page, offset=(page - 1) * per_page
            )
        return SearchPage(rows, total, page, per_page)

    async def export(self, filters: TransactionQuery) -> AsyncIterator[TransactionRow]:
        """Every matching transaction, newest first, read in chunks by key."""
        after: tuple[datetime, int] | None = None
        while True:
            async with self._db.reading() as uow:
                chunk = await uow.backoffice.transactions_after(filters, after, self._chunk)
            for row in chunk:
                yield row
            if len(chunk) < self._chunk:
                return
            after = (chunk[-1].created_at, chunk[-1].order_id)

    async def timeline(
        self, order_id: int | None = None, merchant_uid: str | None = None
    ) -> Timeline:
        """The order's history, oldest first. Raises ``NotOnRecord``."""
        async with self._db.reading() as uow:
            order = await uow.backoffice.order(order_id=order_id, merchant_uid=merchant_uid)
            if order is None:
                raise NotOnRecord(f"no order {order_id or merchant_uid}")
            history = await _history(uow, order)
        return Timeline(order, entries_of(history))

    async def retry_queue(self, limit: int = 50) -> list[JobEntry]:
        """Jobs retrying after a failure or dead, newest first."""
        async with self._db.reading() as uow:
            return await uow.jobs.entries(("retrying", "dead"), limit=max(1, limit))


def _figures(day: date, sales: DayTotal, refunds: DayTotal) -> DayFigures:
    return DayFigures(day, sales.amount, sales.count, refunds.amount, refunds.count)


async def _history(uow: UnitOfWork, order: OrderHeader) -> OrderHistory:
    q = uow.backoffice
    payments = await q.payments_of(order.id, order.merchant_uid)
    imp_uids = {p.imp_uid for p in payments} | ({order.imp_uid} if order.imp_uid else set())
    decisions = await q.decisions_of(order.id, imp_uids)
    imp_uids |= {d.imp_uid for d, _ in decisions}
    deliveries = await q.deliveries_of(imp_uids, order.merchant_uid)
    refunds = await uow.refunds.of_order(order.id)
    attempts = [(r, await uow.refunds.attempts_of(r)) for r in refunds]
    prefixes = job_key_prefixes(imp_uids, [r.id for r in refunds], [d.id for d in deliveries])
    return OrderHistory(
        order=order, decisions=decisions, deliveries=deliveries,
        calls=await uow.gateway_calls.about(imp_uids, [order.merchant_uid]),
        payments=payments, refunds=attempts, jobs=await q.jobs_keyed(prefixes),
        drift=await q.drift_of(order.id, imp_uids),
    )  # fmt: skip
