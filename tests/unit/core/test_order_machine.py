"""Hypothesis drives the order/payment state machine against a plain model.

The system under test is ``paydesk.core`` (``decide`` + ``apply`` + ``StockCount``)
with a tiny shell that turns effects into stock moves, as the services do. The
model is a mutable record per order written from the rules in prose; after every
step both must agree on each order's status, the stock buckets and the refunds
owed, and ``initial = available + held + sold`` must hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from paydesk.core.confirm import ConfirmCall, Guards, decide
from paydesk.core.lifecycle import (
    Effect,
    Fact,
    HoldGranted,
    IllegalTransition,
    OrderCancelled,
    PaymentFailed,
    PaymentPaid,
    RefundOwed,
    RefundRecorded,
    ReleaseHeldStock,
    SellHeldStock,
    SellStock,
    VerificationFailed,
    apply,
)
from paydesk.core.money import Money
from paydesk.core.orders import Order
from paydesk.core.refunds import RefundTooLarge
from paydesk.core.stock import Line, StockCount, allocate

NOW = datetime(2030, 1, 1, tzinfo=UTC)
PRODUCT = 7
UNIT = 10_000
SETTLED = ("paid", "partially_refunded", "refunded", "flagged")
OPEN = ("pending", "held", "failed", "unverified")


@dataclass
class Model:
    """What the prose rules say about one order."""

    quantity: int
    status: str = "pending"
    attempt: str | None = None
    holding: bool = False
    paid: int = 0
    refunded: int = 0
    owed: list[str] = field(default_factory=list)


class OrderMachine(RuleBasedStateMachine):
    @initialize(
        stock=st.integers(0, 6), quantities=st.lists(st.integers(1, 3), min_size=1, max_size=4)
    )
    def start(self, stock: int, quantities: list[int]) -> None:
        self.initial = stock
        self.stock = StockCount(available=stock)
        self.orders = [
            Order.open(f"ord_{i}", Money(UNIT * q), [Line(PRODUCT, q)], NOW + timedelta(hours=1))
            for i, q in enumerate(quantities)
        ]
        self.owed: list[list[str]] = [[] for _ in quantities]
        self.models = [Model(q) for q in quantities]
        self.free, self.held, self.sold = stock, 0, 0

    # -- the shell: facts in, effects applied to stock ---------------------------
    def step(self, index: int, fact: Fact) -> None:
        transition = apply(self.orders[index], fact)
        self.orders[index] = transition.order
        for effect in transition.effects:
            self.effect(index, effect)

    def effect(self, index: int, effect: Effect) -> None:
        quantity = self.orders[index].lines[0].quantity
        match effect:
            case SellHeldStock():
                self.stock = self.stock.sell_held(quantity)
            case ReleaseHeldStock():
                self.stock = self.stock.release(quantity)
            case SellStock():
                self.stock = self.stock.sell(quantity)
            case RefundOwed(imp_uid=imp_uid):
                self.owed[index].append(imp_uid)

    # -- model moves -----------------------------------------------------------
    def model_release(self, m: Model) -> None:
        if m.holding:
            self.held -= m.quantity
            self.free += m.quantity
            m.holding = False

    # -- rules -----------------------------------------------------------------
    @rule(data=st.data(), k=st.integers(0, 2))
    def confirm(self, data: st.DataObject, k: int) -> None:
        i = data.draw(st.integers(0, len(self.orders) - 1))
        order, m, uid = self.orders[i], self.models[i], f"imp_{i}_{k}"
        call = ConfirmCall(uid, order.merchant_uid, order.amount.major())
        decision = decide(
            call, order, {PRODUCT: self.stock.available}, {PRODUCT: True}, Guards(), NOW
        )
        if decision.approved:
            self.step(i, HoldGranted(uid))
            self.stock = self.stock.hold(order.lines[0].quantity)
        expected = m.status in ("pending", "failed") and self.free >= m.quantity
        assert decision.approved == expected
        if expected:
            m.status, m.attempt, m.holding = "held", uid, True
            self.free -= m.quantity
            self.held += m.quantity

    @rule(data=st.data(), k=st.integers(0, 2), right=st.booleans())
    def paid(self, data: st.DataObject, k: int, right: bool) -> None:
        i = data.draw(st.integers(0, len(self.orders) - 1))
        order, m, uid = self.orders[i], self.models[i], f"imp_{i}_{k}"
        amount = order.amount if right else order.amount - Money(1)
        free = allocate(order.lines, {PRODUCT: self.stock.available}) is not None
        self.step(i, PaymentPaid(uid, amount, stock_available=free))
        if m.status in SETTLED:
            if uid != m.attempt:
                m.owed.append(uid)
            return
        sellable = m.holding or (m.status != "cancelled" and self.free >= m.quantity)
        if right and sellable:
            if not m.holding:
                self.free -= m.quantity
                self.held += m.quantity
            self.held -= m.quantity
            self.sold += m.quantity
            m.status = "paid"
        else:
            self.model_release(m)
            m.status = "flagged"
            m.owed.append(uid)
        m.attempt, m.holding, m.paid, m.refunded = uid, False, amount.amount, 0

    @rule(data=st.data(), k=st.integers(0, 2))
    def failed(self, data: st.DataObject, k: int) -> None:
        i = data.draw(st.integers(0, len(self.orders) - 1))
        m, uid = self.models[i], f"imp_{i}_{k}"
        self.step(i, PaymentFailed(uid))
        if m.status in ("pending", "failed") or (m.status in OPEN and m.attempt == uid):
            self.model_release(m)
            m.status, m.attempt = "failed", uid

    @rule(data=st.data(), k=st.integers(0, 2))
    def unverified(self, data: st.DataObject, k: int) -> None:
        i = data.draw(st.integers(0, len(self.orders) - 1))
        m, uid = self.models[i], f"imp_{i}_{k}"
        self.step(i, VerificationFailed(uid))
        if m.status in ("pending", "failed") or (m.status == "held" and m.attempt == uid):
            m.status, m.attempt = "unverified", uid

    @rule(data=st.data(), part=st.integers(1, 4))
    def refund(self, data: st.DataObject, part: int) -> None:
        i = data.draw(st.integers(0, len(self.orders) - 1))
        order, m = self.orders[i], self.models[i]
        if m.status not in SETTLED or m.attempt is None:
            return
        amount = max(1, m.paid * part // 3)  # sometimes more than is left
        fact = RefundRecorded(m.attempt, Money(amount))
        if amount > m.paid - m.refunded:
            with pytest.raises(RefundTooLarge):
                self.step(i, fact)
            assert self.orders[i] == order
            return
        self.step(i, fact)
        m.refunded += amount
        if m.refunded == m.paid:
            m.status = "refunded"
        elif m.status != "flagged":
            m.status = "partially_refunded"

    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        i = data.draw(st.integers(0, len(self.orders) - 1))
        m = self.models[i]
        if m.status in ("pending", "failed", "cancelled"):
            self.step(i, OrderCancelled())
            m.status = "cancelled"
        else:
            with pytest.raises(IllegalTransition):
                self.step(i, OrderCancelled())

    # -- agreement ---------------------------------------------------------------
    @invariant()
    def agrees_with_the_model(self) -> None:
        for order, m, owed in zip(self.orders, self.models, self.owed, strict=True):
            assert order.status == m.status
            assert order.holding == m.holding
            assert owed == m.owed
            assert order.refunded.amount == m.refunded <= order.paid.amount == m.paid
        assert (self.stock.available, self.stock.held, self.stock.sold) == (
            self.free,
            self.held,
            self.sold,
        )

    @invariant()
    def no_unit_is_lost(self) -> None:
        assert self.stock.total == self.initial
        holding = sum(o.lines[0].quantity for o in self.orders if o.holding)
        assert self.stock.held == holding


OrderMachine.TestCase.settings = settings(max_examples=300, stateful_step_count=40, deadline=None)
TestOrderMachine = OrderMachine.TestCase
