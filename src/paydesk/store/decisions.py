"""Confirm decisions, keyed by ``imp_uid`` so a replayed confirm gets the same answer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ..core.confirm import Decision
from .dialects import insert_or_ignore
from .records import DecisionRecord
from .tables import confirm_decisions

__all__ = ["DecisionRepository", "NewDecision"]


@dataclass(frozen=True)
class NewDecision:
    """A decision about to be stored, with the request that led to it."""

    decision: Decision
    merchant_uid: str
    order_id: int | None
    request: Mapping[str, Any]

    def values(self, now: datetime) -> dict[str, Any]:
        refusal = self.decision.refusal
        return {
            "imp_uid": self.decision.imp_uid, "merchant_uid": self.merchant_uid,
            "order_id": self.order_id, "approved": refusal is None,
            "reason": refusal.value if refusal else None, "request": dict(self.request),
            "decided_at": now,
        }  # fmt: skip


class DecisionRepository:
    """Stored confirm decisions."""

    def __init__(self, connection: AsyncConnection, dialect: str) -> None:
        self._db = connection
        self._dialect = dialect

    async def get(self, imp_uid: str) -> DecisionRecord | None:
        found = await self.many([imp_uid])
        return found.get(imp_uid)

    async def many(self, imp_uids: Iterable[str]) -> dict[str, DecisionRecord]:
        query = select(confirm_decisions).where(confirm_decisions.c.imp_uid.in_(set(imp_uids)))
        return {
            r._mapping["imp_uid"]: DecisionRecord.from_row(r) for r in await self._db.execute(query)
        }

    async def add_many(self, decisions: Iterable[NewDecision], now: datetime) -> None:
        """Insert decisions the caller knows are new (it holds the locks that make it so)."""
        rows = [d.values(now) for d in decisions]
        if rows:
            await self._db.execute(insert(confirm_decisions), rows)

    async def add_first(self, decision: NewDecision, now: datetime) -> DecisionRecord:
        """Store ``decision`` unless one exists for its imp_uid; return whichever is stored."""
        statement = insert_or_ignore(confirm_decisions, self._dialect)
        await self._db.execute(statement.values(decision.values(now)))
        stored = await self.get(decision.decision.imp_uid)
        if stored is None:
            raise RuntimeError("a confirm decision vanished right after it was written")
        return stored
