"""``paydesk keys``: make, list and revoke the merchant API's keys.

``create`` prints the new key alone on standard output (so ``KEY=$(paydesk
keys create ...)`` works) and its details on standard error; it is never shown
again. Every failure is one readable line and exit status 1 or 2, never a
traceback.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from .cli_support import run_on_database
from .core.api_keys import Scope

if TYPE_CHECKING:
    from .services.api_keys import ApiKeys
    from .store import Database
    from .store.api_keys import ApiKeyRecord

__all__ = ["keys"]

keys = typer.Typer(help="API keys of the merchant API (/api/*).", no_args_is_help=True)
T = TypeVar("T")
MAX_ID = 2**63 - 1


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"paydesk keys: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code)


def _run(action: Callable[[ApiKeys], Awaitable[T]]) -> T:
    """Run ``action`` on the configured database (see ``cli_support``)."""

    def build() -> tuple[ApiKeys, Database]:
        from .bootstrap import build_api_keys  # after run_on_database's check of the server extra

        return build_api_keys()

    return run_on_database("paydesk keys", build, action, _fail)


@keys.command("create")
def create(
    name: Annotated[str, typer.Option("--name", help="Who or what uses the key.")],
    scope: Annotated[
        list[Scope], typer.Option("--scope", help="read, write or refund; repeat for several.")
    ],
) -> None:
    """Make a key and print it once (it is stored only as a hash)."""
    from .services.errors import InvalidKeyRequest

    try:
        made = _run(lambda service: service.create(name, scope))
    except InvalidKeyRequest as exc:
        raise _fail(str(exc), 2) from exc
    record = made.record
    typer.echo(made.token)
    typer.echo(f"key {record.id} ({record.name!r}, scopes: {_scopes(record)}) created; "
               "this is the only time it is shown.", err=True)  # fmt: skip


@keys.command("list")
def listing() -> None:
    """Every key with its prefix, scopes and state (never the key itself)."""
    records = _run(lambda service: service.listing())
    if not records:
        typer.echo("no API keys yet: make one with `paydesk keys create`", err=True)
        return
    table = Table("id", "name", "prefix", "scopes", "created", "last used", "state")
    for record in records:
        table.add_row(
            str(record.id), record.name, f"pdk_{record.prefix}_…", _scopes(record),
            _when(record.created_at), _when(record.last_used_at),
            "active" if record.active else f"revoked {_when(record.revoked_at)}",
        )  # fmt: skip
    Console().print(table)


@keys.command("revoke")
def revoke(
    key_id: Annotated[
        int, typer.Argument(metavar="ID", help="The key's id (see `keys list`).", min=1, max=MAX_ID)
    ],
) -> None:
    """Stop a key from working; the row stays for the record."""
    from .services.errors import KeyNotFound

    try:
        record = _run(lambda service: service.revoke(key_id))
    except KeyNotFound as exc:
        raise _fail(f"no API key has id {key_id}") from exc
    typer.echo(f"key {record.id} ({record.name!r}) revoked at {_when(record.revoked_at)}")


def _scopes(record: ApiKeyRecord) -> str:
    return " ".join(sorted(s.value for s in record.scopes))


def _when(moment: object) -> str:
    return "-" if moment is None else f"{moment:%Y-%m-%d %H:%M:%S}Z"
