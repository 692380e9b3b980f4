"""``AsyncHTTP11Transport``: HTTP/1.1 on asyncio protocols, for the async clients made here.

Profiled at 50 calls in flight against the emulator, ``AsyncIamport`` spent
about two thirds of its CPU per call inside httpx's async transport before a
byte of ours ran: httpcore's pool (two passes over every connection per call,
even with ``LeanAsyncPool``), anyio's cancel scopes around every read and write
(``fail_after``, ``current_task``, sniffio lookups), three lock acquisitions,
h11's event objects and state machine, and one task wake-up per read.  None of
it does anything an i'mport call needs; the sync client pays much less of it
(no anyio, no scopes), so the async client used more CPU per call than the sync
one and 50 calls in flight bought nothing.

This transport does the same job as a plain ``asyncio.Protocol``: the answer is
parsed as its bytes arrive, in the event loop's own callback, and the waiting
call is woken once, with the whole answer.  What it keeps of httpx's contract:

- TLS with httpx's default context (``httpx.create_ssl_context``: certifi, or
  ``SSL_CERT_FILE``/``SSL_CERT_DIR``; hostname checked), ALPN ``http/1.1``;
- a keep-alive pool per origin: ``max_connections`` (waiting past the pool
  timeout raises ``PoolTimeout``), ``max_keepalive_connections`` and
  ``keepalive_expiry``; a connection the server closed, or that has anything
  to read while idle, is never handed out again;
- ``Content-Length``, chunked and read-until-close bodies both ways (answers of
  ``MAX_BODY`` at most); the answer is an ``httpx.Response`` read through httpx,
  so ``Content-Encoding`` is decoded exactly as httpx decodes it; heads read as
  h11 reads them (LF alone as a line break, obsolete line folding unfolded);
- the request's ``timeout`` extension, phase by phase (``read`` counted from the
  last bytes that came, as httpx counts it per read: not a bound on the whole
  answer, which the caller's deadline gives as the ``ANSWER_BY`` extension), and httpx's exception
  classes, which ``mapping.translate`` sorts into "not sent" and "outcome
  unknown": only a failure before any byte of the request was written
  (``ConnectError``, ``ConnectTimeout``, ``PoolTimeout``, ``LocalProtocolError``,
  ``UnsupportedProtocol``) may say "not sent"; anything after the first write —
  a connection the server had closed included — is ``WriteError``,
  ``WriteTimeout``, ``ReadError``, ``ReadTimeout`` or ``RemoteProtocolError``.

Each answer is read whole before ``handle_async_request`` returns (i'mport's
answers are small JSON documents), so a call cancelled or timed out at any point
closes its connection instead of leaving half an answer in the pool.

The clients use it only where they already go around ``httpx.AsyncClient.send``
(``direct.py``): when they make the ``httpx`` client themselves and the
environment names no proxy.
"""

from __future__ import annotations

import asyncio
import re
import socket
import ssl
import time
import urllib.request
from collections import deque
from collections.abc import AsyncIterable
from typing import cast

import httpx
from httpcore._utils import is_socket_readable

from .pool import SWEEP_EVERY

__all__ = ["ANSWER_BY", "LATE", "AsyncHTTP11Transport", "http11_transport"]

#: A request extension: the event loop's time by which the whole answer must have come,
#: however its bytes trickle in (the call's deadline); past it, ``httpx.ReadTimeout(LATE)``.
ANSWER_BY = "paydesk.answer_by"
LATE = "the answer was still arriving at the call's deadline"

#: The longest status line plus headers accepted from a server (h11 allows 16 KiB).
MAX_HEAD = 64 * 1024
#: The largest answer body accepted: i'mport's are a few KiB, but the body is read whole, so a
#: broken or hostile proxy streaming forever gets a ``RemoteProtocolError`` here, not all memory.
MAX_BODY = 64 * 1024 * 1024
TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
#: A chunk size: hex digits only (``int(x, 16)`` also takes signs, ``0x`` and ``_``), as h11's.
CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")
DEFAULT_PORTS = {b"http": 80, b"https": 443}
Origin = tuple[bytes, str, int]

