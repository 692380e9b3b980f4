"""The load generator, run in its own process: ``python -m bench.loadgen SPEC OUT``.

SPEC (JSON) names the port, the requests (``[method, path, content_type, body]``,
sent in order), the connections and the offered ``rate``:

- ``rate`` null: closed loop at ``connections`` in flight, as fast as the server
  answers (the maximum throughput);
- ``rate`` r: an open model. Request i is *scheduled* at ``start + i / r`` and
  timed from that moment, whether or not a connection was free then, so a
  stalled server shows as latency instead of slowing the sender (no coordinated
  omission).

OUT (JSON) gets the counts per status, elapsed seconds, percentiles and the HDR
histogram (microseconds, ``hdrh`` encoded) for the plots, and the generator's own
lag: how late after its scheduled time each request's task started (the generator
short of CPU, not the server; waiting for a free connection is not in it). Bare HTTP/1.1
keep-alive connections over asyncio streams: a heavier client would measure itself.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from typing import Any

from hdrh.histogram import HdrHistogram

__all__ = ["main"]

TIMEOUT = 30.0  # seconds: a request not answered by then counts as "timeout"
#: A connection idle this long is opened again before use: uvicorn closes one idle for
#: 5 s (--timeout-keep-alive), and a request sent into that close would count as an
#: "error" of the server (as httpx's keepalive_expiry, HTTP clients do the same).
KEEPALIVE = 4.0


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.used = time.perf_counter()  # opened, or its last answer read

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def send(self, head: bytes, body: bytes) -> int:
        self.writer.write(head + body)
        status = int((await self.reader.readline()).split()[1])
        length, chunked = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            name = name.lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
        if chunked:
            while size := int((await self.reader.readline()).strip(), 16):
                await self.reader.readexactly(size + 2)
            await self.reader.readline()
        else:
            await self.reader.readexactly(length)
        self.used = time.perf_counter()
        return status

    def close(self) -> None:
        self.writer.close()


def _prepared(requests: list[list[str]]) -> list[tuple[bytes, bytes]]:
    out = []
    for method, path, content_type, body in requests:
        data = body.encode()
        head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(data)}\r\n\r\n").encode()  # fmt: skip
        out.append((head, data))
    return out


async def run(spec: dict[str, Any]) -> dict[str, Any]:
    port, rate = spec["port"], spec.get("rate")
    requests = _prepared(spec["requests"])
    idle: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(min(spec.get("connections", 200), len(requests))):
        idle.put_nowait(await Connection.open(port))
    histogram = HdrHistogram(1, 120_000_000, 3)
    statuses: Counter[str] = Counter()

    lag_ms = 0.0

    async def one(request: tuple[bytes, bytes], scheduled: float) -> None:
        nonlocal lag_ms
        lag_ms = max(lag_ms, (time.perf_counter() - scheduled) * 1000)
        connection = await idle.get()
        try:
            if time.perf_counter() - connection.used > KEEPALIVE:  # the server may close it
                connection.close()
                connection = await Connection.open(port)
            status = await asyncio.wait_for(connection.send(*request), TIMEOUT)
            statuses[str(status)] += 1
            idle.put_nowait(connection)
        except (TimeoutError, OSError, ValueError, IndexError, asyncio.IncompleteReadError) as e:
            statuses["timeout" if isinstance(e, TimeoutError) else "error"] += 1
            connection.close()
            idle.put_nowait(await Connection.open(port))
        histogram.record_value(max(1, int((time.perf_counter() - scheduled) * 1e6)))

    started = time.perf_counter()
    if rate is None:
        pending = iter(requests)

        async def worker() -> None:
            for request in pending:
                await one(request, time.perf_counter())

        await asyncio.gather(*(worker() for _ in range(idle.qsize())))
    else:
        tasks = []
        for i, request in enumerate(requests):
            scheduled = started + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.ensure_future(one(request, scheduled)))
        await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    while not idle.empty():
        idle.get_nowait().close()
    return {
        "count": len(requests),
        "elapsed": elapsed,
        "rate": len(requests) / elapsed,
        "offered": rate,
        "statuses": dict(statuses),
        "ms": {str(p): histogram.get_value_at_percentile(p) / 1000 for p in (50, 90, 99, 99.9)}
        | {"max": histogram.get_max_value() / 1000},
        "lag_ms": lag_ms,
        "histogram": histogram.encode().decode(),
    }


def main(argv: list[str]) -> int:
    spec_path, out_path = argv
    with open(spec_path) as spec_file:
        spec = json.load(spec_file)
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is in the lock file where it runs
        result = asyncio.run(run(spec))
    else:
        result = uvloop.run(run(spec))
    with open(out_path, "w") as out:
        json.dump(result, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
