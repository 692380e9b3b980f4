"""``python -m bench``: every scenario, one table (result, baseline, ratio, target, verdict).

    python -m bench                    # everything (< 10 min on 2 cores)
    python -m bench --quick            # smaller runs (< 2 min)
    python -m bench --only confirm,webhooks --backends sqlite
    python -m bench --docs             # also rewrite docs/benchmarks.md and its plots
    python -m bench --json out.json    # the rows as JSON (the smoke test reads them)

A scenario is a module ``bench.<name>`` with ``run(quick) -> list[Row]`` (a
coroutine function is awaited). A module that is not there is skipped with a
note. Exit code 1 when an invariant row (approvals, double apply, 5xx) fails.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import importlib
import inspect
import json
import os
import sys
import time

from .report import Row, print_table

SCENARIOS = ["confirm", "webhooks", "reconcile", "emulator", "client"]
#: Rows that state correctness, not speed: a miss fails the run.
INVARIANT_WORDS = ("approvals", "applied", "lost", "replayed", "drift")


def _run_one(name: str, quick: bool) -> list[Row]:
    try:
        module = importlib.import_module(f"bench.{name}")
    except ModuleNotFoundError as missing:
        if missing.name != f"bench.{name}":
            raise
        return [Row(name, "skipped", 0, None, "", "", "", None, f"no module bench/{name}.py")]
    started = time.monotonic()
    outcome = module.run(quick)
    rows: list[Row] = asyncio.run(outcome) if inspect.isawaitable(outcome) else outcome
    print(f"bench: {name} took {time.monotonic() - started:.0f} s", file=sys.stderr)
    return rows


def invariant_failures(rows: list[Row]) -> list[Row]:
    return [r for r in rows if r.ok is False and any(w in r.metric for w in INVARIANT_WORDS)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="smaller runs (< 2 min)")
    parser.add_argument("--only", default=",".join(SCENARIOS), help="comma-separated scenarios")
    parser.add_argument("--backends", default="sqlite,postgres",
                        help="databases of the server scenarios")  # fmt: skip
    parser.add_argument("--json", help="write the rows to this file")
    parser.add_argument("--docs", action="store_true", help="rewrite docs/benchmarks.md")
    args = parser.parse_args(argv)
    os.environ["PAYDESK_BENCH_BACKENDS"] = args.backends
    command = "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:])
    started = time.monotonic()
    rows: list[Row] = []
    for name in [n.strip() for n in args.only.split(",") if n.strip()]:
        rows.extend(_run_one(name, args.quick))
    took = time.monotonic() - started
    print_table(rows, title=f"paydesk bench ({'quick' if args.quick else 'full'}, {took:.0f} s)")
    if args.json:
        with open(args.json, "w") as out:
            json.dump([dataclasses.asdict(r) for r in rows], out, indent=1)
    if args.docs:
        from .docs import write_docs

        write_docs(rows, command.strip(), took)
    failed = invariant_failures(rows)
    for row in failed:
        print(
            f"bench: invariant failed: {row.scenario}: {row.metric} ({row.note})", file=sys.stderr
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
