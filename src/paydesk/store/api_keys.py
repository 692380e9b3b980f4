"""The merchant API keys table: names, public prefixes, digests and scopes — never a key.

A key is found by its prefix; whether the caller holds it is decided by
comparing digests (``core.api_keys``). Revoking keeps the row, so a list shows
when a key stopped working.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..core.api_keys import Scope, parse_scopes
from .tables import api_keys

__all__ = ["ApiKeyRecord", "ApiKeyRepository"]


@dataclass(frozen=True)
class ApiKeyRecord:
    """A stored key, without anything that could be used to call us."""

    id: int
    name: str
    prefix: str
    scopes: frozenset[Scope]
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    digest: str = field(default="", repr=False)  # of a 256-bit secret: harmless, still not shown

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def from_row(cls, row: Row[Any]) -> ApiKeyRecord:
        m = row._mapping
        return cls(
            id=m["id"], name=m["name"], prefix=m["prefix"], scopes=parse_scopes(m["scopes"]),
            created_at=m["created_at"], revoked_at=m["revoked_at"],
            last_used_at=m["last_used_at"], digest=m["digest"],
        )  # fmt: skip


def _scope_text(scopes: Iterable[Scope]) -> str:
    return " ".join(sorted(s.value for s in scopes))


class ApiKeyRepository:
    """API keys, inside the caller's transaction."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def add(
        self, *, name: str, prefix: str, digest: str, scopes: Iterable[Scope], now: datetime
    ) -> ApiKeyRecord:
        values = {"name": name, "prefix": prefix, "digest": digest,
                  "scopes": _scope_text(scopes), "created_at": now}  # fmt: skip
        row = (await self._db.execute(insert(api_keys).values(values).returning(api_keys))).one()
        return ApiKeyRecord.from_row(row)

    async def by_prefix(self, prefix: str) -> ApiKeyRecord | None:
        row = (await self._db.execute(select(api_keys).where(api_keys.c.prefix == prefix))).first()
        return ApiKeyRecord.from_row(row) if row else None

    async def get(self, key_id: int) -> ApiKeyRecord | None:
        row = (await self._db.execute(select(api_keys).where(api_keys.c.id == key_id))).first()
        return ApiKeyRecord.from_row(row) if row else None

    async def listing(self) -> list[ApiKeyRecord]:
        query = select(api_keys).order_by(api_keys.c.id)
        return [ApiKeyRecord.from_row(r) for r in await self._db.execute(query)]

    async def revoke(self, key_id: int, now: datetime) -> None:
        """Mark a key revoked (a key revoked before keeps its first revocation time)."""
        statement = update(api_keys).where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
        await self._db.execute(statement.values(revoked_at=now))

    async def used(self, key_id: int, now: datetime) -> None:
        statement = update(api_keys).where(api_keys.c.id == key_id)
        await self._db.execute(statement.values(last_used_at=now))
