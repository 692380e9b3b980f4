"""The bench's one result shape and its table.

Every scenario module (``bench/confirm.py``, ``bench/webhooks.py``, ``bench/emulator.py``,
``bench/client.py``, ...) returns a list of :class:`Row`; ``python -m bench`` prints them
together. A row is one measured metric against the baseline measured in the same run:
``ok`` is the verdict against ``target`` (``None`` when the row is informative only).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

__all__ = ["Row", "markdown", "print_table", "verdict"]


@dataclass(frozen=True)
class Row:
    scenario: str
    metric: str
    result: float
    baseline: float | None
    baseline_name: str
    target: str
    unit: str
    ok: bool | None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.result / self.baseline


def verdict(ok: bool | None) -> str:
    return {True: "PASS", False: "MISS", None: "-"}[ok]


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if value == int(value) and abs(value) >= 10:
        return f"{int(value):,}"
    return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"


def _cells(row: Row) -> list[str]:
    ratio = row.ratio
    baseline = "-" if row.baseline is None else f"{_number(row.baseline)} ({row.baseline_name})"
    return [
        row.scenario,
        row.metric,
        f"{_number(row.result)} {row.unit}".strip(),
        baseline,
        "-" if ratio is None else f"{ratio:.2f}×",
        row.target,
        verdict(row.ok),
        row.note,
    ]


HEADERS = ["scenario", "metric", "result", "baseline", "ratio", "target", "verdict", "note"]


def print_table(rows: Iterable[Row], title: str = "paydesk bench") -> None:
    """Print the rows as one Rich table on stdout."""
    table = Table(title=title, show_lines=False)
    for header in HEADERS:
        table.add_column(header, overflow="fold")
    for row in rows:
        cells = _cells(row)
        style = {True: "green", False: "red", None: ""}[row.ok]
        cells[6] = f"[{style}]{cells[6]}[/{style}]" if style else cells[6]
        table.add_row(*cells)
    Console(width=200).print(table)


def markdown(rows: Iterable[Row]) -> str:
    """The same table as GitHub markdown (for docs/benchmarks.md)."""
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    for row in rows:
        cells = [c.replace("|", "\\|") for c in _cells(row)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
