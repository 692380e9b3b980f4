"""Fixtures for the security tests: migrated databases of both backends."""

from __future__ import annotations

from tests.support.db import database, database_url, postgres_database, sqlite_template

__all__ = ["database", "database_url", "postgres_database", "sqlite_template"]
