"""Fixtures for the merchant-server tests: databases of both backends, orders via the emulator."""

from __future__ import annotations

import pytest

from tests.support.db import database, database_url, postgres_database, sqlite_template

from .shop import EmulatorRegistrar

__all__ = ["database", "database_url", "postgres_database", "registrar", "sqlite_template"]


@pytest.fixture
def registrar(emulator_url: str) -> EmulatorRegistrar:
    return EmulatorRegistrar(emulator_url)
