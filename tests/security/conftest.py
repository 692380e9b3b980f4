"""Fixtures for the security tests: the real server (``build_server``) on a real socket,
over a migrated database of each backend, talking to the emulator as i'mport, with
API keys of every scope made through the real ``ApiKeys`` service.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from paydesk.core.api_keys import Scope
from tests.integration.web.shop import merchant_app
from tests.support.auth import ALL_SCOPES, bearer, create_key
from tests.support.db import database, database_url, postgres_database, sqlite_template
from tests.support.emulator import DEMO_CODE, DEMO_KEY, DEMO_SECRET, EmulatorClient
from tests.support.servers import free_port

__all__ = [
    "Server",
    "database",
    "database_url",
    "postgres_database",
    "server",
    "server_options",
    "sqlite_template",
]


@dataclass
class Server:
    """A running merchant server and keys for it: ``all`` scopes, or just one."""

    url: str
    app: FastAPI
    database_url: str
    keys: dict[str, str]

    def client(self, key: str | None = "all", **headers: str) -> httpx.AsyncClient:
        """A client sending the named key (``None``: no key at all)."""
        sent = {**(bearer(self.keys[key]) if key else {}), **headers}
        return httpx.AsyncClient(base_url=self.url, timeout=30, headers=sent)


@pytest.fixture
def server_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Extra ``Settings`` of the server (parametrize indirectly to change them)."""
    options: dict[str, Any] = getattr(request, "param", {})
    return options


@pytest_asyncio.fixture
async def server(
    database_url: str, emu: EmulatorClient, server_options: dict[str, Any]
) -> AsyncIterator[Server]:
    port = free_port()
    settings = {"iamport_base_url": emu.base_url, "iamport_key": DEMO_KEY,
                "public_base_url": f"http://127.0.0.1:{port}",
                "iamport_secret": DEMO_SECRET, "imp_code": DEMO_CODE, "webhook_allowed_ips": (),
                **server_options}  # fmt: skip
    with merchant_app(database_url, port=port, **settings) as (url, app):
        keys = {"all": await create_key(database_url, ALL_SCOPES, "all")}
        for scope in Scope:
            keys[scope.value] = await create_key(database_url, [scope], scope.value)
        yield Server(url, app, database_url, keys)
