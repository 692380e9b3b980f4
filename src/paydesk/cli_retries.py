"""``paydesk retries``: the dead-letter list of jobs, seen and acted on from a shell.

    paydesk retries list [--state dead|retrying|dismissed ...] [--limit 50]
    paydesk retries retry ID      # queue a dead job again, fresh attempts, due now
    paydesk retries dismiss ID    # close a dead job for good

Over ``services.retries`` on PAYDESK_DATABASE_URL alone (no i'mport credentials
needed). Refusals and database trouble are one readable line on stderr with a
non-zero exit status, never a traceback: 1 for "no such job" or "not in that
state", 2 for a database that cannot be reached or read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer

from .extras import require

if TYPE_CHECKING:
    from .services.retries import JobEntry, Retries

__all__ = ["retries_app"]

T = TypeVar("T")

retries_app = typer.Typer(
    help="Jobs that ran out of attempts (dead): list them, retry or dismiss them.",
    no_args_is_help=True,
)


@retries_app.command("list")
def list_jobs(
    state: Annotated[
        list[str] | None,
        typer.Option("--state", help="dead (default), retrying or dismissed; repeat for several."),
    ] = None,
    limit: Annotated[
        int, typer.Option(min=1, max=1000, help="At most this many, newest first.")
    ] = 50,
) -> None:
    """List dead jobs (or retrying/dismissed ones) with their attempts and last error."""
    states = state or ["dead"]
    entries = _run("list", lambda retries: retries.listing(states, limit=limit))
    from rich.console import Console

    console = Console()
    if not entries:
        console.print(f"No {' or '.join(states)} jobs.")
        return
    console.print(_table(entries, states))


@retries_app.command("retry")
def retry(
    job_id: Annotated[
        int, typer.Argument(metavar="ID", help="The job's id (from `paydesk retries list`).")
    ],
) -> None:
    """Queue a dead (or dismissed) job again: fresh attempts, due now."""
    entry = _run("retry", lambda retries: retries.retry(job_id))
    typer.echo(f"job {entry.id} ({entry.kind}) queued again: due now, "
               f"attempts {entry.attempts}/{entry.max_attempts}")  # fmt: skip


@retries_app.command("dismiss")
def dismiss(
    job_id: Annotated[
        int, typer.Argument(metavar="ID", help="The job's id (from `paydesk retries list`).")
    ],
) -> None:
    """Close a dead job for good (kept as dismissed; never run again unless retried)."""
    entry = _run("dismiss", lambda retries: retries.dismiss(job_id))
    typer.echo(f"job {entry.id} ({entry.kind}) dismissed")


def _run(command: str, action: Callable[[Retries], Awaitable[T]]) -> T:
    """Do ``action`` on the dead-letter list; its errors become one line and an exit status."""
    require("server", f"paydesk retries {command}")
    from .bootstrap import build_retries
    from .services.errors import JobNotActionable, JobNotFound
    from .store import StoreError

    async def call() -> T:
        retries, close = build_retries()
        try:
            return await action(retries)
        finally:
            await close()

    try:
        return asyncio.run(call())
    except (JobNotFound, JobNotActionable) as error:
        _fail(command, str(error), 1)
    except StoreError as error:
        _fail(command, f"the database cannot be used: {error}", 2)
    except ValueError as error:  # settings, or a state that cannot be listed
        _fail(command, str(error).splitlines()[0] if str(error) else repr(error), 2)


def _fail(command: str, message: str, code: int) -> NoReturn:
    typer.secho(f"paydesk retries {command}: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _table(entries: list[JobEntry], states: list[str]) -> object:
    from rich.table import Table

    table = Table(title=f"{' / '.join(states).capitalize()} jobs ({len(entries)})")
    table.add_column("id", justify="right", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("state", no_wrap=True)
    table.add_column("attempts", justify="right", no_wrap=True)
    table.add_column("updated (UTC)", no_wrap=True)
    table.add_column("payload")
    table.add_column("last error", overflow="fold")
    for entry in entries:
        payload = ", ".join(f"{key}={value}" for key, value in entry.payload.items())
        table.add_row(
            str(entry.id), entry.kind, "retrying" if entry.retrying else entry.state,
            f"{entry.attempts}/{entry.max_attempts}", _when(entry.updated_at), payload,
            (entry.last_error or "").splitlines()[0] if entry.last_error else "",
        )  # fmt: skip
    return table


def _when(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
