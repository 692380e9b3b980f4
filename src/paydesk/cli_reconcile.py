"""``paydesk reconcile`` and ``paydesk webhooks replay``: the janitor's commands.

Both build the services from ``PAYDESK_*`` like the server does. Errors are
one readable line on stderr and a non-zero exit code, never a traceback:
2 for what was typed wrong or missing configuration, 1 when the work failed.
Nothing but typer is imported until a command runs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from .extras import require

if TYPE_CHECKING:
    from rich.console import Console

    from .services.container import Services
    from .services.reconciliation import Report

__all__ = ["reconcile", "webhooks"]

T = TypeVar("T")
#: Drift items ``paydesk reconcile`` prints (the stored report keeps them all).
ITEMS_SHOWN = 50

webhooks = typer.Typer(help="Stored webhook deliveries.", no_args_is_help=True)


def _moment(text: str | None, option: str) -> datetime | None:
    """An ISO 8601 instant; without an offset, the machine's local time."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(
            f"{text!r} is not ISO 8601 (e.g. 2026-12-01 or 2026-12-01T09:00+09:00)",
            param_hint=option,
        ) from exc
    return value if value.tzinfo is not None else value.astimezone()


def _fail(command: str, message: str, code: int) -> typer.Exit:
    typer.secho(f"paydesk {command}: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code)


def _with_services(command: str, work: Callable[[Services], Awaitable[T]]) -> T:
    """Run ``work`` over freshly built services, turning every failure into a readable exit."""
    from .bootstrap import build_services
    from .services.errors import ServiceError
    from .settings import Settings
    from .store import StoreError

    try:
        services = build_services(Settings())
    except ValueError as exc:
        raise _fail(command, f"cannot start: {exc}", 2) from exc

    async def main() -> T:
        try:
            return await work(services)
        finally:
            await services.aclose()

    try:
        return asyncio.run(main())
    except typer.Exit:
        raise
    except ValueError as exc:
        raise _fail(command, str(exc), 2) from exc
    except (ServiceError, StoreError) as exc:
        raise _fail(command, f"failed: {exc}", 1) from exc
    except Exception as exc:  # never a traceback for an operator
        raise _fail(command, f"failed: {type(exc).__name__}: {exc}", 1) from exc


def reconcile(
    since: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Start (ISO 8601; no offset: local time). "
            "Default: the end of the last sweep, or 24 hours ago.",
        ),
    ] = None,
    until: Annotated[str | None, typer.Option("--to", help="End (ISO 8601). Default: now.")] = None,
) -> None:
    """Compare i'mport's payment listings with our books once, fix what drifted, and report it."""
    require("server", "paydesk reconcile")
    start, end = _moment(since, "--from"), _moment(until, "--to")
    from rich.console import Console

    out = Console()

    async def sweep(services: Services) -> Report:
        return await _sweep(services, start, end, Console(stderr=True))

    report = _with_services("reconcile", sweep)
    _print_report(out, report)


