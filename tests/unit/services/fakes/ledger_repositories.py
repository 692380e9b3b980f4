"""In-memory payments, refunds and webhook inbox: ``PaymentBook``, ``RefundBook``, ``WebhookInbox``.

``RefundBook.book`` and ``owe`` carry rules (settle an open refund of ours by
amount, else book an external one; never owe twice); they are restated here
and the contract test (``tests/integration/store/test_fake_store_contract.py``)
holds both versions to the same scenarios.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from paydesk.core.money import Money
from paydesk.core.outcomes import Cancellation
from paydesk.store import Conflict
from paydesk.store.inbox import Delivery
from paydesk.store.ledger_records import InboxRecord, PaymentRecord, RefundRecord
from paydesk.store.payment_book import PaymentQuery
from paydesk.store.refund_book import MAX_ERROR_CHARS, OPEN_STATES

from .tables import Access, FakeRow, Row, Tables, as_json, aware, check

__all__ = ["InMemoryInbox", "InMemoryPayments", "InMemoryRefunds"]

_EXTERNAL_REASON = "cancelled at i'mport"
_INSTANTS = ("paid_at", "failed_at", "cancelled_at", "verified_at", "vbank_date")


def _payment(row: Row) -> PaymentRecord:
    return PaymentRecord.from_row(FakeRow(row))  # type: ignore[arg-type]


def _refund(row: Row) -> RefundRecord:
    return RefundRecord.from_row(FakeRow(row))  # type: ignore[arg-type]


class InMemoryPayments:
    """``PaymentBook`` over dicts: one row per imp_uid, overwritten by each verification."""

    def __init__(self, access: Access) -> None:
        self._access = access

    async def put(self, columns: Mapping[str, Any], order_id: int | None, now: datetime) -> None:
        tables = await self._access.step(write=True)
        tables.require("orders", order_id)
        values = {**columns, "order_id": order_id, "updated_at": aware(now)}
        values.update({k: aware(values.get(k)) for k in _INSTANTS})
        values["raw"] = as_json(values.get("raw"))
        earlier = tables.payments.get(values["imp_uid"])
        created = earlier["created_at"] if earlier else aware(now)
        tables.payments[values["imp_uid"]] = {**values, "created_at": created}

    async def get(self, imp_uid: str) -> PaymentRecord | None:
        tables = await self._access.step()
        row = tables.payments.get(imp_uid)
        return _payment(row) if row else None

    async def search(self, query: PaymentQuery) -> tuple[list[PaymentRecord], int]:
        tables = await self._access.step()
        rows = [r for r in tables.payments.values() if _matches(r, query)]
        rows.sort(key=lambda r: (r["created_at"], r["imp_uid"]), reverse=True)
        page = rows[query.offset : query.offset + query.limit]
        return [_payment(r) for r in page], len(rows)


def _matches(row: Row, query: PaymentQuery) -> bool:
    equal = ("status", "pay_method", "merchant_uid", "apply_num", "pg_tid", "order_id")
    for column in equal:
        wanted = getattr(query, column)
        if wanted is not None and row[column] != wanted:
            return False
    if query.since is not None and row["created_at"] < query.since:
        return False
    return query.until is None or row["created_at"] < query.until


class InMemoryRefunds:
    """``RefundBook`` over dicts: refunds we owe and cancellations i'mport reported."""

    def __init__(self, access: Access) -> None:
        self._access = access

    async def get(self, refund_id: int) -> RefundRecord | None:
        tables = await self._access.step()
        row = tables.refunds.get(refund_id)
        return _refund(row) if row else None

    async def of_payment(self, imp_uid: str) -> list[RefundRecord]:
        tables = await self._access.step()
        return [_refund(tables.refunds[i]) for i in sorted(tables.refunds)
                if tables.refunds[i]["imp_uid"] == imp_uid]  # fmt: skip

    async def of_order(self, order_id: int) -> list[RefundRecord]:
        tables = await self._access.step()
        return [_refund(tables.refunds[i]) for i in sorted(tables.refunds)
                if tables.refunds[i]["order_id"] == order_id]  # fmt: skip

    async def book(
        self,
        order_id: int | None,
        imp_uid: str,
        cancellations: Sequence[Cancellation],
        now: datetime,
    ) -> list[Cancellation]:
        rows = await self.of_payment(imp_uid)
        tables = await self._access.step(write=True)
        known = {r.cancellation_id for r in rows if r.cancellation_id}
        waiting = [r for r in rows if r.state in OPEN_STATES and r.cancellation_id is None]
        booked = []
        for entry in cancellations:
            if entry.cancellation_id in known:
                continue
            _unique_cancellation(tables, entry.cancellation_id)
            match = next((r for r in waiting if r.amount == entry.amount), None)
            if match is not None:
                waiting.remove(match)
                tables.refunds[match.id].update(
                    cancellation_id=entry.cancellation_id, state="succeeded", updated_at=aware(now)
                )
            else:
                _insert(tables, {
                    "order_id": order_id, "imp_uid": imp_uid, "amount": entry.amount.amount,
                    "currency": entry.amount.currency, "checksum": None,
                    "reason": _EXTERNAL_REASON, "state": "succeeded", "origin": "external",
                    "cancellation_id": entry.cancellation_id, "last_error": None,
                }, now)  # fmt: skip
            known.add(entry.cancellation_id)
            booked.append(entry)
        return booked

    async def owe(
        self, order_id: int | None, imp_uid: str, amount: Money, reason: str, now: datetime
    ) -> int | None:
        for row in await self.of_payment(imp_uid):
            if row.origin == "auto" and row.state != "failed":
                return None
        tables = await self._access.step(write=True)
        return _insert(tables, {
            "order_id": order_id, "imp_uid": imp_uid, "amount": amount.amount,
            "currency": amount.currency, "checksum": None, "reason": reason,
            "state": "requested", "origin": "auto", "cancellation_id": None, "last_error": None,
        }, now)  # fmt: skip

    async def mark(
        self,
        refund_id: int,
        state: str,
        now: datetime,
        *,
        checksum: int | None = None,
        error: str | None = None,
    ) -> None:
        tables = await self._access.step(write=True)
        row = tables.refunds.get(refund_id)
        if row is None:
            return
        row.update(state=state, updated_at=aware(now))
        if checksum is not None:
            row["checksum"] = checksum
        if error is not None:
            row["last_error"] = error[:MAX_ERROR_CHARS]

    async def resize(self, refund_id: int, amount: Money, now: datetime) -> None:
        tables = await self._access.step(write=True)
        row = tables.refunds.get(refund_id)
        if row is not None:
            check(amount.amount > 0, "amount")
            row.update(amount=amount.amount, updated_at=aware(now))


