"""Idempotency-Key handling for our API's writes.

The first request with a key does the work and stores its answer in the same
transaction; a repeat with the same key and the same body gets that answer
back without doing the work again; a repeat with a different body is refused.
Only successful answers are stored, so a request that failed may be retried.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ..core.clock import Clock
from ..store import Conflict, UnitOfWork, UnitsOfWork
from .errors import KeyReused

__all__ = ["Answer", "IdempotencyKeys", "KeyReused", "fingerprint"]


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status code and JSON body."""

    status_code: int
    body: Any
    replayed: bool = False


def fingerprint(body: Any) -> str:
    """A stable hash of a JSON-able request body."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class IdempotencyKeys:
    """Runs a write at most once per (scope, key)."""

    def __init__(self, database: UnitsOfWork, clock: Clock) -> None:
        self._db = database
        self._clock = clock

    async def run(
        self,
        scope: str,
        key: str | None,
        body: Any,
        action: Callable[[UnitOfWork], Awaitable[Answer]],
    ) -> Answer:
        """Do ``action`` in a transaction, once per ``key``; repeats get the stored answer.

        Without a key the action simply runs. Raises ``KeyReused`` if ``key`` was
        used with a different ``body``, and whatever ``action`` raises (nothing
        is stored then).
        """
        if key is None:
            async with self._db.transaction() as uow:
                return await action(uow)
        digest = fingerprint(body)
        try:
            return await self._attempt(scope, key, digest, action)
        except Conflict:
            # a concurrent request with the same key committed first: replay its answer
            return await self._attempt(scope, key, digest, action)

    async def _attempt(
        self, scope: str, key: str, digest: str, action: Callable[[UnitOfWork], Awaitable[Answer]]
    ) -> Answer:
        try:
            async with self._db.transaction() as uow:
                stored = await uow.idempotency.get(scope, key)
                if stored is not None:
                    if stored.request_hash != digest:
                        raise KeyReused(key)
                    return Answer(stored.status_code, stored.response, replayed=True)
                await uow.idempotency.claim(scope, key, digest, self._clock.now())
                answer = await action(uow)
                if not 200 <= answer.status_code < 300:
                    raise _Unsuccessful(answer)  # roll back the claim with the work
                await uow.idempotency.answer(scope, key, answer.status_code, answer.body)
                return answer
        except _Unsuccessful as unsuccessful:
            return unsuccessful.answer


class _Unsuccessful(Exception):
    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.status_code)
        self.answer = answer
