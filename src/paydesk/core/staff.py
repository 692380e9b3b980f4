"""The admin console's access rules: usernames, passwords, sessions and the login limit.

Pure decisions over values and instants; the hashing itself (argon2id) and
the storage live in ``services.staff`` and ``store.staff``.

- A username is 3 to 64 characters of letters, digits and ``. _ - @``,
  compared in lower case.
- A password is 12 to 1024 characters (long enough to resist guessing, short
  enough that hashing it cannot be used to tire the server).
- A session ends at the first of: its absolute expiry, or ``idle`` after it
  was last seen.
- Logins fail at most ``max_failures`` times per ``window`` for one username
  and for one source address; past that the login is refused, without
  checking the password, until the oldest counted failure leaves the window.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .errors import DomainError

__all__ = [
    "LANGUAGES",
    "PASSWORD_MAX",
    "PASSWORD_MIN",
    "InvalidCredentialsShape",
    "LoginLimit",
    "SessionPolicy",
    "check_password_shape",
    "normalize_username",
    "session_digest",
]

PASSWORD_MIN = 12
PASSWORD_MAX = 1024
USERNAME_MAX = 64
LANGUAGES = ("ko", "en")
_USERNAME = re.compile(r"[a-z0-9._@-]{3,64}", re.ASCII)


class InvalidCredentialsShape(DomainError, ValueError):
    """A username or password that may not be used (the message says which rule)."""


def normalize_username(text: str) -> str:
    """``text`` stripped and in lower case. Raises ``InvalidCredentialsShape``."""
    name = text.strip().lower()
    if not _USERNAME.fullmatch(name):
        raise InvalidCredentialsShape(
            f"a username is 3 to {USERNAME_MAX} letters, digits or . _ - @ (got {len(name)} chars)"
        )
    return name


def check_password_shape(password: str) -> None:
    """Refuse a password that is too short or too long. Raises ``InvalidCredentialsShape``."""
    if len(password) < PASSWORD_MIN:
        raise InvalidCredentialsShape(f"a password needs at least {PASSWORD_MIN} characters")
    if len(password) > PASSWORD_MAX:
        raise InvalidCredentialsShape(f"a password may have at most {PASSWORD_MAX} characters")


def session_digest(token: str) -> str:
    """The hex SHA-256 of a session token: what the database keeps (the token has 256 bits)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SessionPolicy:
    """How long a session lives: ``lifetime`` at most, ``idle`` without a request."""

    lifetime: timedelta = timedelta(hours=12)
    idle: timedelta = timedelta(minutes=30)
    #: ``last_seen_at`` is written at most this often (each page view would otherwise write).
    touch_every: timedelta = timedelta(seconds=60)

    def expires(self, created_at: datetime) -> datetime:
        return created_at + self.lifetime

    def alive(self, *, expires_at: datetime, last_seen_at: datetime, now: datetime) -> bool:
        """Whether a session is still good at ``now``."""
        return now < expires_at and now < last_seen_at + self.idle

    def needs_touch(self, last_seen_at: datetime, now: datetime) -> bool:
        return now - last_seen_at >= self.touch_every


@dataclass(frozen=True)
class LoginLimit:
    """At most ``max_failures`` failed logins per ``window``, per username and per source."""

    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)

    def __post_init__(self) -> None:
        if self.max_failures < 1 or self.window <= timedelta(0):
            raise ValueError("a login limit needs max_failures >= 1 and a positive window")

    def since(self, now: datetime) -> datetime:
        """The oldest instant a failure still counts from."""
        return now - self.window

    def retry_after(self, newest_failures: Sequence[datetime], now: datetime) -> int:
        """Seconds until one more attempt is allowed (0: allowed now).

        ``newest_failures`` are the failures inside the window, newest first
        (only the first ``max_failures`` matter).
        """
        if len(newest_failures) < self.max_failures:
            return 0
        frees_at = newest_failures[self.max_failures - 1] + self.window
        return max(1, math.ceil((frees_at - now).total_seconds()))
