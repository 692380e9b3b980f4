"""Which optional parts of paydesk are installed, and what to say when one is missing.

``pip install paydesk`` is the i'mport client alone (httpx and pydantic).  The
merchant server and the gateway emulator are extras::

    pip install 'paydesk[server]'    # paydesk serve / worker / db
    pip install 'paydesk[emulator]'  # paydesk emulator
    pip install 'paydesk[all]'       # both (what requirements.lock installs)

The ``paydesk`` command starts here: it checks the extra a command needs before
importing anything from it, so a missing one is a readable message, not a
traceback.
"""

from __future__ import annotations

import sys
from importlib.util import find_spec

__all__ = ["EXTRAS", "main", "missing", "require"]

EXTRAS: dict[str, tuple[str, ...]] = {
    "server": (
        "typer", "fastapi", "starlette", "uvicorn", "multipart", "sqlalchemy", "aiosqlite",
        "asyncpg", "alembic", "pydantic_settings", "jinja2", "prometheus_client",
    ),
    "emulator": ("typer", "starlette", "uvicorn", "multipart", "jinja2"),
}  # fmt: skip
"""The modules each extra provides (import names, not distribution names)."""


def missing(extra: str) -> list[str]:
    """The modules of ``extra`` that cannot be imported here."""
    return [name for name in EXTRAS[extra] if find_spec(name) is None]


def require(extra: str, command: str) -> None:
    """Exit with a readable message when ``extra`` is not installed.

    Raises:
        SystemExit: code 2, naming the extra and the command to install it.
    """
    absent = missing(extra)
    if absent:
        raise SystemExit(
            f"{command} needs the '{extra}' extra (missing: {', '.join(absent)}).\n"
            f"Install it with:  pip install 'paydesk[{extra}]'"
        )


def main() -> None:
    """The ``paydesk`` command: the CLI itself needs typer (in every extra)."""
    if find_spec("typer") is None:
        sys.exit(
            "the paydesk command needs the 'server' or 'emulator' extra "
            "(this install is the i'mport client only).\n"
            "Install one with:  pip install 'paydesk[server]'  or  pip install 'paydesk[emulator]'"
        )
    from .cli import main as cli_main

    cli_main()
