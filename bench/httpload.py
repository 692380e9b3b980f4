"""A small keep-alive HTTP/1.1 load generator, run as its own process by the scenarios.

``C`` connections each send one request, read the whole answer and send the
next (a closed loop), for ``--seconds`` after ``--warmup`` or until ``--count``
requests have been answered.  ``{n}`` in the path or body is replaced by a
running number, so each request can name a new ``merchant_uid``.  It prints one
JSON object: requests answered, seconds, requests/s and the count per status.

    python -m bench.httpload http://127.0.0.1:8099/payments/imp_1 --header 'Authorization: T'

It speaks only what the bench needs (Content-Length or chunked answers, no
TLS), with no HTTP library in the loop, so the generator is not the bottleneck.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from urllib.parse import urlsplit

__all__ = ["main"]


class Load:
    def __init__(self, args: argparse.Namespace) -> None:
        url = urlsplit(args.url)
        self.host = url.hostname or "127.0.0.1"
        self.port = url.port or 80
        self.path = (url.path or "/") + (f"?{url.query}" if url.query else "")
        self.method = args.method.upper()
        self.body = args.body.encode() if args.body is not None else b""
        self.headers = [h.encode() for h in args.header]
        if self.body:
            self.headers.append(b"Content-Type: " + args.content_type.encode())
        self.templated = b"{n}" in self.body or "{n}" in self.path
        self.static = self._request(0) if not self.templated else b""
        self.count = args.count
        self.sent = 0
        self.statuses: Counter[int] = Counter()
        self.answered = 0
        self.counting = args.warmup <= 0
        self.stop = False
        self.done = asyncio.Event()

    def _request(self, n: int) -> bytes:
        path = self.path.replace("{n}", str(n))
        body = self.body.replace(b"{n}", str(n).encode())
        head = [
            f"{self.method} {path} HTTP/1.1".encode(),
            f"Host: {self.host}:{self.port}".encode(),
        ]
        head += self.headers
        if body or self.method in ("POST", "PUT", "PATCH"):
            head.append(b"Content-Length: " + str(len(body)).encode())
        return b"\r\n".join(head) + b"\r\n\r\n" + body

    def next_request(self) -> bytes | None:
        if self.stop or (self.count and self.sent >= self.count):
            return None
        self.sent += 1
        return self._request(self.sent) if self.templated else self.static

    def answer(self, status: int) -> None:
        if self.counting:
            self.answered += 1
            self.statuses[status] += 1
        if self.count and self.answered >= self.count:
            self.done.set()


class Connection(asyncio.Protocol):
    def __init__(self, load: Load, closed: asyncio.Future[None]) -> None:
        self.load = load
        self.closed = closed
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.send()

    def send(self) -> None:
        assert self.transport is not None
        request = self.load.next_request()
        if request is None:
            self.transport.close()
            return
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
            status = int(head[0].split(" ", 2)[1])
            length, chunked = 0, False
            for line in head[1:]:
                name, _, value = line.partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value)
                elif name == "transfer-encoding" and "chunked" in value.lower():
                    chunked = True
            start = end + 4
            if chunked:
                stop = self.buffer.find(b"\r\n0\r\n\r\n", start - 2)
                if stop < 0:
                    return
                total = stop + 7
            else:
                total = start + length
                if len(self.buffer) < total:
                    return
            del self.buffer[:total]
            self.load.answer(status)
            self.send()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)


async def run(args: argparse.Namespace) -> dict[str, object]:
    load = Load(args)
    loop = asyncio.get_running_loop()
    closed: list[asyncio.Future[None]] = []
    for _ in range(args.concurrency):
        future: asyncio.Future[None] = loop.create_future()
        closed.append(future)
        await loop.create_connection(
            lambda f=future: Connection(load, f),
            load.host,
            load.port,  # type: ignore[misc]
        )
    if args.warmup > 0:
        await asyncio.sleep(args.warmup)
        load.counting = True
    began = time.perf_counter()
    if args.count:
        await load.done.wait()
    else:
        await asyncio.sleep(args.seconds)
    elapsed = time.perf_counter() - began
    answered, statuses = load.answered, dict(load.statuses)
    load.stop = True
    await asyncio.wait(closed, timeout=10)
    return {
        "requests": answered,
        "seconds": elapsed,
        "rps": answered / elapsed if elapsed else 0.0,
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--method", default="GET")
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--body")
    parser.add_argument("--content-type", default="application/json")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--count", type=int, default=0, help="stop after this many answers")
    args = parser.parse_args(argv)
    if args.count:
        args.warmup = 0
    print(json.dumps(asyncio.run(run(args))))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
