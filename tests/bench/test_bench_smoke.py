"""The bench's smoke run: ``python -m bench --quick --only confirm,webhooks,reconcile`` on SQLite.

Only the invariants the bench measures are checked — exactly K approvals, no
5xx, replays decrementing nothing, no webhook lost or applied twice, every
missed webhook found by the sweep and no drift left — never a timing: the
machine running the tests is not the machine of docs/benchmarks.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.bench, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def test_quick_bench_keeps_its_invariants(tmp_path: Path) -> None:
    out = tmp_path / "rows.json"
    command = [sys.executable, "-m", "bench", "--quick", "--only", "confirm,webhooks,reconcile",
               "--backends", "sqlite", "--json", str(out)]  # fmt: skip
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    rows = {(r["scenario"], r["metric"].split(" (")[0].split(":")[0]): r
            for r in json.loads(out.read_text())}  # fmt: skip

    exact = next(r for r in rows.values() if r["metric"].startswith("rush: approvals"))
    assert exact["ok"] is True and exact["result"] == exact["baseline"], exact
    assert "5xx 0" in exact["note"], exact
    replayed = next(r for r in rows.values() if r["metric"].startswith("replayed confirms"))
    assert replayed["ok"] is True, replayed
    overload = next(r for r in rows.values() if r["metric"].startswith("2× overload"))
    assert "5xx 0" in overload["note"] and f"held {int(exact['baseline'])}" in overload["note"]

    lost = rows[("webhooks/sqlite", "lost")]
    twice = rows[("webhooks/sqlite", "applied twice")]
    assert lost["ok"] is True and lost["result"] == 0, lost
    assert "budget ran out" not in lost["note"], lost  # every order paid, not only stored
    assert twice["ok"] is True and twice["result"] == 0, twice
    acks = next(r for r in rows.values() if r["metric"].startswith("acks/s"))
    assert "5xx 0" in acks["note"] and "all 200: True" in acks["note"], acks

    found = rows[("reconcile/sqlite", "drift found")]
    left = rows[("reconcile/sqlite", "drift left after the sweep")]
    assert found["ok"] is True and found["result"] == found["baseline"] > 0, found
    assert left["ok"] is True and left["result"] == 0, left
    assert "second sweep's items 0" in left["note"], left
