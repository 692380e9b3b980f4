"""``AsyncHTTP11Transport`` (``paydesk.iamport.http11``) against real sockets.

Each test runs a small asyncio server that answers byte for byte as the test
needs (chunked, gzip, closing, silent, half an answer, TLS) and checks both
what the transport does with the connection and how ``AsyncIamport`` then
classifies the failure: "not sent" only when no byte of the request left.
"""

from __future__ import annotations

import asyncio
import gzip
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from paydesk.iamport import AsyncIamport, CallRecord, NotSent, OutcomeUnknown, RetryPolicy
from paydesk.iamport.http11 import MAX_BODY, AsyncHTTP11Transport
from paydesk.iamport.mapping import NOT_SENT_EXCEPTIONS
from paydesk.iamport.tokens import Grant, TokenCache

KEY, SECRET = "http11_key", "http11_secret"
BODY = b'{"code":0,"message":null,"response":{"imp_uid":"imp_1","merchant_uid":"o_1",'
BODY += b'"amount":1000,"status":"paid"}}'
CANCELLED = BODY.replace(b'"paid"', b'"cancelled"')
LIMITS = httpx.Limits(max_connections=10, max_keepalive_connections=10)
ONCE = RetryPolicy(attempts=1)

Handler = Callable[["Server", asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class Server:
    """A raw HTTP/1.1 server on 127.0.0.1: each connection is given to ``handler``."""

    def __init__(self, handler: Handler, context: ssl.SSLContext | None = None) -> None:
        self.handler = handler
        self.context = context
        self.connections = 0
        self.requests: list[bytes] = []
        self.received = asyncio.Event()
        self.release = asyncio.Event()

    async def __aenter__(self) -> Server:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.context)
        self.port = self.server.sockets[0].getsockname()[1]
        scheme = "https" if self.context else "http"
        self.url = f"{scheme}://{'localhost' if self.context else '127.0.0.1'}:{self.port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await self.handler(self, reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def request(self, reader: asyncio.StreamReader) -> bytes | None:
        """The next request (head and body), or None when the client closed."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return None
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        request = head + await reader.readexactly(length)
        self.requests.append(request)
        self.received.set()
        return request


def answer(body: bytes = BODY, *extra: bytes) -> bytes:
    head = [b"HTTP/1.1 200 OK", b"Content-Type: application/json", *extra]
    head.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(head) + b"\r\n\r\n" + body


async def keep_answering(server: Server, reader: Any, writer: Any) -> None:
    while (request := await server.request(reader)) is not None:
        writer.write(answer(CANCELLED if request.startswith(b"POST") else BODY))
        await writer.drain()


def tokens(url: str) -> TokenCache:
    cache = TokenCache()
    cache.put((url, KEY), Grant("t" * 40, deadline=time.monotonic() + 3600))
    return cache


def client(server: Server, **options: Any) -> AsyncIamport:
    return AsyncIamport(KEY, SECRET, base_url=server.url, tokens=tokens(server.url), **options)


#: The event loop each test runs on: asyncio's own, and uvloop's, which ``paydesk
#: serve`` and ``worker`` run on (its transports are not ``asyncio.Transport``s).
_loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None


@pytest.fixture(autouse=True, params=["asyncio", "uvloop"])
def event_loop_kind(request: pytest.FixtureRequest) -> Iterator[str]:
    global _loop_factory
    if request.param == "uvloop":
        _loop_factory = pytest.importorskip("uvloop").new_event_loop
    try:
        yield request.param
    finally:
        _loop_factory = None


def run(main: Callable[[], Awaitable[Any]]) -> Any:
    with asyncio.Runner(loop_factory=_loop_factory) as runner:
        return runner.run(main())  # type: ignore[arg-type]


async def cancel(iamport: AsyncIamport) -> Any:
    return await iamport.cancel("imp_1", amount=1000, checksum=1000, reason="test")


# -- bodies ------------------------------------------------------------------------------
def test_a_chunked_gzip_answer_arrives_whole_and_the_connection_is_kept() -> None:
    packed = gzip.compress(BODY)
    parts = [packed[:10], packed[10:11], packed[11:]]
    chunked = b"".join(b"%x;ext=1\r\n%b\r\n" % (len(p), p) for p in parts) + b"0\r\nX-T: 1\r\n\r\n"
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n"
    wire = head + chunked

    async def handler(server: Server, reader: Any, writer: Any) -> None:
        while await server.request(reader) is not None:
            for i in range(0, len(wire), 7):  # in pieces: a chunk size line split too
                writer.write(wire[i : i + 7])
                await writer.drain()
                await asyncio.sleep(0)

    async def main() -> tuple[int, list[Any]]:
        async with Server(handler) as server, client(server) as iamport:
            payments = [await iamport.payment("imp_1") for _ in range(2)]
            return server.connections, payments

    connections, payments = run(main)
    assert [p.amount for p in payments] == [1000, 1000]
    assert connections == 1


def test_an_answer_cut_short_is_outcome_unknown_for_a_write() -> None:
    async def handler(server: Server, reader: Any, writer: Any) -> None:
        await server.request(reader)
        writer.write(answer()[:-10])  # Content-Length promises 10 bytes more
        await writer.drain()

    async def main() -> BaseException:
        async with Server(handler) as server, client(server, retry=ONCE) as iamport:
            with pytest.raises(OutcomeUnknown) as caught:
                await cancel(iamport)
            return caught.value

    error = run(main)
    assert error.reconcile and isinstance(error.__cause__, httpx.RemoteProtocolError)


# -- keep-alive ----------------------------------------------------------------------------
def test_an_idle_connection_the_server_closed_is_not_reused_even_unnoticed() -> None:
    """The server closes after each answer; the loop is blocked so nobody saw the EOF yet."""

    async def handler(server: Server, reader: Any, writer: Any) -> None:
        await server.request(reader)
        writer.write(answer())  # keep-alive by default in HTTP/1.1: then closed all the same
        await writer.drain()

    records: list[CallRecord] = []

    async def main() -> int:
        async with Server(handler) as server, client(server, observers=[records.append]) as iamport:
            await iamport.payment("imp_1")
            time.sleep(0.2)  # noqa: ASYNC251 (on purpose: the FIN waits in the socket, unread)
            await iamport.payment("imp_1")
            return server.connections

    assert run(main) == 2
    assert [r.attempts for r in records] == [1, 1]  # no failed attempt on the stale socket


def test_an_idle_connection_past_its_keepalive_expiry_is_not_reused() -> None:
    limits = httpx.Limits(max_connections=10, keepalive_expiry=0.1)

    async def main() -> int:
        async with Server(keep_answering) as server:
            async with client(server, transport=AsyncHTTP11Transport(limits)) as iamport:
                await iamport.payment("imp_1")
                await iamport.payment("imp_1")  # at once: the same connection
                await asyncio.sleep(0.2)
                await iamport.payment("imp_1")
            return server.connections

    assert run(main) == 2


# -- failures and their classes ---------------------------------------------------------------
def test_connection_refused_is_not_sent_even_for_a_write() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    url = f"http://127.0.0.1:{port}"

    async def main() -> BaseException:
        async with AsyncIamport(KEY, SECRET, base_url=url, tokens=tokens(url), retry=ONCE) as c:
            with pytest.raises(NotSent) as caught:
                await cancel(c)
            return caught.value

    error = run(main)
    assert isinstance(error.__cause__, httpx.ConnectError)


def test_a_server_that_never_answers_is_a_read_timeout_and_outcome_unknown() -> None:
    async def handler(server: Server, reader: Any, writer: Any) -> None:
        await server.request(reader)
        await server.release.wait()

    timeout = httpx.Timeout(connect=2.0, read=0.3, write=2.0, pool=2.0)

    async def main() -> tuple[BaseException, int]:
        async with Server(handler) as server:
            async with client(server, retry=ONCE, timeout=timeout) as iamport:
                with pytest.raises(OutcomeUnknown) as caught:
                    await cancel(iamport)
            server.release.set()
            return caught.value, len(server.requests)

    error, received = run(main)
    assert received == 1  # the request did reach the server: never "not sent"
    assert error.reconcile and isinstance(error.__cause__, httpx.ReadTimeout)


def test_a_server_that_never_reads_is_a_write_timeout() -> None:
    async def handler(server: Server, reader: Any, writer: Any) -> None:
        await server.release.wait()

    big = b"x" * (64 * 1024 * 1024)  # more than the kernel's socket buffers hold

    async def main() -> None:
        async with Server(handler) as server:
            async with httpx.AsyncClient(transport=AsyncHTTP11Transport(LIMITS)) as http:
                timeout = httpx.Timeout(2.0, write=0.3)
                with pytest.raises(httpx.WriteTimeout):
                    await http.post(server.url, content=big, timeout=timeout)
            server.release.set()

    run(main)


def test_a_header_with_a_line_break_is_refused_before_sending() -> None:
    async def main() -> int:
        async with Server(keep_answering) as server:
            transport = AsyncHTTP11Transport(LIMITS)
            request = httpx.Request("GET", server.url, headers={"X-A": "1\r\nX-B: 2"})
            with pytest.raises(httpx.LocalProtocolError):
                await transport.handle_async_request(request)
            return server.connections

    assert run(main) == 0


def test_a_call_cancelled_mid_answer_leaves_no_connection_in_the_pool() -> None:
    full = answer()

    async def handler(server: Server, reader: Any, writer: Any) -> None:
        if server.connections == 1:  # the first: half an answer, then silence
            await server.request(reader)
            writer.write(full[: len(full) - 20])
            await writer.drain()
            await server.release.wait()
            return
        await keep_answering(server, reader, writer)

    async def main() -> tuple[int, int, bytes]:
        async with Server(handler) as server:
            transport = AsyncHTTP11Transport(LIMITS)
            async with httpx.AsyncClient(transport=transport) as http:
                call = asyncio.create_task(http.get(server.url))
                await server.received.wait()
                await asyncio.sleep(0.1)  # the first part of the answer is read by now
                call.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await call
                left = transport.connections
                second = await http.get(server.url)
            server.release.set()
            return left, server.connections, second.content

    left, connections, content = run(main)
    assert left == 0  # the half-read connection was closed, not pooled
    assert connections == 2 and content == BODY


def test_a_full_pool_times_out_as_not_sent_and_a_waiter_gets_the_freed_connection() -> None:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)

    async def handler(server: Server, reader: Any, writer: Any) -> None:
        await server.request(reader)
        await server.release.wait()  # the first call holds the only connection
        writer.write(answer())
        await writer.drain()
        await keep_answering(server, reader, writer)

    async def main() -> tuple[BaseException, int, list[int]]:
        async with Server(handler) as server:
            transport = AsyncHTTP11Transport(limits)
            timeout = httpx.Timeout(connect=2.0, read=5.0, write=2.0, pool=0.2)
            async with client(server, transport=transport, retry=ONCE, timeout=timeout) as c:
                first = asyncio.create_task(c.payment("imp_1"))
                await server.received.wait()
                with pytest.raises(NotSent) as caught:
                    await cancel(c)
                waiting = asyncio.create_task(c.payment("imp_1", timeout=5.0))
                await asyncio.sleep(0.05)
                server.release.set()
                amounts = [(await first).amount, (await waiting).amount]
            return caught.value, server.connections, amounts

    error, connections, amounts = run(main)
    assert isinstance(error.__cause__, httpx.PoolTimeout)
    assert amounts == [1000, 1000] and connections == 1


# -- TLS -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for ``localhost`` (not for 127.0.0.1) and its key."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    where = tmp_path_factory.mktemp("tls")
    cert, key = where / "cert.pem", where / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


def test_tls_with_the_certificate_trusted_works_and_keeps_the_connection(
    certificate: tuple[Path, Path],
) -> None:
    trusted = ssl.create_default_context(cafile=str(certificate[0]))

    async def main() -> tuple[list[int], int]:
        async with Server(keep_answering, _server_context(certificate)) as server:
            transport = AsyncHTTP11Transport(LIMITS, ssl_context=trusted)
            async with client(server, transport=transport) as iamport:
                amounts = [(await iamport.payment("imp_1")).amount for _ in range(2)]
            return amounts, server.connections

    assert run(main) == ([1000, 1000], 1)


def test_tls_refuses_an_unknown_certificate_as_not_sent(certificate: tuple[Path, Path]) -> None:
    """httpx's default trust (certifi) does not know a self-signed certificate."""

    async def main() -> tuple[BaseException, int]:
        async with Server(keep_answering, _server_context(certificate)) as server:
            async with client(server, retry=ONCE) as iamport:
                with pytest.raises(NotSent) as caught:
                    await cancel(iamport)
            return caught.value, len(server.requests)

    error, received = run(main)
    assert isinstance(error.__cause__, httpx.ConnectError) and received == 0
    assert "CERTIFICATE_VERIFY_FAILED" in str(error.__cause__)


def test_tls_checks_the_host_name(certificate: tuple[Path, Path]) -> None:
    """Trusted certificate, wrong name: 127.0.0.1 is not in it."""
    trusted = ssl.create_default_context(cafile=str(certificate[0]))

    async def main() -> BaseException:
        async with Server(keep_answering, _server_context(certificate)) as server:
            transport = AsyncHTTP11Transport(LIMITS, ssl_context=trusted)
            url = f"https://127.0.0.1:{server.port}"
            async with httpx.AsyncClient(transport=transport) as http:
                with pytest.raises(httpx.ConnectError) as caught:
                    await http.get(url)
            return caught.value

    assert "match" in str(run(main)).lower()  # "IP address mismatch" / "doesn't match"


# -- adversarial answers --------------------------------------------------------------------
def replying(*wires: bytes, hold: bool = False) -> Handler:
    """A handler answering the n-th request of the first connection with ``wires[n]``.

    Byte for byte; past the last one (and on later connections) it keeps answering
    ``answer()``; with ``hold`` it answers nothing more and keeps the connection
    open until ``server.release``.
    """

    async def handler(server: Server, reader: Any, writer: Any) -> None:
        for wire in wires if server.connections == 1 else ():
            if await server.request(reader) is None:
                return
            writer.write(wire)
            await writer.drain()
        if hold:
            await server.release.wait()
            return
        await keep_answering(server, reader, writer)

    return handler


async def get_twice(handler: Handler, method: str = "GET") -> tuple[list[httpx.Response], int]:
    """Two requests in turn through one transport; the answers and the connections made."""
    async with Server(handler) as server:
        async with httpx.AsyncClient(transport=AsyncHTTP11Transport(LIMITS)) as http:
            timeout = httpx.Timeout(2.0)
            first = await http.request(method, server.url, timeout=timeout)
            second = await http.get(server.url, timeout=timeout)
        return [first, second], server.connections


def test_connection_close_and_http_1_0_answers_are_not_reused() -> None:
    for wire in (
        answer(BODY, b"Connection: close"),
        answer(BODY).replace(b"HTTP/1.1", b"HTTP/1.0", 1),  # 1.0: no keep-alive unless asked
        answer(BODY, b"Connection: keep-alive").replace(b"HTTP/1.1", b"HTTP/1.0", 1),
    ):
        answers, connections = run(lambda wire=wire: get_twice(replying(wire)))
        assert [a.content for a in answers] == [BODY, BODY] and connections == 2, wire


def test_an_answer_without_length_is_read_until_close_and_not_reused() -> None:
    async def handler(server: Server, reader: Any, writer: Any) -> None:
        if server.connections == 1:
            await server.request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n")
            for i in range(0, len(BODY), 9):
                writer.write(BODY[i : i + 9])
                await writer.drain()
                await asyncio.sleep(0.01)
            return  # the close ends the body
        await keep_answering(server, reader, writer)

    answers, connections = run(lambda: get_twice(handler))
    assert [a.content for a in answers] == [BODY, BODY] and connections == 2


def test_204_304_and_head_answers_have_no_body_and_keep_the_connection() -> None:
    for method, wire in (
        ("GET", b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n"),
        ("GET", b"HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n"),
        ("HEAD", answer(BODY)[: -len(BODY)]),  # the length of the body a GET would have had
    ):
        answers, connections = run(lambda m=method, w=wire: get_twice(replying(w), m))
        assert answers[0].content == b"" and answers[1].content == BODY, wire
        assert connections == 1, wire


def test_interim_answers_before_the_final_one_are_skipped() -> None:
    interim = (
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n"
    )
    answers, connections = run(lambda: get_twice(replying(interim + answer(CANCELLED))))
    assert answers[0].status_code == 200 and answers[0].content == CANCELLED
    assert "link" not in answers[0].headers and connections == 1


def test_bytes_after_a_complete_answer_drop_the_connection() -> None:
    """Stray bytes on an idle connection: whatever they are, the next answer is not them."""
    stray = answer(CANCELLED)

    async def handler(server: Server, reader: Any, writer: Any) -> None:
        if server.connections == 1:
            await server.request(reader)
            writer.write(answer())
            await writer.drain()
            await asyncio.sleep(0.05)
            writer.write(stray)  # an answer to nothing
            await writer.drain()
            await server.release.wait()
            return
        await keep_answering(server, reader, writer)

    async def main() -> tuple[list[bytes], int]:
        async with Server(handler) as server:
            async with httpx.AsyncClient(transport=AsyncHTTP11Transport(LIMITS)) as http:
                first = await http.get(server.url)
                await asyncio.sleep(0.2)
                second = await http.get(server.url)
            server.release.set()
            return [first.content, second.content], server.connections

    assert run(main) == ([BODY, BODY], 2)


def test_bytes_after_a_complete_answer_unseen_yet_drop_the_connection_too() -> None:
    """The same, with the loop blocked so the stray bytes wait in the socket, unread.

    The server is a thread here: it must write while the client's loop is blocked.
    """
    accepted: list[socket.socket] = []
    done = threading.Event()

    def serve(listener: socket.socket) -> None:
        listener.settimeout(5.0)
        for n in range(2):
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                return
            accepted.append(connection)
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                head += connection.recv(1)
            connection.sendall(answer())
            if n == 0:
                time.sleep(0.05)
                connection.sendall(b"HTTP/1.1 200 OK\r\n")  # an answer to nothing
        done.wait(5.0)

    async def main(url: str) -> list[bytes]:
        async with httpx.AsyncClient(transport=AsyncHTTP11Transport(LIMITS)) as http:
            first = await http.get(url, timeout=2.0)
            time.sleep(0.2)  # noqa: ASYNC251 (on purpose: the stray bytes wait, unread)
            second = await http.get(url, timeout=2.0)
        return [first.content, second.content]

    with socket.create_server(("127.0.0.1", 0)) as listener:
        thread = threading.Thread(target=serve, args=(listener,))
        thread.start()
        try:
            contents = run(lambda: main(f"http://127.0.0.1:{listener.getsockname()[1]}"))
        finally:
            done.set()
            thread.join()
            for connection in accepted:
                connection.close()
    assert contents == [BODY, BODY] and len(accepted) == 2


@pytest.mark.parametrize(
    "wire",
    [
        answer(BODY, b"Content-Length: 7"),  # two that disagree
        answer(BODY).replace(b"Content-Length: ", b"Content-Length: 3, "),
        answer(BODY).replace(b"Content-Length: ", b"Content-Length: -"),
        answer(BODY).replace(b"Content-Length: ", b"Content-Length: +"),
        answer(BODY).replace(b"Content-Length: ", b"Content-Length: 0x"),
        answer(BODY).replace(b"Content-Length: ", b"Content-Length: 1" + b"0" * 5000),
        answer(BODY, b"Transfer-Encoding: gzip, chunked"),
        b"HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/2 200 OK\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nBad Header: 1\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n" + b"X-Long: " + b"a" * (65 * 1024) + b"\r\n\r\n",
    ],
    ids=["cl-conflict", "cl-list", "cl-minus", "cl-plus", "cl-hex",
        "cl-5000-digits", "te-gzip", "status", "h2",
         "header-name", "huge-head"],
)  # fmt: skip
def test_an_ill_framed_answer_is_a_remote_protocol_error(wire: bytes) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        run(lambda: get_twice(replying(wire, hold=True)))


def test_the_same_content_length_twice_is_accepted() -> None:
    wire = answer(BODY, b"Content-Length: %d" % len(BODY))
    answers, connections = run(lambda: get_twice(replying(wire)))
    assert answers[0].content == BODY and connections == 1


CHUNKED_HEAD = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"


@pytest.mark.parametrize("last", [b"-0", b"+0", b"0x0", b"0_0", b" -0", b"zz", b""])
def test_a_chunk_size_that_is_not_hex_digits_is_a_remote_protocol_error(last: bytes) -> None:
    """Python's ``int(size, 16)`` takes signs, ``0x`` and underscores: h11 (and we) must not."""
    wire = CHUNKED_HEAD + b"5\r\nhello\r\n" + last + b"\r\n\r\n"
    with pytest.raises(httpx.RemoteProtocolError):
        run(lambda: get_twice(replying(wire, hold=True)))


def test_a_huge_chunk_or_content_length_is_refused_at_once() -> None:
    """Not waited for until the read timeout, nor buffered: more than ``MAX_BODY`` is refused."""
    for wire in (
        CHUNKED_HEAD + b"f" * 20 + b"\r\nhello",
        CHUNKED_HEAD + b"%x\r\nhello" % (MAX_BODY + 1),
        answer(b"hello").replace(b"Content-Length: 5", b"Content-Length: %d" % (MAX_BODY + 1)),
        answer(b"hello").replace(b"Content-Length: 5", b"Content-Length: " + b"9" * 40),
    ):
        began = time.monotonic()
        with pytest.raises(httpx.RemoteProtocolError):
            run(lambda w=wire: get_twice(replying(w, hold=True)))
        assert time.monotonic() - began < 1.5, wire  # the read timeout is 2 s


def test_an_endless_body_is_cut_at_max_body() -> None:
    """A broken or hostile proxy streaming forever: the answer is refused, memory stays bounded."""
    piece = b"x" * (1024 * 1024)

    async def handler(server: Server, reader: Any, writer: Any) -> None:
        await server.request(reader)
        writer.write(CHUNKED_HEAD if server.connections % 2 else b"HTTP/1.1 200 OK\r\n\r\n")
        for _ in range(MAX_BODY // len(piece) + 2):
            writer.write(b"%x\r\n%b\r\n" % (len(piece), piece) if server.connections % 2 else piece)
            await writer.drain()

    async def main() -> None:
        transport = AsyncHTTP11Transport(LIMITS)
        async with Server(handler) as server, httpx.AsyncClient(transport=transport) as http:
            for _ in range(2):  # chunked, then until close
                with pytest.raises(httpx.RemoteProtocolError, match="larger than"):
                    await http.get(server.url, timeout=10.0)

    run(main)


def test_transfer_encoding_with_content_length_is_read_chunked_and_not_reused() -> None:
    """RFC 9112 §6.3: chunked wins, and the connection must close (a smuggling attempt?)."""
    wire = (
        CHUNKED_HEAD.replace(b"\r\n\r\n", b"\r\nContent-Length: 3\r\n\r\n")
        + b"5\r\nhello\r\n0\r\n\r\n"
    )
    answers, connections = run(lambda: get_twice(replying(wire)))
    assert answers[0].content == b"hello" and answers[1].content == BODY
    assert connections == 2


def test_lf_only_line_endings_in_the_head_are_read_as_h11_reads_them() -> None:
    wire = answer(CANCELLED).replace(b"\r\n", b"\n")
    answers, connections = run(lambda: get_twice(replying(wire)))
    assert answers[0].content == CANCELLED and connections == 1


def test_obsolete_line_folding_is_unfolded() -> None:
    """RFC 9112 §5.2: a user agent replaces each obs-fold with a space before reading the value."""
    wire = answer(CANCELLED, b"X-Folded: one\r\n  two\r\n\tthree")
    answers, connections = run(lambda: get_twice(replying(wire)))
    assert answers[0].headers["x-folded"] == "one two three"
    assert answers[0].content == CANCELLED and connections == 1


def test_an_answer_before_the_body_is_written_is_returned() -> None:
    """A proxy refusing a request as its head arrives (413), then closing: its answer is kept."""

    async def handler(server: Server, reader: Any, writer: Any) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\nContent-Length: 4\r\n\r\nbig!"
        )
        writer.write_eof()  # and reads on until the client closes (a close now would be a RST)
        while await reader.read(1024 * 1024):
            pass

    big = b"x" * (64 * 1024 * 1024)  # more than the kernel's socket buffers hold

    async def main() -> httpx.Response:
        transport = AsyncHTTP11Transport(LIMITS)
        async with Server(handler) as server, httpx.AsyncClient(transport=transport) as http:
            return await http.post(server.url, content=big, timeout=5.0)

    response = run(main)
    assert response.status_code == 413 and response.content == b"big!"


def test_an_answer_before_the_body_is_written_is_returned_when_the_write_then_stalls() -> None:
    """The same proxy, reading nothing more: the write times out, the answer is still the outcome."""

    async def handler(server: Server, reader: Any, writer: Any) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\nContent-Length: 4\r\n\r\nbig!"
        )
        writer.write_eof()
        await server.release.wait()

    big = b"x" * (64 * 1024 * 1024)

    async def main() -> tuple[httpx.Response, int]:
        async with Server(handler) as server:
            transport = AsyncHTTP11Transport(LIMITS)
            async with httpx.AsyncClient(transport=transport) as http:
                timeout = httpx.Timeout(5.0, write=0.5)
                response = await http.post(server.url, content=big, timeout=timeout)
                left = transport.connections
            server.release.set()
            return response, left

    response, left = run(main)
    assert response.status_code == 413 and response.content == b"big!" and left == 0


# -- the pool under load, cancellation and close ------------------------------------------------
async def until(condition: Callable[[], bool], seconds: float = 5.0) -> None:
    """Wait (polling) until ``condition()`` holds."""
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"still not so after {seconds} s")


