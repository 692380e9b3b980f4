"""Which schema revision a database is at, read from Alembic's own ``alembic_version`` table.

Asked by ``/readyz`` and ``paydesk doctor``: a database that answers but was not
migrated (no ``alembic_version``, or an older revision than the code's head) is
not ready. The head itself comes from the shipped migrations (``migrate.head``).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["SchemaInfo"]


class SchemaInfo:
    """The schema revision, inside the caller's transaction."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def revision(self) -> str | None:
        """The revision the database was migrated to; None if it never was.

        Reading a missing ``alembic_version`` table fails the statement; on
        PostgreSQL that also aborts the transaction, so it is read inside a savepoint.
        """
        try:
            async with self._db.begin_nested():
                rows = (
                    await self._db.execute(text("SELECT version_num FROM alembic_version"))
                ).all()
        except DBAPIError:
            return None
        versions = sorted(str(row[0]) for row in rows)
        return versions[-1] if versions else None
