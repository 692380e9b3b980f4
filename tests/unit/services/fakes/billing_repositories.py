"""In-memory ``BillingBook``: plans, billing keys, window issuances, subscriptions, charges.

Rows carry the real column names and are read back through the real records'
``from_row``; the contract test holds this and ``store.billing`` to the same
scenarios (unique plan codes and merchant_uids, upsert of a key, a window
issuance closed once, due subscriptions, open charges).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from paydesk.core.subscriptions import OPEN_CHARGES, ChargeState, Subscription, SubscriptionStatus
from paydesk.store import Conflict
from paydesk.store.billing import (
    ChargeRecord,
    IssuanceRecord,
    KeyRecord,
    NewCharge,
    NewPlan,
    PlanRecord,
    SubscriptionRecord,
    subscription_values,
)

from .tables import Access, FakeRow, Row, Tables, as_json, aware, check

__all__ = ["InMemoryBilling"]

_SUB_INSTANTS = ("anchor", "next_charge_at", "dunning_since", "cancelled_at")


def _row(row: Row) -> Any:
    return FakeRow(row)


class InMemoryBilling:
    """``BillingBook`` over dicts."""

    def __init__(self, access: Access) -> None:
        self._access = access

    # -- plans -------------------------------------------------------------------------
    async def add_plan(self, plan: NewPlan, now: datetime) -> PlanRecord:
        tables = await self._access.step(write=True)
        if any(r["code"] == plan.code for r in tables.plans.values()):
            raise Conflict("UNIQUE constraint failed: plans.code")
        check(plan.price.amount > 0, "amount")
        plan_id = tables.new_id("plans")
        tables.plans[plan_id] = {
            "id": plan_id, "code": plan.code, "name": plan.name, "amount": plan.price.amount,
            "currency": plan.price.currency, "interval_unit": plan.interval.unit,
            "interval_count": plan.interval.count, "dunning_days": as_json(list(plan.dunning_days)),
            "billing": plan.billing, "active": True, "created_at": aware(now),
            "updated_at": aware(now),
        }  # fmt: skip
        return PlanRecord.from_row(_row(tables.plans[plan_id]))

    async def plan(self, plan_id: int) -> PlanRecord | None:
        tables = await self._access.step()
        row = tables.plans.get(plan_id)
        return PlanRecord.from_row(_row(row)) if row else None

    async def plans(self) -> list[PlanRecord]:
        tables = await self._access.step()
        return [PlanRecord.from_row(_row(tables.plans[i])) for i in sorted(tables.plans)]

    # -- billing keys ------------------------------------------------------------------
    async def put_key(
        self, customer_uid: str, card: Mapping[str, Any], via: str, now: datetime
    ) -> KeyRecord:
        tables = await self._access.step(write=True)
        earlier = tables.billing_keys.get(customer_uid)
        tables.billing_keys[customer_uid] = {
            "customer_uid": customer_uid, "state": "active",
            "pg_provider": card.get("pg_provider"), "card_name": card.get("card_name"),
            "card_code": card.get("card_code"), "card_last4": card.get("card_last4"),
            "issued_via": via, "issued_at": aware(now), "deleted_at": None,
            "created_at": earlier["created_at"] if earlier else aware(now),
            "updated_at": aware(now),
        }  # fmt: skip
        return KeyRecord.from_row(_row(tables.billing_keys[customer_uid]))

    async def key(self, customer_uid: str) -> KeyRecord | None:
        tables = await self._access.step()
        row = tables.billing_keys.get(customer_uid)
        return KeyRecord.from_row(_row(row)) if row else None

    async def delete_key(self, customer_uid: str, now: datetime) -> KeyRecord | None:
        tables = await self._access.step(write=True)
        row = tables.billing_keys.get(customer_uid)
        if row is None:
            return None
        row.update(state="deleted", deleted_at=aware(now), updated_at=aware(now))
        return KeyRecord.from_row(_row(row))

    # -- window issuances --------------------------------------------------------------
    async def add_issuance(self, merchant_uid: str, customer_uid: str, now: datetime) -> None:
        tables = await self._access.step(write=True)
        if merchant_uid in tables.billing_key_issuances:
            raise Conflict("UNIQUE constraint failed: billing_key_issuances.merchant_uid")
        tables.billing_key_issuances[merchant_uid] = {
            "merchant_uid": merchant_uid, "customer_uid": customer_uid, "state": "open",
            "imp_uid": None, "fail_reason": None, "created_at": aware(now),
            "updated_at": aware(now),
        }  # fmt: skip

    async def issuance(self, merchant_uid: str) -> IssuanceRecord | None:
        tables = await self._access.step()
        row = tables.billing_key_issuances.get(merchant_uid)
        return IssuanceRecord.from_row(_row(row)) if row else None

    async def finish_issuance(
        self, merchant_uid: str, state: str, imp_uid: str, fail_reason: str | None, now: datetime
    ) -> bool:
        tables = await self._access.step(write=True)
        row = tables.billing_key_issuances.get(merchant_uid)
        if row is None or row["state"] != "open":
            return False
        row.update(state=state, imp_uid=imp_uid, fail_reason=fail_reason, updated_at=aware(now))
        return True

    # -- subscriptions -----------------------------------------------------------------
    async def add_subscription(
        self, plan_id: int, customer_uid: str, subscription: Subscription, now: datetime
    ) -> int:
        tables = await self._access.step(write=True)
        tables.require("plans", plan_id)
        subscription_id = tables.new_id("subscriptions")
        tables.subscriptions[subscription_id] = {
            **_sub_values(subscription), "id": subscription_id, "plan_id": plan_id,
            "customer_uid": customer_uid, "last_error": None, "created_at": aware(now),
            "updated_at": aware(now),
        }  # fmt: skip
        return subscription_id

    async def subscription(
        self, subscription_id: int, *, lock: bool = False
    ) -> SubscriptionRecord | None:
        tables = await self._access.step()
        row = tables.subscriptions.get(subscription_id)
        return _subscription(tables, row) if row else None

    async def subscriptions(
        self, *, customer_uid: str | None = None, status: str | None = None, limit: int = 100
    ) -> list[SubscriptionRecord]:
        tables = await self._access.step()
        rows = [
            tables.subscriptions[i]
            for i in sorted(tables.subscriptions, reverse=True)
            if customer_uid in (None, tables.subscriptions[i]["customer_uid"])
            and status in (None, tables.subscriptions[i]["status"])
        ]
        return [_subscription(tables, r) for r in rows[:limit]]

    async def save_subscription(
        self, subscription_id: int, subscription: Subscription, now: datetime,
        *, last_error: str | None = None,
    ) -> None:  # fmt: skip
        tables = await self._access.step(write=True)
        row = tables.subscriptions[subscription_id]
        row.update(_sub_values(subscription), updated_at=aware(now))
        if last_error is not None:
            row["last_error"] = last_error

    async def due(self, now: datetime) -> list[int]:
        tables = await self._access.step()
        live = (SubscriptionStatus.ACTIVE.value, SubscriptionStatus.PAST_DUE.value)
        rows = [
            r
            for r in tables.subscriptions.values()
            if r["status"] in live and r["next_charge_at"] is not None
            and r["next_charge_at"] <= now
        ]  # fmt: skip
        return [r["id"] for r in sorted(rows, key=lambda r: (r["next_charge_at"], r["id"]))]

    # -- charges -----------------------------------------------------------------------
    async def add_charge(self, charge: NewCharge, now: datetime) -> ChargeRecord:
        tables = await self._access.step(write=True)
        tables.require("subscriptions", charge.subscription_id)
        for row in tables.subscription_charges.values():
            if row["merchant_uid"] == charge.merchant_uid or (
                (row["subscription_id"], row["period"], row["attempt"])
                == (charge.subscription_id, charge.period, charge.attempt)
            ):
                raise Conflict("UNIQUE constraint failed: subscription_charges")
        charge_id = tables.new_id("subscription_charges")
        tables.subscription_charges[charge_id] = {
            "id": charge_id, "subscription_id": charge.subscription_id, "period": charge.period,
            "attempt": charge.attempt, "merchant_uid": charge.merchant_uid,
            "amount": charge.amount.amount, "currency": charge.amount.currency, "via": charge.via,
            "state": charge.state.value, "imp_uid": None, "fail_reason": None,
            "due_at": aware(charge.due_at), "finished_at": None, "created_at": aware(now),
            "updated_at": aware(now),
        }  # fmt: skip
        return ChargeRecord.from_row(_row(tables.subscription_charges[charge_id]))

    async def charge(self, merchant_uid: str) -> ChargeRecord | None:
        tables = await self._access.step()
        for row in tables.subscription_charges.values():
            if row["merchant_uid"] == merchant_uid:
                return ChargeRecord.from_row(_row(row))
        return None

    async def charges(self, subscription_id: int) -> list[ChargeRecord]:
        tables = await self._access.step()
        return [
            ChargeRecord.from_row(_row(tables.subscription_charges[i]))
            for i in sorted(tables.subscription_charges)
            if tables.subscription_charges[i]["subscription_id"] == subscription_id
        ]

    async def finish_charge(
        self, charge_id: int, state: ChargeState, now: datetime, *,
        imp_uid: str | None = None, fail_reason: str | None = None,
    ) -> None:  # fmt: skip
        tables = await self._access.step(write=True)
        row = tables.subscription_charges[charge_id]
        row.update(state=state.value, updated_at=aware(now))
        if state not in OPEN_CHARGES:
            row["finished_at"] = aware(now)
        if imp_uid is not None:
            row["imp_uid"] = imp_uid
        if fail_reason is not None:
            row["fail_reason"] = fail_reason

    async def open_charges(self, started_before: datetime) -> Sequence[ChargeRecord]:
        tables = await self._access.step()
        states = {s.value for s in OPEN_CHARGES}
        return [
            ChargeRecord.from_row(_row(tables.subscription_charges[i]))
            for i in sorted(tables.subscription_charges)
            if tables.subscription_charges[i]["state"] in states
            and tables.subscription_charges[i]["due_at"] < started_before
        ]

    async def owner(self, merchant_uid: str) -> str | None:
        if await self.charge(merchant_uid) is not None:
            return "charge"
        if await self.issuance(merchant_uid) is not None:
            return "issuance"
        return None


def _sub_values(subscription: Subscription) -> Row:
    values = subscription_values(subscription)
    values.update({k: aware(values[k]) for k in _SUB_INSTANTS})
    return values


def _subscription(tables: Tables, row: Row) -> SubscriptionRecord:
    plan = PlanRecord.from_row(_row(tables.plans[row["plan_id"]]))
    return SubscriptionRecord.from_rows(_row(row), plan)
