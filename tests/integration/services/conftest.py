"""Database fixtures (both backends) for the services run on a real store."""

from tests.support.db import any_store, database, database_url, postgres_database, sqlite_template

__all__ = ["any_store", "database", "database_url", "postgres_database", "sqlite_template"]
