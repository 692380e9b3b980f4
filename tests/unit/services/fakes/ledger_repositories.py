"""In-memory payments, refunds and webhook inbox: ``PaymentBook``, ``RefundBook``, ``WebhookInbox``.

``RefundBook.book`` and ``owe`` carry rules (settle an open refund of ours by
amount, else book an external one; never owe twice); they are restated here
and the contract test (``tests/integration/store/test_fake_store_contract.py``)
holds both versions to the same scenarios.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from paydesk.core.money import Money
from paydesk.core.outcomes import Cancellation
from paydesk.core.refund_lifecycle import RefundState
from paydesk.store import Conflict
from paydesk.store.inbox import Delivery
from paydesk.store.ledger_records import (
    AttemptRecord,
    InboxRecord,
    PaymentRecord,
    PaymentState,
    RefundRecord,
)
from paydesk.store.payment_book import PaymentQuery
from paydesk.store.refund_book import MAX_ERROR_CHARS, OPEN_STATES, NewRefund

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

    async def put_many(
        self, rows: Sequence[tuple[Mapping[str, Any], int | None]], now: datetime
    ) -> None:
        for columns, order_id in rows:
            await self.put(columns, order_id, now)

    async def get(self, imp_uid: str) -> PaymentRecord | None:
        tables = await self._access.step()
        row = tables.payments.get(imp_uid)
        return _payment(row) if row else None

    async def many(self, imp_uids: Iterable[str]) -> dict[str, PaymentRecord]:
        tables = await self._access.step()
        return {u: _payment(tables.payments[u]) for u in set(imp_uids) if u in tables.payments}

    async def states(self, imp_uids: Iterable[str]) -> dict[str, PaymentState]:
        found = await self.many(imp_uids)
        return {u: PaymentState(p.status, p.cancelled, p.cancellations) for u, p in found.items()}

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
    """``RefundBook`` over dicts: refunds of ours, their attempts, cancellations i'mport reported."""

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

    async def open_ones(self, limit: int = 500) -> list[RefundRecord]:
        tables = await self._access.step()
        return [_refund(tables.refunds[i]) for i in sorted(tables.refunds)
                if tables.refunds[i]["state"] in OPEN_STATES][:limit]  # fmt: skip

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
        waiting = [r for r in rows if r.state in _IN_FLIGHT and r.cancellation_id is None]
        booked = []
        for entry in cancellations:
            if entry.cancellation_id in known:
                continue
            _unique_cancellation(tables, entry.cancellation_id)
            match = next((r for r in waiting if r.amount == entry.amount), None)
            if match is not None:
                waiting.remove(match)
                tables.refunds[match.id].update(
                    cancellation_id=entry.cancellation_id, state="succeeded", last_error=None,
                    updated_at=aware(now), **_NO_ACCOUNT,
                )  # fmt: skip
            else:
                _insert(tables, {
                    **_BLANK, "order_id": order_id, "imp_uid": imp_uid,
                    "amount": entry.amount.amount, "currency": entry.amount.currency,
                    "reason": _EXTERNAL_REASON, "state": "succeeded", "origin": "external",
                    "cancellation_id": entry.cancellation_id,
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
        return await self.add(NewRefund(order_id, imp_uid, amount, reason, "auto"), now)

    async def add(self, refund: NewRefund, now: datetime) -> int:
        tables = await self._access.step(write=True)
        values = {**_BLANK, **refund.values(now)}
        return _insert(tables, values, now)

    async def move(
        self,
        refund_id: int,
        before: Iterable[RefundState],
        after: RefundState,
        now: datetime,
        **values: Any,
    ) -> bool:
        tables = await self._access.step(write=True)
        row = tables.refunds.get(refund_id)
        if row is None or row["state"] not in {s.value for s in before}:
            return False
        if values.get("last_error") is not None:
            values["last_error"] = str(values["last_error"])[:MAX_ERROR_CHARS]
        if after.value in ("succeeded", "failed"):
            values = {**values, **_NO_ACCOUNT}
        if "amount" in values:
            check(values["amount"] > 0, "amount")
        if values.get("cancellation_id"):
            _unique_cancellation(tables, values["cancellation_id"])
        row.update(state=after.value, updated_at=aware(now), **values)
        return True

    async def start_attempt(
        self, refund: RefundRecord, amount: Money, checksum: Money, request: Mapping[str, Any],
        now: datetime,
    ) -> int:  # fmt: skip
        tables = await self._access.step(write=True)
        tables.require("refunds", refund.id)
        number = refund.attempts + 1
        if any(a["refund_id"] == refund.id and a["number"] == number
               for a in tables.refund_attempts.values()):  # fmt: skip
            raise Conflict("UNIQUE constraint failed: refund_attempts.refund_id, number")
        attempt_id = tables.new_id("refund_attempts")
        tables.refund_attempts[attempt_id] = {
            "id": attempt_id, "refund_id": refund.id, "number": number, "amount": amount.amount,
            "checksum": checksum.amount, "request": as_json(dict(request)), "response": None,
            "classification": None, "error": None, "started_at": aware(now), "finished_at": None,
        }  # fmt: skip
        tables.refunds[refund.id]["attempts"] += 1
        return attempt_id

    async def finish_attempt(
        self,
        attempt_id: int,
        classification: str,
        now: datetime,
        *,
        response: Mapping[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        tables = await self._access.step(write=True)
        row = tables.refund_attempts.get(attempt_id)
        if row is None or row["finished_at"] is not None:
            return
        row.update(classification=classification, finished_at=aware(now),
                   response=as_json(dict(response)) if response is not None else None,
                   error=error[:MAX_ERROR_CHARS] if error else None)  # fmt: skip

    async def attempts_of(self, refund: RefundRecord) -> list[AttemptRecord]:
        tables = await self._access.step()
        rows = sorted((a for a in tables.refund_attempts.values() if a["refund_id"] == refund.id),
                      key=lambda a: a["number"])  # fmt: skip
        return [AttemptRecord.from_row(FakeRow(a), refund.amount.currency)  # type: ignore[arg-type]
                for a in rows]  # fmt: skip


_IN_FLIGHT = ("sending", "unknown")
_NO_ACCOUNT = {"refund_holder": None, "refund_bank": None, "refund_account": None,
               "refund_tel": None}  # fmt: skip
_BLANK: Row = {
    "checksum": None, "cancellation_id": None, "last_error": None, "tax_free": None,
    "vat_amount": None, **_NO_ACCOUNT, "requested_by": None, "attempts": 0,
}  # fmt: skip


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
            "body_size": len(delivery.body) if delivery.body_size is None else delivery.body_size,
        }  # fmt: skip
        return inbox_id

    async def add_many(self, items: Sequence[tuple[Delivery, str | None]]) -> list[int]:
        return [await self.add(delivery, outcome=outcome) for delivery, outcome in items]

    async def get(self, inbox_id: int) -> InboxRecord | None:
        tables = await self._access.step()
        row = tables.webhook_inbox.get(inbox_id)
        return InboxRecord.from_row(FakeRow(row)) if row else None  # type: ignore[arg-type]

    async def of_payment(self, imp_uid: str) -> list[InboxRecord]:
        tables = await self._access.step()
        rows = tables.webhook_inbox
        return [InboxRecord.from_row(FakeRow(rows[i]))  # type: ignore[arg-type]
                for i in sorted(rows) if rows[i]["imp_uid"] == imp_uid]  # fmt: skip

    async def failed(self, *, limit: int = 500) -> list[InboxRecord]:
        tables = await self._access.step()
        rows = tables.webhook_inbox
        return [InboxRecord.from_row(FakeRow(rows[i]))  # type: ignore[arg-type]
                for i in sorted(rows)
                if rows[i]["outcome"] is None or rows[i]["error"] is not None][:limit]  # fmt: skip

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
