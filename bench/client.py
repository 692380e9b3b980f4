"""Client scenario: ``paydesk.iamport`` against the official client, and async against sync.

    .venv/bin/python -m bench.client            # 3 alternating rounds of 5 s
    .venv/bin/python -m bench.client --quick    # 1 round of 2 s

One ``paydesk emulator`` (its own process) holds a paid payment; each client
runs in a process of its own (``python -m bench.client --drive KIND``) and
reads that payment over and over for the round's seconds:

- ``official``: ``iamport-rest-client`` (requests), ``find_by_imp_uid`` — as
  shipped, it asks for a token before every call;
- ``sync``: ``paydesk.iamport.Iamport.payment``, one call at a time;
- ``async``: ``paydesk.iamport.AsyncIamport.payment``, 50 calls in flight.

Then ``sync`` and ``async`` run again with the emulator's latency fault adding
``LATENCY`` seconds to every payment read: 50 calls in flight only pay off when
there is latency to overlap, and i'mport answers in tens of milliseconds.

Every answer is checked (the payment's amount and status), so a client that
fails fast cannot look fast.  The note gives the client's own CPU time per
call, which does not depend on how busy the shared machine is, the emulator's
CPU time per call over the same window, and how many cores each used (CPU
seconds over wall seconds: a one-at-a-time client and its server take turns,
while 50 calls in flight keep the client busy whenever it gets a core).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .procs import PYTHON, ROOT, cpu_seconds, free_port, server
from .report import Row, print_table

__all__ = ["run"]

SCENARIO = "client"
KEY, SECRET = "demo_imp_key", "demo_imp_secret"
AMOUNT = 4_321
CONCURRENCY = 50
#: The second pair of async/sync rows: i'mport answers in tens of milliseconds, not in the
#: emulator's fraction of one; the emulator's own latency fault adds this to every payment read.
LATENCY = 0.02
# The official client pins an old ``requests``: it is installed apart, never into the venv.
OFFICIAL = "iamport-rest-client==0.9.0"
OFFICIAL_DIR = Path.home() / ".cache" / "paydesk-bench" / "official-client"


def official_client() -> Path:
    """A directory holding ``iamport-rest-client`` and its pins (installed once, with pip)."""
    if not (OFFICIAL_DIR / "iamport").is_dir():
        subprocess.run([PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "--target", str(OFFICIAL_DIR), OFFICIAL], check=True, timeout=600)  # fmt: skip
    return OFFICIAL_DIR


# -- the drivers: each runs in its own process -----------------------------------------
def _drive_official(base: str, imp_uid: str, seconds: float) -> int:
    from iamport import Iamport as Official

    client = Official(KEY, SECRET, imp_url=base + "/")
    calls, stop = 0, time.perf_counter() + seconds
    while time.perf_counter() < stop:
        payment = client.find_by_imp_uid(imp_uid)
        assert payment["amount"] == AMOUNT and payment["status"] == "paid", payment
        calls += 1
    return calls


def _drive_sync(base: str, imp_uid: str, seconds: float) -> int:
    from paydesk.iamport import Iamport

    with Iamport(KEY, SECRET, base_url=base) as client:
        calls, stop = 0, time.perf_counter() + seconds
        while time.perf_counter() < stop:
            payment = client.payment(imp_uid)
            assert payment.amount == AMOUNT and payment.status == "paid", payment
            calls += 1
    return calls


def _drive_async(base: str, imp_uid: str, seconds: float) -> int:
    from paydesk.iamport import AsyncIamport

    async def main() -> int:
        calls = 0
        stop = time.perf_counter() + seconds
        async with AsyncIamport(KEY, SECRET, base_url=base) as client:

            async def worker() -> None:
                nonlocal calls
                while time.perf_counter() < stop:
                    payment = await client.payment(imp_uid)
                    assert payment.amount == AMOUNT and payment.status == "paid", payment
                    calls += 1

            await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return calls

    return asyncio.run(main())


DRIVERS = {"official": _drive_official, "sync": _drive_sync, "async": _drive_async}


def drive(kind: str, base: str, imp_uid: str, seconds: float, server_pid: int) -> dict[str, float]:
    """Run one driver in a child process; calls/s, CPU µs per call and cores used.

    The child reads the server's CPU time too, around the same measured window.
    """
    command = [PYTHON, "-m", "bench.client", "--drive", kind, "--base", base]
    command += ["--imp-uid", imp_uid, "--seconds", str(seconds), "--server-pid", str(server_pid)]
    paths = [str(ROOT / "src"), str(ROOT)]
    if kind == "official":
        paths.insert(0, str(official_client()))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    done = subprocess.run(command, cwd=ROOT, capture_output=True, check=True, env=env, timeout=300)
    result: dict[str, float] = json.loads(done.stdout)
    return result


def _child(kind: str, base: str, imp_uid: str, seconds: float, server_pid: int) -> None:
    DRIVERS[kind](base, imp_uid, min(seconds, 1.0))  # warm: imports, connections, token
    server0 = cpu_seconds(server_pid)
    cpu0, began = time.process_time(), time.perf_counter()
    calls = DRIVERS[kind](base, imp_uid, seconds)
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu0
    server = cpu_seconds(server_pid) - server0
    print(json.dumps({
        "calls_per_s": calls / elapsed, "cpu_us_per_call": cpu / calls * 1e6,
        "server_us_per_call": server / calls * 1e6,
        # cores busy on average over the window: 1.0 is one core all the time
        "client_cores": cpu / elapsed, "server_cores": server / elapsed,
    }))  # fmt: skip


# -- the scenario -----------------------------------------------------------------------
def run(quick: bool) -> list[Row]:
    from .emulator import call, emulator_command

    rounds, seconds = (1, 2.0) if quick else (3, 5.0)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = Path(tempfile.gettempdir()) / "paydesk-bench-client.log"
    kinds = [*DRIVERS, "slow_sync", "slow_async"]
    results: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds}
    with server(emulator_command(port), port, log=log) as emulator:
        imp_uid = call(base + "/_emulator/payments", {"amount": AMOUNT, "status": "paid"})[
            "imp_uid"
        ]
        for _ in range(rounds):
            for kind in DRIVERS:
                results[kind].append(drive(kind, base, imp_uid, seconds, emulator.pid))
        # The same two paydesk clients against an i'mport that takes LATENCY s to answer.
        call(base + "/_emulator/faults", {"path": "/payments/*", "kind": "latency",
                                          "delay": LATENCY})  # fmt: skip
        for _ in range(rounds):
            for kind in ("sync", "async"):
                results["slow_" + kind].append(drive(kind, base, imp_uid, seconds, emulator.pid))

    def median(kind: str, field: str) -> float:
        return statistics.median(r[field] for r in results[kind])

    official, sync, asynchronous, slow_sync, slow_async = (median(k, "calls_per_s") for k in kinds)
    cpu = {kind: median(kind, "cpu_us_per_call") for kind in kinds}

    def usage(kind: str, versus: str) -> str:
        """CPU per call of both clients, and what the emulator and each client used."""
        return (
            f"client CPU {cpu[kind]:.0f} µs/call vs {cpu[versus]:.0f} µs/call; emulator "
            f"{median(kind, 'server_us_per_call'):.0f} vs "
            f"{median(versus, 'server_us_per_call'):.0f} µs/call; cores used (client + "
            f"emulator) {median(kind, 'client_cores'):.2f} + {median(kind, 'server_cores'):.2f}"
            f" vs {median(versus, 'client_cores'):.2f} + {median(versus, 'server_cores'):.2f}"
        )

    slow = f"{LATENCY * 1000:.0f} ms i'mport latency"
    return [
        Row(SCENARIO, "Iamport.payment (sync)", sync, official, "iamport-rest-client", "≥ 3×",
            "calls/s", sync >= 3 * official, usage("sync", "official")),
        Row(SCENARIO, f"AsyncIamport.payment, {CONCURRENCY} in flight", asynchronous, sync,
            "paydesk sync", "≥ 2×", "calls/s", asynchronous >= 2 * sync,
            usage("async", "sync") + "; no latency"),
        Row(SCENARIO, f"AsyncIamport.payment, {CONCURRENCY} in flight, {slow}", slow_async,
            slow_sync, "paydesk sync, same latency", "≥ 2×", "calls/s",
            slow_async >= 2 * slow_sync, usage("slow_async", "slow_sync")),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description="paydesk client benchmark")
    parser.add_argument("--quick", action="store_true", help="one short round")
    parser.add_argument("--drive", choices=sorted(DRIVERS), help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    parser.add_argument("--imp-uid", help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=5.0, help=argparse.SUPPRESS)
    parser.add_argument("--server-pid", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive:
        _child(args.drive, args.base, args.imp_uid, args.seconds, args.server_pid)
        sys.stdout.flush()
        return
    print_table(run(args.quick), title="paydesk bench: client")


if __name__ == "__main__":
    main()
