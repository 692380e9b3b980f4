"""Access tokens over real HTTP: single-flight refresh, deadlines from the server's
clock difference (whatever the local clock says), and exactly one resend after a 401."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from paydesk.iamport import Iamport, Unauthorized
from tests.integration.client.conftest import Clients, Recorder, async_client, sync_client
from tests.support.emulator import DEMO_KEY, EmulatorClient


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, start: float) -> None:
        self.value = start

    def __call__(self) -> float:
        return self.value

    def advance(self, seconds: float) -> None:
        self.value += seconds


def test_twenty_threads_cause_exactly_one_get_token(
    emu: EmulatorClient, recorder: Recorder
) -> None:
    emu.fault(path="/users/getToken", kind="latency", delay=0.3)  # widen the race
    client = sync_client(emu.base_url, recorder)
    barrier = threading.Barrier(20)
    results: list[Any] = []

    def work() -> None:
        barrier.wait()
        results.append(client.pg_settings())

    threads = [threading.Thread(target=work) for _ in range(20)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        client._http.close()
    assert len(results) == 20 and all(results)
    assert recorder.token_calls == 1
    assert recorder.count("GET", "/users/pg") == 20


@pytest.mark.asyncio
async def test_fifty_tasks_cause_exactly_one_get_token(
    emu: EmulatorClient, recorder: Recorder
) -> None:
    emu.fault(path="/users/getToken", kind="latency", delay=0.3)
    client = async_client(emu.base_url, recorder)
    try:
        results = await asyncio.gather(*(client.pg_settings() for _ in range(50)))
    finally:
        await client._http.aclose()
    assert len(results) == 50 and all(results)
    assert recorder.token_calls == 1
    assert recorder.count("GET", "/users/pg") == 50


def test_token_is_reused_then_refreshed_from_the_computed_deadline(
    emu: EmulatorClient, clients: Clients, recorder: Recorder
) -> None:
    clock = FakeClock(time.monotonic())
    api = clients.make(clock=clock)
    api.pg_settings()
    clock.advance(1000)
    api.pg_settings()
    assert recorder.token_calls == 1
    emu.advance(1801)  # the token has expired at i'mport...
    clock.advance(801)  # ...and the client's deadline says so too
    api.pg_settings()
    assert recorder.token_calls == 2
    assert 401 not in recorder.statuses("/users/pg")  # refreshed before, not after a 401


@pytest.mark.parametrize("offset", [-6 * 3600.0, 9 * 3600.0, 1e9])
def test_a_client_clock_hours_off_still_refreshes_on_time(
    emu: EmulatorClient, clients: Clients, recorder: Recorder, offset: float
) -> None:
    clock = FakeClock(time.monotonic() + offset)
    api = clients.make(clock=clock)
    for _ in range(3):
        api.pg_settings()
    assert recorder.token_calls == 1
    clock.advance(1800 - 61)  # 61 s left: still outside the 60 s margin
    api.pg_settings()
    assert recorder.token_calls == 1
    clock.advance(2)  # 59 s left: refresh before it runs out
    api.pg_settings()
    assert recorder.token_calls == 2
    assert 401 not in recorder.statuses("/users/pg")


def test_reset_invalidates_the_token_and_one_resend_succeeds(
    emu: EmulatorClient, clients: Clients, recorder: Recorder
) -> None:
    api = clients.make()
    api.pg_settings()
    emu.reset()  # i'mport forgets the token
    assert api.pg_settings()
    assert recorder.statuses("/users/pg") == [200, 401, 200]
    assert recorder.token_calls == 2


def test_expired_token_by_server_clock_only_gets_one_401(
    emu: EmulatorClient, clients: Clients, recorder: Recorder
) -> None:
    api = clients.make()
    api.pg_settings()
    emu.advance(1801)  # the client's clock did not move: it still trusts its token
    api.pg_settings()
    assert recorder.statuses("/users/pg") == [200, 401, 200]


def test_a_second_401_is_raised_after_exactly_one_resend(
    emu: EmulatorClient, clients: Clients, recorder: Recorder
) -> None:
    api = clients.make()
    emu.fault(path="/users/pg", kind="error", status=401, times=2)
    with pytest.raises(Unauthorized) as caught:
        api.pg_settings()
    assert caught.value.http_status == 401 and not caught.value.retryable
    assert recorder.statuses("/users/pg") == [401, 401]
    assert recorder.sleeps == []


def test_a_write_refused_with_401_is_resent_once(
    emu: EmulatorClient, clients: Clients, recorder: Recorder
) -> None:
    api = clients.make()
    emu.fault(path="/payments/prepare", method="POST", kind="error", status=401, times=1)
    assert api.prepare("order_401", 5000).amount == 5000
    assert recorder.statuses("/payments/prepare") == [401, 200]


def test_wrong_credentials_are_unauthorized_not_retried(
    emu: EmulatorClient, recorder: Recorder
) -> None:
    api = Iamport(DEMO_KEY, "wrong", base_url=emu.base_url, sleep=recorder.sleep)
    with api, pytest.raises(Unauthorized):
        api.pg_settings()
    assert recorder.sleeps == []
