"""Idempotency-Key handling for our API's writes.

The first request with a key does the work and stores its answer; a repeat
with the same key and the same body gets that answer back without doing the
work again; a repeat with a different body is refused (``KeyReused``). Only
successful answers are stored, so a request that failed may be retried.

Two ways to run the work:

- ``run``: work that is only database writes runs in the transaction that
  claims the key and stores the answer — a crash leaves neither or both;
- ``once``: work that calls out (placing an order registers its amount at
  i'mport, a refund runs its cancel) claims the key first, works, then stores
  the answer. A repeat while the first is at work gets ``KeyInFlight``; a claim
  whose holder died is taken over after ``stale_after``. The work itself is
  keyed too (an order's merchant_uid, a refund's ``requested_by``), so even a
  take-over finds what the first attempt made instead of making it again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ..core.clock import Clock
from ..store import Conflict, UnitOfWork, UnitsOfWork
from .errors import KeyInFlight, KeyReused

__all__ = ["Answer", "IdempotencyKeys", "KeyInFlight", "KeyReused", "fingerprint"]


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

    def __init__(
        self, database: UnitsOfWork, clock: Clock, *, stale_after: timedelta = timedelta(minutes=2)
    ) -> None:
        self._db = database
        self._clock = clock
        self._stale_after = stale_after

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

    async def once(
        self, scope: str, key: str | None, body: Any, action: Callable[[], Awaitable[Answer]]
    ) -> Answer:
        """Do ``action`` (which opens its own transactions) once per ``key``.

        Raises ``KeyReused`` (same key, other body), ``KeyInFlight`` (the first
        request with this key is still at work), and whatever ``action`` raises
        (the claim is given up then, so the request may be retried).
        """
        if key is None:
            return await action()
        digest = fingerprint(body)
        replay = await self._claim(scope, key, digest)
        if replay is not None:
            return replay
        try:
            answer = await action()
        except BaseException:
            await self._release(scope, key)
            raise
        if not 200 <= answer.status_code < 300:
            await self._release(scope, key)
            return answer
        async with self._db.transaction() as uow:
            await uow.idempotency.answer(scope, key, answer.status_code, answer.body)
        return answer

    async def _claim(self, scope: str, key: str, digest: str) -> Answer | None:
        """Claim ``key``; the stored answer instead when it has one."""
        for _ in range(2):  # a concurrent first claim wins the unique key: look again
            try:
                async with self._db.transaction() as uow:
                    now = self._clock.now()
                    stored = await uow.idempotency.get(scope, key)
                    if stored is None:
                        await uow.idempotency.claim(scope, key, digest, now)
                        return None
                    if stored.request_hash != digest:
                        raise KeyReused(key)
                    if stored.status_code:
                        return Answer(stored.status_code, stored.response, replayed=True)
                    if await uow.idempotency.retake(scope, key, now - self._stale_after, now):
                        return None
                    raise KeyInFlight(key)
            except Conflict:
                continue
        raise KeyInFlight(key)

    async def _release(self, scope: str, key: str) -> None:
        async with self._db.transaction() as uow:
            await uow.idempotency.release(scope, key)


class _Unsuccessful(Exception):
    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.status_code)
        self.answer = answer
