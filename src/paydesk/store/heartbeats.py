"""The ``worker_heartbeats`` table: which worker processes are alive, by their last beat.

Each worker process beats every few seconds (``jobs.worker``): its row, keyed by
the name it claims jobs under (``role:host:pid``), gets a fresh ``seen_at``. A
clean stop sets ``stopped_at``; a killed worker just stops beating. Whoever asks
"is a worker alive?" (``paydesk doctor``) reads the newest beats.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .dialects import insert_or_ignore
from .tables import worker_heartbeats

__all__ = ["Heartbeat", "HeartbeatBook"]


@dataclass(frozen=True)
class Heartbeat:
    """A worker process and when it was last seen."""

    name: str
    role: str
    host: str
    pid: int
    started_at: datetime
    seen_at: datetime
    stopped_at: datetime | None = None

    @classmethod
    def from_row(cls, row: Any) -> Heartbeat:
        m = row._mapping
        return cls(name=m["name"], role=m["role"], host=m["host"], pid=m["pid"],
                   started_at=m["started_at"], seen_at=m["seen_at"],
                   stopped_at=m["stopped_at"])  # fmt: skip


class HeartbeatBook:
    """Worker heartbeats, inside the caller's transaction."""

    def __init__(self, connection: AsyncConnection, dialect: str) -> None:
        self._db = connection
        self._dialect = dialect

    async def beat(self, name: str, role: str, host: str, pid: int, now: datetime) -> None:
        """Record that worker ``name`` is alive now (its first beat also records its start)."""
        values = {"name": name[:64], "role": role[:16], "host": host[:64], "pid": pid,
                  "started_at": now, "seen_at": now, "stopped_at": None}  # fmt: skip
        await self._db.execute(insert_or_ignore(worker_heartbeats, self._dialect).values(values))
        await self._db.execute(
            update(worker_heartbeats)
            .where(worker_heartbeats.c.name == name[:64])
            .values(seen_at=now, stopped_at=None)
        )

    async def stopped(self, name: str, now: datetime) -> None:
        """Record that worker ``name`` stopped cleanly."""
        await self._db.execute(
            update(worker_heartbeats)
            .where(worker_heartbeats.c.name == name[:64])
            .values(seen_at=now, stopped_at=now)
        )

    async def latest(self, role: str | None = None, *, limit: int = 20) -> list[Heartbeat]:
        """The most recently seen workers (of ``role``), newest first."""
        query = select(worker_heartbeats)
        if role is not None:
            query = query.where(worker_heartbeats.c.role == role)
        query = query.order_by(worker_heartbeats.c.seen_at.desc()).limit(limit)
        rows = await self._db.execute(query)
        return [Heartbeat.from_row(row) for row in rows]
