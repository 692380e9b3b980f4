"""The short chaos run of ``.ci/run``: ``python -m bench.chaos`` for 2 minutes, exit 0.

Two servers and two workers (subprocesses) on a scratch PostgreSQL database
made under ``PAYDESK_TEST_DATABASE_URL``, the emulator injecting faults, a
server or worker killed every few seconds; the run exits non-zero when an
invariant is broken after reconciliation, printing the seed and the records.
``PAYDESK_CHAOS_SEED`` and ``PAYDESK_CHAOS_MINUTES`` change the seed and length
(docs/reliability.md: the long run).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.db import POSTGRES_ENV

pytestmark = [pytest.mark.chaos, pytest.mark.postgres, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
SEED = int(os.environ.get("PAYDESK_CHAOS_SEED", "20261215"))
MINUTES = float(os.environ.get("PAYDESK_CHAOS_MINUTES", "2"))


def test_the_short_chaos_run_keeps_every_invariant(tmp_path: Path) -> None:
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set: the chaos run needs PostgreSQL")
    command = [sys.executable, "-m", "bench.chaos", "--seed", str(SEED), "--minutes", str(MINUTES),
               "--database-url", base, "--logs", str(tmp_path / "logs"),
               "--report", str(tmp_path / "summary.md")]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False,
                          timeout=MINUTES * 60 + 600)  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-15000:]
    assert f"seed {SEED}" in output and "all invariants hold" in output, output[-4000:]
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    # the run did what it is for: payments, refunds, kills and faults of every kind
    for row in ("card paid", "refund answered 201", "kill -9 server", "kill -9 worker",
                "fault (network) webhook dropped", "fault (emulator) webhook duplicated"):  # fmt: skip
        assert f"| {row} |" in summary, summary
