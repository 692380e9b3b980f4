"""Applying what i'mport says about a payment to our books, in one transaction.

Every path that learns a payment's state — the webhook job, the completion
call, the worker's hold checks and re-verifications, the refund job — ends
here with the Payment i'mport returned. One transaction then:

1. locks the order's products (ascending id) and the order (the lock order of
   ``store.tables``), so concurrent reports of one payment apply one at a time;
2. stores the payment as verified, and books the cancellations not booked yet;
3. turns the report into facts (``core.outcomes``) and applies them through
   the state machine (``core.lifecycle``);
4. carries out the effects: held stock sold or released, stock sold straight
   from available, refunds owed recorded with a job that makes them.

Applying the same report twice changes nothing, which is what makes duplicate
webhooks, a webhook racing the completion call and retried jobs harmless.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from ..core.clock import Clock
from ..core.lifecycle import (
    Effect,
    Fact,
    IllegalTransition,
    PaymentDisowned,
    PaymentFailed,
    RefundOwed,
    ReleaseHeldStock,
    SellHeldStock,
    SellStock,
    VerificationFailed,
    apply,
)
from ..core.orders import Order, OrderStatus
from ..core.outcomes import Cancellation, PaymentReport, Progress, facts, kept
from ..core.stock import StockCount, allocate, merge_lines
from ..iamport import Payment
from ..store import NewJob, OrderRecord, ProductRecord, StockConflict, UnitOfWork, UnitsOfWork
from ..store.ledger_records import PaymentRecord
from .errors import OrderNotFound
from .job_kinds import REVERIFY_PAYMENT, refund_job, vbank_notice_job
from .payment_reports import (
    money_of,
    payment_columns,
    report_of,
    snapshot_progress,
    stored_progress,
)

__all__ = ["Batched", "OrderNotFound", "Settled", "Settlement", "SettlementPolicy", "Wanted"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SettlementPolicy:
    """Knobs for the jobs settlement enqueues."""

    accept_test_payments: bool = False  # see payment_reports.report_of
    refund_attempts: int = 20
    reverify_attempts: int = 40
    reverify_after: timedelta = timedelta(seconds=2)


@dataclass(frozen=True)
class Settled:
    """The order after a report, and what the report newly told us."""

    order: OrderRecord
    report: PaymentReport
    booked: tuple[Cancellation, ...] = ()
    refunds_owed: tuple[int, ...] = ()


@dataclass(frozen=True)
class Batched:
    """One payment of ``Settlement.apply_many``: its books just before its turn (locked),
    and what applying it did (None: ``wanted`` said it needs nothing)."""

    before: OrderRecord
    stored: PaymentRecord | None  # its payment row, None if there was none
    settled: Settled | None


#: ``wanted(order, payment row, report, progress)``: whether ``apply_many`` applies a payment.
Wanted = Callable[[OrderRecord, PaymentRecord | None, PaymentReport, Progress], bool]


class Settlement:
    """Applies payment reports to orders, stock and refunds."""

    def __init__(
        self, database: UnitsOfWork, clock: Clock, policy: SettlementPolicy | None = None
    ) -> None:
        self._db = database
        self._clock = clock
        self._policy = policy or SettlementPolicy()

    async def apply(self, payment: Payment, *, expired: str | None = None) -> Settled:
        """Apply the Payment i'mport returned to its order.

        ``expired`` (a reason): we gave up on this ``ready`` payment (an unpaid
        virtual account past its deadline), so it ends like a failure. A
        ``ready`` virtual account seen for the first time is sent to the payer
        (a ``vbank.notify`` job, once per account).

        Returns the order as it now stands. Raises ``OrderNotFound`` when no
        order has the payment's merchant_uid, and ``UnreadablePayment`` for a
        status or currency the domain does not know.
        """
        report = report_of(payment, accept_test_payments=self._policy.accept_test_payments)
        fresh = snapshot_progress(payment)
        async with self._db.transaction() as uow:
            record, products = await _lock(uow, report.merchant_uid)
            stored = await uow.payments.get(report.imp_uid)
            now = self._clock.now()
            settled, columns = await self._settle(uow, payment, report, fresh, record, stored,
                                                  _StockNow(uow, products), now, expired)  # fmt: skip
            if columns is not None:
                await uow.payments.put(columns, record.id, now)
                await uow.orders.save(record.id, settled.order.order, now)
        return settled

    async def apply_many(
        self, payments: Sequence[Payment], *, wanted: Wanted | None = None
    ) -> list[Batched | None]:
        """Apply several payments in one transaction, in the order given, as ``apply`` one
        after the other would (the reconciliation sweep's drifted payments of a page).

        The same lock order as ``apply``: every product of their orders (ascending id),
        then the orders (ascending id), then their payment rows are read; each payment
        then sees what the ones before it did (its order, its payment row and the stock
        as they left them). ``wanted(order, payment row, report, progress)``, asked on
        those locked books just before a payment's turn, may say it needs nothing (it is
        then left alone, as if ``apply`` had not been called). One per payment, in order:
        None for a payment whose order does not exist (``apply`` raises ``OrderNotFound``),
        else a ``Batched``. Stock moves are written per product at the end, the payment
        rows and the orders in one statement each. Raises what ``apply`` raises (the
        whole transaction is then rolled back: nothing of it was applied).
        """
        reports = [(p, report_of(p, accept_test_payments=self._policy.accept_test_payments),
                    snapshot_progress(p)) for p in payments]  # fmt: skip
        if not reports:
            return []
        async with self._db.transaction() as uow:
            peek = await uow.orders.many(r.merchant_uid for _, r, _ in reports)
            products = await uow.products.many(
                (line.product_id for found in peek.values() for line in found.order.lines),
                lock=True,
            )
            records = await uow.orders.many(peek, lock=True) if peek else {}
            rows = await uow.payments.many(r.imp_uid for _, r, _ in reports)
            stock = _StockGathered(products)
            now = self._clock.now()
            results: list[Batched | None] = []
            written: dict[str, tuple[dict[str, Any], int]] = {}  # imp_uid: (columns, order id)
            saved: dict[int, Order] = {}
            for payment, report, fresh in reports:
                record = records.get(report.merchant_uid)
                if record is None:
                    results.append(None)
                    continue
                stored = rows.get(report.imp_uid)
                if wanted is not None and not wanted(record, stored, report, fresh):
                    results.append(Batched(record, stored, None))
                    continue
                settled, columns = await self._settle(uow, payment, report, fresh, record,
                                                      stored, stock, now, None)  # fmt: skip
                results.append(Batched(record, stored, settled))
                if columns is None:
                    continue
                records[report.merchant_uid] = settled.order
                saved[record.id] = settled.order.order
                written[report.imp_uid] = (columns, record.id)
                rows[report.imp_uid] = _as_stored(columns, record.id, stored, now)
            await uow.payments.put_many(list(written.values()), now)
            await stock.write(uow, now)
            await uow.orders.save_many(list(saved.items()), now)
        return results

    async def _settle(
        self,
        uow: UnitOfWork,
        payment: Payment,
        report: PaymentReport,
        fresh: Progress,
        record: OrderRecord,
        stored: PaymentRecord | None,
        stock: _Stock,
        now: datetime,
        expired: str | None,
    ) -> tuple[Settled, dict[str, Any] | None]:
        """One payment on its locked books: what ``apply`` does inside its transaction,
        but its payment row and its order are left for the caller to write (nothing here
        reads them back). Returns the outcome and the payment row's columns (None: a
        stale snapshot, nothing to write)."""
        known = stored_progress(stored) if stored is not None else None
        if known is not None and fresh < known:
            # an older snapshot arrived last (two workers, a slow answer): what we
            # have is newer, and the order and the payment row never move backwards
            log.info("payment %s: stale snapshot %s < %s skipped", report.imp_uid,
                     fresh, known)  # fmt: skip
            return Settled(record, report), None
        columns = payment_columns(payment, report, now)
        booked = (await uow.refunds.book(record.id, report.imp_uid, report.cancellations, now)
                  if report.cancellations else [])  # fmt: skip
        found = facts(
            record.order, report, new_cancellations=booked,
            stock_available=_sellable(record.order, stock.available, now,
                                      paid_at=payment.paid_at),
            expired=expired,
        )  # fmt: skip
        order, effects = _transition(record.order, found)
        owed = await self._carry_out(uow, record, order, effects, stock, now)
        _check_books(order, report, payment)
        if payment.awaiting_deposit and expired is None and order.imp_uid == payment.imp_uid:
            await uow.jobs.enqueue([vbank_notice_job(payment.imp_uid, now)], now)
        return Settled(_with(record, order), report, tuple(booked), owed), columns

    async def unverified(self, imp_uid: str, merchant_uid: str | None) -> OrderRecord | None:
        """A result for ``imp_uid`` arrived but i'mport could not be asked about it.

        The order (named by the unverified ``merchant_uid``) becomes
        ``unverified`` — never failed — and a re-verification job is enqueued.
        Returns the order, or None if there is none (the job still runs).
        """
        async with self._db.transaction() as uow:
            now = self._clock.now()
            record = await _order_or_none(uow, merchant_uid)
            if record is not None:
                order, _ = _transition(record.order, [VerificationFailed(imp_uid)])
                await uow.orders.save(record.id, order, now)
                record = _with(record, order)
            await uow.jobs.enqueue([self._reverify(imp_uid, merchant_uid, now)], now)
        return record

    async def disowned(self, imp_uid: str, merchant_uid: str) -> OrderRecord | None:
        """i'mport says ``imp_uid`` pays another order than ``merchant_uid``.

        An order left ``unverified`` by that false claim (a completion call made
        while i'mport was unreachable) goes back to where it was, so its real
        buyer can pay. Any other order is left alone.
        """
        async with self._db.transaction() as uow:
            record = await uow.orders.get(merchant_uid, lock=True)
            if record is None or record.order.imp_uid != imp_uid:
                return record
            order, _ = _transition(record.order, [PaymentDisowned(imp_uid)])
            await uow.orders.save(record.id, order, self._clock.now())
        return _with(record, order)

    async def unknown(self, imp_uid: str, merchant_uid: str | None) -> OrderRecord | None:
        """i'mport says ``imp_uid`` does not exist: an order waiting for it stops waiting.

        Only an order that follows that very imp_uid (stock held for it, or
        left unverified by it) is failed, releasing its stock; any other order
        is left alone (the report may be forged).
        """
        async with self._db.transaction() as uow:
            now = self._clock.now()
            peek = await _order_or_none(uow, merchant_uid)
            if peek is None or peek.order.imp_uid != imp_uid:
                return peek
            record, _ = await _lock(uow, peek.order.merchant_uid)
            order, effects = _transition(record.order, [PaymentFailed(imp_uid, "unknown payment")])
            await self._carry_out(uow, record, order, effects, _StockNow(uow, []), now)
            await uow.orders.save(record.id, order, now)
        return _with(record, order)

    def _reverify(self, imp_uid: str, merchant_uid: str | None, now: datetime) -> NewJob:
        minute = int(now.timestamp()) // 60
        return NewJob(
            REVERIFY_PAYMENT, {"imp_uid": imp_uid, "merchant_uid": merchant_uid},
            now + self._policy.reverify_after, dedupe_key=f"{REVERIFY_PAYMENT}:{imp_uid}:{minute}",
            max_attempts=self._policy.reverify_attempts,
        )  # fmt: skip

    async def _carry_out(
        self,
        uow: UnitOfWork,
        record: OrderRecord,
        order: Order,
        effects: Sequence[Effect],
        stock: _Stock,
        now: datetime,
    ) -> tuple[int, ...]:
        owed: list[int] = []
        for effect in effects:
            match effect:
                case SellHeldStock():
                    for line in merge_lines(await uow.orders.end_holds(record.id, "sold", now)):
                        await stock.move("sell_held", line.product_id, line.quantity, now)
                case ReleaseHeldStock():
                    for line in merge_lines(await uow.orders.end_holds(record.id, "released", now)):
                        await stock.move("release", line.product_id, line.quantity, now)
                case SellStock():
                    for line in merge_lines(order.lines):
                        await stock.move("sell", line.product_id, line.quantity, now)
                case RefundOwed():
                    refund_id = await self._owe(uow, record.id, effect, now)
                    if refund_id is not None:
                        owed.append(refund_id)
        return tuple(owed)

    async def _owe(
        self, uow: UnitOfWork, order_id: int, owed: RefundOwed, now: datetime
    ) -> int | None:
        refund_id = await uow.refunds.owe(order_id, owed.imp_uid, owed.amount, owed.reason, now)
        if refund_id is None:
            return None
        log.warning("payment %s cannot be kept (%s): refund %d owed", owed.imp_uid, owed.reason,
                    refund_id)  # fmt: skip
        await uow.jobs.enqueue([refund_job(refund_id, now, self._policy.refund_attempts)], now)
        return refund_id


def _check_books(order: Order, report: PaymentReport, payment: Payment) -> bool:
    """After a settlement: what the order kept of this payment is refunded exactly as far
    as i'mport's ``cancel_amount`` says; a difference is logged as an error (the next
    reconciliation reports it). True when the books agree or the order did not keep it."""
    if not kept(order, report.imp_uid):
        return True
    gateway = money_of(payment.cancel_amount, payment.currency)
    if order.refunded == gateway:
        return True
    log.error("payment %s: books differ after settlement: %s refunded here, %s at i'mport",
              report.imp_uid, order.refunded, gateway)  # fmt: skip
    return False


async def _order_or_none(uow: UnitOfWork, merchant_uid: str | None) -> OrderRecord | None:
    return await uow.orders.get(merchant_uid) if merchant_uid else None


async def _lock(uow: UnitOfWork, merchant_uid: str) -> tuple[OrderRecord, list[ProductRecord]]:
    """The order and its products, locked products first (see ``store.tables``).

    Once locked, only the order's payment state is read again: nothing else of an
    order changes after it is placed (``OrderRepository.save_many`` writes only that).
    """
    peek = await uow.orders.get(merchant_uid)
    if peek is None:
        raise OrderNotFound(merchant_uid)
    products = await uow.products.many((line.product_id for line in peek.order.lines), lock=True)
    (order_id, state), *_ = (await uow.orders.locked_states([merchant_uid])).values()
    assert order_id == peek.id  # orders are never deleted
    return replace(peek, order=replace(state, lines=peek.order.lines)), products


def _sellable(
    order: Order, available: Mapping[int, int], now: datetime, *, paid_at: datetime | None
) -> bool:
    """Whether the order's lines could be sold from free stock right now.

    Expiry is judged when the buyer paid (``paid_at``, i'mport's), not when we
    learn of it: a payment made in time but verified only after an outage longer
    than the order's time limit is sold if its stock is still free, not refunded.
    """
    if order.expired(min(now, paid_at) if paid_at is not None else now):
        return False
    if order.status == OrderStatus.CANCELLED:
        return False
    return allocate(order.lines, available) is not None


#: A stock move a settlement makes: the name of its method on ``ProductRepository`` and
#: on ``StockCount`` alike. Ordered as ``_StockGathered`` writes them: moves that free
#: units (release) before those that take them.
Move = Literal["release", "sell_held", "sell"]
_MOVES: tuple[Move, ...] = ("release", "sell_held", "sell")


class _Stock(Protocol):
    """Where a settlement moves stock, and what is free to sell as it goes."""

    @property
    def available(self) -> Mapping[int, int]: ...

    async def move(self, kind: Move, product_id: int, quantity: int, now: datetime) -> None: ...


class _StockNow:
    """``apply``: each move written at once (a short count raises ``StockConflict``)."""

    def __init__(self, uow: UnitOfWork, products: Sequence[ProductRecord]) -> None:
        self._uow = uow
        self.available = {p.id: p.stock.available for p in products}

    async def move(self, kind: Move, product_id: int, quantity: int, now: datetime) -> None:
        await getattr(self._uow.products, kind)(product_id, quantity, now)


class _StockGathered:
    """``apply_many``: the locked products' counters kept here as the payments move them
    (so a later payment of the batch sees what an earlier one sold), written per product
    and kind of move at the end. Moves that free units (release) are written before
    those that take them, so no conditional update of the sum can fall short where the
    moves one by one did not."""

    def __init__(self, products: Sequence[ProductRecord]) -> None:
        self._counts = {p.id: p.stock for p in products}
        self._moved: Counter[tuple[int, int]] = Counter()  # (move's rank, product): units

    @property
    def available(self) -> Mapping[int, int]:
        return {pid: count.available for pid, count in self._counts.items()}

    async def move(self, kind: Move, product_id: int, quantity: int, now: datetime) -> None:
        count = self._counts.get(product_id, StockCount(0))
        try:
            self._counts[product_id] = getattr(count, kind)(quantity)
        except ValueError as short:
            raise StockConflict(f"product {product_id}: {short}") from short
        self._moved[_MOVES.index(kind), product_id] += quantity

    async def write(self, uow: UnitOfWork, now: datetime) -> None:
        for (rank, product_id), quantity in sorted(self._moved.items()):
            if quantity:
                await getattr(uow.products, _MOVES[rank])(product_id, quantity, now)


def _as_stored(
    columns: Mapping[str, Any], order_id: int, before: PaymentRecord | None, now: datetime
) -> PaymentRecord:
    """The payment row ``apply_many`` will write, as a later payment of the batch reads it."""
    created = before.created_at if before is not None else now
    return PaymentRecord.from_mapping(
        {**columns, "order_id": order_id, "created_at": created, "updated_at": now}
    )


def _transition(order: Order, found: Sequence[Fact]) -> tuple[Order, list[Effect]]:
    """Apply ``found`` in order; a fact the graph forbids is logged and skipped."""
    effects: list[Effect] = []
    for fact in found:
        try:
            transition = apply(order, fact)
        except (IllegalTransition, ValueError) as refused:  # ValueError: refund beyond paid
            log.warning("order %s: %s ignored (%s)", order.merchant_uid, fact, refused)
            continue
        order = transition.order
        effects.extend(transition.effects)
    return order, effects


def _with(record: OrderRecord, order: Order) -> OrderRecord:
    return OrderRecord(record.id, order, record.name, record.buyer, record.pay_method,
                       record.pg, record.unit_prices)  # fmt: skip
