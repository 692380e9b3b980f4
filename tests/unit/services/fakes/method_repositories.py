"""In-memory cash receipts, customer identities (with age gates and order customers) and
escrow deliveries: ``ReceiptBook``, ``CustomerRepository``, ``EscrowBook``.

Same rows as the real tables, read through the real converters; the contract
test holds both versions to the same scenarios (``live_key`` uniqueness,
conditional moves, the certification used once, upserts).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict
from datetime import datetime
from typing import Any

from paydesk.store import Conflict
from paydesk.store.escrows import EscrowRecord, Shipment
from paydesk.store.identities import IdentityRecord, NewIdentity, OrderCustomer
from paydesk.store.receipts import (
    MAX_ERROR_CHARS,
    NewReceipt,
    ReceiptKind,
    ReceiptQuery,
    ReceiptRecord,
    live_key,
)

from .tables import Access, FakeRow, Row, Tables, as_json, aware, check

__all__ = ["InMemoryCustomers", "InMemoryEscrows", "InMemoryReceipts"]

_RECEIPT_INSTANTS = ("applied_at", "cancelled_at", "created_at", "updated_at")


def _table(tables: Tables, kind: ReceiptKind) -> dict[int, Row]:
    return tables.cash_receipts if kind == "payment" else tables.external_receipts


def _receipt(row: Row, kind: ReceiptKind) -> ReceiptRecord:
    return ReceiptRecord.from_row(FakeRow(row), kind)  # type: ignore[arg-type]


class InMemoryReceipts:
    """``ReceiptBook`` over dicts."""

    def __init__(self, access: Access) -> None:
        self._access = access

    async def add(self, new: NewReceipt, now: datetime) -> ReceiptRecord:
        tables = await self._access.step(write=True)
        rows = _table(tables, new.kind)
        row = new.values(now)
        row.update({k: aware(row.get(k)) for k in _RECEIPT_INSTANTS})
        if row["live_key"] is not None and any(
            r["live_key"] == row["live_key"] for r in rows.values()
        ):
            raise Conflict("UNIQUE constraint failed: live_key")
        tables.require("orders", row.get("order_id"))
        if new.kind == "external":
            check(row["requested_amount"] > 0, "requested_amount")
        for column in ("amount", "vat", "apply_num", "receipt_tid", "receipt_url", "applied_at",
                       "cancelled_at", "last_error"):  # fmt: skip
            row.setdefault(column, None)
        row["id"] = tables.new_id("cash_receipts" if new.kind == "payment" else "external_receipts")
        rows[row["id"]] = row
        return _receipt(row, new.kind)

    async def get(self, kind: ReceiptKind, receipt_id: int) -> ReceiptRecord | None:
        tables = await self._access.step()
        row = _table(tables, kind).get(receipt_id)
        return _receipt(row, kind) if row else None

    async def live(self, kind: ReceiptKind, key: str) -> ReceiptRecord | None:
        tables = await self._access.step()
        found = [r for r in _table(tables, kind).values() if r["live_key"] == key]
        return _receipt(found[0], kind) if found else None

    async def move(
        self,
        kind: ReceiptKind,
        receipt_id: int,
        key: str,
        sources: Iterable[str],
        target: str,
        values: Mapping[str, Any],
        now: datetime,
    ) -> bool:
        tables = await self._access.step(write=True)
        rows = _table(tables, kind)
        row = rows.get(receipt_id)
        if row is None or row["state"] not in [str(s) for s in sources]:
            return False
        changes = {**values, "state": str(target), "live_key": live_key(key, target),
                   "updated_at": aware(now)}  # fmt: skip
        if changes.get("last_error"):
            changes["last_error"] = str(changes["last_error"])[:MAX_ERROR_CHARS]
        for column in ("applied_at", "cancelled_at"):
            if column in changes:
                changes[column] = aware(changes[column])
        if changes["live_key"] is not None and any(
            r["live_key"] == changes["live_key"] and i != receipt_id for i, r in rows.items()
        ):
            raise Conflict("UNIQUE constraint failed: live_key")
        row.update(changes)
        return True

    async def search(self, kind: ReceiptKind, query: ReceiptQuery) -> list[ReceiptRecord]:
        tables = await self._access.step()
        key_column = "imp_uid" if kind == "payment" else "merchant_uid"
        rows = [
            r
            for r in _table(tables, kind).values()
            if (query.key is None or r[key_column] == query.key)
            and (query.state is None or r["state"] == query.state)
            and (query.identifier_type is None or r["identifier_type"] == query.identifier_type)
            and (query.since is None or r["created_at"] >= query.since)
            and (query.until is None or r["created_at"] < query.until)
            and (query.before is None or r["id"] < query.before)
        ]
        rows.sort(key=lambda r: r["id"], reverse=True)
        return [_receipt(r, kind) for r in rows[: query.limit]]


def _identity(row: Row) -> IdentityRecord:
    return IdentityRecord.from_row(FakeRow(row))  # type: ignore[arg-type]


class InMemoryCustomers:
    """``CustomerRepository`` over dicts."""

    def __init__(self, access: Access) -> None:
        self._access = access

    async def put(self, identity: NewIdentity, now: datetime) -> IdentityRecord:
        tables = await self._access.step(write=True)
        rows = tables.customer_identities
        values = {**asdict(identity), "deleted_at_iamport": None, "updated_at": aware(now)}
        values["certified_at"] = aware(values["certified_at"])
        current = next((r for r in rows.values() if r["customer_ref"] == identity.customer_ref),
                       None)  # fmt: skip
        taken = any(
            r["certification_imp_uid"] == identity.certification_imp_uid
            and r["customer_ref"] != identity.customer_ref
            for r in rows.values()
        )
        if taken:
            raise Conflict("UNIQUE constraint failed: certification_imp_uid")
        if current is None:
            row = {**values, "created_at": aware(now), "id": tables.new_id("customer_identities")}
            rows[row["id"]] = row
            return _identity(row)
        current.update(values)
        return _identity(current)

    async def get(self, customer_id: int) -> IdentityRecord | None:
        tables = await self._access.step()
        row = tables.customer_identities.get(customer_id)
        return _identity(row) if row else None

    async def by_ref(self, customer_ref: str) -> IdentityRecord | None:
        return await self._first(lambda r: r["customer_ref"] == customer_ref)

    async def by_certification(self, imp_uid: str) -> IdentityRecord | None:
        return await self._first(lambda r: r["certification_imp_uid"] == imp_uid)

    async def same_person(self, ci_hash: str) -> list[IdentityRecord]:
        tables = await self._access.step()
        rows = tables.customer_identities
        return [_identity(rows[i]) for i in sorted(rows) if rows[i]["ci_hash"] == ci_hash]

    async def mark_deleted(self, customer_id: int, now: datetime) -> None:
        tables = await self._access.step(write=True)
        row = tables.customer_identities.get(customer_id)
        if row is not None:
            row.update(deleted_at_iamport=aware(now), updated_at=aware(now))

    async def set_age_gate(self, product_id: int, min_age: int | None, now: datetime) -> None:
        tables = await self._access.step(write=True)
        tables.product_age_gates.pop(product_id, None)
        if min_age is not None:
            tables.require("products", product_id)
            check(0 < min_age < 100, "min_age")
            tables.product_age_gates[product_id] = {
                "product_id": product_id, "min_age": min_age,
                "created_at": aware(now), "updated_at": aware(now),
            }  # fmt: skip

    async def age_gates(self, product_ids: Iterable[int]) -> dict[int, int]:
        tables = await self._access.step()
        gates = tables.product_age_gates
        return {i: gates[i]["min_age"] for i in set(product_ids) if i in gates}

    async def link_order(
        self, order_id: int, customer_id: int, required_age: int | None, now: datetime
    ) -> None:
        tables = await self._access.step(write=True)
        tables.require("orders", order_id)
        tables.require("customer_identities", customer_id)
        if order_id in tables.order_customers:
            raise Conflict("UNIQUE constraint failed: order_customers.order_id")
        tables.order_customers[order_id] = {
            "order_id": order_id, "customer_id": customer_id, "required_age": required_age,
            "created_at": aware(now),
        }  # fmt: skip

    async def of_order(self, order_id: int) -> OrderCustomer | None:
        tables = await self._access.step()
        row = tables.order_customers.get(order_id)
        if row is None:
            return None
        return OrderCustomer(row["order_id"], row["customer_id"], row["required_age"])

    async def _first(self, matches: Any) -> IdentityRecord | None:
        tables = await self._access.step()
        rows = tables.customer_identities
        found = [rows[i] for i in sorted(rows) if matches(rows[i])]
        return _identity(found[0]) if found else None


class InMemoryEscrows:
    """``EscrowBook`` over dicts."""

    def __init__(self, access: Access) -> None:
        self._access = access

    async def get(self, imp_uid: str) -> EscrowRecord | None:
        tables = await self._access.step()
        row = tables.escrow_deliveries.get(imp_uid)
        return EscrowRecord.from_row(FakeRow(row)) if row else None  # type: ignore[arg-type]

    async def put_shipment(
        self,
        imp_uid: str,
        order_id: int | None,
        shipment: Shipment,
        initial_status: str,
        now: datetime,
    ) -> EscrowRecord:
        values = {
            "company": shipment.company, "invoice": shipment.invoice,
            "sent_at": aware(shipment.sent_at), "sender": as_json(dict(shipment.sender)),
            "receiver": as_json(dict(shipment.receiver)),
            "applied_at": aware(shipment.applied_at), "updated_at": aware(now),
        }  # fmt: skip
        await self._upsert(imp_uid, order_id, values, initial_status, now)
        found = await self.get(imp_uid)
        assert found is not None
        return found

    async def set_status(
        self,
        imp_uid: str,
        order_id: int | None,
        status: str,
        code: str | None,
        changed_at: datetime | None,
        denied_reason: str | None,
        now: datetime,
    ) -> EscrowRecord:
        values = {"status": status, "status_code": code, "status_changed_at": aware(changed_at),
                  "denied_reason": denied_reason, "updated_at": aware(now)}  # fmt: skip
        await self._upsert(imp_uid, order_id, values, status, now)
        found = await self.get(imp_uid)
        assert found is not None
        return found

    async def _upsert(
        self, imp_uid: str, order_id: int | None, values: dict[str, Any], status: str,
        now: datetime,
    ) -> None:  # fmt: skip
        tables = await self._access.step(write=True)
        rows = tables.escrow_deliveries
        if imp_uid in rows:
            rows[imp_uid].update(values)
            return
        tables.require("orders", order_id)
        empty = dict.fromkeys(("company", "invoice", "sent_at", "sender", "receiver",
                               "applied_at", "status_code", "status_changed_at",
                               "denied_reason"))  # fmt: skip
        rows[imp_uid] = {**empty, "imp_uid": imp_uid, "order_id": order_id, "status": status,
                         "created_at": aware(now), **values}  # fmt: skip
