"""``paydesk subscriptions …``: billing commands for operators and cron."""

from __future__ import annotations

import typer

from .extras import require

__all__ = ["subscriptions"]

subscriptions = typer.Typer(help="Subscriptions billed with billing keys.", no_args_is_help=True)


@subscriptions.command("charge-due")
def charge_due() -> None:
    """Charge every subscription that is due now (what the worker's sweep runs).

    Safe beside running workers: a charge is decided under the subscription's
    row lock, and one whose answer was lost is looked up before any retry.
    """
    require("server", "paydesk subscriptions charge-due")
    import asyncio

    from .bootstrap import build_services
    from .settings import Settings

    try:
        services = build_services(Settings())
    except ValueError as exc:
        typer.secho(f"paydesk subscriptions: cannot start: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc

    async def run() -> dict[str, int]:
        try:
            return await services.subscriptions.charge_due()
        finally:
            await services.aclose()

    results = asyncio.run(run())
    if not results:
        typer.echo("paydesk subscriptions: nothing is due")
        return
    for outcome, count in sorted(results.items()):
        typer.echo(f"{outcome}\t{count}")
