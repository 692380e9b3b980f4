"""The call journal (``gateway_calls``): every exchange with i'mport and how it ended.

Written in batches by ``services.call_journal`` (never inside a payment's
transaction), read by the order timeline (by imp_uid or merchant_uid), and
pruned by the worker after the retention period.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import gateway_calls

__all__ = ["MAX_MESSAGE_CHARS", "GatewayCall", "GatewayCallLog", "NewGatewayCall"]

MAX_MESSAGE_CHARS = 500
_SIZES = {"operation": 64, "method": 8, "path": 255, "imp_uid": 32, "merchant_uid": 40,
          "customer_uid": 80, "outcome": 12, "error": 40}  # fmt: skip


@dataclass(frozen=True)
class NewGatewayCall:
    """A call to record (``outcome``: ok | rejected | not_sent | unknown)."""

    at: datetime
    operation: str
    method: str
    path: str
    outcome: str
    imp_uid: str | None = None
    merchant_uid: str | None = None
    customer_uid: str | None = None
    code: int | None = None
    message: str | None = None
    error: str | None = None
    http_status: int | None = None
    duration_ms: int = 0
    attempts: int = 1

    def values(self) -> dict[str, Any]:
        values = asdict(self)
        for name, size in _SIZES.items():
            if values[name] is not None:
                values[name] = values[name][:size]
        if self.message is not None:
            values["message"] = self.message[:MAX_MESSAGE_CHARS]
        return values


@dataclass(frozen=True)
class GatewayCall(NewGatewayCall):
    """A recorded call."""

    id: int = 0

    @classmethod
    def from_row(cls, row: Any) -> GatewayCall:
        return cls(**dict(row._mapping))


class GatewayCallLog:
    """The journal, inside the caller's transaction."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def add_many(self, calls: Sequence[NewGatewayCall]) -> None:
        """Record ``calls`` (one round trip)."""
        if calls:
            await self._db.execute(insert(gateway_calls), [call.values() for call in calls])

    async def about(
        self,
        imp_uids: Iterable[str] = (),
        merchant_uids: Iterable[str] = (),
        *,
        limit: int = 500,
    ) -> list[GatewayCall]:
        """Calls naming any of these payments or orders, oldest first (at most ``limit``)."""
        imp, merchant = sorted(set(imp_uids)), sorted(set(merchant_uids))
        if not imp and not merchant:
            return []
        naming = or_(gateway_calls.c.imp_uid.in_(imp), gateway_calls.c.merchant_uid.in_(merchant))
        query = (
            select(gateway_calls)
            .where(naming)
            .order_by(gateway_calls.c.at, gateway_calls.c.id)
            .limit(limit)
        )
        return [GatewayCall.from_row(row) for row in await self._db.execute(query)]

    async def prune(self, before: datetime) -> int:
        """Delete the calls recorded before ``before``; how many were deleted."""
        statement = delete(gateway_calls).where(gateway_calls.c.at < before)
        return int((await self._db.execute(statement)).rowcount or 0)
