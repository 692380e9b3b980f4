"""Both clients against the real emulator over HTTP, with what they sent recorded.

``api`` runs each contract test twice: once with ``Iamport`` and once with
``AsyncIamport`` (driven to completion on a private event loop by ``Blocking``,
so one test body serves both).  ``recorder`` counts requests and answers
through httpx event hooks on the client's own HTTP client.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from paydesk.iamport import AsyncIamport, Iamport, RetryPolicy
from tests.support.emulator import DEMO_KEY, DEMO_SECRET, EmulatorClient

FAST_RETRY = RetryPolicy(attempts=4, base=0.01, cap=0.05, total=10.0)
TIMEOUT = httpx.Timeout(connect=2.0, read=5.0, write=5.0, pool=2.0)


@dataclass
class Recorder:
    """What went over the wire: ``(method, path)`` per request, and answer statuses."""

    requests: list[tuple[str, str]] = field(default_factory=list)
    answers: list[tuple[str, str, int]] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)
    headers: list[tuple[str, httpx.Headers]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def on_request(self, request: httpx.Request) -> None:
        with self._lock:
            self.requests.append((request.method, request.url.path))
            self.headers.append((request.url.path, request.headers))

    def on_response(self, response: httpx.Response) -> None:
        with self._lock:
            self.answers.append(
                (response.request.method, response.request.url.path, response.status_code)
            )

    async def on_request_async(self, request: httpx.Request) -> None:
        self.on_request(request)

    async def on_response_async(self, response: httpx.Response) -> None:
        self.on_response(response)

    def count(self, method: str, path: str) -> int:
        return sum(1 for m, p in self.requests if m == method and p == path)

    def statuses(self, path: str) -> list[int]:
        return [status for _, p, status in self.answers if p == path]

    @property
    def token_calls(self) -> int:
        return self.count("POST", "/users/getToken")

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    async def sleep_async(self, seconds: float) -> None:
        self.sleeps.append(seconds)


def sync_client(base_url: str, recorder: Recorder, **options: Any) -> Iamport:
    """An ``Iamport`` whose HTTP traffic ``recorder`` sees (close ``client._http`` after)."""
    http = httpx.Client(
        event_hooks={"request": [recorder.on_request], "response": [recorder.on_response]}
    )
    settings: dict[str, Any] = {"retry": FAST_RETRY, "timeout": TIMEOUT, **options}
    return Iamport(
        DEMO_KEY, DEMO_SECRET, base_url=base_url, http=http, sleep=recorder.sleep, **settings
    )


def async_client(base_url: str, recorder: Recorder, **options: Any) -> AsyncIamport:
    """An ``AsyncIamport`` whose HTTP traffic ``recorder`` sees."""
    http = httpx.AsyncClient(
        event_hooks={
            "request": [recorder.on_request_async],
            "response": [recorder.on_response_async],
        }
    )
    settings: dict[str, Any] = {"retry": FAST_RETRY, "timeout": TIMEOUT, **options}
    return AsyncIamport(
        DEMO_KEY,
        DEMO_SECRET,
        base_url=base_url,
        http=http,
        sleep=recorder.sleep_async,
        **settings,
    )


async def _collect(items: AsyncIterator[Any]) -> list[Any]:
    return [item async for item in items]


class Blocking:
    """Calls an ``AsyncIamport``'s methods and waits for them, on a private loop."""

    def __init__(self, client: AsyncIamport, runner: asyncio.Runner) -> None:
        self.client = client
        self.runner = runner

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.client, name)
        if not callable(attribute):
            return attribute

        def run(*args: Any, **kwargs: Any) -> Any:
            result = attribute(*args, **kwargs)
            if hasattr(result, "__aiter__"):
                return self.runner.run(_collect(result))
            if inspect.isawaitable(result):
                return self.runner.run(result)  # type: ignore[arg-type]
            return result

        return run


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@dataclass
class Clients:
    """Builds clients of one kind (sync, or async behind ``Blocking``) and closes them."""

    kind: str
    base_url: str
    recorder: Recorder
    _closers: list[Callable[[], None]] = field(default_factory=list)
    _runner: asyncio.Runner | None = None

    def make(self, base_url: str | None = None, **options: Any) -> Any:
        url = base_url or self.base_url
        if self.kind == "sync":
            client = sync_client(url, self.recorder, **options)
            self._closers.append(client._http.close)
            return client
        if self._runner is None:
            self._runner = asyncio.Runner()
        runner = self._runner
        aclient = async_client(url, self.recorder, **options)
        self._closers.append(lambda: runner.run(aclient._http.aclose()))
        return Blocking(aclient, runner)

    def close(self) -> None:
        for closer in self._closers:
            closer()
        if self._runner is not None:
            self._runner.close()


@pytest.fixture(params=["sync", "async"])
def clients(
    request: pytest.FixtureRequest, emu: EmulatorClient, recorder: Recorder
) -> Iterator[Clients]:
    built = Clients(request.param, emu.base_url, recorder)
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def api(clients: Clients) -> Any:
    """The demo merchant's client, sync or async (same calls either way)."""
    return clients.make()


def capture_bodies(api: Any) -> list[dict[str, Any]]:
    """The JSON bodies ``api`` sends from now on (through an extra event hook)."""
    import json

    bodies: list[dict[str, Any]] = []

    def keep(request: httpx.Request) -> None:
        if request.content:
            bodies.append(json.loads(request.content))

    async def akeep(request: httpx.Request) -> None:
        keep(request)

    client = getattr(api, "client", api)  # Blocking wraps an AsyncIamport
    http = client._http
    hooks = http.event_hooks
    hooks["request"] = [*hooks["request"], akeep if isinstance(http, httpx.AsyncClient) else keep]
    http.event_hooks = hooks
    return bodies