def test_fifty_calls_through_a_pool_of_ten_all_complete_on_ten_connections() -> None:
    limits = httpx.Limits(max_connections=10, max_keepalive_connections=10)
    closed: list[int] = []

    async def handler(server: Server, reader: Any, writer: Any) -> None:
        number = server.connections
        while await server.request(reader) is not None:
            await asyncio.sleep(0.01 * (number % 3))  # some connections slower than others
            writer.write(answer())
            await writer.drain()
        closed.append(number)

    async def main() -> tuple[list[int], int, int, int]:
        async with Server(handler) as server:
            transport = AsyncHTTP11Transport(limits)
            async with client(server, transport=transport) as iamport:
                calls = [iamport.payment("imp_1") for _ in range(50)]
                amounts = [p.amount for p in await asyncio.gather(*calls)]
                pooled = transport.connections
            await until(lambda: len(closed) == server.connections)  # it saw each closed
            return amounts, server.connections, pooled, transport.connections

    amounts, connections, pooled, left = run(main)
    assert amounts == [1000] * 50
    assert connections <= 10 and pooled == connections and left == 0
    assert sorted(closed) == list(range(1, connections + 1))


def test_fifty_calls_cancelled_at_once_leave_nothing_behind() -> None:
    limits = httpx.Limits(max_connections=10)

    async def handler(server: Server, reader: Any, writer: Any) -> None:
        if await server.request(reader) is None:
            return
        await server.release.wait()  # 10 calls sent, 40 waiting for the pool: then cancelled
        writer.write(answer())
        await writer.drain()
        await keep_answering(server, reader, writer)

    async def main() -> tuple[int, int, bytes, int]:
        async with Server(handler) as server:
            transport = AsyncHTTP11Transport(limits)
            async with httpx.AsyncClient(transport=transport) as http:
                calls = [asyncio.create_task(http.get(server.url)) for _ in range(50)]
                await until(lambda: len(server.requests) == 10)
                for call in calls:
                    call.cancel()
                outcomes = await asyncio.gather(*calls, return_exceptions=True)
                assert all(isinstance(o, asyncio.CancelledError) for o in outcomes)
                left = transport.connections
                server.release.set()
                after = await http.get(server.url, timeout=2.0)
            return left, len(server.requests), after.content, server.connections

    left, requests, content, connections = run(main)
    assert left == 0 and requests == 11 and content == BODY and connections == 11


