"""Server CPU per request on i'mport's two callbacks: the figure that moves least with load.

    python -m bench.server_cpu                       # both databases
    python -m bench.server_cpu --backends sqlite --count 20000
    python -m bench.server_cpu --backends sqlite --rates 100,300,1000   # approvals, open model

Not a scenario of ``python -m bench`` (it has no target): a diagnostic for work on
the hot paths. Per backend it starts the merchant server as the scenarios do and
sends, 200 in flight, after a warm-up of 2,000:

- ``sold-out 409``: confirms for orders of a product with no stock left;
- ``approval 200``: confirms for orders of a product with stock for all;
- ``webhook ack``: notifications of unknown payments (stored, processing left
  to a worker that is not running: ``PAYDESK_WEBHOOK_INLINE_JOBS=0``);
- ``429 at the door``: confirms refused by admission (``PAYDESK_CONFIRM_MAX_IN_FLIGHT=1``).

It prints requests/s and the server process's CPU per request (user + system, all
its threads, from ``/proc/PID/stat``).

With ``--rates``, it measures approvals instead at each fixed *open* rate (8 s each,
scheduled sends as the scenarios' open model): CPU per confirm, p50 and p99. A
confirm costs more at a low rate than at a high one; ``python -m bench.wakeups``
measures how much of that is the machine waking a sleeping thread.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from typing import Any

from paydesk.core.money import Money

from .procs import cpu_seconds
from .report import Row, print_table
from .stack import (
    confirm_path,
    json_post,
    load,
    scratch_database,
    seed_orders,
    seed_product,
    server_env,
    shipped,
)

__all__ = ["main"]

PRICE = Money(39_000)
WARM = 2_000


def _measure(port: int, pid: int, requests: Sequence[Any]) -> tuple[float, float, dict[str, int]]:
    load(port, requests[:WARM])
    before = cpu_seconds(pid)
    result = load(port, requests[WARM:])
    spent = cpu_seconds(pid) - before
    return result["rate"], spent * 1e6 / (len(requests) - WARM), result["statuses"]


def _confirms(uids: Sequence[str], prefix: str) -> list[Any]:
    return [json_post(confirm_path(uid), {"imp_uid": f"{prefix}{i:07d}", "merchant_uid": uid,
                                          "amount": PRICE.amount})
            for i, uid in enumerate(uids)]  # fmt: skip


def _rows(backend: str, count: int) -> list[Row]:
    total = WARM + count
    rows: list[Row] = []

    def row(label: str, measured: tuple[float, float, dict[str, int]]) -> None:
        rate, cpu, statuses = measured
        rows.append(Row(f"cpu/{backend}", label, cpu, None, "", "reported", "µs/req", None,
                        f"{rate:,.0f} req/s, answers {statuses}"))  # fmt: skip

    with scratch_database(backend) as url:
        empty = asyncio.run(seed_product(url, "empty", 0, PRICE))
        full = asyncio.run(seed_product(url, "full", total, PRICE))
        sold_out = [f"ord_so_{i:07d}" for i in range(total)]
        open_ = [f"ord_ok_{i:07d}" for i in range(total)]
        asyncio.run(seed_orders(url, empty, sold_out, PRICE))
        asyncio.run(seed_orders(url, full, open_, PRICE))
        env = server_env(url, PAYDESK_WEBHOOK_INLINE_JOBS="0")
        with shipped("serve", env) as (port, pid):
            row("confirm: sold-out 409", _measure(port, pid, _confirms(sold_out, "imp_so_")))
            row("confirm: approval 200", _measure(port, pid, _confirms(open_, "imp_ok_")))
            notes = [json_post("/iamport/webhook", {"imp_uid": f"imp_wh_{i:07d}",
                                                    "merchant_uid": f"ord_wh_{i}",
                                                    "status": "paid"})
                     for i in range(total)]  # fmt: skip
            row("webhook ack (stored, 200)", _measure(port, pid, notes))
        door = server_env(url, PAYDESK_CONFIRM_MAX_IN_FLIGHT="1", PAYDESK_CONFIRM_ADMIT_FLOOR="1")
        with shipped("serve", door) as (port, pid):
            row("confirm: 429 at the door", _measure(port, pid, _confirms(sold_out, "imp_door_")))
    return rows


def _open_rows(backend: str, rates: Sequence[float], seconds: float = 8.0) -> list[Row]:
    counts = [int(rate * seconds) for rate in rates]
    rows: list[Row] = []
    with scratch_database(backend) as url:
        total = WARM + sum(counts)
        full = asyncio.run(seed_product(url, "full", total, PRICE))
        uids = [f"ord_ok_{i:07d}" for i in range(total)]
        asyncio.run(seed_orders(url, full, uids, PRICE))
        confirms = _confirms(uids, "imp_ok_")
        with shipped("serve", server_env(url, PAYDESK_WEBHOOK_INLINE_JOBS="0")) as (port, pid):
            load(port, confirms[:WARM])
            start = WARM
            for rate, count in zip(rates, counts, strict=True):
                before = cpu_seconds(pid)
                result = load(port, confirms[start : start + count], rate=rate)
                spent = cpu_seconds(pid) - before
                start += count
                ms = result["ms"]
                rows.append(Row(f"cpu/{backend}", f"approval 200 at {rate:,.0f}/s offered",
                                spent * 1e6 / count, None, "", "reported", "µs/req", None,
                                f"{spent / (count / rate):.0%} of a core; p50 {ms['50']:.1f} ms,"
                                f" p99 {ms['99']:.1f} ms; answers {result['statuses']}"))  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.server_cpu", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--count", type=int, default=20_000, help="requests measured per row")
    parser.add_argument("--rates", default="", help="open-model rates for approvals, e.g. 100,1000")
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if args.rates:
        rates = [float(r) for r in args.rates.split(",") if r.strip()]
        rows = [r for b in backends for r in _open_rows(b, rates)]
    else:
        rows = [r for b in backends for r in _rows(b, args.count)]
    print_table(rows, title="paydesk bench: server CPU per request")


if __name__ == "__main__":
    main()
