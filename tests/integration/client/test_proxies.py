"""Answers that are not i'mport's: a proxy's HTML 404, a 403, a redirect, a 429.

A tiny real HTTP server stands in for the proxy (the emulator only ever answers
as i'mport would).  The client holds a token already, so every request it makes
is the operation itself.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from paydesk.iamport import (
    ForeignAnswer,
    NotFound,
    OutcomeUnknown,
    PaymentNotCancellable,
    RateLimited,
    TokenCache,
)
from paydesk.iamport.tokens import Grant
from tests.integration.client.conftest import Clients, Recorder
from tests.support.emulator import DEMO_KEY

Answer = tuple[int, dict[str, str], bytes]
HTML_404 = (404, {"Content-Type": "text/html"}, b"<html><body>404 Not Found</body></html>")
ENVELOPE = b'{"code":0,"message":null,"response":{"imp_uid":"imp_1","merchant_uid":"o_1",'
ENVELOPE += b'"amount":1000,"status":"paid"}}'
OK = (200, {"Content-Type": "application/json"}, ENVELOPE)


class Proxy:
    """Answers each request with the next canned answer (the last one repeats)."""

    def __init__(self) -> None:
        self.answers: list[Answer] = [HTML_404]
        self.seen: list[tuple[str, str]] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                proxy.seen.append((self.command, self.path.split("?")[0]))
                status, headers, body = (
                    proxy.answers.pop(0) if len(proxy.answers) > 1 else proxy.answers[0]
                )
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()


@pytest.fixture
def proxy() -> Iterator[Proxy]:
    running = Proxy()
    yield running
    running.server.shutdown()
    running.server.server_close()


def through(clients: Clients, proxy: Proxy, **options: Any) -> Any:
    tokens = TokenCache()
    tokens.put((proxy.url, DEMO_KEY), Grant("t" * 40, deadline=time.monotonic() + 3600))
    return clients.make(base_url=proxy.url, tokens=tokens, **options)


def test_an_html_404_is_not_a_missing_payment(clients: Clients, proxy: Proxy) -> None:
    api = through(clients, proxy)
    with pytest.raises(ForeignAnswer) as caught:
        api.payment("imp_1")
    assert not isinstance(caught.value, NotFound) and caught.value.http_status == 404
    assert "404 Not Found" in caught.value.message
    with pytest.raises(ForeignAnswer):  # not "unknown" (which reads as forged)
        api.verify_payment("imp_1", 1000, "o_1")
    with pytest.raises(ForeignAnswer):  # not "every id is missing"
        api.payments(["imp_1", "imp_2"])
    assert len(proxy.seen) == 3  # a proxy's 404 is not retried


@pytest.mark.parametrize(
    "answer",
    [
        (403, {"Content-Type": "text/html"}, b"<h1>Forbidden</h1>"),
        HTML_404,
        (302, {"Location": "https://login.example/"}, b""),
        (429, {"Retry-After": "1"}, b"slow down"),
    ],
)
def test_a_proxy_answer_to_a_cancel_says_reconcile_not_refused(
    clients: Clients, proxy: Proxy, answer: Answer
) -> None:
    proxy.answers = [answer]
    api = through(clients, proxy)
    with pytest.raises(OutcomeUnknown) as caught:
        api.cancel("imp_1", amount=500, checksum=1000)
    error = caught.value
    assert isinstance(error, ForeignAnswer) and not isinstance(error, PaymentNotCancellable)
    assert error.reconcile and not error.retryable and error.checksum == 1000
    assert proxy.seen == [("POST", "/payments/cancel")]  # never resent
    if answer[0] == 302:
        assert error.location == "https://login.example/"


def test_a_429_on_a_read_is_retried_after_retry_after(
    clients: Clients, proxy: Proxy, recorder: Recorder
) -> None:
    proxy.answers = [(429, {"Retry-After": "1"}, b""), OK]
    api = through(clients, proxy)
    assert api.payment("imp_1").status == "paid"
    assert len(proxy.seen) == 2 and recorder.sleeps and recorder.sleeps[0] >= 1.0


def test_a_retry_after_beyond_the_deadline_is_not_waited_for(
    clients: Clients, proxy: Proxy, recorder: Recorder
) -> None:
    proxy.answers = [(429, {"Retry-After": "120"}, b""), OK]
    api = through(clients, proxy)
    with pytest.raises(RateLimited) as caught:
        api.payment("imp_1")
    assert caught.value.retry_after == 120 and caught.value.retryable
    assert recorder.sleeps == [] and len(proxy.seen) == 1
