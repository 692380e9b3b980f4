"""The reconciliation sweep: read i'mport's listings, compare with our books, converge, report.

Webhooks get lost and consoles get used. Once in a while (the worker, every
``PAYDESK_RECONCILE_EVERY_SECONDS``; or ``paydesk reconcile``) the sweep walks
``GET /payments/status/{status}`` for ``paid``, ``cancelled`` and ``failed``
over a time range (i'mport compares it with each payment's status time: paid_at,
cancelled_at, failed_at), window by window and page by page through the
client's ``iter_payments_by_status``, which skips no payment that stays in the
listing while others change.

For every payment it reads our order and stored payment row, classifies the
drift (``core.drift``: orphan, amount_mismatch, cancelled_at_iamport, missed),
then applies the payment through ``Settlement`` (``apply_many``: the payments
of a page that need it, together) — idempotent and never backwards — so the
books converge, and checks that they now agree. A payment
without an order is recorded on its own (``payments.order_id`` NULL) and
flagged for a person. Each drifted payment becomes an item of the sweep's
report, stored with the sweep (``store.reconciliations``).

Without an explicit range a sweep starts where the newest finished one ended
(minus an overlap), or 24 hours back, and reaches at most 90 days back. A
cancel normally turns a payment ``cancelled`` (listed by its new cancelled_at),
but a partial cancel may be reported while still ``paid`` (listed by its
paid_at): so the automatic sweep reads ``paid`` over at least
``paid_lookback`` to see those on payments made within it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..core.clock import Clock
from ..core.drift import Drift, agrees, classify
from ..core.orders import Order
from ..core.outcomes import PaymentReport, Progress
from ..iamport import IamportError, Payment
from ..store import OrderRecord, UnitsOfWork
from ..store.ledger_records import PaymentRecord, PaymentState
from ..store.reconciliations import DriftItem, NewDriftItem, ReconciliationRecord
from .errors import OrderNotFound, Unreachable, UnreadablePayment
from .iamport_port import PaymentsApi
from .payment_reports import payment_columns, report_of, snapshot_progress, stored_progress
from .settlement import Settled, Settlement
from .verification import PaymentLedger

__all__ = [
    "MAX_SPAN",
    "OnProgress",
    "ReconcilePolicy",
    "Reconciler",
    "Report",
    "Walking",
    "counts_of",
    "sweep_window",
]

log = logging.getLogger(__name__)

#: i'mport answers at most 90 days per status request.
MAX_SPAN = timedelta(days=90)
#: Drifted payments applied per transaction (``Settlement.apply_many``): a write
#: transaction blocks other writers (all of them on SQLite) while it runs.
APPLY_BATCH = 100


@dataclass(frozen=True)
class ReconcilePolicy:
    """What a sweep reads and how far back it looks."""

    statuses: tuple[str, ...] = ("paid", "cancelled", "failed")
    overlap: timedelta = timedelta(minutes=5)  # re-read before the last sweep's end
    first_span: timedelta = timedelta(hours=24)  # no sweep finished yet
    paid_lookback: timedelta = timedelta(hours=24)  # automatic sweeps: cancels while "paid"
    max_span: timedelta = MAX_SPAN  # automatic sweeps reach at most this far back
    page_limit: int = 1000  # payments per request and per read of our books (1..1000)
    accept_test_payments: bool = False  # as ``SettlementPolicy``


@dataclass(frozen=True)
class Walking:
    """How far a sweep has come: given to the progress callback after every payment."""

    status: str  # the listing being walked
    statuses_done: int
    statuses_total: int
    seen: int  # payments read from this listing so far
    checked: int  # payments read in all
    drifted: int  # items reported so far


OnProgress = Callable[[Walking], None]


@dataclass(frozen=True)
class Report:
    """A stored sweep and its drifted payments."""

    reconciliation: ReconciliationRecord
    items: list[DriftItem] = field(default_factory=list)


def sweep_window(
    now: datetime,
    last: ReconciliationRecord | None,
    policy: ReconcilePolicy,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[datetime, datetime]:
    """The range a sweep reads: as given, else since the last finished sweep (or a day).

    An automatic start is capped to ``max_span`` before the end. Raises
    ``ValueError`` for naive datetimes or a start not before the end.
    """
    for name, moment in (("from", since), ("to", until)):
        if moment is not None and moment.tzinfo is None:
            raise ValueError(f"`{name}` needs a time zone")
    end = until or now
    if since is None:
        start = last.range_to - policy.overlap if last is not None else end - policy.first_span
        if start >= end:  # an end before the last sweep's: read the span before it
            start = end - policy.first_span
        start = max(start, end - policy.max_span)
    else:
        start = since
    if start >= end:
        raise ValueError(f"the range is empty: {start.isoformat()} is not before {end.isoformat()}")
    return start, end


class Reconciler:
    """Runs sweeps and reads their reports."""

    def __init__(
        self,
        database: UnitsOfWork,
        clock: Clock,
        api: PaymentsApi,
        settlement: Settlement,
        policy: ReconcilePolicy | None = None,
        ledgers: Sequence[PaymentLedger] = (),
    ) -> None:
        self._db = database
        self._clock = clock
        self._api = api
        self._settlement = settlement
        self._policy = policy or ReconcilePolicy()
        self._ledgers = ledgers  # payments of ours that pay no order (subscription charges)

    async def window(
        self, *, since: datetime | None = None, until: datetime | None = None
    ) -> tuple[datetime, datetime]:
        """The range ``run`` would read with these arguments (see ``sweep_window``)."""
        async with self._db.reading() as uow:
            last = await uow.reconciliations.last_finished()
        return sweep_window(self._clock.now(), last, self._policy, since=since, until=until)

    async def run(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        trigger: str = "cli",
        progress: OnProgress | None = None,
    ) -> Report:
        """Sweep ``since``..``until`` (default: see ``sweep_window``) and store the report.

        Returns the finished report. Raises ``ValueError`` for a bad range, and
        ``Unreachable`` when i'mport could not be read to the end: the report is
        then stored as ``failed`` with what was done so far (the next automatic
        sweep starts from the last *finished* one, so nothing is skipped).
        """
        automatic = since is None
        start, end = await self.window(since=since, until=until)
        now = self._clock.now()
        async with self._db.transaction() as uow:
            sweep_id = await uow.reconciliations.start(trigger, start, end, now)
        run = _Run(sweep_id, progress, len(self._policy.statuses))
        try:
            for status in self._policy.statuses:
                walk_from = start
                if automatic and status == "paid":
                    walk_from = max(min(start, end - self._policy.paid_lookback),
                                    end - self._policy.max_span)  # fmt: skip
                await self._walk(run, status, walk_from, end)
        except Exception as error:
            try:
                await self._end(run, "failed", f"{type(error).__name__}: {error}")
            except Exception:  # the database is gone too: the sweep stays ``running``
                log.exception("reconciliation %d: could not record its failure", sweep_id)
            if isinstance(error, IamportError):
                raise Unreachable(f"reconciliation {sweep_id} stopped: {error}") from error
            raise
        await self._end(run, "finished")
        found = await self.report(sweep_id)
        assert found is not None
        return found

    async def report(self, reconciliation_id: int) -> Report | None:
        """A stored sweep with its items, or None."""
        async with self._db.reading() as uow:
            record = await uow.reconciliations.get(reconciliation_id)
            if record is None:
                return None
            return Report(record, await uow.reconciliations.items(reconciliation_id))

    async def reports(
        self, *, limit: int = 50, before: int | None = None
    ) -> list[ReconciliationRecord]:
        """Stored sweeps, newest first."""
        async with self._db.reading() as uow:
            return await uow.reconciliations.listing(limit=limit, before=before)

    async def orphans(self, *, limit: int = 100) -> list[DriftItem]:
        """Payments i'mport holds money for that no order names (newest report of each)."""
        async with self._db.reading() as uow:
            return await uow.reconciliations.orphans(limit=limit)

    # -- the walk ---------------------------------------------------------------------
    async def _walk(self, run: _Run, status: str, since: datetime, until: datetime) -> None:
        run.begin(status)
        listing = self._api.walk(status, since=since, until=until, limit=self._policy.page_limit)
        async for page in _pages(listing, self._policy.page_limit):
            await self._page(run, page)
        run.done()

    async def _page(self, run: _Run, page: Sequence[Payment]) -> None:
        """Compare a page of payments with our books, reading the books once for all of them.

        A payment whose very snapshot is on record and whose order agrees with
        it needs nothing, and is told apart from one read: that is nearly every
        payment of a sweep. The others with an order are applied together
        (``Settlement.apply_many``, ``APPLY_BATCH`` per transaction), which decides
        afresh on the locked books whether each still needs applying, in the
        page's order; so does a later payment of an order one of them names (the
        page's read is stale for it). A payment without an order goes through
        ``_one``. Items are stored together once the page is done (or stops).
        """
        readable: dict[str, tuple[PaymentReport, Progress]] = {}
        for payment in page:
            try:
                readable[payment.imp_uid] = (
                    report_of(payment, accept_test_payments=self._policy.accept_test_payments),
                    snapshot_progress(payment),
                )
            except UnreadablePayment as unreadable:
                log.warning("reconcile: payment %s skipped: %s", payment.imp_uid, unreadable)
        async with self._db.reading() as uow:  # only what the comparison needs
            orders = await uow.orders.payment_states(r.merchant_uid for r, _ in readable.values())
            stored = await uow.payments.states(r.imp_uid for r, _ in readable.values())
        touched: set[str] = set()  # orders this page may have changed
        found: list[NewDriftItem | None] = [None] * len(page)
        done = [False] * len(page)  # compared (and applied, if it needed it)
        batch: list[tuple[int, Payment, PaymentReport, Progress]] = []
        try:
            for at, payment in enumerate(page):
                done[at] = True
                if payment.imp_uid not in readable:
                    continue
                report, fresh = readable[payment.imp_uid]
                seen = report.merchant_uid in touched
                order = None if seen else orders.get(report.merchant_uid)
                if order is not None and _settled(order, stored.get(report.imp_uid), report,
                                                  fresh):  # fmt: skip
                    continue
                touched.add(report.merchant_uid)
                if seen or order is not None:
                    done[at] = False
                    batch.append((at, payment, report, fresh))
                    if len(batch) >= APPLY_BATCH:
                        await self._batch(batch, found, done)
                        batch = []
                else:  # no order when read: a subscription charge, an orphan
                    found[at] = await self._one(payment, report, fresh)
            await self._batch(batch, found, done)
        finally:
            # the payments compared, up to the first that was not: counted, their items stored
            compared = done.index(False) if False in done else len(page)
            for item in found[:compared]:
                run.saw(item)
            items = [item for item in found if item is not None]
            if items:
                async with self._db.transaction() as uow:
                    await uow.reconciliations.add_items(run.sweep_id, items, self._clock.now())

    async def _batch(
        self,
        batch: Sequence[tuple[int, Payment, PaymentReport, Progress]],
        found: list[NewDriftItem | None],
        done: list[bool],
    ) -> None:
        """Apply ``batch`` (page position, payment, report, progress) in one transaction and
        put each one's item at its position in ``found`` (``done`` then True).

        Should the transaction fail, each payment goes through ``_one`` as before
        batching, in order: what can be applied is, and what cannot stops the sweep
        with the same error, after the items of the payments applied before it.
        """
        if not batch:
            return
        try:
            applied = await self._settlement.apply_many([p for _, p, _, _ in batch],
                                                     wanted=_unsettled)  # fmt: skip
        except Exception:
            log.warning("reconcile: %d payments applied together failed; one at a time",
                        len(batch), exc_info=True)  # fmt: skip
            for at, payment, report, fresh in batch:
                found[at] = await self._one(payment, report, fresh)
                done[at] = True
            return
        for (at, payment, report, fresh), outcome in zip(batch, applied, strict=True):
            if outcome is None:  # no order after all
                found[at] = await self._one(payment, report, fresh)
            elif outcome.settled is not None:
                found[at] = _item(payment, report, fresh, outcome.before, outcome.stored,
                                  outcome.settled)  # fmt: skip
            done[at] = True

    async def _one(
        self,
        payment: Payment,
        report: PaymentReport,
        fresh: Progress,
        books: tuple[OrderRecord | None, PaymentRecord | None] | None = None,
    ) -> NewDriftItem | None:
        """Compare one payment with our books, apply it, and say what drifted (None: nothing).

        ``books``: its order and payment row as just read (None: read them now).
        """
        if books is None:
            async with self._db.reading() as uow:
                books = (await uow.orders.get(report.merchant_uid),
                         await uow.payments.get(report.imp_uid))  # fmt: skip
        record, stored = books
        known = stored_progress(stored) if stored is not None else None
        if record is None:
            for ledger in self._ledgers:  # a subscription charge is ours without an order
                if await ledger.owns(payment.merchant_uid):
                    await ledger.apply_payment(payment)
                    return None
            return await self._without_order(payment, report, stored, known, fresh)
        if not _unsettled(record, stored, report, fresh):
            return None  # this very snapshot (or a newer one) is on record: nothing to do
        try:
            settled = await self._settlement.apply(payment)
        except OrderNotFound:  # orders are never deleted; kept for safety
            return await self._without_order(payment, report, stored, known, fresh)
        return _item(payment, report, fresh, record, stored, settled)

    async def _without_order(
        self,
        payment: Payment,
        report: PaymentReport,
        stored: PaymentRecord | None,
        known: Progress | None,
        fresh: Progress,
    ) -> NewDriftItem | None:
        """No order names the payment: keep it on record; money held at i'mport is an orphan."""
        drift = classify(None, report, known=known, fresh=fresh)
        if drift is None and stored is None:
            return None  # failed or refunded in full, never ours: nothing to keep
        if known is None or fresh > known:
            now = self._clock.now()
            async with self._db.transaction() as uow:
                await uow.payments.put(payment_columns(payment, report, now), None, now)
        if drift is None:
            return None
        log.warning("reconcile: payment %s (%s) has no order", report.imp_uid, report.merchant_uid)
        return NewDriftItem(
            drift=drift.value, imp_uid=report.imp_uid, merchant_uid=report.merchant_uid,
            order_id=None, iamport_status=payment.status, detail=_detail(report, stored, None),
            action="recorded without an order: refund it at i'mport or find its order",
            resolved=False,
        )  # fmt: skip

    async def _end(self, run: _Run, status: str, error: str | None = None) -> None:
        async with self._db.transaction() as uow:
            await uow.reconciliations.finish(
                run.sweep_id, status=status, checked=run.checked, counts=run.counts,
                now=self._clock.now(), error=error,
            )  # fmt: skip


