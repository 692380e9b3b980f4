"""Shared fixtures: a real emulator on a real socket, reset before every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from paydesk.bootstrap import build_emulator
from tests.support.emulator import EmulatorClient
from tests.support.servers import serve


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
