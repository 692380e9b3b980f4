"""Shared fixtures: a real emulator on a real socket, reset before every test."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from paydesk.bootstrap import build_emulator
from tests.support.emulator import EmulatorClient
from tests.support.servers import serve
from tests.support.window_http import WindowClient


@pytest.fixture(scope="session")
def emulator_url() -> Iterator[str]:
    with serve(build_emulator()) as url:
        yield url


@pytest.fixture
def emu(emulator_url: str) -> Iterator[EmulatorClient]:
    client = EmulatorClient(emulator_url)
    client.reset()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def window(emulator_url: str) -> Iterator[WindowClient]:
    """Drives the emulator's payment window over plain HTTP (no browser)."""
    client = WindowClient(emulator_url)
    yield client
    client.close()


_REQUIRED = {"postgres": "PAYDESK_REQUIRE_POSTGRES", "browser": "PAYDESK_REQUIRE_BROWSER"}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """In CI (``PAYDESK_REQUIRE_*`` set), a skipped PostgreSQL or browser test fails."""
    outcome = yield
    report = outcome.get_result()
    if not report.skipped:
        return
    for marker, variable in _REQUIRED.items():
        if item.get_closest_marker(marker) and os.environ.get(variable):
            report.outcome = "failed"
            report.longrepr = f"{marker} test skipped but {variable} is set: {report.longrepr}"