def _settled(
    before: Order, stored: PaymentRecord | PaymentState | None, report: PaymentReport,
    fresh: Progress,
) -> bool:  # fmt: skip
    """Whether ``_one`` would find nothing to do or to write: this very snapshot (or a newer
    one) is on record and the order agrees with it."""
    known = stored_progress(stored) if stored is not None else None
    if known is None:
        return False
    if fresh < known:
        return True  # we stored a newer snapshot than the listing's
    return (
        known == fresh
        and classify(before, report, known=known, fresh=fresh) is None
        and agrees(before, report)
    )


def _unsettled(
    record: OrderRecord, stored: PaymentRecord | None, report: PaymentReport, fresh: Progress
) -> bool:
    """Whether the payment needs applying (``Settlement.apply_many``'s ``wanted``)."""
    return not _settled(record.order, stored, report, fresh)


def _item(
    payment: Payment,
    report: PaymentReport,
    fresh: Progress,
    record: OrderRecord,
    stored: PaymentRecord | None,
    settled: Settled,
) -> NewDriftItem | None:
    """What drifted, from the books before applying (``record``, ``stored``) and after."""
    known = stored_progress(stored) if stored is not None else None
    before = record.order
    drift = classify(before, report, known=known, fresh=fresh)
    after = settled.order.order
    changed = after != before or bool(settled.booked) or bool(settled.refunds_owed)
    news = known is None or fresh > known
    if drift is None and news and changed:
        drift = Drift.MISSED
    converged = agrees(after, report)
    if drift is None and not converged:
        drift = Drift.AMOUNT_MISMATCH  # applying could not make the books agree
    if drift is None:
        return None
    detail = _detail(report, stored, before) | {
        "order_status_after": after.status.value,
        "refunded_after": after.refunded.amount,
        "booked": [entry.cancellation_id for entry in settled.booked],
        "refunds_owed": list(settled.refunds_owed),
    }
    return NewDriftItem(
        drift=drift.value, imp_uid=report.imp_uid, merchant_uid=report.merchant_uid,
        order_id=record.id, iamport_status=payment.status, detail=detail,
        action=_action(before, settled, changed, converged), resolved=converged,
    )  # fmt: skip


