"""Apply the shipped Alembic migrations (``paydesk db upgrade``).

Synchronous on purpose: Alembic's async env runs its own event loop, so call
this from a thread (``asyncio.to_thread``) when an event loop is already running.
"""

from __future__ import annotations

import functools
from importlib.resources import files
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

__all__ = ["alembic_config", "head", "upgrade"]


def alembic_config(database_url: str) -> Config:
    """The packaged ``alembic.ini`` pointed at ``database_url``."""
    config = Config(str(files("paydesk.store").joinpath("alembic.ini")))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrate the database to ``revision``; creates the SQLite file's folder if needed."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(database_url), revision)


@functools.cache
def head() -> str:
    """The newest revision of the shipped migrations (what a migrated database is at)."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    revision = script.get_current_head()
    if revision is None:
        raise RuntimeError("the shipped migrations have no head")
    return revision
