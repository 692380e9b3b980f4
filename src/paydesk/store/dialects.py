"""The few statements whose spelling differs between SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

__all__ = ["insert_or_ignore"]


def insert_or_ignore(table: Table, dialect: str) -> Insert:
    """``INSERT ... ON CONFLICT DO NOTHING``: the first writer of a unique key wins."""
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()
