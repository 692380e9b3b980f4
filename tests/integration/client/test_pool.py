"""The pools of clients made here (``pool.py``, ``http11.py``): many in flight, stale sockets, proxies.

Every other client test brings its own ``httpx`` client (to record traffic);
these use the one ``Iamport``/``AsyncIamport`` make themselves.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from paydesk.iamport import AsyncIamport, CallRecord, Iamport, TokenCache
from paydesk.iamport.core import DEFAULT_LIMITS
from paydesk.iamport.http11 import AsyncHTTP11Transport, http11_transport
from paydesk.iamport.pool import LeanPool, lean_transport
from paydesk.iamport.tokens import Grant
from tests.support.emulator import DEMO_KEY, DEMO_SECRET, EmulatorClient, seed

BODY = b'{"code":0,"message":null,"response":{"imp_uid":"imp_1","merchant_uid":"o_1",'
BODY += b'"amount":1000,"status":"paid"}}'


def _pool(client: Any) -> Any:
    return client._http._transport._pool


def test_fifty_calls_in_flight_share_the_pool(emu: EmulatorClient) -> None:
    imp_uid = seed(emu, status="paid", amount=4_321)["imp_uid"]

    async def main() -> tuple[list[Any], Any, int]:
        async with AsyncIamport(DEMO_KEY, DEMO_SECRET, base_url=emu.base_url) as client:
            answers = []
            for _ in range(3):
                answers += await asyncio.gather(*(client.payment(imp_uid) for _ in range(50)))
            transport = client._http._transport
            return answers, transport, transport.connections

    answers, transport, connections = asyncio.run(main())
    assert len(answers) == 150
    assert all(p.imp_uid == imp_uid and p.amount == 4_321 for p in answers)
    assert isinstance(transport, AsyncHTTP11Transport)
    # One connection per call in flight at most (the token fetch's among them), kept
    # and reused round after round rather than one per call.
    assert 1 <= connections <= 50
    assert transport.connections == 0  # closed with the client


class ClosingServer:
    """Answers each request with ``BODY`` and keep-alive headers, then closes the socket."""

    def __init__(self) -> None:
        self.connections = 0
        self.closed = threading.Semaphore(0)
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(BODY)))
                self.end_headers()
                self.wfile.write(BODY)
                self.close_connection = True  # without saying so: the client must notice

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def process_request_thread(self, request: Any, client_address: Any) -> None:
                server.connections += 1
                super().process_request_thread(request, client_address)
                server.closed.release()

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()


@pytest.fixture
def closing() -> Iterator[ClosingServer]:
    running = ClosingServer()
    yield running
    running.server.shutdown()
    running.server.server_close()


def _tokens(url: str) -> TokenCache:
    tokens = TokenCache()
    tokens.put((url, DEMO_KEY), Grant("t" * 40, deadline=time.monotonic() + 3600))
    return tokens


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_connection_the_server_closed_is_not_reused(closing: ClosingServer, kind: str) -> None:
    records: list[CallRecord] = []
    options: dict[str, Any] = {
        "base_url": closing.url,
        "tokens": _tokens(closing.url),
        "observers": [records.append],
    }

    def wait_closed() -> None:
        assert closing.closed.acquire(timeout=5)

    if kind == "sync":
        with Iamport(DEMO_KEY, DEMO_SECRET, **options) as client:
            assert isinstance(_pool(client), LeanPool)
            for _ in range(3):
                assert client.payment("imp_1").amount == 1000
                wait_closed()
    else:

        async def main() -> None:
            async with AsyncIamport(DEMO_KEY, DEMO_SECRET, **options) as client:
                assert isinstance(client._http._transport, AsyncHTTP11Transport)
                for _ in range(3):
                    assert (await client.payment("imp_1")).amount == 1000
                    await asyncio.to_thread(wait_closed)

        asyncio.run(main())
    # Each call found its pooled socket closed by the server and opened a new one at
    # once: no failed first attempt, no retry.
    assert [r.attempts for r in records] == [1, 1, 1]
    assert closing.connections == 3


def test_a_proxy_in_the_environment_keeps_httpx_own_transport(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    assert lean_transport(DEFAULT_LIMITS) is None
    assert http11_transport(DEFAULT_LIMITS) is None
    with Iamport(DEMO_KEY, DEMO_SECRET) as client:
        assert not any(
            isinstance(getattr(t, "_pool", None), LeanPool)
            for t in [client._http._transport, *client._http._mounts.values()]
        )
        assert any(t is not None for t in client._http._mounts.values())  # httpx's proxy


def test_the_locked_httpx_takes_the_lean_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    """A newer httpx/httpcore without the internals it needs would fall back quietly: not unseen."""
    for name in (
        "HTTPS_PROXY",
        "HTTP_PROXY",
        "ALL_PROXY",
        "https_proxy",
        "http_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    assert lean_transport(DEFAULT_LIMITS) is not None
    assert http11_transport(DEFAULT_LIMITS) is not None
    with Iamport(DEMO_KEY, DEMO_SECRET) as client:
        assert isinstance(getattr(client._http._transport, "_pool", None), LeanPool)


def test_an_idle_connection_is_promised_to_one_request_at_a_time(emu: EmulatorClient) -> None:
    """Two requests queued together get two connections, not the same idle one twice."""
    import httpcore
    from httpcore._sync.connection_pool import PoolRequest

    url = emu.base_url + "/_emulator/health"
    transport = lean_transport(DEFAULT_LIMITS)
    assert transport is not None
    pool = transport._pool
    with transport:
        answer = pool.request("GET", url)  # leaves one idle connection
        assert answer.status < 500
        [idle] = pool.connections
        first, second = (PoolRequest(httpcore.Request("GET", url)) for _ in range(2))
        pool._requests += [first, second]
        pool._assign_requests_to_connections()
        pool._requests.clear()
    assert first.connection is idle
    assert second.connection is not None and second.connection is not idle
