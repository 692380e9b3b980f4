"""Fixtures for the worker tests: migrated databases of both backends."""

from tests.support.db import database, database_url, postgres_database, sqlite_template

__all__ = ["database", "database_url", "postgres_database", "sqlite_template"]
