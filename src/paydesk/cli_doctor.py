"""``paydesk doctor``: the service launch checklist, checked against this installation.

Reads the same ``PAYDESK_*`` settings as the server, so run it where the server
runs. Prints a table in the checklist's order (or ``--json``), stores the run
for the admin console's launch-checklist page, and exits 1 when an item fails
(2 when it could not run at all). What goes wrong is a line of text, never a
traceback.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from .extras import require

if TYPE_CHECKING:
    from .services.doctor import DoctorReport
    from .settings import Settings

__all__ = ["doctor"]

_COLOURS = {"pass": "green", "warn": "yellow", "fail": "bold red", "manual": "cyan",
            "skipped": "dim"}  # fmt: skip
_LABELS = {"pass": "PASS", "warn": "WARN", "fail": "FAIL", "manual": "MANUAL",
           "skipped": "SKIPPED"}  # fmt: skip


def doctor(
    production: Annotated[
        bool,
        typer.Option(
            "--production",
            help="Judge as for launch: test channels, an "
            "allow-list that is off or a private URL fail.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help="Also print the log.")] = False,
) -> None:
    """Check the service launch checklist: i'mport keys and channels, URLs, allow-list,
    database, worker, clock, PG rules; list what a person must check. Exit 1 on a failure."""
    require("server", "paydesk doctor")
    from pydantic import ValidationError

    from .settings import Settings as Read

    try:
        settings = Read()
    except ValidationError as exc:
        fields = ", ".join(f"PAYDESK_{'_'.join(map(str, e['loc'])).upper()}" for e in exc.errors())
        _die(f"invalid settings: {fields}")
    if not verbose:
        logging.disable(logging.ERROR)  # findings carry what matters; no tracebacks
    try:
        report = asyncio.run(_run(settings, production))
    except Exception as exc:  # the doctor reports findings; this is a setup it cannot start
        _die(f"{type(exc).__name__}: {exc}")
    finally:
        logging.disable(logging.NOTSET)
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        _print_table(report)
    raise typer.Exit(1 if report.failed else 0)


async def _run(settings: Settings, production: bool) -> DoctorReport:
    from .bootstrap import build_doctor

    checker, close = build_doctor(settings)
    try:
        return await checker.run(production)
    finally:
        await close()


def _die(message: str) -> NoReturn:
    typer.secho(f"paydesk doctor: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


def _print_table(report: DoctorReport) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    mode = "production" if report.production else "development"
    table = Table(title=f"paydesk doctor ({mode}) — {report.ran_at:%Y-%m-%d %H:%M:%S} UTC",
                  show_lines=False, expand=True)  # fmt: skip
    table.add_column("#", justify="right", style="dim", no_wrap=True)
    table.add_column("Item", ratio=3)
    table.add_column("Status", no_wrap=True)
    table.add_column("Detail / guidance", ratio=4)
    section = None
    for number, result in enumerate(report.results, 1):
        if result.item.section != section:
            section = result.item.section
            table.add_section()
            table.add_row("", Text(section, style="bold"), "", "")
        status = result.status.value
        cell = Text(result.detail)
        if status != "pass":
            cell.append(("\n" if result.detail else "") + result.item.guidance, style="dim")
        table.add_row(str(number), result.item.text, Text(_LABELS[status], style=_COLOURS[status]),
                      cell)  # fmt: skip
    console = Console()
    console.print(table)
    counts = ", ".join(f"{n} {name}" for name, n in report.counts().items() if n)
    saved = "" if report.saved else " (not stored: the database is unavailable)"
    colour = _COLOURS[report.status.value]
    console.print(Text(f"{_LABELS[report.status.value]}: {counts}{saved}", style=colour))
