"""Alembic migrations of the merchant server's schema (SQLite and PostgreSQL)."""
