"""``/healthz`` and ``/readyz``, and the doctor's database check, on databases of each backend
that are migrated, behind, never migrated or unreachable."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from paydesk.bootstrap import build_doctor
from paydesk.core.launch_checklist import Status
from paydesk.iamport import AsyncIamport, RetryPolicy
from paydesk.settings import Settings
from paydesk.store import async_url
from paydesk.store.migrate import head, upgrade
from tests.support.db import POSTGRES_ENV, _admin, in_thread, run_async
from tests.support.servers import free_port

from .shop import UNUSED_IAMPORT_SETTINGS, merchant_server

pytestmark = pytest.mark.asyncio

STATES = ["head", "behind", "never", "unreachable"]
BACKENDS = [pytest.param("sqlite", id="sqlite"),
            pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)]  # fmt: skip


def _migrate(url: str, state: str) -> None:
    if state == "head":
        in_thread(upgrade, url)
    elif state == "behind":
        in_thread(upgrade, url, "0008")


@pytest.fixture(params=STATES)
def state(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=BACKENDS)
def schema_url(request: pytest.FixtureRequest, state: str, tmp_path: Path) -> Iterator[str]:
    """A database of each backend in ``state``."""
    if request.param == "sqlite":
        folder = tmp_path / ("missing/folder" if state == "unreachable" else "")
        url = f"sqlite+aiosqlite:///{folder / 'paydesk.db'}"
        _migrate(url, state)
        yield url
        return
    import os

    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set: PostgreSQL tests skipped")
    if state == "unreachable":
        yield make_url(async_url(base)).set(port=free_port()).render_as_string(hide_password=False)
        return
    name = f"paydesk_ops_{uuid.uuid4().hex[:12]}"
    run_async(lambda: _admin(base, f'CREATE DATABASE "{name}"'))
    url = make_url(async_url(base)).set(database=name).render_as_string(hide_password=False)
    try:
        _migrate(url, state)
        yield url
    finally:
        run_async(lambda: _admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def test_healthz_always_and_readyz_only_at_head(schema_url: str, state: str) -> None:
    with merchant_server(schema_url) as url:
        async with httpx.AsyncClient(base_url=url, timeout=15) as http:
            alive = await http.get("/healthz")
            ready = await http.get("/readyz")
    assert (alive.status_code, alive.json()) == (200, {"status": "alive"})
    if state == "head":
        assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
        return
    assert ready.status_code == 503
    assert ready.headers["content-type"] == "application/problem+json"
    expected = "unreachable" if state == "unreachable" else "not migrated"
    assert expected in ready.json()["detail"]


async def test_the_doctor_fails_a_database_not_at_head(schema_url: str, state: str) -> None:
    settings = Settings(database_url=schema_url, **UNUSED_IAMPORT_SETTINGS)
    quick = RetryPolicy(attempts=1, base=0.01, cap=0.01, total=1.0)
    client = AsyncIamport("unused", "unused", base_url="http://127.0.0.1:9", retry=quick)
    checker, close = build_doctor(settings, iamport=client)
    try:
        report = await checker.run(production=False)
    finally:
        await close()
    database = next(r for r in report.results if r.item.key == "database")
    expected = {
        "head": (Status.PASS, f"reachable, migrated to {head()}"),
        "behind": (Status.FAIL, f"at revision 0008; the code needs {head()}: run `paydesk db upgrade`"),
        "never": (Status.FAIL, f"never migrated; the code needs {head()}: run `paydesk db upgrade`"),
    }  # fmt: skip
    if state == "unreachable":
        assert database.status is Status.FAIL and database.detail.startswith("unreachable: ")
    else:
        assert (database.status, database.detail) == expected[state]
    assert report.saved is (state == "head")
    if state != "head":
        worker = next(r for r in report.results if r.item.key == "worker")
        assert (worker.status, worker.detail) == (Status.SKIPPED, "needs the database")
    api_keys = next(r for r in report.results if r.item.key == "api_keys")
    assert api_keys.detail == "i'mport unreachable at http://127.0.0.1:9"
