"""Clients made here send straight to their transport (``paydesk.iamport.direct``).

The other contract tests bring their own ``httpx`` client (to record traffic
through its hooks), which always goes through ``httpx.Client``; these make
the clients the way an application does and check that the error classes,
retries, timeouts and httpx's own log line are what they are through httpx.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from paydesk.iamport import (
    AsyncIamport,
    CallRecord,
    Iamport,
    NotFound,
    NotSent,
    OutcomeUnknown,
    RetryPolicy,
    TokenCache,
)
from paydesk.iamport.tokens import Grant
from tests.support.emulator import DEMO_KEY, DEMO_SECRET, EmulatorClient, seed
from tests.support.servers import free_port

FAST_RETRY = RetryPolicy(attempts=4, base=0.01, cap=0.05, total=10.0)
SHORT_READ = httpx.Timeout(connect=2.0, read=0.4, write=2.0, pool=2.0)


def call(kind: str, base_url: str, use: Callable[[Any], Any], **options: Any) -> list[CallRecord]:
    """Make a client of ``kind`` on ``base_url``, ``use`` it, and return its call records."""
    records: list[CallRecord] = []
    settings: dict[str, Any] = {"retry": FAST_RETRY, "timeout": SHORT_READ, **options}
    settings["observers"] = [records.append]
    if kind == "sync":
        with Iamport(DEMO_KEY, DEMO_SECRET, base_url=base_url, **settings) as client:
            assert client._direct is not None
            use(client)
        return records

    async def main() -> None:
        async with AsyncIamport(DEMO_KEY, DEMO_SECRET, base_url=base_url, **settings) as client:
            assert client._direct is not None
            result = use(client)
            if inspect.isawaitable(result):
                await result

    asyncio.run(main())
    return records


def catching(
    kind: str, error: type[BaseException], caught: list[BaseException],
    action: Callable[[Any], Any],
) -> Callable[[Any], Any]:  # fmt: skip
    """A ``use`` for ``call`` that runs ``action(client)`` (awaited on the async client)
    and keeps the ``error`` it raises in ``caught``."""

    async def use_async(client: Any) -> None:
        try:
            await action(client)
        except error as raised:
            caught.append(raised)

    def use(client: Any) -> Any:
        if kind == "async":
            return use_async(client)
        try:
            action(client)
        except error as raised:
            caught.append(raised)
        return None

    return use


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    return str(request.param)


def test_a_write_that_cannot_connect_is_not_sent_and_retried(kind: str) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    tokens = TokenCache()
    tokens.put((closed, DEMO_KEY), Grant("t" * 40, deadline=time.monotonic() + 3600))
    caught: list[BaseException] = []
    cancel = catching(kind, NotSent, caught,
                      lambda client: client.cancel("imp_000000000001", checksum=1000))  # fmt: skip
    records = call(kind, closed, cancel, tokens=tokens)
    [error] = caught
    assert "ConnectError" in str(error)
    cause = error.__cause__
    assert isinstance(cause, httpx.ConnectError) and cause.request.url.path == "/payments/cancel"
    assert [(r.outcome, r.attempts) for r in records] == [("not_sent", 4)]


def test_a_slow_write_is_outcome_unknown_and_a_slow_read_is_retried(
    emu: EmulatorClient, kind: str
) -> None:
    imp_uid = seed(emu, status="paid", amount=4_321)["imp_uid"]
    emu.fault(path="/payments/prepare", method="POST", kind="latency", delay=1.0, times=1)
    emu.fault(path="/payments/*", method="GET", kind="latency", delay=1.0, times=1)
    outcomes: list[str] = []

    async def use_async(client: Any) -> None:
        try:
            await client.prepare("order_slow", 5000)
        except OutcomeUnknown:
            outcomes.append("unknown")
        outcomes.append(str((await client.payment(imp_uid)).amount))
        try:
            await client.payment("imp_000000000404")
        except NotFound:
            outcomes.append("not found")

    def use(client: Any) -> Any:
        if kind == "async":
            return use_async(client)
        try:
            client.prepare("order_slow", 5000)
        except OutcomeUnknown:
            outcomes.append("unknown")
        outcomes.append(str(client.payment(imp_uid).amount))
        try:
            client.payment("imp_000000000404")
        except NotFound:
            outcomes.append("not found")
        return None

    records = call(kind, emu.base_url, use)
    assert outcomes == ["unknown", "4321", "not found"]
    assert [(r.operation, r.outcome, r.attempts) for r in records] == [
        ("payments.prepare", "unknown", 1),  # a write is never resent
        ("payments.get", "ok", 2),  # the read timed out once, then was answered
        ("payments.get", "rejected", 1),
    ]


def test_httpx_own_log_line_is_written(
    emu: EmulatorClient, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    imp_uid = seed(emu, status="paid")["imp_uid"]
    caplog.set_level(logging.INFO, logger="httpx")
    call(kind, emu.base_url, lambda client: client.payment(imp_uid))
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert f'HTTP Request: GET {emu.base_url}/payments/{imp_uid} "HTTP/1.1 200 OK"' in lines
    assert f'HTTP Request: POST {emu.base_url}/users/getToken "HTTP/1.1 200 OK"' in lines


class CookieServer:
    """Answers payment reads, sets a cookie on the first answer, records ``Cookie`` headers."""

    BODY = b'{"code":0,"message":null,"response":{"imp_uid":"imp_1","merchant_uid":"o_1",'
    BODY += b'"amount":1000,"status":"paid"}}'

    def __init__(self) -> None:
        self.cookies: list[str | None] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                server.cookies.append(self.headers.get("Cookie"))
                self.send_response(200)
                if len(server.cookies) == 1:
                    self.send_header("Set-Cookie", "AWSALB=sticky; Path=/")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(server.BODY)))
                self.end_headers()
                self.wfile.write(server.BODY)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()


def test_a_cookie_i_mport_sets_is_sent_back_as_httpx_would(kind: str) -> None:
    cookies = CookieServer()
    tokens = TokenCache()
    tokens.put((cookies.url, DEMO_KEY), Grant("t" * 40, deadline=time.monotonic() + 3600))

    async def three_async(client: Any) -> None:
        for _ in range(3):
            await client.payment("imp_1")

    def three(client: Any) -> Any:
        if kind == "async":
            return three_async(client)
        for _ in range(3):
            client.payment("imp_1")
        return None

    try:
        call(kind, cookies.url, three, tokens=tokens)
    finally:
        cookies.server.shutdown()
        cookies.server.server_close()
    assert cookies.cookies == [None, "AWSALB=sticky", "AWSALB=sticky"]


def test_an_answer_trickling_past_the_deadline_is_cut_at_it(emu: EmulatorClient, kind: str) -> None:
    """Each part of a trickled answer comes well within the read timeout, and the whole
    answer takes 10 × 0.3 s: the call still ends at its deadline (1.2 s), a write as
    "outcome unknown" (its request had left), never after the answer came in."""
    emu.fault(path="/payments/prepare", method="POST", kind="trickle", delay=0.3, times=1)
    caught: list[BaseException] = []
    use = catching(kind, OutcomeUnknown, caught,
                   lambda client: client.prepare("order_trickled", 5000))  # fmt: skip
    started = time.monotonic()
    records = call(kind, emu.base_url, use, retry=RetryPolicy(attempts=4, base=0.01, cap=0.05,
                                                               total=1.2))  # fmt: skip
    took = time.monotonic() - started
    assert len(caught) == 1 and "ReadTimeout" in str(caught[0]), caught
    assert 1.0 < took < 2.5, took  # the deadline, not the 3 s answer
    assert [(r.operation, r.outcome) for r in records] == [("payments.prepare", "unknown")]
    time.sleep(2.2)  # the emulator did the work: only a lookup tells
    assert emu.get("/payments/prepare/order_trickled").json()["response"]["amount"] == 5000