def test_aclose_fails_the_calls_in_flight_with_httpx_errors_and_opens_nothing_more() -> None:
    """Sent calls fail "outcome unknown", not with half a body; waiting ones fail "not sent"."""
    limits = httpx.Limits(max_connections=2)

    async def handler(server: Server, reader: Any, writer: Any) -> None:
        first = server.connections == 1
        await server.request(reader)
        if first:  # a body read until close, half of it come
            writer.write(b"HTTP/1.1 200 OK\r\n\r\n" + BODY[:20])
            await writer.drain()
        await server.release.wait()

    async def main() -> tuple[list[BaseException | httpx.Response], int, int]:
        async with Server(handler) as server:
            transport = AsyncHTTP11Transport(limits)
            http = httpx.AsyncClient(transport=transport)
            calls = [asyncio.create_task(http.get(server.url)) for _ in range(3)]
            await until(lambda: len(server.requests) == 2)
            await asyncio.sleep(0.05)  # the half body is read
            await transport.aclose()
            outcomes = await asyncio.gather(*calls, return_exceptions=True)
            await asyncio.sleep(0.05)
            server.release.set()
            return outcomes, server.connections, transport.connections

    outcomes, connections, left = run(main)
    sent, waiting = outcomes[:2], outcomes[2]
    assert all(isinstance(o, httpx.HTTPError) for o in outcomes), outcomes
    assert not any(isinstance(o, NOT_SENT_EXCEPTIONS) for o in sent), sent
    assert isinstance(waiting, NOT_SENT_EXCEPTIONS), waiting
    assert connections == 2 and left == 0


