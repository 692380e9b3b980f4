"""What it costs this machine to wake a sleeping thread: a diagnostic, not a scenario.

    python -m bench.wakeups

Two probes, each at growing gaps between one piece of work and the next:

- ``handoff``: the event loop (uvloop, as the server runs) hands a call to a thread
  and awaits its answer, as every statement of aiosqlite does: the round trip, and
  the process's CPU per round trip (both threads);
- ``sleep``: one thread does ~12 µs of Python, then sleeps for the gap: CPU per unit.

On an idle machine each pays for the wake-ups the gap allows. On a virtual machine a
wake-up may cost far more than on bare metal (the virtual CPU halts and is resumed
by the host), and that cost is charged to the process that woke. It is why the
server's CPU per confirm at a low open rate is several times that at a high rate
(``python -m bench.server_cpu --rates``): fewer confirms share each wake-up.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable, Sequence

from .report import Row, print_table

__all__ = ["main"]

GAPS = (0.0, 0.0005, 0.002, 0.01)  # seconds between one unit of work and the next


def _units(gap: float) -> int:
    return 300 if gap >= 0.01 else 2_000


async def _handoffs(gap: float) -> tuple[list[float], float]:
    """Round trips loop → thread → loop, ``gap`` apart: their times (µs), CPU per trip (µs)."""
    loop = asyncio.get_running_loop()
    calls: queue.SimpleQueue[asyncio.Future[None] | None] = queue.SimpleQueue()

    def worker() -> None:
        while (future := calls.get()) is not None:
            loop.call_soon_threadsafe(future.set_result, None)

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    trips: list[float] = []
    cpu = time.process_time()
    for _ in range(_units(gap)):
        future = loop.create_future()
        started = time.perf_counter()
        calls.put(future)
        await future
        trips.append((time.perf_counter() - started) * 1e6)
        if gap:
            await asyncio.sleep(gap)
    spent = (time.process_time() - cpu) * 1e6 / len(trips)
    calls.put(None)
    thread.join()
    return trips, spent


def _sleeps(gap: float, work: Callable[[], object]) -> float:
    """CPU per unit (µs) of ``work`` done ``gap`` seconds apart."""
    count = _units(gap)
    cpu = time.process_time()
    for _ in range(count):
        work()
        if gap:
            time.sleep(gap)
    return (time.process_time() - cpu) * 1e6 / count


def _unit() -> int:
    total = 0
    for i in range(200):
        total += i * i
    return total


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def rows() -> list[Row]:
    import uvloop

    result: list[Row] = []
    for gap in GAPS:
        trips, cpu = uvloop.run(_handoffs(gap))
        result.append(Row("wakeups", f"handoff, {gap * 1e3:g} ms apart", cpu, None, "",
                          "reported", "µs CPU/trip", None,
                          f"round trip p50 {_percentile(trips, 0.5):.0f} µs, "
                          f"p99 {_percentile(trips, 0.99):.0f} µs"))  # fmt: skip
    busy = _sleeps(0.0, _unit)
    for gap in GAPS:
        cpu = busy if gap == 0 else _sleeps(gap, _unit)
        result.append(Row("wakeups", f"sleep, {gap * 1e3:g} ms apart", cpu, busy, "back to back",
                          "reported", "µs CPU/unit", None,
                          f"{cpu - busy:+.0f} µs a wake-up"))  # fmt: skip
    return result


def main() -> None:
    print_table(rows(), title="paydesk bench: the machine's wake-ups")


if __name__ == "__main__":
    main()