# How the body of an answer ends.
NO_BODY, LENGTH, CHUNKED, UNTIL_CLOSE = range(4)
# Where a chunked body is.
SIZE, DATA, DATA_END, TRAILER = range(4)


def _request_head(request: httpx.Request) -> bytes:
    """The request line and headers, checked as h11 checks them before sending.

    Raises:
        httpx.LocalProtocolError: a method or header name that is not a token, a
            value with a line break or NUL, or no ``Host`` header.
    """
    method = request.method.encode("ascii")
    if not TOKEN.fullmatch(method):
        raise httpx.LocalProtocolError(f"invalid method {request.method!r}")
    lines = [method + b" " + request.url.raw_path + b" HTTP/1.1"]
    host = False
    for name, value in request.headers.raw:
        if not TOKEN.fullmatch(name):
            raise httpx.LocalProtocolError(f"invalid header name {name!r}")
        host = host or name.lower() == b"host"
        lines.append(name + b": " + value)
    if not host:
        raise httpx.LocalProtocolError("missing mandatory Host: header")
    head = b"\r\n".join(lines) + b"\r\n\r\n"
    breaks = len(lines) + 1
    if head.count(b"\n") != breaks or head.count(b"\r") != breaks or b"\0" in head:
        raise httpx.LocalProtocolError("illegal header value (a line break or NUL)")
    return head


def _chunked(request: httpx.Request) -> bool:
    return b"chunked" in request.headers.get("transfer-encoding", "").encode().lower()