async def _pages(listing: AsyncIterator[Payment], size: int) -> AsyncIterator[list[Payment]]:
    """The listing's payments ``size`` at a time, the next page read while this one is compared
    (i'mport answers while we work); what was read before the listing fails comes first."""
    ahead: asyncio.Queue[list[Payment] | Exception | None] = asyncio.Queue(maxsize=1)

    async def read() -> None:
        page: list[Payment] = []
        try:
            async for payment in listing:
                page.append(payment)
                if len(page) >= size:
                    await ahead.put(page)
                    page = []
        except Exception as error:
            if page:
                await ahead.put(page)  # compared before the failure goes on
            await ahead.put(error)
            return
        if page:
            await ahead.put(page)
        await ahead.put(None)

    reader = asyncio.create_task(read())
    try:
        while (got := await ahead.get()) is not None:
            if isinstance(got, Exception):
                raise got
            yield got
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader


@dataclass
class _Run:
    """A sweep in progress: its counters, and the progress callback."""

    sweep_id: int
    progress: OnProgress | None
    statuses_total: int
    status: str = ""
    statuses_done: int = 0
    seen: int = 0
    checked: int = 0
    counts: dict[str, int] = field(default_factory=lambda: {d.value: 0 for d in Drift})

    def begin(self, status: str) -> None:
        self.status, self.seen = status, 0
        self._tell()

    def saw(self, item: NewDriftItem | None) -> None:
        self.seen += 1
        self.checked += 1
        if item is not None:
            self.counts[item.drift] += 1
        self._tell()

    def done(self) -> None:
        self.statuses_done += 1
        self._tell()

    def _tell(self) -> None:
        if self.progress is not None:
            drifted = sum(self.counts.values())
            self.progress(Walking(self.status, self.statuses_done, self.statuses_total,
                                  self.seen, self.checked, drifted))  # fmt: skip


