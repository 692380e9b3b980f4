"""``python -m bench --docs``: rewrite docs/benchmarks.md (the table, the machine, the plots).

The plots are latency distributions (percentile curves from the HDR histograms
the load generator returns), one PNG per scenario, in docs/benchmarks/.
The prose around the table lives in ``NOTES`` (docs/benchmarks.notes.md) and is
kept as written: what each miss comes from and what would close it.
"""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .report import Row, markdown

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
PLOTS = ROOT / "docs" / "benchmarks"
NOTES = ROOT / "docs" / "benchmarks.notes.md"


def machine() -> str:
    memory = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    cpu = platform.processor() or platform.machine()
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return (f"`nproc` {nproc}, memory {memory}, {cpu}, Python {platform.python_version()}, "
            f"load average {load:.1f} when the run ended")  # fmt: skip


def plot(results: Mapping[str, Mapping[str, Any]], name: str) -> str | None:
    """One PNG of the latency percentiles of ``results`` (phase -> loadgen result)."""
    if not results:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from hdrh.histogram import HdrHistogram

    figure, axes = plt.subplots(figsize=(8, 4.5))
    for phase, result in results.items():
        histogram = HdrHistogram.decode(result["histogram"].encode())
        points = [(p, histogram.get_value_at_percentile(p) / 1000)
                  for p in (1, 5, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 100)]  # fmt: skip
        label = f"{phase.rsplit('/', 1)[-1]} ({result['rate']:.0f}/s)"
        axes.plot([100 / (100 - min(p, 99.99)) for p, _ in points], [v for _, v in points],
                  marker="o", label=label)  # fmt: skip
    axes.set_xscale("log")
    axes.set_yscale("log")
    ticks = [1, 2, 10, 100, 1000, 10000]
    axes.set_xticks(ticks, ["0", "50", "90", "99", "99.9", "99.99"])
    axes.set_xlabel("percentile")
    axes.set_ylabel("latency, ms (from the scheduled send time)")
    axes.set_title(name)
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize=8)
    PLOTS.mkdir(parents=True, exist_ok=True)
    path = PLOTS / f"{name.replace('/', '-')}.png"
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path.relative_to(DOC.parent).as_posix()


def _groups() -> dict[str, dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for module in ("confirm", "webhooks"):
        try:
            results = __import__(f"bench.{module}", fromlist=["RESULTS"]).RESULTS
        except ImportError:
            continue
        for key, result in results.items():
            scenario = key.rsplit("/", 1)[0]
            groups.setdefault(scenario, {})[key] = result
    return groups


def write_docs(rows: list[Row], command: str, took: float) -> None:
    images = [(scenario, plot(results, scenario)) for scenario, results in _groups().items()]
    notes = NOTES.read_text() if NOTES.exists() else ""
    lines = [
        "# Benchmarks",
        "",
        "Written by `python -m bench --docs` (see `bench/`); do not edit by hand: the notes",
        "below the table come from `docs/benchmarks.notes.md`.",
        "",
        f"- command: `{command}` ({took:.0f} s)",
        f"- machine: {machine()}",
        f"- when: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        "Every ratio is against a baseline measured in the same run, on the same machine.",
        "",
        markdown(rows),
        notes,
        "## Latency distributions",
        "",
    ]
    for scenario, image in images:
        if image:
            lines += [f"### {scenario}", "", f"![{scenario}]({image})", ""]
    DOC.write_text("\n".join(lines))
