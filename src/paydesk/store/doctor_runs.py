"""The ``doctor_runs`` table: each ``paydesk doctor`` run, with every item's result as JSON.

The admin console's launch-checklist page shows the newest run and its time; the
results are stored as the doctor reported them (``DoctorReport.to_json``), so the
page needs no knowledge of how each check was made.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import doctor_runs

__all__ = ["DoctorRunBook", "DoctorRunRecord"]


@dataclass(frozen=True)
class DoctorRunRecord:
    """One stored doctor run."""

    id: int
    ran_at: datetime
    production: bool
    status: str
    results: list[dict[str, Any]]

    @classmethod
    def from_row(cls, row: Any) -> DoctorRunRecord:
        m = row._mapping
        return cls(id=m["id"], ran_at=m["ran_at"], production=bool(m["production"]),
                   status=m["status"], results=list(m["results"]))  # fmt: skip


class DoctorRunBook:
    """Doctor runs, inside the caller's transaction."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def add(
        self,
        ran_at: datetime,
        production: bool,
        status: str,
        results: Sequence[Mapping[str, Any]],
    ) -> int:
        """Store a run; returns its id."""
        values = {"ran_at": ran_at, "production": production, "status": status[:8],
                  "results": [dict(result) for result in results]}  # fmt: skip
        result = await self._db.execute(
            insert(doctor_runs).values(values).returning(doctor_runs.c.id)
        )
        return int(result.scalar_one())

    async def last(self) -> DoctorRunRecord | None:
        """The newest run, or None if the doctor never ran."""
        query = select(doctor_runs).order_by(doctor_runs.c.ran_at.desc(), doctor_runs.c.id.desc())
        row = (await self._db.execute(query.limit(1))).first()
        return DoctorRunRecord.from_row(row) if row else None
