"""What a person in the admin console may set in motion besides refunds and the retry queue.

``Services.actions`` is an ``AdminActions``:

- ``replay_webhook(inbox_id) -> Replayed``: process one stored delivery again
  (``WebhookDesk.process(again=True)``): the payment is re-read at i'mport and
  applied, which is idempotent, so a replay is safe whatever became of the
  delivery. Raises ``NotOnRecord`` for an unknown id; any other trouble (the
  delivery names no payment, i'mport unreachable, the order not found) comes
  back as ``Replayed(ok=False, error=...)``.
- ``reconcile_now() -> ReconcileRequested``: queue a reconciliation sweep
  (``reconcile.sweep``, trigger ``admin``) due now, unless one is already queued
  or running (then ``queued`` is False and nothing is added). The worker runs
  it; ``Services.try_now(job_key)`` would run it in the web process instead.

The other actions already have their services: ``Services.refunds.ask`` (full
or partial, refund account, tax-free part), ``supply_account``;
``Services.retries.retry`` / ``dismiss`` for the retry queue and dead letters.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ..core.clock import Clock
from ..store import NewJob, UnitsOfWork
from .errors import NotOnRecord, ServiceError
from .job_kinds import RECONCILE_SWEEP
from .webhooks import WebhookDesk

__all__ = ["AdminActions", "ReconcileRequested", "Replayed"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Replayed:
    """What a replayed delivery came to: its outcome, or why it could not be processed."""

    inbox_id: int
    imp_uid: str | None
    ok: bool
    outcome: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class ReconcileRequested:
    """The sweep job asked for (``queued``), or the one already queued or running."""

    job_key: str | None
    queued: bool


class AdminActions:
    """Webhook replay and an on-demand reconciliation."""

    def __init__(
        self, database: UnitsOfWork, clock: Clock, webhooks: WebhookDesk, *, attempts: int = 3
    ) -> None:
        self._db = database
        self._clock = clock
        self._webhooks = webhooks
        self._attempts = attempts

    async def replay_webhook(self, inbox_id: int) -> Replayed:
        """Process stored delivery ``inbox_id`` again. Raises ``NotOnRecord`` if there is none."""
        async with self._db.reading() as uow:
            row = await uow.inbox.get(inbox_id)
        if row is None:
            raise NotOnRecord(f"no webhook delivery {inbox_id}")
        try:
            outcome = await self._webhooks.process(inbox_id, again=True)
        except ServiceError as exc:
            log.info("webhook %d replay did not go through: %s", inbox_id, type(exc).__name__)
            return Replayed(inbox_id, row.imp_uid, False, error=f"{type(exc).__name__}: {exc}")
        log.info("webhook %d replayed: %s", inbox_id, outcome)
        return Replayed(inbox_id, row.imp_uid, True, outcome=outcome)

    async def reconcile_now(self) -> ReconcileRequested:
        """Queue a reconciliation sweep due now, unless one is queued or running already."""
        now = self._clock.now()
        async with self._db.transaction() as uow:
            if await uow.jobs.live(RECONCILE_SWEEP):
                return ReconcileRequested(None, queued=False)
            key = f"{RECONCILE_SWEEP}:admin:{now.timestamp():.6f}"
            job = NewJob(RECONCILE_SWEEP, {"trigger": "admin"}, now, dedupe_key=key,
                         max_attempts=self._attempts)  # fmt: skip
            await uow.jobs.enqueue([job], now)
        log.info("reconciliation sweep queued from the admin console (%s)", key)
        return ReconcileRequested(key, queued=True)
