"""Emulator scenario: requests/s against fake-iamport-server and bare Starlette, RSS, --state writes.

    .venv/bin/python -m bench.emulator            # full: 2 alternating rounds of 4 s, RSS at 100,000
    .venv/bin/python -m bench.emulator --quick    # 1 round of 2 s, RSS extrapolated from 10,000

What it starts, each as its own process: ``paydesk emulator`` (uvicorn, as
shipped), a bare Starlette app under the same uvicorn (``bench.bare_starlette``),
fake-iamport-server (the NestJS peer in ``../shared/peers``, built once into
``~/.cache/paydesk-bench``; its rows are skipped with a note when node or npm is
missing) and the load generator ``bench.httpload`` (50 keep-alive connections).
The three servers are measured in turn, round after round, so drift on a
shared machine hits each of them alike; a row takes the median of the rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .procs import PYTHON, ROOT, cpu_seconds, free_port, load, rss_mb, server
from .report import Row, print_table

__all__ = ["run"]

SCENARIO = "emulator"
PEER_PORT = 10851  # fixed in its FakeIamportConfiguration
EMULATOR_KEYS = {"imp_key": "demo_imp_key", "imp_secret": "demo_imp_secret"}
PEER_KEYS = {"imp_key": "test_imp_key", "imp_secret": "test_imp_secret"}
CARD = {"card_number": "4111-1111-1111-1111", "expiry": "2030-12", "birth": "880311",
        "pwd_2digit": "00"}  # fmt: skip


def emulator_command(port: int, state: Path | None = None) -> list[str]:
    command = [PYTHON, "-c", "from paydesk.extras import main; main()", "emulator"]
    command += ["--port", str(port), "--log-level", "WARNING"]
    return command + (["--state", str(state)] if state else [])


def call(url: str, body: dict[str, Any] | None = None, token: str | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", token)
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())["response"]


# -- the peer ---------------------------------------------------------------------
def peer_build() -> tuple[Path | None, str]:
    """The built fake-iamport-server, building it the first time; or why there is none."""
    if not (shutil.which("node") and shutil.which("npm")):
        return None, "node/npm not found: peer rows skipped"
    cache = Path(os.environ.get("PAYDESK_BENCH_CACHE", Path.home() / ".cache" / "paydesk-bench"))
    target = cache / "fake-iamport-server"
    if (target / "lib" / "executable" / "server.js").exists():
        return target, ""
    source = Path(os.environ.get("PAYDESK_PEERS", ROOT.parent / "shared" / "peers"))
    source = source / "fake-iamport-server"
    if not source.is_dir():
        return None, f"no peer source at {source}: peer rows skipped"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    try:
        for step in (["npm", "ci", "--no-audit", "--no-fund"], ["npx", "ttsc"]):
            subprocess.run(step, cwd=target, check=True, capture_output=True, timeout=900)
    except (subprocess.SubprocessError, OSError) as exc:
        return None, f"peer build failed ({exc}): peer rows skipped"
    return target, ""


@dataclass
class Target:
    name: str
    base: str
    pid: int = 0
    token: str = ""
    imp_uid: str = ""
    keys: dict[str, str] | None = None


def seed_emulator(target: Target) -> None:
    target.keys = EMULATOR_KEYS
    target.token = call(target.base + "/users/getToken", EMULATOR_KEYS)["access_token"]
    paid = call(target.base + "/_emulator/payments", {"amount": 1000, "status": "paid"})
    target.imp_uid = paid["imp_uid"]


def seed_peer(target: Target) -> None:
    target.keys = PEER_KEYS
    target.token = call(target.base + "/users/getToken", PEER_KEYS)["access_token"]
    body = {"merchant_uid": f"bench-{time.time_ns()}", "amount": 1000, "name": "bench", **CARD}
    target.imp_uid = call(target.base + "/subscribe/payments/onetime", body, target.token)[
        "imp_uid"
    ]


def seed_bare(target: Target) -> None:
    target.keys = EMULATOR_KEYS
    target.token = "0" * 40
    target.imp_uid = "imp_100000000001"


def measure(target: Target, seconds: float) -> dict[str, float]:
    """req/s of both calls, and the server's CPU µs per request (``cpu:`` keys)."""
    calls = {  # the payment first: the peer's store evicts old records as tokens pile up
        "payment": {"url": f"{target.base}/payments/{target.imp_uid}",
                    "headers": [f"Authorization: {target.token}"]},
        "getToken": {"url": target.base + "/users/getToken", "method": "POST",
                     "body": json.dumps(target.keys)},
    }  # fmt: skip
    out: dict[str, float] = {}
    for metric, spec in calls.items():
        before = cpu_seconds(target.pid)
        result = load(**spec, seconds=seconds, warmup=0)  # type: ignore[arg-type]
        spent = cpu_seconds(target.pid) - before
        if not result["requests"] or any(not s.startswith("2") for s in result["statuses"]):
            raise RuntimeError(f"{target.name}: answers {result['statuses']}")
        out[metric] = result["rps"]
        out["cpu:" + metric] = spent / result["requests"] * 1e6
    return out


