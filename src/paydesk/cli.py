"""The ``paydesk`` command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .cli_admin import admin
from .cli_doctor import doctor
from .cli_keys import keys
from .cli_reconcile import reconcile, webhooks
from .cli_retries import retries_app
from .cli_subscriptions import subscriptions
from .extras import require
from .heap import settle
from .logs import LogFormat, access_logged, configure_logging

__all__ = ["app", "main"]

app = typer.Typer(help="paydesk: i'mport (PortOne V1) payments for Korean merchants.",
                  no_args_is_help=True, add_completion=False)  # fmt: skip


@app.command()
def emulator(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8099,
    state: Annotated[
        Path | None, typer.Option("--state", help="JSON file that keeps state across restarts.")
    ] = None,
    merchants: Annotated[
        Path | None, typer.Option("--merchants", help="JSON file of merchants (see README).")
    ] = None,
    public_url: Annotated[
        str | None, typer.Option(help="URL browsers use to reach the emulator.")
    ] = None,
    log_format: Annotated[
        LogFormat, typer.Option(envvar="PAYDESK_LOG_FORMAT", help="text or json.")
    ] = "text",
    log_level: Annotated[str, typer.Option(envvar="PAYDESK_LOG_LEVEL", help="DEBUG, INFO ...")] = (
        "INFO"
    ),
    seed: Annotated[
        int | None,
        typer.Option(help="Seed of the random draws of faults and webhook delivery (replays)."),
    ] = None,
) -> None:
    """Run the local i'mport V1 gateway emulator."""
    require("emulator", "paydesk emulator")
    import uvicorn

    from .emulator_factory import build_emulator

    if merchants is not None and not merchants.is_file():
        raise typer.BadParameter(f"no such file: {merchants}", param_hint="--merchants")
    try:
        asgi = build_emulator(
            state_file=state,
            merchants_file=merchants,
            public_url=public_url or f"http://{host}:{port}",
            seed=seed,
        )
    except ValueError as exc:
        typer.secho(f"paydesk emulator: cannot start: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    try:
        configure_logging(log_format, log_level)
    except ValueError as exc:  # an unknown level
        raise typer.BadParameter(str(exc), param_hint="--log-level") from exc
    settle()
    uvicorn.run(asgi, host=host, port=port, log_config=None, log_level=None,
                access_log=access_logged())  # fmt: skip


app.add_typer(keys, name="keys")
app.add_typer(admin, name="admin")

db = typer.Typer(help="The merchant server's database.", no_args_is_help=True)
app.add_typer(db, name="db")
app.add_typer(subscriptions, name="subscriptions")


@db.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Alembic revision to migrate to.")] = "head",
) -> None:
    """Apply the schema migrations to PAYDESK_DATABASE_URL (default: ./var/paydesk.db)."""
    require("server", "paydesk db upgrade")
    from .settings import Settings
    from .store.migrate import upgrade

    settings = Settings()
    upgrade(settings.database_url, revision)
    typer.echo(f"paydesk db: migrated to {revision}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Run the merchant server (PAYDESK_* variables; see README.md, "The merchant server").

    On SIGTERM, requests in flight get PAYDESK_SHUTDOWN_GRACE_SECONDS to finish; then
    confirms still being stored are waited for, and connections are closed.
    """
    require("server", "paydesk serve")
    import uvicorn

    from .bootstrap import build_server, log_secrets
    from .settings import Settings

    try:
        settings = Settings()
        configure_logging(settings.log_format, settings.log_level, secrets=log_secrets(settings))
        asgi = build_server(settings)
    except ValueError as exc:
        typer.secho(f"paydesk serve: cannot start: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    settle()
    # X-Forwarded-For is judged by PAYDESK_TRUSTED_PROXIES (web/forwarding.py), not uvicorn;
    # logging is ours (configure_logging): uvicorn's records go through the same redactor
    uvicorn.run(asgi, host=host, port=port, proxy_headers=False, log_config=None,
                log_level=None, access_log=access_logged(),
                timeout_graceful_shutdown=settings.shutdown_grace_seconds)  # fmt: skip


@app.command()
def worker(
    poll: Annotated[float, typer.Option(help="Seconds between looks for due jobs.")] = 1.0,
    sweep_every: Annotated[
        float, typer.Option(help="Seconds between sweeps for payments still awaited.")
    ] = 60.0,
) -> None:
    """Run the background worker until SIGINT/SIGTERM (webhooks, re-verification, refunds).

    Runs PAYDESK_WORKER_CONCURRENCY jobs at once under PAYDESK_JOB_LEASE_SECONDS leases;
    on SIGTERM, jobs in hand get PAYDESK_WORKER_GRACE_SECONDS, then are released.
    """
    require("server", "paydesk worker")
    import asyncio

    from .bootstrap import build_worker, log_secrets, worker_policy
    from .jobs.worker import stop_on_signals
    from .settings import Settings

    try:
        settings = Settings()
        configure_logging(settings.log_format, settings.log_level, secrets=log_secrets(settings))
        policy = worker_policy(settings, poll=poll, sweep_every=sweep_every)
        running, close = build_worker(settings, policy)
    except ValueError as exc:
        typer.secho(f"paydesk worker: cannot start: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc

    settle()

    async def main() -> None:
        stop = asyncio.Event()
        stop_on_signals(stop)
        try:
            await running.run(stop)
        finally:
            await close()

    asyncio.run(main())


app.command()(reconcile)
app.command()(doctor)
app.add_typer(webhooks, name="webhooks")
app.add_typer(retries_app, name="retries")


def main() -> None:
    app()