def test_a_server_restarted_on_the_same_port_is_reached_again() -> None:
    writers: list[asyncio.StreamWriter] = []

    async def handler(server: Server, reader: Any, writer: Any) -> None:
        writers.append(writer)
        await keep_answering(server, reader, writer)

    async def main() -> list[int]:
        transport = AsyncHTTP11Transport(LIMITS)
        async with Server(handler) as first:
            url, port = first.url, first.port
            async with httpx.AsyncClient(transport=transport) as http:
                await http.get(url)
                first.server.close()
                for writer in writers:  # the old process's connections go with it
                    writer.close()
                await first.server.wait_closed()
                await asyncio.sleep(0.05)
                second = Server(handler)
                second.server = await asyncio.start_server(second._serve, "127.0.0.1", port)
                try:
                    answers = [(await http.get(url, timeout=2.0)).status_code for _ in range(2)]
                finally:
                    second.server.close()
                return [*answers, first.connections, second.connections]

    assert run(main) == [200, 200, 1, 1]


# -- "not sent" only when nothing was -----------------------------------------------------------
@pytest.mark.parametrize("how", ["fin", "rst"])
def test_a_kept_connection_closed_as_the_request_arrives_is_outcome_unknown(how: str) -> None:
    """The stale keep-alive race: the server's idle timer closes the connection while our
    request is on its way.  Bytes may have been read: never "not sent", never retried."""

    async def handler(server: Server, reader: Any, writer: Any) -> None:
        await server.request(reader)
        writer.write(answer())
        await writer.drain()
        await reader.read(10)  # some of the next request has come (all of it, maybe)
        server.received.set()
        if how == "rst":
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
        writer.transport.abort() if how == "rst" else writer.close()

    records: list[CallRecord] = []

    async def main() -> tuple[BaseException, int]:
        async with Server(handler) as server:
            async with client(server, observers=[records.append]) as iamport:
                await iamport.payment("imp_1")
                with pytest.raises(OutcomeUnknown) as caught:
                    await cancel(iamport)
            return caught.value, server.connections

    error, connections = run(main)
    assert isinstance(error.__cause__, httpx.HTTPError)
    assert not isinstance(error.__cause__, NOT_SENT_EXCEPTIONS), error.__cause__
    assert error.reconcile and connections == 1
    assert [r.attempts for r in records] == [1, 1]  # the cancel was not sent again


