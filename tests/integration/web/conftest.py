"""Fixtures for the merchant-server tests: databases of both backends, orders via the emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from tests.support.db import database, database_url, postgres_database, sqlite_template
from tests.support.emulator import EmulatorClient

from .shop import EmulatorRegistrar

__all__ = ["database", "database_url", "postgres_database", "registrar", "sqlite_template"]


@pytest_asyncio.fixture
async def registrar(emu: EmulatorClient) -> AsyncIterator[EmulatorRegistrar]:
    """Amounts registered with the (freshly reset) emulator's ``POST /payments/prepare``."""
    registrar = await EmulatorRegistrar.connect(emu.base_url)
    try:
        yield registrar
    finally:
        await registrar.close()
