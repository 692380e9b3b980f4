"""Merchant API keys: made, listed, revoked, and checked on every ``/api`` call.

``create`` returns the key once; afterwards only its digest exists, so a lost
key is revoked and replaced, never recovered. ``authenticate`` answers "which
key is this, with which scopes" or ``None`` — it does not say why a key was
refused, so a caller learns nothing from a wrong guess.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from ..core.api_keys import KeyToken, MalformedKey, Scope
from ..core.clock import Clock
from ..store import UnitsOfWork
from ..store.api_keys import ApiKeyRecord
from .errors import InvalidKeyRequest, KeyNotFound

__all__ = ["ApiKeys", "NewKey"]

#: ``last_used_at`` is written at most this often per key (a read would otherwise write).
USE_RECORDING_INTERVAL = timedelta(minutes=1)
NAME_MAX = 100


@dataclass(frozen=True)
class NewKey:
    """A key just made: ``token`` is the only copy of the secret there will ever be."""

    record: ApiKeyRecord
    token: str

    def __repr__(self) -> str:  # never show the secret
        return f"NewKey(record={self.record!r}, token=...)"


class ApiKeys:
    """API key use cases over a store; randomness is injectable for tests."""

    def __init__(
        self,
        database: UnitsOfWork,
        clock: Clock,
        *,
        random_bytes: Callable[[int], bytes] = secrets.token_bytes,
        random_text: Callable[[int], str] = secrets.token_urlsafe,
    ) -> None:
        self._db = database
        self._clock = clock
        self._random_bytes = random_bytes
        self._random_text = random_text

    async def create(self, name: str, scopes: Iterable[Scope]) -> NewKey:
        """Make a key named ``name`` with ``scopes``; the returned token is shown once.

        Raises ``InvalidKeyRequest`` for an empty or over-long name or no scope.
        """
        name, wanted = name.strip(), frozenset(scopes)
        if not 0 < len(name) <= NAME_MAX or not name.isprintable():
            raise InvalidKeyRequest(f"a key needs a printable name of 1 to {NAME_MAX} characters")
        if not wanted:
            raise InvalidKeyRequest("a key needs at least one scope")
        token = KeyToken.make(self._random_bytes(6), self._random_text(32))
        async with self._db.transaction() as uow:
            record = await uow.api_keys.add(name=name, prefix=token.prefix,
                                            digest=token.digest(), scopes=wanted,
                                            now=self._clock.now())  # fmt: skip
        return NewKey(record, str(token))

    async def listing(self) -> list[ApiKeyRecord]:
        """Every key, revoked ones included, oldest first."""
        async with self._db.reading() as uow:
            return await uow.api_keys.listing()

    async def revoke(self, key_id: int) -> ApiKeyRecord:
        """Stop a key from working (again: no change). Raises ``KeyNotFound``."""
        async with self._db.transaction() as uow:
            if await uow.api_keys.get(key_id) is None:
                raise KeyNotFound(key_id)
            await uow.api_keys.revoke(key_id, self._clock.now())
            revoked = await uow.api_keys.get(key_id)
        assert revoked is not None
        return revoked

    async def authenticate(self, text: str) -> ApiKeyRecord | None:
        """The active key ``text`` is, or ``None`` (malformed, unknown, wrong secret, revoked)."""
        try:
            token = KeyToken.parse(text)
        except MalformedKey:
            return None
        async with self._db.reading() as uow:
            record = await uow.api_keys.by_prefix(token.prefix)
        if record is None or not token.matches(record.digest) or not record.active:
            return None
        await self._note_use(record)
        return record

    async def _note_use(self, record: ApiKeyRecord) -> None:
        now = self._clock.now()
        if record.last_used_at is not None and now - record.last_used_at < USE_RECORDING_INTERVAL:
            return
        async with self._db.transaction() as uow:
            await uow.api_keys.used(record.id, now)
