"""The store's errors: what went wrong with the database, in words the services use.

``Database.transaction()`` and ``reading()`` translate SQLAlchemy's and the
drivers' exceptions into these, so nothing above ``store`` catches (or even
imports) a SQLAlchemy exception:

    StoreError
     ├── StoreUnavailable   the database could not be reached or gave up (retry later)
     ├── Conflict           a unique key or constraint refused the write
     └── OutOfRange         a value the column cannot hold (e.g. beyond 64-bit)

``StockConflict`` (a conditional stock move found too few units) is a
``Conflict`` too.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import exc as sa

__all__ = ["Conflict", "OutOfRange", "StockConflict", "StoreError", "StoreUnavailable", "translate"]


class StoreError(Exception):
    """Root of the store's errors."""


class StoreUnavailable(StoreError):
    """The database could not be reached, timed out, or refused to serve now."""


class Conflict(StoreError):
    """A unique key or other constraint refused the write."""


class OutOfRange(StoreError):
    """A value the database column cannot hold."""


class StockConflict(Conflict):
    """A conditional stock update found fewer units than it needed."""


def translate(error: BaseException) -> StoreError | None:
    """The store error for a database or driver exception; None if it is not one."""
    if isinstance(error, StoreError):
        return error
    state = _sqlstate(error)
    # SQLSTATE class 23 is "integrity constraint violation"; asyncpg's and sqlite3's own
    # errors come unwrapped from ``store.driver``
    if isinstance(error, sa.IntegrityError | sqlite3.IntegrityError) or state.startswith("23"):
        return Conflict(_first_line(error))
    if isinstance(error, sa.DataError) or state.startswith("22"):
        # SQLSTATE class 22 is "data exception": asyncpg reports some of them (a NUL
        # character in text, 22021) as a plain DBAPIError, not a DataError
        return OutOfRange(_first_line(error))
    if isinstance(error, OverflowError):  # sqlite3: "Python int too large to convert"
        return OutOfRange(str(error))
    if isinstance(error, sa.SQLAlchemyError | OSError | TimeoutError):
        return StoreUnavailable(_first_line(error) or type(error).__name__)
    return None


def _sqlstate(error: BaseException) -> str:
    """The SQLSTATE of a PostgreSQL error, wrapped by SQLAlchemy or straight from asyncpg
    (``""`` for anything else)."""
    code = getattr(getattr(error, "orig", error), "sqlstate", None)
    return code if isinstance(code, str) else ""


def _first_line(error: BaseException) -> str:
    """The driver's message without SQLAlchemy's statement and parameters (they may hold PII)."""
    original = getattr(error, "orig", None)
    text = str(original if original is not None else error)
    return text.splitlines()[0] if text else ""
