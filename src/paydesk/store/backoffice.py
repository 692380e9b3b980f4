"""Read-only queries of the admin console: figures per day, counts, the transaction search.

Everything here reads across tables (orders with their current payment, refunds,
jobs) for people, never for a payment decision. Portable SQL only: days are cut
by bound instants (``CASE`` over the boundaries), not by a dialect's date
functions; the buyer's name and e-mail are read out of the ``buyer`` JSON with
SQLAlchemy's JSON accessors (``json_extract`` on SQLite, ``->>`` on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from ..core.refund_lifecycle import RefundState
from .jobs import JobEntry
from .ledger_records import InboxRecord, PaymentRecord
from .reconciliations import DriftItem
from .records import DecisionRecord
from .tables import (
    confirm_decisions,
    jobs,
    orders,
    payments,
    reconciliation_items,
    refunds,
    webhook_inbox,
)

__all__ = [
    "ATTENTION",
    "BackofficeQueries",
    "DayTotal",
    "OrderHeader",
    "TransactionQuery",
    "TransactionRow",
]

#: Refund states whose outcome at i'mport is not known yet (a cancel may have left).
UNKNOWN_REFUND_STATES = (RefundState.SENDING.value, RefundState.UNKNOWN.value)


@dataclass(frozen=True)
class TransactionQuery:
    """Filters of the transaction search; None matches anything.

    ``imp_uid``, ``apply_num`` and ``pg_tid`` match any payment attempt of the
    order; ``buyer`` is a case-insensitive substring of the buyer's name or
    e-mail; ``status`` is the order's; ``pay_method`` the payment's (else the
    order's); ``since`` (inclusive) and ``until`` (exclusive) bound the order's
    creation; ``attention`` picks orders a person should look at: ``unknown`` (a
    payment, or a refund sending or unknown, whose outcome at i'mport is not
    known), ``needs_refund_account`` (a refund waiting for a refund account) or
    ``needs_refund_tel`` (one waiting for the holder's phone only).
    """

    imp_uid: str | None = None
    merchant_uid: str | None = None
    apply_num: str | None = None
    pg_tid: str | None = None
    buyer: str | None = None
    status: str | None = None
    pay_method: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    attention: str | None = None


#: Refund states waiting for the merchant's input (an attention kind each).
_WAITING_STATES = (RefundState.NEEDS_REFUND_ACCOUNT.value, RefundState.NEEDS_REFUND_TEL.value)
#: The values of ``TransactionQuery.attention``.
ATTENTION = ("unknown", "needs_refund_account", "needs_refund_tel")


@dataclass(frozen=True)
class TransactionRow:
    """An order with its current payment (the attempt the order follows), as listed."""

    order_id: int
    merchant_uid: str
    name: str
    status: str
    amount: int
    paid_amount: int
    refunded_amount: int
    currency: str
    imp_uid: str | None
    payment_status: str | None
    apply_num: str | None
    pg_tid: str | None
    pay_method: str | None
    pg: str | None
    buyer_name: str | None
    buyer_email: str | None
    paid_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class OrderHeader:
    """An order as the timeline opens it (with its own timestamps)."""

    id: int
    merchant_uid: str
    name: str
    status: str
    amount: int
    paid_amount: int
    refunded_amount: int
    currency: str
    imp_uid: str | None
    pay_method: str | None
    pg: str | None
    buyer: dict[str, Any]
    expires_at: datetime
    created_at: datetime
    updated_at: datetime
    escrow: bool = False  # the order asked for an escrow (구매안전) payment


@dataclass(frozen=True)
class DayTotal:
    """Money and count of one bucket (a day) of a series."""

    amount: int = 0
    count: int = 0


_PAYMENT = payments.alias("current_payment")
_METHOD = func.coalesce(_PAYMENT.c.pay_method, orders.c.pay_method)
_BUYER_NAME = orders.c.buyer["name"].as_string()
_BUYER_EMAIL = orders.c.buyer["email"].as_string()
_ROW_COLUMNS = (
    orders.c.id.label("order_id"), orders.c.merchant_uid, orders.c.name, orders.c.status,
    orders.c.amount, orders.c.paid_amount, orders.c.refunded_amount, orders.c.currency,
    orders.c.imp_uid, _PAYMENT.c.status.label("payment_status"), _PAYMENT.c.apply_num,
    _PAYMENT.c.pg_tid, _METHOD.label("pay_method"),
    func.coalesce(_PAYMENT.c.pg_provider, orders.c.pg).label("pg"),
    _BUYER_NAME.label("buyer_name"), _BUYER_EMAIL.label("buyer_email"),
    _PAYMENT.c.paid_at, orders.c.created_at,
)  # fmt: skip


def _any_payment(column_name: str, value: str) -> ColumnElement[bool]:
    column = payments.c[column_name]
    return exists().where(payments.c.order_id == orders.c.id, column == value)


def _conditions(query: TransactionQuery) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if query.imp_uid is not None:
        found.append(or_(orders.c.imp_uid == query.imp_uid, _any_payment("imp_uid", query.imp_uid)))
    for name in ("apply_num", "pg_tid"):
        value = getattr(query, name)
        if value is not None:
            found.append(_any_payment(name, value))
    for column, value in ((orders.c.merchant_uid, query.merchant_uid),
                          (orders.c.status, query.status), (_METHOD, query.pay_method)):  # fmt: skip
        if value is not None:
            found.append(column == value)
    if query.buyer:
        term = query.buyer.lower()
        found.append(or_(func.lower(_BUYER_NAME).contains(term, autoescape=True),
                         func.lower(_BUYER_EMAIL).contains(term, autoescape=True)))  # fmt: skip
    if query.attention is not None:
        found.append(_attention(query.attention))
    if query.since is not None:
        found.append(orders.c.created_at >= query.since)
    if query.until is not None:
        found.append(orders.c.created_at < query.until)
    return found


def _attention(kind: str) -> ColumnElement[bool]:
    def refund_in(states: Iterable[str]) -> ColumnElement[bool]:
        return exists().where(refunds.c.order_id == orders.c.id, refunds.c.state.in_(states))

    if kind in _WAITING_STATES:
        return refund_in([kind])
    unknown_payment = exists().where(payments.c.order_id == orders.c.id,
                                     payments.c.status == "unknown")  # fmt: skip
    return or_(unknown_payment, refund_in(UNKNOWN_REFUND_STATES))


def _listing(query: TransactionQuery) -> Select[Any]:
    joined = orders.outerjoin(_PAYMENT, _PAYMENT.c.imp_uid == orders.c.imp_uid)
    return select(*_ROW_COLUMNS).select_from(joined).where(*_conditions(query))


def _row(row: Any) -> TransactionRow:
    return TransactionRow(**dict(row._mapping))


def _buckets(column: Any, bounds: Sequence[datetime]) -> Any:
    """Which of the days cut by ``bounds`` (n+1 instants) ``column`` falls in (0..n-1)."""
    whens = [(column < bound, index) for index, bound in enumerate(bounds[1:])]
    return case(*whens, else_=len(bounds) - 1).label("bucket")


class BackofficeQueries:
    """The admin console's read-only queries, inside the caller's (reading) transaction."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    # -- dashboard -------------------------------------------------------------------
    async def daily_sales(self, bounds: Sequence[datetime], currency: str) -> list[DayTotal]:
        """Paid amounts per day: payments in ``currency`` paid (``paid_at``) within each day
        cut by ``bounds`` (n+1 instants for n days), later cancelled or not."""
        kept = and_(payments.c.status.in_(("paid", "cancelled")), payments.c.paid_at.is_not(None),
                    payments.c.currency == currency)  # fmt: skip
        return await self._daily(payments.c.paid_at, payments.c.amount, kept, bounds)

    async def daily_refunds(self, bounds: Sequence[datetime], currency: str) -> list[DayTotal]:
        """Refunded amounts per day: refunds in ``currency`` that succeeded (``updated_at``)."""
        done = and_(refunds.c.state == RefundState.SUCCEEDED.value, refunds.c.currency == currency)
        return await self._daily(refunds.c.updated_at, refunds.c.amount, done, bounds)

    async def _daily(
        self, at: Any, amount: Any, where: ColumnElement[bool], bounds: Sequence[datetime]
    ) -> list[DayTotal]:
        inner = (
            select(_buckets(at, bounds), amount.label("amount"))
            .where(where, at >= bounds[0], at < bounds[-1])
            .subquery()
        )
        query = select(inner.c.bucket, func.coalesce(func.sum(inner.c.amount), 0), func.count())
        totals = [DayTotal() for _ in bounds[1:]]
        for bucket, total, count in await self._db.execute(query.group_by(inner.c.bucket)):
            totals[int(bucket)] = DayTotal(int(total), int(count))
        return totals

    async def order_counts(self, now: datetime) -> dict[str, int]:
        """Orders per status; ``pending`` only those not expired yet."""
        query = (
            select(orders.c.status, func.count())
            .where(or_(orders.c.status != "pending", orders.c.expires_at > now))
            .group_by(orders.c.status)
        )
        return {str(status): int(count) for status, count in await self._db.execute(query)}

    async def unknown_counts(self) -> dict[str, int]:
        """Items whose outcome at i'mport is unknown: payments, and refunds by state."""
        query = select(refunds.c.state, func.count()).where(
            refunds.c.state.in_((*UNKNOWN_REFUND_STATES, *_WAITING_STATES))
        )
        counts = {
            f"refund_{state}": int(n)
            for state, n in await self._db.execute(query.group_by(refunds.c.state))
        }
        unknown_payments = select(func.count()).where(payments.c.status == "unknown")
        counts["payment_unknown"] = int((await self._db.execute(unknown_payments)).scalar_one())
        return counts

    async def retrying_jobs(self) -> int:
        """Jobs queued again after a failed attempt."""
        query = select(func.count()).where(jobs.c.state == "queued", jobs.c.last_error.is_not(None))
        return int((await self._db.execute(query)).scalar_one())

    # -- transactions ------------------------------------------------------------------
    async def transactions(
        self, query: TransactionQuery, *, limit: int, offset: int
    ) -> tuple[list[TransactionRow], int]:
        """One page of matching orders (newest first, by creation then id) and the total."""
        outer = orders.outerjoin(_PAYMENT, _PAYMENT.c.imp_uid == orders.c.imp_uid)
        counted = select(func.count()).select_from(outer).where(*_conditions(query))
        total = int((await self._db.execute(counted)).scalar_one())
        page = _listing(query).order_by(orders.c.created_at.desc(), orders.c.id.desc())
        rows = await self._db.execute(page.limit(limit).offset(offset))
        return [_row(r) for r in rows], total

    async def transactions_after(
        self, query: TransactionQuery, after: tuple[datetime, int] | None, limit: int
    ) -> list[TransactionRow]:
        """The next ``limit`` rows in listing order after ``after`` (created_at, order id)."""
        listing = _listing(query)
        if after is not None:
            at, order_id = after
            listing = listing.where(
                or_(
                    orders.c.created_at < at,
                    and_(orders.c.created_at == at, orders.c.id < order_id),
                )
            )
        ordered = listing.order_by(orders.c.created_at.desc(), orders.c.id.desc()).limit(limit)
        return [_row(r) for r in await self._db.execute(ordered)]

    # -- one order ---------------------------------------------------------------------
    async def order(
        self, *, order_id: int | None = None, merchant_uid: str | None = None
    ) -> OrderHeader | None:
        """The order with ``order_id`` (or else ``merchant_uid``), or None."""
        if order_id is not None:
            where = orders.c.id == order_id
        elif merchant_uid is not None:
            where = orders.c.merchant_uid == merchant_uid
        else:
            return None
        row = (await self._db.execute(select(orders).where(where))).first()
        if row is None:
            return None
        m = row._mapping
        fields = {name: m[name] for name in OrderHeader.__dataclass_fields__ if name != "buyer"}
        return OrderHeader(**fields, buyer=dict(m["buyer"] or {}))

    async def payments_of(self, order_id: int, merchant_uid: str) -> list[PaymentRecord]:
        """Every payment attempt of the order (by order id or its merchant_uid)."""
        query = (
            select(payments)
            .where(or_(payments.c.order_id == order_id, payments.c.merchant_uid == merchant_uid))
            .order_by(payments.c.created_at, payments.c.imp_uid)
        )
        return [PaymentRecord.from_row(r) for r in await self._db.execute(query)]

    async def decisions_of(
        self, order_id: int, imp_uids: Iterable[str]
    ) -> list[tuple[DecisionRecord, dict[str, Any]]]:
        """Confirm decisions about the order, with the confirm request each answered."""
        query = (
            select(confirm_decisions)
            .where(
                or_(
                    confirm_decisions.c.order_id == order_id,
                    confirm_decisions.c.imp_uid.in_(sorted(set(imp_uids))),
                )
            )
            .order_by(confirm_decisions.c.decided_at)
        )
        rows = await self._db.execute(query)
        return [(DecisionRecord.from_row(r), dict(r._mapping["request"] or {})) for r in rows]

    async def deliveries_of(self, imp_uids: Iterable[str], merchant_uid: str) -> list[InboxRecord]:
        """Webhook deliveries naming the order or any of its payments, oldest first."""
        query = (
            select(webhook_inbox)
            .where(
                or_(
                    webhook_inbox.c.imp_uid.in_(sorted(set(imp_uids))),
                    webhook_inbox.c.merchant_uid == merchant_uid,
                )
            )
            .order_by(webhook_inbox.c.id)
        )
        return [InboxRecord.from_row(r) for r in await self._db.execute(query)]

    async def jobs_keyed(self, prefixes: Iterable[str], *, limit: int = 200) -> list[JobEntry]:
        """Jobs whose dedupe key is one of ``prefixes`` or continues one with ``:``."""
        keyed = [
            or_(jobs.c.dedupe_key == p, jobs.c.dedupe_key.startswith(p + ":", autoescape=True))
            for p in sorted(set(prefixes))
        ]
        if not keyed:
            return []
        query = select(jobs).where(or_(*keyed)).order_by(jobs.c.created_at, jobs.c.id).limit(limit)
        return [JobEntry.from_row(r) for r in await self._db.execute(query)]

    async def drift_of(self, order_id: int, imp_uids: Iterable[str]) -> list[DriftItem]:
        """Reconciliation items about the order or its payments."""
        query = (
            select(reconciliation_items)
            .where(
                or_(
                    reconciliation_items.c.order_id == order_id,
                    reconciliation_items.c.imp_uid.in_(sorted(set(imp_uids))),
                )
            )
            .order_by(reconciliation_items.c.id)
        )
        return [DriftItem.from_row(r) for r in await self._db.execute(query)]