def _unique_cancellation(tables: Tables, cancellation_id: str) -> None:
    if any(r["cancellation_id"] == cancellation_id for r in tables.refunds.values()):
        raise Conflict(f"UNIQUE constraint failed: refunds.cancellation_id {cancellation_id}")


def _insert(tables: Tables, values: Row, now: datetime) -> int:
    tables.require("orders", values["order_id"])
    check(values["amount"] > 0, "amount")
    refund_id = tables.new_id("refunds")
    tables.refunds[refund_id] = {**values, "id": refund_id, "created_at": aware(now),
                                 "updated_at": aware(now)}  # fmt: skip
    return refund_id


def _clip(value: str | None, size: int) -> str | None:
    return value[:size] if value else None


class InMemoryInbox:
    """``WebhookInbox`` over dicts."""

    def __init__(self, access: Access) -> None:
        self._access = access

    async def add(self, delivery: Delivery, *, outcome: str | None = None) -> int:
        tables = await self._access.step(write=True)
        inbox_id = tables.new_id("webhook_inbox")
        tables.webhook_inbox[inbox_id] = {
            "id": inbox_id, "received_at": aware(delivery.received_at),
            "source_ip": delivery.source_ip[:45], "headers": as_json(dict(delivery.headers)),
            "body": bytes(delivery.body), "imp_uid": _clip(delivery.imp_uid, 32),
            "merchant_uid": _clip(delivery.merchant_uid, 40),
            "status": _clip(delivery.status, 16), "outcome": outcome, "error": None,
            "processed_at": aware(delivery.received_at) if outcome else None,
        }  # fmt: skip
        return inbox_id

    async def get(self, inbox_id: int) -> InboxRecord | None:
        tables = await self._access.step()
        row = tables.webhook_inbox.get(inbox_id)
        return InboxRecord.from_row(FakeRow(row)) if row else None  # type: ignore[arg-type]

    async def of_payment(self, imp_uid: str) -> list[InboxRecord]:
        tables = await self._access.step()
        rows = tables.webhook_inbox
        return [InboxRecord.from_row(FakeRow(rows[i]))  # type: ignore[arg-type]
                for i in sorted(rows) if rows[i]["imp_uid"] == imp_uid]  # fmt: skip

    async def finish(self, inbox_id: int, outcome: str, now: datetime) -> None:
        tables = await self._access.step(write=True)
        row = tables.webhook_inbox.get(inbox_id)
        if row is not None:
            row.update(processed_at=aware(now), outcome=outcome, error=None)

    async def note(self, inbox_id: int, error: str) -> None:
        tables = await self._access.step(write=True)
        row = tables.webhook_inbox.get(inbox_id)
        if row is not None:
            row["error"] = error[:MAX_ERROR_CHARS]
