"""Plans, billing keys, subscriptions and their charges (``uow.billing``).

A billing key row holds what may be shown to a person: the customer_uid, the
PG, the card's name and code and its last digits. Card numbers, expiry dates,
birth dates and PIN digits never reach this module (nor any other table).

A subscription row carries the domain ``Subscription``'s state (see
``subscription_values``); its plan gives the terms (interval, dunning).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..core.money import Money
from ..core.subscriptions import (
    OPEN_CHARGES,
    ChargeState,
    Dunning,
    Interval,
    Subscription,
    SubscriptionStatus,
)
from .tables import billing_key_issuances, billing_keys, plans, subscription_charges, subscriptions

__all__ = [
    "BillingBook",
    "ChargeRecord",
    "IssuanceRecord",
    "KeyRecord",
    "NewCharge",
    "NewPlan",
    "PlanRecord",
    "SubscriptionRecord",
    "subscription_values",
]


@dataclass(frozen=True)
class NewPlan:
    code: str
    name: str
    price: Money
    interval: Interval
    dunning_days: tuple[int, ...]
    billing: str  # again | schedule


@dataclass(frozen=True)
class PlanRecord:
    id: int
    code: str
    name: str
    price: Money
    interval: Interval
    dunning_days: tuple[int, ...]
    billing: str
    active: bool
    created_at: datetime

    @property
    def dunning(self) -> Dunning:
        return Dunning.days(self.dunning_days)

    @classmethod
    def from_row(cls, row: Row[Any]) -> PlanRecord:
        m = row._mapping
        return cls(
            id=m["id"], code=m["code"], name=m["name"], price=Money(m["amount"], m["currency"]),
            interval=Interval(m["interval_unit"], m["interval_count"]),
            dunning_days=tuple(int(d) for d in m["dunning_days"]), billing=m["billing"],
            active=m["active"], created_at=m["created_at"],
        )  # fmt: skip


@dataclass(frozen=True)
class KeyRecord:
    """A billing key as we know it: masked card metadata only."""

    customer_uid: str
    state: str  # active | deleted
    pg_provider: str | None
    card_name: str | None
    card_code: str | None
    card_last4: str | None
    issued_via: str
    issued_at: datetime
    deleted_at: datetime | None
    updated_at: datetime

    @property
    def active(self) -> bool:
        return self.state == "active"

    @classmethod
    def from_row(cls, row: Row[Any]) -> KeyRecord:
        m = row._mapping
        return cls(m["customer_uid"], m["state"], m["pg_provider"], m["card_name"],
                   m["card_code"], m["card_last4"], m["issued_via"], m["issued_at"],
                   m["deleted_at"], m["updated_at"])  # fmt: skip


@dataclass(frozen=True)
class IssuanceRecord:
    """A billing key issued through the payment window, by its merchant_uid."""

    merchant_uid: str
    customer_uid: str
    state: str  # open | issued | failed
    imp_uid: str | None
    fail_reason: str | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> IssuanceRecord:
        m = row._mapping
        return cls(m["merchant_uid"], m["customer_uid"], m["state"], m["imp_uid"],
                   m["fail_reason"], m["created_at"])  # fmt: skip


@dataclass(frozen=True)
class SubscriptionRecord:
    """A stored subscription: the domain value plus who and what."""

    id: int
    plan: PlanRecord
    customer_uid: str
    subscription: Subscription
    last_error: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_rows(cls, row: Row[Any], plan: PlanRecord) -> SubscriptionRecord:
        m = row._mapping
        subscription = Subscription(
            status=SubscriptionStatus(m["status"]), interval=plan.interval, dunning=plan.dunning,
            period=m["period"], anchor=m["anchor"], cycles=m["cycles"],
            next_charge_at=m["next_charge_at"], failures=m["failures"],
            dunning_since=m["dunning_since"], cancel_at_period_end=m["cancel_at_period_end"],
            cancelled_at=m["cancelled_at"],
        )  # fmt: skip
        return cls(m["id"], plan, m["customer_uid"], subscription, m["last_error"],
                   m["created_at"], m["updated_at"])  # fmt: skip


def subscription_values(subscription: Subscription) -> dict[str, Any]:
    """The columns a subscription's state occupies (for inserts and updates)."""
    s = subscription
    return {
        "status": s.status.value, "period": s.period, "anchor": s.anchor, "cycles": s.cycles,
        "next_charge_at": s.next_charge_at, "failures": s.failures,
        "dunning_since": s.dunning_since, "cancel_at_period_end": s.cancel_at_period_end,
        "cancelled_at": s.cancelled_at,
    }  # fmt: skip