def warm(target: Target, seconds: float) -> None:
    """Load both calls once unmeasured: node's JIT, Python's caches, the sockets."""
    load(f"{target.base}/payments/{target.imp_uid}", headers=[f"Authorization: {target.token}"],
         seconds=seconds, warmup=0)  # fmt: skip
    load(target.base + "/users/getToken", method="POST", body=json.dumps(target.keys),
         seconds=seconds, warmup=0)  # fmt: skip


def throughput(quick: bool, log: Path) -> list[Row]:
    rounds, seconds = (1, 2.0) if quick else (2, 4.0)
    peer_dir, peer_note = peer_build()
    ports = {"emulator": free_port(), "bare": free_port()}
    results: dict[str, dict[str, list[float]]] = {}
    seeders: dict[str, Callable[[Target], None]] = {
        "emulator": seed_emulator, "bare": seed_bare, "peer": seed_peer,
    }  # fmt: skip
    with (
        server(emulator_command(ports["emulator"]), ports["emulator"], log=log) as emulator,
        server(
            [PYTHON, "-m", "bench.bare_starlette", str(ports["bare"])], ports["bare"], log=log
        ) as bare,
    ):
        peer_ctx = (
            server(["node", "lib/executable/server.js"], PEER_PORT, cwd=peer_dir, log=log)
            if peer_dir
            else None
        )
        try:
            peer = peer_ctx.__enter__() if peer_ctx else None
            targets = {
                "emulator": Target("emulator", f"http://127.0.0.1:{ports['emulator']}",
                                   emulator.pid),
                "bare": Target("bare", f"http://127.0.0.1:{ports['bare']}", bare.pid),
            }  # fmt: skip
            if peer:
                targets["peer"] = Target("peer", f"http://127.0.0.1:{PEER_PORT}", peer.pid)
            for name, target in targets.items():
                seeders[name](target)
                warm(target, 1.0 if quick else 2.0)
            for _ in range(rounds):
                for name, target in targets.items():
                    seeders[name](target)  # the peer forgets records after 3 minutes
                    for metric, rps in measure(target, seconds).items():
                        results.setdefault(name, {}).setdefault(metric, []).append(rps)
        finally:
            if peer_ctx:
                peer_ctx.__exit__(None, None, None)
    rows = []
    labels = {"getToken": "POST /users/getToken", "payment": "GET /payments/{imp_uid}"}
    for metric, label in labels.items():
        ours = statistics.median(results["emulator"][metric])
        our_cpu = statistics.median(results["emulator"]["cpu:" + metric])
        if "peer" in results:
            peer_rps = statistics.median(results["peer"][metric])
            peer_cpu = statistics.median(results["peer"]["cpu:" + metric])
            rows.append(Row(SCENARIO, label, ours, peer_rps, "fake-iamport-server", "≥ 1.0×",
                            "req/s", ours >= peer_rps,
                            f"server CPU {our_cpu:.0f} vs {peer_cpu:.0f} µs/req"))  # fmt: skip
        else:
            rows.append(Row(SCENARIO, label, ours, None, "fake-iamport-server", "≥ 1.0×", "req/s",
                            None, peer_note))  # fmt: skip
        bare_rps = statistics.median(results["bare"][metric])
        bare_cpu = statistics.median(results["bare"]["cpu:" + metric])
        rows.append(Row(SCENARIO, label, ours, bare_rps, "bare Starlette", "≥ 0.8×", "req/s",
                        ours >= 0.8 * bare_rps,
                        f"server CPU {our_cpu:.0f} vs {bare_cpu:.0f} µs/req"))  # fmt: skip
    return rows