class _Connection(asyncio.Protocol):
    """One HTTP/1.1 connection: writes a request, parses its answer as it arrives."""

    def __init__(self, origin: Origin, loop: asyncio.AbstractEventLoop) -> None:
        self.origin = origin
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.sock: socket.socket | None = None
        self.lost = False  # the server closed it, or it failed: never reuse
        self.gone = False  # connection_lost came: the transport is closed and done with
        self.counted = True  # holds one of the pool's slots
        self.idle_since = 0.0
        self.buffer = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes, bytes, list[tuple[bytes, bytes]], bytes]]
        self.waiter = loop.create_future()
        self.waiter.set_result((0, b"", b"", [], b""))  # nothing is waiting yet
        self.writing = False
        self.paused = False
        self.drained: asyncio.Future[None] | None = None
        self.read_timeout: float | None = None
        self.answer_by: float | None = None
        self.last_data = 0.0
        self.timer: asyncio.TimerHandle | None = None
        self.reusable = False
        self._reset(head_request=False)

    def _reset(self, *, head_request: bool) -> None:
        self.head_request = head_request
        self.status = 0
        self.version = b""
        self.reason = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.framing = NO_BODY
        self.left = 0
        self.chunk_state = SIZE
        self.body = bytearray()
        self.keep_alive = True

    # -- asyncio.Protocol ---------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport, though not always an ``asyncio.Transport`` by class:
        # uvloop's (``paydesk serve`` and ``worker`` run on it) subclass nothing of asyncio.
        self.transport = transport = cast(asyncio.Transport, transport)
        # Paused while any byte is unsent, resumed when all are: the write timeout's signal.
        transport.set_write_buffer_limits(high=0)
        self.sock = transport.get_extra_info("socket")

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        if self.drained is not None and not self.drained.done():
            self.drained.set_result(None)

    def data_received(self, data: bytes) -> None:
        if self.waiter.done():  # bytes nobody asked for: the connection is out of step
            self._unusable()
            return
        self.buffer += data
        self.last_data = self.loop.time()
        try:
            self._parse()
        except httpx.RemoteProtocolError as exc:
            self._fail(exc)

    def eof_received(self) -> bool:
        self.lost = True
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = self.gone = True
        if self.drained is not None and not self.drained.done():
            self.drained.set_exception(httpx.WriteError(str(exc or "connection closed")))
        if self.waiter.done():
            return
        if self.framing == UNTIL_CLOSE and exc is None:
            self.keep_alive = False
            self._complete(bytes(self.buffer))
        elif exc is not None:
            kind = httpx.WriteError if self.writing else httpx.ReadError
            self._fail(kind(str(exc) or type(exc).__name__))
        elif self.status == 0 and not self.buffer:
            self._fail(httpx.RemoteProtocolError("Server disconnected without sending a response."))
        else:
            self._fail(
                httpx.RemoteProtocolError("peer closed connection without sending complete body")
            )

    # -- the answer -----------------------------------------------------------------------
    def _parse(self) -> None:
        while self.status == 0 or 100 <= self.status < 200:
            if 100 <= self.status < 200:  # an interim answer (100 Continue): the real one follows
                self._reset(head_request=self.head_request)
            end, after = self._head_end()
            # Counted whether or not the end came: one read (up to 256 KiB) may hold it all.
            if (len(self.buffer) if end < 0 else end) > MAX_HEAD:
                raise httpx.RemoteProtocolError("answer head too long")
            if end < 0:
                return
            head = bytes(self.buffer[:end])
            del self.buffer[:after]
            self._read_head(head)
        if self.framing == LENGTH:
            if len(self.buffer) < self.left:
                return
            body = bytes(self.buffer[: self.left])
            del self.buffer[: self.left]
            self._complete(body)
        elif self.framing == CHUNKED:
            self._read_chunks()
        elif self.framing == NO_BODY:
            self._complete(b"")
        elif len(self.buffer) > MAX_BODY:  # UNTIL_CLOSE: a proxy streaming forever stops here
            raise httpx.RemoteProtocolError(f"answer body larger than {MAX_BODY} bytes")

    def _head_end(self) -> tuple[int, int]:
        """Where the head in the buffer ends and its blank line after it ends (-1: not yet).

        The blank line is CRLF CRLF, or with LF alone for either (as h11 reads it): two
        ``find`` rather than a regular expression, which took 1.5 µs more per answer.
        """
        buffer = self.buffer
        crlf = buffer.find(b"\n\r\n")
        lf = buffer.find(b"\n\n", 0, None if crlf < 0 else crlf + 1)
        end = lf if lf >= 0 else crlf
        if end < 0:
            return -1, -1
        after = end + (2 if end == lf else 3)
        return (end - 1 if end and buffer[end - 1] == 13 else end), after  # 13: CR

    def _read_head(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        if head.count(b"\n") != len(lines) - 1:  # LF alone too, as h11 reads it
            lines = head.replace(b"\r\n", b"\n").split(b"\n")
        self._read_lines(lines)

    def _read_lines(self, lines: list[bytes]) -> None:
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or parts[0] not in (b"HTTP/1.1", b"HTTP/1.0"):
            raise httpx.RemoteProtocolError(f"not an HTTP/1.x status line: {lines[0][:80]!r}")
        if len(parts[1]) != 3 or not parts[1].isdigit():
            raise httpx.RemoteProtocolError(f"invalid status code {parts[1][:10]!r}")
        self.version, self.status = parts[0], int(parts[1])
        self.reason = parts[2] if len(parts) == 3 else b""
        self.keep_alive = self.version == b"HTTP/1.1"
        headers = self.headers
        length: int | None = None
        chunked = False
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon or not TOKEN.fullmatch(name):
                if line[:1] in (b" ", b"\t"):  # obsolete line folding (rare): read them unfolded
                    headers.clear()
                    self._read_lines(self._unfold(lines))
                    return
                raise httpx.RemoteProtocolError(f"invalid header line {line[:80]!r}")
            value = value.strip(b" \t")
            headers.append((name, value))
            lower = name.lower()
            if lower == b"content-length":
                length = self._content_length(value, length)
            elif lower == b"transfer-encoding":
                if value.lower() != b"chunked":
                    raise httpx.RemoteProtocolError(f"unsupported Transfer-Encoding {value!r}")
                chunked = True
            elif lower == b"connection" and b"close" in value.lower():
                self.keep_alive = False
        if self.head_request or self.status in (204, 304) or self.status < 200:
            self.framing = NO_BODY
        elif chunked:
            self.framing = CHUNKED
            if length is not None:  # RFC 9112 §6.3: chunked wins, but the connection must close
                self.keep_alive = False
        elif length is not None:
            if length > MAX_BODY:  # refused now rather than buffered up to it
                raise httpx.RemoteProtocolError(f"answer body larger than {MAX_BODY} bytes")
            self.framing, self.left = LENGTH, length
        else:
            self.framing, self.keep_alive = UNTIL_CLOSE, False

    @staticmethod
    def _unfold(lines: list[bytes]) -> list[bytes]:
        """Header lines with each obsolete line folding replaced by a space (RFC 9112 §5.2)."""
        unfolded = lines[:1]
        for line in lines[1:]:
            if line[:1] not in (b" ", b"\t"):
                unfolded.append(line)
            elif len(unfolded) == 1:  # as h11: nothing to continue
                raise httpx.RemoteProtocolError("continuation line at start of headers")
            else:
                unfolded[-1] = unfolded[-1].rstrip(b" \t") + b" " + line.strip(b" \t")
        return unfolded

    @staticmethod
    def _content_length(value: bytes, seen: int | None) -> int:
        values = {v.strip() for v in value.split(b",")}
        if len(values) != 1 or not (only := values.pop()).isdigit():
            raise httpx.RemoteProtocolError(f"invalid Content-Length {value[:40]!r}")
        # More than 18 digits (leading zeros aside) is no length we could read; past 4300
        # int() would raise ValueError, not a protocol error, inside data_received.
        digits = only.lstrip(b"0") or b"0"
        if len(digits) > 18:
            raise httpx.RemoteProtocolError(f"invalid Content-Length {value[:40]!r}")
        if seen is not None and int(digits) != seen:
            raise httpx.RemoteProtocolError("conflicting Content-Length headers")
        return int(digits)

    def _read_chunks(self) -> None:
        buffer = self.buffer
        while True:
            if self.chunk_state == SIZE or self.chunk_state == TRAILER:
                end = buffer.find(b"\r\n")
                if end < 0:
                    if len(buffer) > MAX_HEAD:
                        raise httpx.RemoteProtocolError("chunk header too long")
                    return
                line = bytes(buffer[:end])
                del buffer[: end + 2]
                if self.chunk_state == TRAILER:
                    if not line:
                        self._complete(bytes(self.body))
                        return
                    continue
                size = line.split(b";", 1)[0].strip()
                if not CHUNK_SIZE.fullmatch(size):  # "-0", "0x0", "0_0": not the last chunk
                    raise httpx.RemoteProtocolError(f"invalid chunk size {size[:20]!r}")
                self.left = int(size, 16)
                if len(self.body) + self.left > MAX_BODY:
                    raise httpx.RemoteProtocolError(f"answer body larger than {MAX_BODY} bytes")
                self.chunk_state = DATA if self.left else TRAILER
            elif self.chunk_state == DATA:
                take = min(self.left, len(buffer))
                self.body += buffer[:take]
                del buffer[:take]
                self.left -= take
                if self.left:
                    return
                self.chunk_state = DATA_END
            else:  # DATA_END: the line break after a chunk's data
                if len(buffer) < 2:
                    return
                if buffer[:2] != b"\r\n":
                    raise httpx.RemoteProtocolError("chunk data not followed by a line break")
                del buffer[:2]
                self.chunk_state = SIZE

    def _complete(self, body: bytes) -> None:
        self.reusable = self.keep_alive and not self.buffer and not self.lost
        self._stop_timer()
        self.waiter.set_result((self.status, self.version, self.reason, self.headers, body))

    def _fail(self, exc: Exception) -> None:
        self._stop_timer()
        if not self.waiter.done():
            self.waiter.set_exception(exc)
        self._unusable()

    def _unusable(self) -> None:
        self.lost = True
        # Not once it is gone: asyncio's transport, closed by ``eof_received`` while a write
        # was buffered, ends without counting itself lost, and a later abort() then fails
        # with AttributeError (its loop is None) instead of doing nothing.
        if self.transport is not None and not self.gone:
            self.transport.abort()

    # -- the read timeout: since the last bytes came, as httpx counts it per read; and the ----
    # -- answer's deadline (``ANSWER_BY``), which bytes trickling in do not push back ---------
    def _start_timer(self, timeout: float | None, answer_by: float | None) -> None:
        self.read_timeout = timeout
        self.answer_by = answer_by
        self.last_data = self.loop.time()
        due = self._due()
        if due is not None:
            self.timer = self.loop.call_at(due, self._timed_out)

    def _due(self) -> float | None:
        since = None if self.read_timeout is None else self.last_data + self.read_timeout
        if self.answer_by is None:
            return since
        return self.answer_by if since is None else min(since, self.answer_by)

    def _timed_out(self) -> None:
        due = self._due()
        assert due is not None
        if self.loop.time() < due:
            self.timer = self.loop.call_at(due, self._timed_out)
        else:
            self.timer = None
            late = self.answer_by is not None and due >= self.answer_by
            self._fail(httpx.ReadTimeout(LATE if late else "timed out waiting for the answer"))

    def _stop_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    # -- one exchange -------------------------------------------------------------------------
    async def exchange(
        self, request: httpx.Request, head: bytes, timeouts: dict[str, float | None]
    ) -> httpx.Response:
        """Send ``request`` and read its whole answer (the caller drops the connection on error)."""
        assert self.transport is not None
        self._reset(head_request=request.method == "HEAD")
        self.reusable = False
        self.waiter = self.loop.create_future()
        self.writing = True
        try:
            await self._write_body(request, head, timeouts.get("write"))
        except (httpx.WriteError, httpx.WriteTimeout):
            # The server may answer before it has read the whole request (a proxy's 413) and
            # close: that answer, when whole, is the outcome (httpcore returns it too).
            if not self.waiter.done() or self.waiter.exception() is not None:
                raise  # (the answer's own failure, if any, is retrieved: no "never retrieved")
            self.lost = True
        self.writing = False
        if not self.waiter.done():
            self._start_timer(timeouts.get("read"), request.extensions.get(ANSWER_BY))
        status, version, reason, headers, body = await self.waiter
        response = httpx.Response(
            status,
            headers=headers,
            stream=httpx.ByteStream(body),
            extensions={"http_version": version, "reason_phrase": reason},
            request=request,
        )
        response.read()  # decoded by httpx, as its own transports' answers are
        return response

    async def _write_body(self, request: httpx.Request, head: bytes, seconds: float | None) -> None:
        try:
            content: bytes | None = request.content
        except httpx.RequestNotRead:
            content = None
        if content is not None:
            await self._write(head + content, seconds)
            return
        chunked = _chunked(request)
        await self._write(head, seconds)
        stream = request.stream
        if not isinstance(stream, AsyncIterable):  # as httpx's own async transport refuses it
            raise RuntimeError("Attempted to send a sync request with an AsyncClient instance.")
        async for part in stream:
            if part:
                await self._write(b"%x\r\n%b\r\n" % (len(part), part) if chunked else part, seconds)
        if chunked:
            await self._write(b"0\r\n\r\n", seconds)

    async def _write(self, data: bytes, seconds: float | None) -> None:
        """Write ``data``; wait (``seconds`` at most) until the kernel has taken all of it."""
        assert self.transport is not None
        if self.lost:
            raise httpx.WriteError("connection closed")
        self.transport.write(data)
        if not self.paused:
            return
        self.drained = self.loop.create_future()
        try:
            async with asyncio.timeout(seconds):
                await self.drained
        except TimeoutError:
            raise httpx.WriteTimeout("timed out writing the request") from None
        finally:
            self.drained = None


class AsyncHTTP11Transport(httpx.AsyncBaseTransport):
    """An ``httpx.AsyncBaseTransport`` speaking HTTP/1.1 over asyncio (see the module docstring).

    Args:
        limits: the pool's bounds (``httpx.Limits``).
        ssl_context: for ``https`` (default: httpx's, ``httpx.create_ssl_context()``).

    Belongs to the event loop of its first request, as httpx's async transports do.
    """

    def __init__(self, limits: httpx.Limits, ssl_context: ssl.SSLContext | None = None) -> None:
        inf = float("inf")
        self._max = inf if limits.max_connections is None else limits.max_connections
        idle = limits.max_keepalive_connections
        self._max_idle = self._max if idle is None else min(idle, self._max)
        self._expiry = inf if limits.keepalive_expiry is None else limits.keepalive_expiry
        self._ssl = ssl_context
        self._idle: dict[Origin, list[_Connection]] = {}
        self._idle_count = 0
        self._busy: set[_Connection] = set()
        self._slots = 0  # connections open, opening or in use
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._swept = 0.0
        self._closed = False

    def _context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = httpx.create_ssl_context()
            self._ssl.set_alpn_protocols(["http/1.1"])
        return self._ssl

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._closed:
            raise RuntimeError("the transport is closed")
        url = request.url
        scheme = url.raw_scheme
        if scheme not in DEFAULT_PORTS:
            raise httpx.UnsupportedProtocol(f"unsupported URL scheme {url.scheme!r}")
        if not url.raw_host:
            raise httpx.UnsupportedProtocol(f"request URL has no host: {url}")
        origin = (scheme, url.host, url.port or DEFAULT_PORTS[scheme])
        head = _request_head(request)
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        connection = await self._acquire(origin, timeouts)
        self._busy.add(connection)
        try:
            response = await connection.exchange(request, head, timeouts)
        except BaseException:  # failed, timed out or cancelled: never back into the pool
            self._drop(connection)
            raise
        finally:
            self._busy.discard(connection)
        self._release(connection)
        return response

    # -- the pool ---------------------------------------------------------------------------
    async def _acquire(self, origin: Origin, timeouts: dict[str, float | None]) -> _Connection:
        connection = self._idle_connection(origin)
        if connection is not None:
            return connection
        if not self._take_slot():
            connection = await self._wait(origin, timeouts.get("pool"))
            if connection is not None:
                return connection
        try:  # a slot is ours: open a connection in it
            connection = await self._connect(origin, timeouts.get("connect"))
        except BaseException:
            self._slots -= 1
            self._wake()
            raise
        if self._closed:  # aclose() came while it connected: nothing was sent
            self._drop(connection)
            raise _closed_before_sending()
        return connection

    def _idle_connection(self, origin: Origin) -> _Connection | None:
        now = time.monotonic()
        if now - self._swept >= SWEEP_EVERY:
            self._sweep(now)
        idle = self._idle.get(origin)
        while idle:
            connection = idle.pop()  # the newest: the least likely to be stale
            self._idle_count -= 1
            if (
                connection.lost
                or now - connection.idle_since >= self._expiry
                or is_socket_readable(connection.sock)  # an EOF, a reset, stray bytes
            ):
                self._drop(connection)
                continue
            return connection
        return None

    def _sweep(self, now: float) -> None:
        """Close idle connections past ``keepalive_expiry`` (once per ``SWEEP_EVERY``)."""
        self._swept = now
        for idle in self._idle.values():
            expired = [c for c in idle if c.lost or now - c.idle_since >= self._expiry]
            for connection in expired:
                idle.remove(connection)
                self._idle_count -= 1
                self._drop(connection)

    def _take_slot(self) -> bool:
        """Take a slot for a new connection, closing an idle one of another origin if needed."""
        if self._slots < self._max:
            self._slots += 1
            return True
        for idle in self._idle.values():
            if idle:
                self._idle_count -= 1
                self._drop(idle.pop(0))  # the oldest
                self._slots += 1
                return True
        return False

    async def _wait(self, origin: Origin, seconds: float | None) -> _Connection | None:
        """Wait for an idle connection or a free slot (taken: then None), ``seconds`` at most."""
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(seconds):
                while True:
                    woken: asyncio.Future[None] = loop.create_future()
                    self._waiters.append(woken)
                    try:
                        await woken
                    except BaseException:
                        if woken.done() and not woken.cancelled():
                            self._wake()  # pass on a wake-up this waiter cannot use
                        elif woken in self._waiters:
                            self._waiters.remove(woken)
                        raise
                    if self._closed:  # woken by aclose(): nothing was sent
                        raise _closed_before_sending()
                    connection = self._idle_connection(origin)
                    if connection is not None:
                        return connection
                    if self._take_slot():
                        return None
        except TimeoutError:
            raise httpx.PoolTimeout("no connection free in the pool in time") from None

    def _wake(self) -> None:
        while self._waiters:
            woken = self._waiters.popleft()
            if not woken.done():
                woken.set_result(None)
                return

    async def _connect(self, origin: Origin, seconds: float | None) -> _Connection:
        scheme, host, port = origin
        loop = asyncio.get_running_loop()
        connection = _Connection(origin, loop)
        secure = scheme == b"https"
        try:
            async with asyncio.timeout(seconds):
                await loop.create_connection(
                    lambda: connection,
                    host,
                    port,
                    ssl=self._context() if secure else None,
                    server_hostname=host if secure else None,
                )
        except TimeoutError:
            raise httpx.ConnectTimeout(f"timed out connecting to {host}:{port}") from None
        except OSError as exc:  # refused, unreachable, DNS, TLS (certificate) failures
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from exc
        return connection

    def _release(self, connection: _Connection) -> None:
        if (
            self._closed
            or not connection.reusable
            or connection.lost
            or self._idle_count >= self._max_idle
        ):
            self._drop(connection)
            return
        connection.idle_since = time.monotonic()
        self._idle.setdefault(connection.origin, []).append(connection)
        self._idle_count += 1
        self._wake()

    def _drop(self, connection: _Connection) -> None:
        """Close ``connection`` (at once: nothing of it is worth waiting for) and free its slot."""
        connection._unusable()
        if connection.counted:
            connection.counted = False
            self._slots -= 1
            self._wake()

    @property
    def connections(self) -> int:
        """Connections open, opening or in use (for tests and metrics)."""
        return self._slots

    async def aclose(self) -> None:
        self._closed = True
        for idle in self._idle.values():
            for connection in idle:
                self._drop(connection)
            idle.clear()
        self._idle_count = 0
        for connection in list(self._busy):
            # Failed first: the close alone would end a body read until close as if whole.
            kind = httpx.WriteError if connection.writing else httpx.ReadError
            connection._fail(kind("the transport was closed during the exchange"))
            self._drop(connection)
        for woken in self._waiters:  # those waiting for the pool: they fail, opening nothing
            if not woken.done():
                woken.set_result(None)
        self._waiters.clear()


def _closed_before_sending() -> httpx.ConnectError:
    """The error of a call ``aclose()`` stopped before it had a connection: "not sent"."""
    return httpx.ConnectError("the transport was closed before the request was sent")


def http11_transport(limits: httpx.Limits) -> AsyncHTTP11Transport | None:
    """``AsyncHTTP11Transport`` for a client made here; None when the environment names a proxy.

    httpx then routes some URLs through its proxy transports, which only its
    ``AsyncClient`` knows how to pick (see ``direct.direct_transport``).
    """
    if urllib.request.getproxies():
        return None
    return AsyncHTTP11Transport(limits)
