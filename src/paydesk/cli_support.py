"""What the database-backed commands share (``paydesk keys``, ``paydesk admin``).

``run_on_database`` builds a service over the configured database, runs one
action on it, closes the database, and turns database trouble into one readable
line and an exit status, never a traceback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import typer

from .extras import require

if TYPE_CHECKING:
    from .store import Database

__all__ = ["run_on_database"]

S = TypeVar("S")
T = TypeVar("T")


def run_on_database(
    command: str,
    build: Callable[[], tuple[S, Database]],
    action: Callable[[S], Awaitable[T]],
    fail: Callable[[str, int], typer.Exit],
) -> T:
    """Run ``action`` on the service ``build`` makes; the service's own errors pass through
    (the command says what they mean), a database that cannot be used becomes ``fail(…, 1)``
    and a bad setting (e.g. an unsupported database URL) ``fail(…, 2)``."""
    require("server", command)
    # Imported here: the server's packages are not needed for --help.
    from .services.errors import ServiceError
    from .store.errors import StoreError

    async def main() -> T:
        service, database = build()
        try:
            return await action(service)
        finally:
            await database.dispose()

    try:
        return asyncio.run(main())
    except ServiceError:
        raise
    except StoreError as exc:
        reason = str(exc) or type(exc).__name__
        raise fail(f"the database could not be used ({reason}); "
                   "is PAYDESK_DATABASE_URL right, and did `paydesk db upgrade` run?", 1) from exc  # fmt: skip
    except ValueError as exc:
        raise fail(str(exc), 2) from exc
