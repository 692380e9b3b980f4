"""Starting servers and the load generator for the emulator and client scenarios.

Every server is a child process started here and stopped by its own pid; the
load generator (``bench.httpload``) is another child process, so it never
shares an interpreter with what it measures.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

__all__ = ["ROOT", "cpu_seconds", "free_port", "load", "rss_mb", "server", "wait_for_port"]

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {proc.args!r}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port} after {timeout} s: {proc.args!r}")


@contextlib.contextmanager
def server(
    command: Sequence[str], port: int, *, cwd: Path | None = None, log: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` until the block ends; it must listen on ``port``."""
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + str(ROOT)}
    proc = subprocess.Popen(list(command), cwd=cwd or ROOT, stdout=out, stderr=out, env=env)
    try:
        wait_for_port(port, proc)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log:
            out.close()  # type: ignore[union-attr]


def load(
    url: str,
    *,
    method: str = "GET",
    headers: Sequence[str] = (),
    body: str | None = None,
    concurrency: int = 50,
    seconds: float = 3.0,
    warmup: float = 1.0,
    count: int = 0,
) -> dict[str, Any]:
    """Run ``bench.httpload`` in its own process; its JSON result."""
    command = [PYTHON, "-m", "bench.httpload", url, "--method", method]
    command += ["--concurrency", str(concurrency), "--seconds", str(seconds)]
    command += ["--warmup", str(warmup), "--count", str(count)]
    for header in headers:
        command += ["--header", header]
    if body is not None:
        command += ["--body", body]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, check=True, timeout=900)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Resident set size of one process, in MB (10^6 bytes)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024 / 1e6
    raise RuntimeError(f"no VmRSS for {pid}")
