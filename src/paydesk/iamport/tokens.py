"""Access tokens: when a token is still good, and where tokens are kept.

i'mport answers ``getToken`` with ``expired_at`` and its own ``now``.  Only
their difference is trusted: the local deadline is the local monotonic time
at which the request was sent plus ``expired_at - now``, so a machine whose
wall clock is hours off still refreshes on time (and a little early, never
late).  The cache is keyed by base URL and ``imp_key``; it also hands out the
locks that make a refresh single-flight.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from dataclasses import dataclass, field

from .models.token import Token

__all__ = ["DEFAULT_MARGIN", "Grant", "TokenCache", "grant_for"]

DEFAULT_MARGIN = 60.0
CacheKey = tuple[str, str]


@dataclass(frozen=True)
class Grant:
    """An access token and the local monotonic time at which it stops being used."""

    access_token: str = field(repr=False)
    deadline: float

    def usable(self, now: float, margin: float) -> bool:
        """True while more than ``margin`` seconds are left before the deadline."""
        return now < self.deadline - margin


def grant_for(token: Token, sent_at: float) -> Grant:
    """Local deadline of ``token``: ``sent_at + (expired_at - now)``.

    Args:
        token: the getToken answer.
        sent_at: the local monotonic clock when the getToken request was sent.
    """
    lifetime = (token.expired_at - token.now).total_seconds()
    return Grant(token.access_token, sent_at + lifetime)


class TokenCache:
    """Grants per ``(base_url, imp_key)``, and the locks that make a refresh single-flight.

    Share one cache between clients to share tokens, across threads and across
    event loops: sync callers share one ``threading.Lock`` per key, async callers
    one ``asyncio.Lock`` per key *and event loop* (an asyncio lock cannot be
    awaited from another loop), so each loop refreshes at most once at a time.
    """

    def __init__(self) -> None:
        self._grants: dict[CacheKey, Grant] = {}
        self._locks: dict[CacheKey, threading.Lock] = {}
        self._async_locks: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[CacheKey, asyncio.Lock]
        ] = weakref.WeakKeyDictionary()
        self._guard = threading.Lock()

    def get(self, key: CacheKey) -> Grant | None:
        """The grant stored for ``key``, usable or not."""
        return self._grants.get(key)

    def put(self, key: CacheKey, grant: Grant) -> None:
        """Store ``grant`` for ``key``."""
        self._grants[key] = grant

    def invalidate(self, key: CacheKey, access_token: str) -> None:
        """Forget ``access_token`` if it is still the stored one (i'mport refused it)."""
        with self._guard:
            grant = self._grants.get(key)
            if grant is not None and grant.access_token == access_token:
                del self._grants[key]

    def lock(self, key: CacheKey) -> threading.Lock:
        """The lock sync callers hold while refreshing ``key``."""
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def async_lock(self, key: CacheKey) -> asyncio.Lock:
        """The lock async callers of the running event loop hold while refreshing ``key``."""
        loop = asyncio.get_running_loop()
        with self._guard:
            per_loop = self._async_locks.setdefault(loop, {})
            return per_loop.setdefault(key, asyncio.Lock())