@dataclass(frozen=True)
class NewCharge:
    subscription_id: int
    period: int
    attempt: int
    merchant_uid: str
    amount: Money
    via: str  # again | schedule
    state: ChargeState
    due_at: datetime


@dataclass(frozen=True)
class ChargeRecord:
    id: int
    subscription_id: int
    period: int
    attempt: int
    merchant_uid: str
    amount: Money
    via: str
    state: ChargeState
    imp_uid: str | None
    fail_reason: str | None
    due_at: datetime
    finished_at: datetime | None
    created_at: datetime

    @property
    def open(self) -> bool:
        return self.state in OPEN_CHARGES

    @classmethod
    def from_row(cls, row: Row[Any]) -> ChargeRecord:
        m = row._mapping
        return cls(
            id=m["id"], subscription_id=m["subscription_id"], period=m["period"],
            attempt=m["attempt"], merchant_uid=m["merchant_uid"],
            amount=Money(m["amount"], m["currency"]), via=m["via"],
            state=ChargeState(m["state"]), imp_uid=m["imp_uid"], fail_reason=m["fail_reason"],
            due_at=m["due_at"], finished_at=m["finished_at"], created_at=m["created_at"],
        )  # fmt: skip


class BillingBook:
    """Plans, keys, subscriptions and charges, inside the caller's transaction."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    # -- plans -------------------------------------------------------------------------
    async def add_plan(self, plan: NewPlan, now: datetime) -> PlanRecord:
        """Store a plan; raises ``Conflict`` when its code is taken."""
        values = {
            "code": plan.code, "name": plan.name, "amount": plan.price.amount,
            "currency": plan.price.currency, "interval_unit": plan.interval.unit,
            "interval_count": plan.interval.count, "dunning_days": list(plan.dunning_days),
            "billing": plan.billing, "active": True, "created_at": now, "updated_at": now,
        }  # fmt: skip
        row = (await self._db.execute(insert(plans).values(values).returning(plans))).one()
        return PlanRecord.from_row(row)

    async def plan(self, plan_id: int) -> PlanRecord | None:
        row = (await self._db.execute(select(plans).where(plans.c.id == plan_id))).first()
        return PlanRecord.from_row(row) if row else None

    async def plans(self) -> list[PlanRecord]:
        rows = await self._db.execute(select(plans).order_by(plans.c.id))
        return [PlanRecord.from_row(r) for r in rows]

    # -- billing keys ------------------------------------------------------------------
    async def put_key(self, customer_uid: str, card: Mapping[str, Any], via: str,
                      now: datetime) -> KeyRecord:  # fmt: skip
        """Record the key issued (or re-pointed) under ``customer_uid`` with its masked card.

        ``card``: ``pg_provider``, ``card_name``, ``card_code``, ``card_last4``.
        """
        values = {
            "state": "active", "pg_provider": card.get("pg_provider"),
            "card_name": card.get("card_name"), "card_code": card.get("card_code"),
            "card_last4": card.get("card_last4"), "issued_via": via, "issued_at": now,
            "deleted_at": None, "updated_at": now,
        }  # fmt: skip
        where = billing_keys.c.customer_uid == customer_uid
        changed = await self._db.execute(update(billing_keys).where(where).values(values))
        if changed.rowcount == 0:
            row = {**values, "customer_uid": customer_uid, "created_at": now}
            await self._db.execute(insert(billing_keys).values(row))
        found = await self.key(customer_uid)
        assert found is not None
        return found

    async def key(self, customer_uid: str) -> KeyRecord | None:
        query = select(billing_keys).where(billing_keys.c.customer_uid == customer_uid)
        row = (await self._db.execute(query)).first()
        return KeyRecord.from_row(row) if row else None

    async def keys(self, *, limit: int = 50, offset: int = 0) -> list[KeyRecord]:
        """Billing keys, the latest issued first, one page at a time."""
        query = (
            select(billing_keys)
            .order_by(billing_keys.c.issued_at.desc(), billing_keys.c.customer_uid)
            .limit(limit)
            .offset(offset)
        )
        return [KeyRecord.from_row(r) for r in await self._db.execute(query)]

    async def delete_key(self, customer_uid: str, now: datetime) -> KeyRecord | None:
        """Mark the key deleted (the row stays, for the history); None if there is none."""
        statement = (
            update(billing_keys)
            .where(billing_keys.c.customer_uid == customer_uid)
            .values(state="deleted", deleted_at=now, updated_at=now)
        )
        await self._db.execute(statement)
        return await self.key(customer_uid)

    # -- window issuances --------------------------------------------------------------
    async def add_issuance(self, merchant_uid: str, customer_uid: str, now: datetime) -> None:
        values = {"merchant_uid": merchant_uid, "customer_uid": customer_uid, "state": "open",
                  "created_at": now, "updated_at": now}  # fmt: skip
        await self._db.execute(insert(billing_key_issuances).values(values))

    async def issuance(self, merchant_uid: str) -> IssuanceRecord | None:
        query = select(billing_key_issuances).where(
            billing_key_issuances.c.merchant_uid == merchant_uid
        )
        row = (await self._db.execute(query)).first()
        return IssuanceRecord.from_row(row) if row else None

    async def finish_issuance(
        self, merchant_uid: str, state: str, imp_uid: str, fail_reason: str | None, now: datetime
    ) -> bool:
        """Close an open issuance; False if it was not open (a concurrent report closed it)."""
        statement = (
            update(billing_key_issuances)
            .where(
                billing_key_issuances.c.merchant_uid == merchant_uid,
                billing_key_issuances.c.state == "open",
            )
            .values(state=state, imp_uid=imp_uid, fail_reason=fail_reason, updated_at=now)
        )
        return bool((await self._db.execute(statement)).rowcount == 1)

    # -- subscriptions -----------------------------------------------------------------
    async def add_subscription(
        self, plan_id: int, customer_uid: str, subscription: Subscription, now: datetime
    ) -> int:
        values = {**subscription_values(subscription), "plan_id": plan_id,
                  "customer_uid": customer_uid, "created_at": now, "updated_at": now}  # fmt: skip
        statement = insert(subscriptions).values(values).returning(subscriptions.c.id)
        return int((await self._db.execute(statement)).scalar_one())

    async def subscription(
        self, subscription_id: int, *, lock: bool = False
    ) -> SubscriptionRecord | None:
        """One subscription; ``lock`` takes its row lock (charges are decided under it)."""
        query = select(subscriptions).where(subscriptions.c.id == subscription_id)
        if lock:
            query = query.with_for_update()
        row = (await self._db.execute(query)).first()
        if row is None:
            return None
        plan = await self.plan(row._mapping["plan_id"])
        assert plan is not None  # plans are never deleted
        return SubscriptionRecord.from_rows(row, plan)

    async def subscriptions(
        self, *, customer_uid: str | None = None, status: str | None = None, limit: int = 100,
        before_id: int | None = None,
    ) -> list[SubscriptionRecord]:  # fmt: skip
        """Subscriptions matching the filters, newest first (``before_id``: the next page)."""
        query = select(subscriptions).order_by(subscriptions.c.id.desc()).limit(limit)
        if before_id is not None:
            query = query.where(subscriptions.c.id < before_id)
        if customer_uid is not None:
            query = query.where(subscriptions.c.customer_uid == customer_uid)
        if status is not None:
            query = query.where(subscriptions.c.status == status)
        rows = list(await self._db.execute(query))
        found = {p.id: p for p in await self.plans()}
        return [SubscriptionRecord.from_rows(r, found[r._mapping["plan_id"]]) for r in rows]

    async def save_subscription(
        self, subscription_id: int, subscription: Subscription, now: datetime,
        *, last_error: str | None = None,
    ) -> None:  # fmt: skip
        values = {**subscription_values(subscription), "updated_at": now}
        if last_error is not None:
            values["last_error"] = last_error
        statement = update(subscriptions).where(subscriptions.c.id == subscription_id)
        await self._db.execute(statement.values(values))

    async def due(self, now: datetime) -> list[int]:
        """Subscriptions whose next charge (or period end) is due at ``now``, oldest due first."""
        query = (
            select(subscriptions.c.id)
            .where(
                subscriptions.c.status.in_(
                    (SubscriptionStatus.ACTIVE.value, SubscriptionStatus.PAST_DUE.value)
                ),
                subscriptions.c.next_charge_at <= now,
            )
            .order_by(subscriptions.c.next_charge_at, subscriptions.c.id)
        )
        return [int(r.id) for r in await self._db.execute(query)]

    # -- charges -----------------------------------------------------------------------
    async def add_charge(self, charge: NewCharge, now: datetime) -> ChargeRecord:
        values = {
            "subscription_id": charge.subscription_id, "period": charge.period,
            "attempt": charge.attempt, "merchant_uid": charge.merchant_uid,
            "amount": charge.amount.amount, "currency": charge.amount.currency,
            "via": charge.via, "state": charge.state.value, "due_at": charge.due_at,
            "created_at": now, "updated_at": now,
        }  # fmt: skip
        statement = insert(subscription_charges).values(values).returning(subscription_charges)
        return ChargeRecord.from_row((await self._db.execute(statement)).one())

    async def charge(self, merchant_uid: str) -> ChargeRecord | None:
        query = select(subscription_charges).where(
            subscription_charges.c.merchant_uid == merchant_uid
        )
        row = (await self._db.execute(query)).first()
        return ChargeRecord.from_row(row) if row else None

    async def charges(self, subscription_id: int) -> list[ChargeRecord]:
        """Every charge attempt of the subscription, oldest first."""
        query = (
            select(subscription_charges)
            .where(subscription_charges.c.subscription_id == subscription_id)
            .order_by(subscription_charges.c.id)
        )
        return [ChargeRecord.from_row(r) for r in await self._db.execute(query)]

    async def last_charges(self, subscription_ids: Sequence[int]) -> dict[int, ChargeRecord]:
        """The newest charge attempt of each subscription that has one."""
        if not subscription_ids:
            return {}
        newest = (
            select(func.max(subscription_charges.c.id))
            .where(subscription_charges.c.subscription_id.in_(list(subscription_ids)))
            .group_by(subscription_charges.c.subscription_id)
        )
        query = select(subscription_charges).where(subscription_charges.c.id.in_(newest))
        found = [ChargeRecord.from_row(r) for r in await self._db.execute(query)]
        return {charge.subscription_id: charge for charge in found}

    async def finish_charge(
        self, charge_id: int, state: ChargeState, now: datetime, *,
        imp_uid: str | None = None, fail_reason: str | None = None,
    ) -> None:  # fmt: skip
        """Record where a charge stands; ``imp_uid``/``fail_reason`` are kept once known."""
        values: dict[str, Any] = {"state": state.value, "updated_at": now}
        if state not in OPEN_CHARGES:
            values["finished_at"] = now
        if imp_uid is not None:
            values["imp_uid"] = imp_uid
        if fail_reason is not None:
            values["fail_reason"] = fail_reason
        statement = update(subscription_charges).where(subscription_charges.c.id == charge_id)
        await self._db.execute(statement.values(values))

    async def open_charges(self, started_before: datetime) -> Sequence[ChargeRecord]:
        """Charges still awaiting their outcome, due before ``started_before``."""
        query = (
            select(subscription_charges)
            .where(
                subscription_charges.c.state.in_([s.value for s in OPEN_CHARGES]),
                subscription_charges.c.due_at < started_before,
            )
            .order_by(subscription_charges.c.id)
        )
        return [ChargeRecord.from_row(r) for r in await self._db.execute(query)]

    async def owner(self, merchant_uid: str) -> str | None:
        """``charge`` or ``issuance`` when the merchant_uid is ours here, else None."""
        if await self.charge(merchant_uid) is not None:
            return "charge"
        if await self.issuance(merchant_uid) is not None:
            return "issuance"
        return None
