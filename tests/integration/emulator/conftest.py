"""Fixtures shared by the emulator's delivery and Confirm Process tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.receiver import Receiver
from tests.support.servers import serve


@pytest.fixture(scope="module")
def receiver_server() -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver()
    with serve(receiver.app) as url:
        yield receiver, url


@pytest.fixture
def merchant(receiver_server: tuple[Receiver, str]) -> Iterator[tuple[Receiver, str]]:
    receiver, url = receiver_server
    receiver.reset()
    yield receiver, url
    receiver.reset()
