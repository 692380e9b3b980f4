"""Webhooks from i'mport: stored first, then verified and applied by a job.

``receive`` commits the delivery (verbatim) and its ``webhook.process`` job in
one transaction; only then may the endpoint answer 200, so a delivery is
never acknowledged and lost. Deliveries that arrive together share that
transaction (group commit, ``GroupCommit``): a flood costs one commit per burst. ``process`` is that job's work: re-read the
payment at i'mport and apply the answer (``Verifier``). It is idempotent —
V1 webhooks carry no event id, so duplicates are recognised by what they
lead to: the same imp_uid, the same fetched status, the same cancel history
applied twice changes nothing.

Event webhooks (a body with ``event``, e.g. ``Inicis.Escrow.Changed``) are not
payment notifications: ``process`` hands them to the escrow desk, which looks
the payment up at i'mport itself.

A webhook that arrives before its order is committed is kept: ``process``
raises ``OrderNotFound``, the job backs off and tries again, and the inbox
row stays unprocessed until then.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from ..core.clock import Clock
from ..store import NewJob, UnitsOfWork
from ..store.inbox import Delivery
from ..store.ledger_records import InboxRecord
from .errors import NotOnRecord
from .escrow import Escrows, event_fields
from .group_commit import GroupCommit
from .job_kinds import PROCESS_WEBHOOK
from .settlement import OrderNotFound
from .verification import Outcome, Verifier

__all__ = ["Receipt", "WebhookDesk", "process_key"]

log = logging.getLogger(__name__)
WEBHOOK_ATTEMPTS = 25  # with backoff capped at an hour: about a day of retries


@dataclass(frozen=True)
class Receipt:
    """A stored delivery; ``job_key`` names its processing job (None: nothing to process)."""

    inbox_id: int
    job_key: str | None


def process_key(inbox_id: int) -> str:
    """The dedupe key of the job that processes inbox row ``inbox_id``."""
    return f"{PROCESS_WEBHOOK}:{inbox_id}"


class WebhookDesk:
    """Stores deliveries and processes them."""

    def __init__(
        self,
        database: UnitsOfWork,
        clock: Clock,
        verifier: Verifier,
        escrows: Escrows | None = None,
        *,
        on_processed: Callable[[float], None] | None = None,
        window: float = 0.002,
    ) -> None:
        """``on_processed`` hears each processing's lag: seconds from stored to processed.

        ``window``: how long a batch of deliveries waits for more, while others are
        being received (alone, a delivery is stored at once)."""
        self._db = database
        self._clock = clock
        self._verifier = verifier
        self._escrows = escrows
        self._on_processed = on_processed
        self._receiving = 0  # deliveries between arrival and commit
        self._intake: GroupCommit[None, tuple[Delivery, str | None], Receipt] = GroupCommit(
            self._store, window=window, max_batch=256, company=lambda: self._receiving > 1
        )

    async def receive(self, delivery: Delivery, *, refused: str | None = None) -> Receipt:
        """Store ``delivery`` and, unless ``refused`` (the reason) or unreadable, its job.

        Returns the receipt once committed. Raises the database's error when
        it could not be stored (the endpoint then answers 5xx so i'mport retries).
        """
        if refused is None and not delivery.imp_uid:
            refused = "unreadable"
        self._receiving += 1
        try:
            return await self._intake.submit(None, (delivery, refused))
        finally:
            self._receiving -= 1

    async def _store(self, items: Sequence[tuple[Delivery, str | None]]) -> list[Receipt]:
        """Deliveries that arrived together, with their jobs, in one transaction (group
        commit: one commit for a burst; if it fails, every one of them is answered 5xx)."""
        receipts: list[Receipt] = []
        work: list[NewJob] = []
        async with self._db.transaction() as uow:
            ids = await uow.inbox.add_many(items)
            for (delivery, refused), inbox_id in zip(items, ids, strict=True):
                if refused is not None:
                    receipts.append(Receipt(inbox_id, None))
                    continue
                key = process_key(inbox_id)
                work.append(NewJob(PROCESS_WEBHOOK, {"inbox_id": inbox_id}, delivery.received_at,
                                   dedupe_key=key, max_attempts=WEBHOOK_ATTEMPTS))  # fmt: skip
                receipts.append(Receipt(inbox_id, key))
            await uow.jobs.enqueue(work, self._clock.now())
        return receipts

    async def process(self, inbox_id: int, *, again: bool = False) -> str:
        """Verify and apply stored delivery ``inbox_id``; returns what became of it.

        ``again``: process it even if it was processed before (a replay: the
        payment is re-read at i'mport and applying is idempotent, so this is
        safe whatever became of it, a refused delivery included).

        Raises ``LookupError`` (no such delivery), ``NotOnRecord`` (it names
        no payment), ``OrderNotFound`` (the order is not committed yet: try
        later) and ``UnreadablePayment``; the inbox row then stays unprocessed.
        """
        async with self._db.reading() as uow:
            row = await uow.inbox.get(inbox_id)
        if row is None:
            raise LookupError(f"no webhook delivery {inbox_id}")
        if row.processed_at is not None and row.outcome is not None and not again:
            return row.outcome
        if row.imp_uid is None:  # unreadable deliveries get no job; a replay says so
            raise NotOnRecord(f"webhook delivery {inbox_id} names no payment")
        if self._escrows is not None and _is_event(row):
            outcome = await self._escrows.apply_event(row)
            await self._finish(inbox_id, outcome, row.received_at)
            return outcome
        try:
            checked = await self._verifier.result_arrived(row.imp_uid, row.merchant_uid)
        except OrderNotFound as missing:
            await self._note(inbox_id, f"order {missing} not found yet")
            raise
        outcome = checked.outcome.value
        if checked.outcome is Outcome.SETTLED and checked.settled is not None:
            outcome = f"{outcome}:{checked.settled.report.status.value}"
        elif checked.detail:
            outcome = f"{outcome}:{checked.detail}"
        await self._finish(inbox_id, outcome, row.received_at)
        return outcome

    async def failed(self, *, limit: int = 500) -> list[InboxRecord]:
        """Deliveries with no outcome yet or an error noted, oldest first (to replay)."""
        async with self._db.reading() as uow:
            return await uow.inbox.failed(limit=limit)

    async def _note(self, inbox_id: int, error: str) -> None:
        async with self._db.transaction() as uow:
            await uow.inbox.note(inbox_id, error)

    async def _finish(self, inbox_id: int, outcome: str, received_at: datetime) -> None:
        now = self._clock.now()
        async with self._db.transaction() as uow:
            await uow.inbox.finish(inbox_id, outcome, now)
        if self._on_processed is not None:
            self._on_processed((now - received_at).total_seconds())


def _is_event(row: InboxRecord) -> bool:
    """An event webhook (``event`` in the body) rather than a payment notification."""
    content_type = next((v for k, v in row.headers.items() if k.lower() == "content-type"), "")
    return bool(event_fields(row.body, content_type).get("event"))
