"""The Confirm Process: answer i'mport's "may this payment go ahead?" and hold the stock.

Flow for one call:

1. A replay (same ``imp_uid``) gets the stored decision: never a second hold.
   (This lookup, like the order's, is itself batched: one read for many calls.)
2. Refusals that need no lock (kill switch, unknown order, wrong amount,
   expired order) are decided straight away and stored in a lock-free batch.
   So is a refusal read off the unlocked snapshot of the products taken by
   that same batched lookup (sold out, not on sale): once a product is sold
   out, refusals take no row lock. The snapshot is committed state read after
   the call arrived, so the refusal was true at a moment within the call —
   in any process, whatever restock or release came before it.
3. Everything else joins its hot product's group-commit lane. One transaction
   per batch locks the products (ascending id) and then the orders, decides the
   calls in arrival order against that snapshot, moves stock to held with
   conditional updates, writes all holds and decisions, and enqueues a
   hold-check job per approval (the worker asks i'mport for the outcome of any
   hold that no webhook or completion has settled). An imp_uid decided since
   its lookup (a replay, another process) shows up as an ignored insert of its
   decision; if the batch approved it, the batch runs again knowing that.

Any database trouble or a missed deadline raises ``ConfirmUnavailable``; the
web layer turns it into a 4xx with a reason, never a 5xx. A call answered so
never leaves a hold behind: each call carries a ``_Ticket``. A call past its
deadline is *abandoned* unless its batch is already committing (then it waits
for that one commit and gets its real answer); a batch leaves abandoned calls
out, and if a call was abandoned while its batch decided it, the batch rolls
back and runs again without it. Both checks run on the event loop with no
``await`` in between, so exactly one side wins.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from ..core.clock import Clock
from ..core.confirm import ConfirmCall, Decision, Guards, Refusal, decide, precheck
from ..core.lifecycle import HoldGranted, apply
from ..core.orders import Order
from ..core.stock import Line, allocate, merge_lines
from ..store import (
    DecisionRecord,
    NewDecision,
    NewJob,
    StoreError,
    UnitOfWork,
    UnitsOfWork,
)
from .admission import Admission, AdmissionPolicy
from .errors import ConfirmUnavailable
from .group_commit import GroupCommit

__all__ = ["HOLD_CHECK_JOB", "ConfirmDesk", "ConfirmPolicy", "ConfirmUnavailable"]

log = logging.getLogger(__name__)

#: Job kind: ask i'mport about a hold that has no outcome yet.
HOLD_CHECK_JOB = "payment.check_hold"


@dataclass(frozen=True)
class ConfirmPolicy:
    """Knobs of the confirm desk (from ``Settings``)."""

    sales_open: bool = True
    window_seconds: float = 0.002
    max_batch: int = 256
    deadline_seconds: float = 6.0
    hold_check_after: timedelta = timedelta(minutes=2)
    group_commit: bool = True  # False: one transaction per confirm (the baseline)
    admission: AdmissionPolicy = field(default_factory=AdmissionPolicy)  # the front door's


@dataclass(frozen=True)
class _Snapshot:
    """Free units and sales switches of products, read without locks."""

    available: dict[int, int]
    on_sale: dict[int, bool]


#: What is known of a call before any lock: its earlier decision, or its order (id and
#: state, with its lines) and the unlocked snapshot of the products read with it.
_Known = tuple[DecisionRecord | None, tuple[int, Order] | None, _Snapshot]


class _Ticket:
    """Where one call stands between its waiter and its batch (see the module)."""

    __slots__ = ("abandoned", "committing")

    def __init__(self) -> None:
        self.abandoned = False  # the waiter answered "unavailable": hold nothing for it
        self.committing = False  # its batch passed the last check: the commit decides


class _Abandoned(Exception):
    """A call was abandoned while its batch decided it: roll back, run again without it."""


class _DecidedBefore(Exception):
    """A batch approved an imp_uid that was already decided: roll back, run again
    reading the earlier decisions first (``_decide_batch``)."""


@dataclass(frozen=True)
class _Call:
    """A confirm on its way to a batch, with what was read about it before locking."""

    call: ConfirmCall
    request: Mapping[str, Any]
    order_id: int | None = None
    lines: tuple[Line, ...] = ()  # the order's, read by the lookup (they never change)
    refusal: Refusal | None = None  # decided without a lock
    ticket: _Ticket = field(default_factory=_Ticket, compare=False)

    @property
    def product_ids(self) -> tuple[int, ...]:
        """The products its lines hold, ascending (the first one names its lane)."""
        return tuple(line.product_id for line in merge_lines(self.lines))


@dataclass
class _Batch:
    """The working state of one batch transaction."""

    now: datetime
    available: dict[int, int]
    on_sale: dict[int, bool]
    orders: dict[str, tuple[int, Order]]  # id and order, locked (its lines from the lookup)
    decided: dict[str, Decision] = field(default_factory=dict)
    earlier: set[str] = field(default_factory=set)  # imp_uids decided by an earlier batch
    changed: dict[str, Order] = field(default_factory=dict)
    taken: dict[int, int] = field(default_factory=dict)


class ConfirmDesk:
    """Decides confirms; one per process, shared by all requests."""

    def __init__(self, database: UnitsOfWork, clock: Clock, policy: ConfirmPolicy) -> None:
        self._db = database
        self._clock = clock
        self._policy = policy
        window, most = policy.window_seconds, policy.max_batch
        # a batch waits its window only while other confirms are in flight: alone, a
        # confirm would wait for nobody (two windows, two timers, at a quiet shop's pace)
        self._lookups: GroupCommit[None, ConfirmCall, _Known] = GroupCommit(
            self._look_up, window=window, max_batch=most, company=self._accompanied
        )
        self._lanes: GroupCommit[int | None, _Call, Decision] = GroupCommit(
            self._flush, window=window, max_batch=most, company=self._accompanied
        )
        #: The front door (``web.iamport.confirm``) asks it before reading a call.
        self.admission = Admission(policy.admission)
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def _accompanied(self) -> bool:
        return self._in_flight > 1

    @property
    def batches(self) -> int:
        """How many batch transactions ran so far."""
        return self._lanes.batches

    async def drain(self) -> None:
        """Wait for the confirms in flight (for a clean shutdown): every call being decided
        is answered, and every batch queued is stored, even one whose caller gave up."""
        await self._idle.wait()
        await self._lookups.drain()
        await self._lanes.drain()

    async def confirm(self, call: ConfirmCall, request: Mapping[str, Any]) -> Decision:
        """Approve or refuse ``call``; the same ``imp_uid`` always gets the same decision.

        ``request`` is what i'mport sent, stored with the decision. Raises
        ``ConfirmUnavailable`` when no decision can be made in time.
        """
        self._in_flight += 1
        self._idle.clear()
        ticket = _Ticket()
        # decided in this task, with a timer rather than a shielded task under wait_for:
        # its answer reaches the caller the moment its batch hands it over, not a few
        # turns of the event loop later. At the deadline the timer abandons the call
        # and cancels this task, unless its batch is already committing: then the call
        # waits for that one commit and its real answer (not "unavailable") goes out.
        task = asyncio.current_task()
        assert task is not None  # always called from a task
        loop = asyncio.get_running_loop()
        timer = loop.call_at(loop.time() + self._policy.deadline_seconds, _expire, ticket, task)
        try:
            try:
                return await self._confirm(call, request, ticket)
            except asyncio.CancelledError:
                # our own deadline, and nobody else's cancellation on top of it
                if ticket.abandoned and task.uncancel() == 0:
                    raise TimeoutError from None
                raise
        except TimeoutError as exc:  # no traceback of ours to show: one line is enough
            log.warning("confirm %s: no decision within the deadline", call.imp_uid)
            raise ConfirmUnavailable("TimeoutError") from exc
        except StoreError as exc:
            log.exception("confirm %s: no decision (%s)", call.imp_uid, type(exc).__name__)
            raise ConfirmUnavailable(str(exc) or type(exc).__name__) from exc
        finally:
            timer.cancel()
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()

    async def _confirm(
        self, call: ConfirmCall, request: Mapping[str, Any], ticket: _Ticket
    ) -> Decision:
        if self._policy.group_commit:
            stored, record, snapshot = await self._lookups.submit(None, call)
        else:
            ((stored, record, snapshot),) = await self._look_up([call])
        if stored is not None:
            return Decision(stored.imp_uid, stored.refusal)
        guards = Guards(sales_open=self._policy.sales_open)
        order_id, order = record if record else (None, None)
        now = self._clock.now()
        refusal = precheck(call, order, guards, now)
        if order is not None and refusal is None:
            refusal = decide(call, order, snapshot.available, snapshot.on_sale, guards, now).refusal
        if order is None or refusal is not None:
            refused = _Call(
                call, request, order_id, refusal=refusal or Refusal.ORDER_NOT_FOUND, ticket=ticket
            )
            return await self._submit(None, refused)
        item = _Call(call, request, order_id, order.lines, ticket=ticket)
        return await self._submit(item.product_ids[0], item)

    async def _look_up(self, calls: Sequence[ConfirmCall]) -> list[_Known]:
        """Earlier decisions, orders and their products of many calls in one read (no locks).

        Each is its own indexed read. One join of orders, lines and products (two
        statements fewer) was tried and taken back: on PostgreSQL, with tens of
        thousands of orders added just before, the 2× overload bench's slowest answer
        went from 1–3 s to 2–10 s in repeated runs (cause not pinned down).
        """
        async with self._db.reading() as uow:
            stored = await uow.decisions.many(c.imp_uid for c in calls)
            wanted = {c.merchant_uid for c in calls if c.imp_uid not in stored}
            orders = await uow.orders.confirm_states(wanted) if wanted else {}
            ids = {line.product_id for _, order in orders.values() for line in order.lines}
            products = await uow.products.many(ids) if ids else []
        snapshot = _Snapshot({p.id: p.stock.available for p in products},
                             {p.id: p.on_sale for p in products})  # fmt: skip
        return [(stored.get(c.imp_uid), orders.get(c.merchant_uid), snapshot) for c in calls]

    async def _submit(self, key: int | None, item: _Call) -> Decision:
        if self._policy.group_commit:
            return await self._lanes.submit(key, item)
        (decision,) = await self._flush([item])
        return decision

    async def _flush(self, items: Sequence[_Call]) -> list[Decision]:
        """Decide and store one batch in one transaction; abandoned calls are left out."""
        earlier_first = False
        while True:
            live = [i for i in items if not i.ticket.abandoned]
            try:
                decided = await self._decide_batch(live, earlier_first) if live else {}
            except _Abandoned:
                continue  # rolled back: decide again without the abandoned call
            except _DecidedBefore:
                earlier_first = True  # rolled back: decide again, replays known up front
                continue
            # an abandoned call's waiter is gone: what it gets here is never seen
            return [decided.get(i.call.imp_uid, _UNANSWERED) for i in items]

    async def _decide_batch(
        self, items: Sequence[_Call], earlier_first: bool
    ) -> dict[str, Decision]:
        """One try at the batch. The lookup found no decision for any of its imp_uids,
        so the batch usually does not read them again: a replay that raced in (its
        first call decided since) shows up as an ignored insert of its decision. If
        this batch refused it, nothing was written for it but that ignored row, and it
        gets the stored answer; if this batch approved it, the batch rolls back
        (``_DecidedBefore``) and runs again reading the earlier decisions under lock
        first (``earlier_first``), so a replay never holds stock twice and a call
        refused elsewhere never holds any."""
        async with self._db.transaction() as uow:
            batch = await self._load(uow, items, earlier_first)
            for item in items:
                if item.call.imp_uid not in batch.decided:  # a replay holds nothing again
                    batch.decided[item.call.imp_uid] = self._decide(batch, item)
            inserted = await self._store(uow, batch, items)
            # what is stored: ours, an earlier batch's (read by _load), or, for an imp_uid
            # another writer decided meanwhile (its insert was ignored), that one's
            stored = {uid: d.refusal for uid, d in batch.decided.items()}
            lost = set(batch.decided) - batch.earlier - inserted
            if any(_holds(batch, uid) for uid in lost):
                raise _DecidedBefore
            if lost:
                stored.update({uid: d.refusal
                               for uid, d in (await uow.decisions.many(lost)).items()})  # fmt: skip
            # the last check before the commit, with no await in between (see the module)
            if any(i.ticket.abandoned and _holds(batch, i.call.imp_uid) for i in items):
                raise _Abandoned
            for item in items:
                item.ticket.committing = True
        return {
            i.call.imp_uid: _as_stored(batch.decided[i.call.imp_uid], stored[i.call.imp_uid])
            for i in items
        }

    async def _load(self, uow: UnitOfWork, items: Sequence[_Call], earlier_first: bool) -> _Batch:
        locking = [i for i in items if i.refusal is None]
        product_ids = {line.product_id for i in locking for line in i.lines}
        products = await uow.products.many(product_ids, lock=True) if product_ids else []
        # what an earlier writer decided about one of the imp_uids shows up as an ignored
        # insert (``_decide_batch``); read up front only on the second try
        wanted = earlier_first and locking
        earlier = await uow.decisions.many(i.call.imp_uid for i in items) if wanted else {}
        # the mutable columns under lock; the lines as the lookup read them
        lines = {i.call.merchant_uid: i.lines for i in locking}
        locked = await uow.orders.locked_states(lines) if locking else {}
        orders = {uid: (order_id, replace(state, lines=lines[uid]))
                  for uid, (order_id, state) in locked.items()}  # fmt: skip
        batch = _Batch(
            now=self._clock.now(),
            available={p.id: p.stock.available for p in products},
            on_sale={p.id: p.on_sale for p in products},
            orders=orders,
        )
        batch.decided.update({uid: Decision(uid, d.refusal) for uid, d in earlier.items()})
        batch.earlier.update(earlier)
        return batch

    def _decide(self, batch: _Batch, item: _Call) -> Decision:
        if item.refusal is not None:
            return Decision(item.call.imp_uid, item.refusal)
        uid = item.call.merchant_uid
        order = batch.changed.get(uid) or (batch.orders[uid][1] if uid in batch.orders else None)
        guards = Guards(sales_open=self._policy.sales_open)
        decision = decide(item.call, order, batch.available, batch.on_sale, guards, batch.now)
        if decision.approved and order is not None:
            batch.available = allocate(decision.lines, batch.available) or batch.available
            batch.changed[uid] = apply(order, HoldGranted(item.call.imp_uid)).order
            for line in decision.lines:
                batch.taken[line.product_id] = batch.taken.get(line.product_id, 0) + line.quantity
        return decision

    async def _store(self, uow: UnitOfWork, batch: _Batch, items: Sequence[_Call]) -> set[str]:
        """Write the batch; the imp_uids whose decisions it inserted."""
        now = batch.now
        approvals = [(batch.orders[uid][0], order) for uid, order in batch.changed.items()]
        # the decisions last: their insert returns what it inserted, so the writes
        # before it wait (deferred) and all go to the database with it
        async with uow.deferred_writes():
            for product_id, quantity in sorted(batch.taken.items()):
                await uow.products.hold(product_id, quantity, now)
            await uow.orders.save_many(approvals, now)
            holds = [(order_id, order.imp_uid or "", order.lines) for order_id, order in approvals]
            await uow.orders.add_holds(holds, now)
            await uow.jobs.enqueue([self._hold_check(order, now) for _, order in approvals], now)
            return await uow.decisions.add_new(self._new_decisions(batch, items), now)

    def _new_decisions(self, batch: _Batch, items: Sequence[_Call]) -> list[NewDecision]:
        fresh: dict[str, NewDecision] = {}
        for item in items:
            uid = item.call.imp_uid
            if uid not in fresh and uid not in batch.earlier:
                decision = batch.decided[uid]
                fresh[uid] = NewDecision(
                    decision, item.call.merchant_uid, item.order_id, item.request
                )
        return list(fresh.values())

    def _hold_check(self, order: Order, now: datetime) -> NewJob:
        payload = {"imp_uid": order.imp_uid, "merchant_uid": order.merchant_uid}
        return NewJob(HOLD_CHECK_JOB, payload, now + self._policy.hold_check_after,
                      dedupe_key=f"{HOLD_CHECK_JOB}:{order.imp_uid}")  # fmt: skip


def _holds(batch: _Batch, imp_uid: str) -> bool:
    """Whether this batch grants ``imp_uid`` a hold (not a replay of an earlier one)."""
    return imp_uid not in batch.earlier and batch.decided[imp_uid].approved


def _expire(ticket: _Ticket, task: asyncio.Task[Any]) -> None:
    """The deadline of ``ticket``'s call: abandon it, unless its batch is committing."""
    if not ticket.committing:
        ticket.abandoned = True
        task.cancel()


#: What ``_flush`` hands an abandoned call's (cancelled) waiter.
_UNANSWERED = Decision("", Refusal.SOLD_OUT)


def _as_stored(decided: Decision, stored: Refusal | None) -> Decision:
    """What was stored wins (a concurrent writer may have decided the imp_uid first)."""
    return decided if decided.refusal == stored else Decision(decided.imp_uid, stored)
