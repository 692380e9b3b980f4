"""``paydesk admin``: the admin console's staff users, made and listed from the shell.

``create-user`` asks for the password twice without echoing it, or reads one
line from standard input with ``--password-stdin`` (for scripts:
``printf '%s\\n' "$PW" | paydesk admin create-user kim --password-stdin``).
The password is hashed (argon2id) and never printed. Every failure is one
readable line and exit status 1 or 2, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from .cli_support import run_on_database

if TYPE_CHECKING:
    from .services.staff import StaffAccess
    from .store import Database

__all__ = ["admin"]

admin = typer.Typer(help="Staff users of the admin console (/admin).", no_args_is_help=True)
T = TypeVar("T")


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"paydesk admin: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code)


def _run(action: Callable[[StaffAccess], Awaitable[T]]) -> T:
    """Run ``action`` on the configured database (see ``cli_support``)."""

    def build() -> tuple[StaffAccess, Database]:
        from .bootstrap import build_staff  # after run_on_database's check of the server extra

        return build_staff()

    return run_on_database("paydesk admin", build, action, _fail)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@admin.command("create-user")
def create_user(
    username: Annotated[str, typer.Argument(help="3-64 letters, digits or . _ - @.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    lang: Annotated[str, typer.Option("--lang", help="The console's language: ko or en.")] = "ko",
) -> None:
    """Make a staff user who can log in at /admin (the password: 12 characters or more)."""
    from .core.staff import PASSWORD_MIN, InvalidCredentialsShape, check_password_shape
    from .services.errors import InvalidStaffRequest

    password = _password(password_stdin)
    try:
        check_password_shape(password)  # before touching the database: a clear message
    except InvalidCredentialsShape as exc:
        raise _fail(f"{exc} (this one has {len(password)}; at least {PASSWORD_MIN})", 2) from None
    try:
        user = _run(lambda service: service.create_user(username, password, lang=lang))
    except InvalidStaffRequest as exc:
        raise _fail(exc.message, 1 if exc.rule == "duplicate" else 2) from None
    typer.echo(f"staff user {user.username!r} (id {user.id}) created; log in at /admin/login")


@admin.command("list-users")
def list_users() -> None:
    """Every staff user (never a password or its hash)."""
    users = _run(lambda service: service.users())
    if not users:
        typer.echo("no staff users yet: make one with `paydesk admin create-user NAME`", err=True)
        return
    table = Table("id", "username", "lang", "created", "last login")
    for user in users:
        table.add_row(str(user.id), user.username, user.lang, _when(user.created_at),
                      _when(user.last_login_at))  # fmt: skip
    Console().print(table)


def _when(moment: object) -> str:
    return "-" if moment is None else f"{moment:%Y-%m-%d %H:%M:%S}Z"