# -- memory -------------------------------------------------------------------------
SEED_BODY = (
    '{"amount": 1000, "status": "paid", "merchant_uid": "order-{n}", "buyer_name": "홍길동"}'
)


def seed(base: str, count: int, prefix: str = "order") -> None:
    if count <= 0:
        return
    result = load(
        base + "/_emulator/payments", method="POST", concurrency=8, count=count,
        body=SEED_BODY.replace("order-", f"{prefix}-"),
    )  # fmt: skip
    if result["statuses"] != {"200": count}:
        raise RuntimeError(f"seeding answered {result['statuses']}")


def memory(quick: bool, log: Path) -> list[Row]:
    payments = 10_000 if quick else 100_000
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with server(emulator_command(port), port, log=log) as proc:
        seed(base, 10)  # warm: every module imported, every cache filled
        before = rss_mb(proc.pid)
        seed(base, payments)
        after = rss_mb(proc.pid)
    per_payment = (after - before) / payments
    at_100k = before + per_payment * 100_000
    note = "" if payments == 100_000 else f"extrapolated from {payments:,} payments"
    return [
        Row(SCENARIO, "RSS at 100,000 paid payments", at_100k, None, "", "≤ 200 MB", "MB",
            at_100k <= 200, note),
        Row(SCENARIO, "memory per payment", per_payment * 1e6 / 1024, None, "", "-", "KB", None,
            f"idle RSS {before:.0f} MB"),
    ]  # fmt: skip


# -- --state ----------------------------------------------------------------------------
def state_writes(quick: bool, log: Path) -> list[Row]:
    seconds = 2.0 if quick else 4.0
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="paydesk-bench-") as tmp:
        state = Path(tmp) / "emulator.json"
        rates: dict[int, float] = {}
        with server(emulator_command(port, state), port, log=log):
            token = call(base + "/users/getToken", EMULATOR_KEYS)["access_token"]
            seeded = 0
            for size in (100, 10_000):
                seed(base, size - seeded, prefix=f"s{size}")
                seeded = size
                result = load(
                    base + "/payments/prepare", method="POST", concurrency=10, seconds=seconds,
                    headers=[f"Authorization: {token}"],
                    body=f'{{"merchant_uid": "w{size}-{{n}}", "amount": 1000}}',
                )  # fmt: skip
                if set(result["statuses"]) != {"200"}:
                    raise RuntimeError(f"prepare answered {result['statuses']}")
                rates[size] = result["rps"]
            last = call(base + "/_emulator/payments", {"amount": 777, "status": "paid"})
        with server(emulator_command(port, state), port, log=log):  # restart from the file
            token = call(base + "/users/getToken", EMULATOR_KEYS)["access_token"]
            again = call(f"{base}/payments/{last['imp_uid']}", token=token)
            kept = again["amount"] == 777 and again["status"] == "paid"
            prepared = call(base + "/payments/prepare/w10000-1", token=token)
            kept = kept and prepared["amount"] == 1000
    small, large = rates[100], rates[10_000]
    note = "restart from the state file: every payment back" if kept else "RESTART LOST DATA"
    return [
        Row(SCENARIO, "--state writes/s at 10,000 payments", large, small, "writes/s at 100",
            "≥ 0.8×", "writes/s", kept and large >= 0.8 * small, note),
    ]  # fmt: skip


def run(quick: bool) -> list[Row]:
    log = Path(tempfile.gettempdir()) / "paydesk-bench-emulator.log"
    return [*throughput(quick, log), *memory(quick, log), *state_writes(quick, log)]


def main() -> None:
    parser = argparse.ArgumentParser(description="paydesk emulator benchmark")
    parser.add_argument("--quick", action="store_true", help="shorter runs, RSS extrapolated")
    parser.add_argument("--only", choices=("throughput", "memory", "state"))
    args = parser.parse_args()
    log = Path(tempfile.gettempdir()) / "paydesk-bench-emulator.log"
    parts = {"throughput": throughput, "memory": memory, "state": state_writes}
    rows = parts[args.only](args.quick, log) if args.only else run(args.quick)
    print_table(rows, title="paydesk bench: emulator")


if __name__ == "__main__":
    main()