async def _sweep(
    services: Services, start: datetime | None, end: datetime | None, console: Console
) -> Report:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from .services.reconciliation import Walking

    window = await services.reconciler.window(since=start, until=end)
    console.print(f"reconciling {window[0].isoformat()} .. {window[1].isoformat()}")
    columns = (
        TextColumn("{task.description:<18}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("listings · {task.fields[checked]} payments · {task.fields[drifted]} drifted"),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("starting", total=None, checked=0, drifted=0)

        shown = {"at": 0.0, "done": -1}

        def advance(walking: Walking) -> None:
            # called after every payment: the bar is redrawn at most 20 times a second,
            # and always when a listing starts or ends
            now = time.monotonic()
            if walking.statuses_done == shown["done"] and walking.seen and now - shown["at"] < 0.05:
                return
            shown.update(at=now, done=walking.statuses_done)
            bar.update(
                task, description=f"reading {walking.status}" if walking.statuses_done < walking.statuses_total else "done", total=walking.statuses_total,
                completed=walking.statuses_done, checked=walking.checked, drifted=walking.drifted,
            )  # fmt: skip

        return await services.reconciler.run(since=start, until=end, trigger="cli",
                                             progress=advance)  # fmt: skip


def _print_report(console: Console, report: Report) -> None:
    from rich.table import Table

    from .services.reconciliation import counts_of

    sweep = report.reconciliation
    console.print(
        f"reconciliation #{sweep.id} {sweep.status}: {sweep.checked} payment(s) read from "
        f"{sweep.range_from.isoformat()} to {sweep.range_to.isoformat()}"
    )
    counts = Table(title="Drift")
    counts.add_column("drift type")
    counts.add_column("count", justify="right")
    for drift, count in counts_of(sweep.counts).items():
        counts.add_row(drift, str(count))
    console.print(counts)
    if not report.items:
        console.print("no drift: our books agree with i'mport")
        return
    # a person reads this: what needs one first, and a screenful, not 5,000 rows
    listed = sorted(report.items, key=lambda item: item.resolved)[:ITEMS_SHOWN]
    items = Table(title="Items" if len(listed) == len(report.items) else
                  f"Items ({len(listed)} of {len(report.items)}, unresolved first)")  # fmt: skip
    for name in ("drift", "imp_uid", "merchant_uid", "order", "i'mport", "action", "resolved"):
        items.add_column(name, overflow="fold")
    for item in listed:
        items.add_row(
            item.drift, item.imp_uid, item.merchant_uid,
            str(item.order_id) if item.order_id is not None else "-", item.iamport_status,
            item.action, "yes" if item.resolved else "NO",
        )  # fmt: skip
    console.print(items)
    if len(listed) < len(report.items):
        console.print(f"{len(report.items) - len(listed)} more item(s): "
                      f"GET /api/reconciliations/{sweep.id} lists them all")  # fmt: skip


@webhooks.command("replay")
def replay(
    inbox_id: Annotated[
        int | None, typer.Argument(help="The delivery's id (webhook_inbox.id).", min=1)
    ] = None,
    failed: Annotated[
        bool, typer.Option("--failed", help="Every delivery with no outcome or an error noted.")
    ] = False,
) -> None:
    """Process stored webhook deliveries again (the payment is re-read at i'mport)."""
    require("server", "paydesk webhooks replay")
    if (inbox_id is None) == (not failed):
        raise typer.BadParameter("give a delivery ID or --failed (not both)")
    from rich.console import Console
    from rich.table import Table

    async def work(services: Services) -> list[tuple[int, str, str, bool]]:
        if inbox_id is not None:
            ids = [inbox_id]
        else:
            ids = [row.id for row in await services.webhooks.failed()]
        return [await _replay_one(services, one) for one in ids]

    results = _with_services("webhooks replay", work)
    console = Console()
    if not results:
        console.print("nothing to replay")
        return
    table = Table(title="Replayed deliveries")
    for name in ("id", "imp_uid", "result"):
        table.add_column(name, overflow="fold")
    for one, imp_uid, result, _ in results:
        table.add_row(str(one), imp_uid, result)
    console.print(table)
    failures = sum(1 for *_, ok in results if not ok)
    if failures:
        raise _fail("webhooks replay", f"{failures} of {len(results)} delivery(ies) failed", 1)


async def _replay_one(services: Services, inbox_id: int) -> tuple[int, str, str, bool]:
    """(id, imp_uid, what became of it, whether it worked); a missing id fails the command."""
    from .services.errors import NotOnRecord, ServiceError

    async with services.store.reading() as uow:
        row = await uow.inbox.get(inbox_id)
    if row is None:
        raise _fail("webhooks replay", f"no webhook delivery {inbox_id}", 1)
    imp_uid = row.imp_uid or "-"
    try:
        outcome = await services.webhooks.process(inbox_id, again=True)
    except NotOnRecord as exc:
        return inbox_id, imp_uid, f"skipped: {exc}", False
    except ServiceError as exc:
        return inbox_id, imp_uid, f"failed: {type(exc).__name__}: {exc}", False
    return inbox_id, imp_uid, outcome, True
