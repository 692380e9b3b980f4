"""Idempotency keys for our own API's writes.

A client that retries a write with the same ``Idempotency-Key`` gets the first
answer again instead of a second effect. The key is stored in the same
transaction as the write it protects, so a crash leaves neither or both; a
concurrent duplicate loses on the unique constraint and reads the winner's answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import idempotency_keys

__all__ = ["IdempotencyRepository", "StoredAnswer"]


@dataclass(frozen=True)
class StoredAnswer:
    """The first answer given for a key, and a hash of the request it answered."""

    request_hash: str
    status_code: int  # 0 while the first request is still at work
    response: Any
    created_at: datetime | None = None


class IdempotencyRepository:
    """Stored answers by (scope, key)."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def get(self, scope: str, key: str) -> StoredAnswer | None:
        query = select(idempotency_keys).where(
            idempotency_keys.c.scope == scope, idempotency_keys.c.key == key
        )
        row = (await self._db.execute(query)).first()
        if row is None:
            return None
        m = row._mapping
        return StoredAnswer(m["request_hash"], m["status_code"], m["response"], m["created_at"])

    async def claim(self, scope: str, key: str, request_hash: str, now: datetime) -> None:
        """Take the key before doing the work; raises ``Conflict`` if it is taken.

        On PostgreSQL a concurrent claim of the same key waits here until the
        first transaction ends, then fails (it committed) or succeeds (it rolled back).
        """
        values = {"scope": scope, "key": key, "request_hash": request_hash, "status_code": 0,
                  "response": {}, "created_at": now}  # fmt: skip
        await self._db.execute(insert(idempotency_keys).values(values))

    async def release(self, scope: str, key: str) -> None:
        """Give up a claim whose work failed (an answered key is kept)."""
        statement = delete(idempotency_keys).where(
            idempotency_keys.c.scope == scope, idempotency_keys.c.key == key,
            idempotency_keys.c.status_code == 0,
        )  # fmt: skip
        await self._db.execute(statement)

    async def retake(self, scope: str, key: str, before: datetime, now: datetime) -> bool:
        """Take over a claim made before ``before`` and never answered (its holder died)."""
        statement = (
            update(idempotency_keys)
            .where(idempotency_keys.c.scope == scope, idempotency_keys.c.key == key,
                   idempotency_keys.c.status_code == 0, idempotency_keys.c.created_at < before)
            .values(created_at=now)
        )  # fmt: skip
        return bool((await self._db.execute(statement)).rowcount == 1)

    async def answer(self, scope: str, key: str, status_code: int, response: Any) -> None:
        """Record the answer of a claimed key."""
        statement = update(idempotency_keys).where(
            idempotency_keys.c.scope == scope, idempotency_keys.c.key == key
        )
        await self._db.execute(statement.values(status_code=status_code, response=response))
