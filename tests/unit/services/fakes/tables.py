"""The in-memory store's rows: one dict per table, keyed like the real table.

Rows are plain dicts with the real column names, so the real converters
(``ProductRecord.from_row``, ``OrderRecord.from_rows`` ...) read them through
``FakeRow`` and a column rename cannot make the fake and the database disagree
silently. The constraints services can trip (unique keys, foreign keys, the
CHECKs on stock and amounts) raise the store's ``Conflict`` as the database's
do once ``Database`` has translated them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from paydesk.store import Conflict

__all__ = ["Access", "FakeRow", "ReadOnlyTransaction", "Row", "Tables", "as_json", "aware", "check"]

Row = dict[str, Any]


class ReadOnlyTransaction(AssertionError):
    """A repository write inside ``reading()``: a bug in the caller, never silently dropped."""


class FakeRow:
    """What the real converters read: an object with a ``_mapping``."""

    __slots__ = ("_mapping",)

    def __init__(self, mapping: Mapping[str, Any]) -> None:
        self._mapping = mapping


@dataclass
class Tables:
    """Every table of ``store.tables`` that the repositories use."""

    products: dict[int, Row] = field(default_factory=dict)
    orders: dict[int, Row] = field(default_factory=dict)
    order_items: dict[int, Row] = field(default_factory=dict)
    stock_holds: dict[int, Row] = field(default_factory=dict)
    payments: dict[str, Row] = field(default_factory=dict)
    refunds: dict[int, Row] = field(default_factory=dict)
    refund_attempts: dict[int, Row] = field(default_factory=dict)
    webhook_inbox: dict[int, Row] = field(default_factory=dict)
    confirm_decisions: dict[str, Row] = field(default_factory=dict)
    jobs: dict[int, Row] = field(default_factory=dict)
    idempotency_keys: dict[tuple[str, str], Row] = field(default_factory=dict)
    reconciliations: dict[int, Row] = field(default_factory=dict)
    reconciliation_items: dict[int, Row] = field(default_factory=dict)
    cash_receipts: dict[int, Row] = field(default_factory=dict)
    external_receipts: dict[int, Row] = field(default_factory=dict)
    customer_identities: dict[int, Row] = field(default_factory=dict)
    product_age_gates: dict[int, Row] = field(default_factory=dict)
    order_customers: dict[int, Row] = field(default_factory=dict)
    escrow_deliveries: dict[str, Row] = field(default_factory=dict)
    plans: dict[int, Row] = field(default_factory=dict)
    billing_keys: dict[str, Row] = field(default_factory=dict)
    billing_key_issuances: dict[str, Row] = field(default_factory=dict)
    subscriptions: dict[int, Row] = field(default_factory=dict)
    subscription_charges: dict[int, Row] = field(default_factory=dict)
    last_ids: dict[str, int] = field(default_factory=dict)

    def new_id(self, table: str) -> int:
        """The next id of ``table`` (rolled back with the transaction, like SQLite's rowid)."""
        self.last_ids[table] = self.last_ids.get(table, 0) + 1
        return self.last_ids[table]

    def require(self, table: str, key: object) -> None:
        """A foreign key: ``key`` must exist in ``table``."""
        if key is not None and key not in getattr(self, table):
            raise Conflict(f"FOREIGN KEY constraint failed: no {table} row {key!r}")


def check(condition: bool, name: str) -> None:
    """A CHECK constraint of the real schema."""
    if not condition:
        raise Conflict(f"CHECK constraint failed: {name}")


def aware(value: datetime | None) -> datetime | None:
    """What a ``UtcDateTime`` column stores and returns: an aware UTC instant."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not stored; pass an aware UTC instant")
    return value.astimezone(UTC)


def as_json(value: Any) -> Any:
    """What a JSON column gives back: a fresh copy, int keys turned to strings, no datetimes."""
    return json.loads(json.dumps(value))


class Access:
    """How a repository reaches the rows: which tables, and whether it may write.

    Every repository call starts with ``step``, which also yields to the event
    loop once, so concurrent tasks interleave between calls as they would
    between database round trips.
    """

    def __init__(self, tables: Callable[[], Tables], *, writable: bool) -> None:
        self._tables = tables
        self._writable = writable

    async def step(self, *, write: bool = False) -> Tables:
        if write and not self._writable:
            raise ReadOnlyTransaction("a write inside reading(): use transaction()")
        await asyncio.sleep(0)
        return self._tables()
