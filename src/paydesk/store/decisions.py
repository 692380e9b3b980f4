"""Confirm decisions, keyed by ``imp_uid`` so a replayed confirm gets the same answer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from ..core.confirm import Decision
from .driver import KeyedRead, insert, read
from .records import DecisionRecord
from .tables import confirm_decisions

__all__ = ["DecisionRepository", "NewDecision"]

#: Read through the driver (``store.driver``): the confirm looks its calls up on every batch.
_BY_IMP_UID = KeyedRead(tuple(confirm_decisions.c), confirm_decisions.c.imp_uid)


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

    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def get(self, imp_uid: str) -> DecisionRecord | None:
        found = await self.many([imp_uid])
        return found.get(imp_uid)

    async def many(self, imp_uids: Iterable[str]) -> dict[str, DecisionRecord]:
        rows = await read(self._db, _BY_IMP_UID, list(set(imp_uids)))
        return {r.imp_uid: DecisionRecord.from_row(r) for r in rows}

    async def add_new(self, decisions: Iterable[NewDecision], now: datetime) -> set[str]:
        """Insert decisions; one whose imp_uid is already decided keeps the first decision.

        Returns the imp_uids inserted now (the others were decided by another writer).
        """
        rows = [d.values(now) for d in decisions]
        if not rows:
            return set()
        inserted = await insert(self._db, confirm_decisions, rows, ignore_conflicts=True,
                                returning=confirm_decisions.c.imp_uid)  # fmt: skip
        return set(inserted)