# -- timeouts -----------------------------------------------------------------------------------
def test_the_read_timeout_counts_from_the_last_bytes_not_the_whole_answer() -> None:
    """As httpx's: an answer trickling in slower than ``read`` overall but never silent for it."""
    wire = answer()

    async def handler(server: Server, reader: Any, writer: Any) -> None:
        await server.request(reader)
        for i in range(0, len(wire), len(wire) // 8 + 1):
            writer.write(wire[i : i + len(wire) // 8 + 1])
            await writer.drain()
            await asyncio.sleep(0.1)

    async def main() -> tuple[bytes, float]:
        async with Server(handler) as server:
            transport = AsyncHTTP11Transport(LIMITS)
            async with httpx.AsyncClient(transport=transport) as http:
                began = time.monotonic()
                response = await http.get(server.url, timeout=httpx.Timeout(2.0, read=0.3))
                return response.content, time.monotonic() - began

    content, took = run(main)
    assert content == BODY and took > 0.6


def test_no_timeout_at_all_works() -> None:
    async def main() -> bytes:
        transport = AsyncHTTP11Transport(LIMITS)
        async with Server(keep_answering) as server, httpx.AsyncClient(transport=transport) as http:
            return (await http.get(server.url, timeout=None)).content

    assert run(main) == BODY


def test_a_connect_to_a_full_backlog_times_out_as_not_sent() -> None:
    """A listener whose accept queue is full drops SYNs: like a blackholed address."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = []
        for _ in range(3):  # Linux queues backlog + 1; the rest wait in SYN_SENT
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        try:
            with socket.socket() as probe:  # the kernel drops its SYN, or the test cannot run
                probe.settimeout(0.3)
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    pytest.skip("this kernel completes connections past a full backlog")
            url = f"http://127.0.0.1:{port}"

            async def main() -> tuple[BaseException, float]:
                async with httpx.AsyncClient(transport=AsyncHTTP11Transport(LIMITS)) as http:
                    began = time.monotonic()
                    with pytest.raises(httpx.HTTPError) as caught:
                        await http.get(url, timeout=httpx.Timeout(5.0, connect=0.3))
                    return caught.value, time.monotonic() - began

            error, took = run(main)
        finally:
            for filler in fillers:
                filler.close()
    assert isinstance(error, httpx.ConnectTimeout) and took < 2.0
    assert isinstance(error, NOT_SENT_EXCEPTIONS)


def test_aclose_while_a_call_connects_fails_it_as_not_sent(certificate: tuple[Path, Path]) -> None:
    """The TLS handshake held back until ``aclose()`` came: the call sends nothing after it.

    The server is a thread, so that the ClientHello waits in its socket, unread.
    """
    trusted = ssl.create_default_context(cafile=str(certificate[0]))
    closed = threading.Event()
    received: list[bytes] = []

    def serve(listener: socket.socket) -> None:
        listener.settimeout(5.0)
        connection, _ = listener.accept()
        closed.wait(5.0)
        try:  # uvloop may give up the handshake at once: an EOF here, fine too
            with _server_context(certificate).wrap_socket(connection, server_side=True) as tls:
                tls.settimeout(1.0)
                received.append(tls.recv(65536))
        except OSError:  # ssl.SSLError, TimeoutError
            pass

    async def main(port: int) -> tuple[BaseException, int]:
        transport = AsyncHTTP11Transport(LIMITS, ssl_context=trusted)
        async with httpx.AsyncClient(transport=transport) as http:
            call = asyncio.create_task(http.get(f"https://localhost:{port}", timeout=3.0))
            await asyncio.sleep(0.2)  # connected, the handshake waiting for the server
            await transport.aclose()
            closed.set()
            with pytest.raises(httpx.HTTPError) as caught:
                await call
        return caught.value, transport.connections

    with socket.create_server(("127.0.0.1", 0)) as listener:
        thread = threading.Thread(target=serve, args=(listener,))
        thread.start()
        try:
            error, left = run(lambda: main(listener.getsockname()[1]))
        finally:
            closed.set()
            thread.join()
    assert isinstance(error, NOT_SENT_EXCEPTIONS) and left == 0, error
    assert received in ([], [b""])  # the handshake done, nothing came, then the close