def _detail(
    report: PaymentReport, stored: PaymentRecord | None, before: Order | None
) -> dict[str, Any]:
    """What i'mport said and what we had, for the report (minor units)."""
    detail: dict[str, Any] = {
        "amount": report.amount.amount,
        "cancel_amount": report.cancelled.amount,
        "currency": report.amount.currency,
        "stored_status": stored.status if stored is not None else None,
        "stored_cancel_amount": stored.cancelled.amount if stored is not None else None,
    }
    if before is not None:
        detail |= {
            "order_amount": before.amount.amount,
            "order_status_before": before.status.value,
            "paid_before": before.paid.amount,
            "refunded_before": before.refunded.amount,
        }
    return detail


def _action(before: Order, settled: Settled, changed: bool, converged: bool) -> str:
    """What applying did, in a few words."""
    after = settled.order.order
    parts: list[str] = []
    if after.status != before.status:
        parts.append(f"order {before.status.value} -> {after.status.value}")
    if settled.booked:
        total = sum(entry.amount.amount for entry in settled.booked)
        parts.append(f"{len(settled.booked)} cancellation(s) of {total} booked")
    parts.extend(f"refund #{refund_id} owed" for refund_id in settled.refunds_owed)
    if not changed:
        parts.append("nothing to apply")
    if not converged:
        parts.append("books still disagree: needs a person")
    return "; ".join(parts)


def counts_of(items: Mapping[str, int]) -> dict[str, int]:
    """Every drift type's count (zero when absent), in the order of ``Drift``."""
    return {d.value: int(items.get(d.value, 0)) for d in Drift}
