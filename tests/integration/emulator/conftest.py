"""Fixtures shared by the emulator's delivery and Confirm Process tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.emulator import DEMO_CODE, EmulatorClient
from tests.support.receiver import Receiver
from tests.support.servers import serve


@pytest.fixture(scope="module")
def receiver_server() -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver()
    with serve(receiver.app) as url:
        yield receiver, url


@pytest.fixture
def merchant(
    receiver_server: tuple[Receiver, str], emu: EmulatorClient
) -> Iterator[tuple[Receiver, str]]:
    """A receiver standing in for the merchant; the demo merchant delivers to it ``once``.

    The demo merchant's default delivery is ``realistic`` (random copies and
    jitter); these tests count what arrives, so they pin the deterministic preset
    and put the default back afterwards.
    """
    receiver, url = receiver_server
    receiver.reset()
    emu.control("PUT", f"/merchants/{DEMO_CODE}/settings", json={"delivery": "once"})
    yield receiver, url
    emu.control("PUT", f"/merchants/{DEMO_CODE}/settings", json={"delivery": "realistic"})
    receiver.reset()
