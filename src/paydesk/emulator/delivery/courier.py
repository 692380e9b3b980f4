"""Webhook delivery: the worker that POSTs what ``Gateway.announce`` recorded.

``Gateway.announce`` only writes ``WebhookRecord``s; the ``Courier`` sends
them, as JSON or form-urlencoded per the merchant's setting, following the
merchant's ``DeliveryPolicy`` (once / retry, duplicates, delay and jitter,
before or after the browser is sent back).  Scheduling uses the gateway
clock, so advancing it makes retries due; waiting uses real asyncio sleeps.
Every attempt is appended to its record (``GET /_emulator/webhooks``).

Browser ordering: the window ``hold``s a payment's webhooks while it is open.
Under ``after_redirect`` they stay parked until the window ``release``s them
(the browser was sent back) or ``OutboundSettings.hold_limit`` passes; under
``before_redirect`` the window ``settle``s (waits for the first attempt)
before sending the browser back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from typing import Any

import httpx

from ..gateway import Gateway
from ..gateway.errors import ApiFault
from ..gateway.merchants import DeliveryPolicy
from ..gateway.records import AttemptRecord, WebhookRecord
from ..gateway.state import GatewayState
from .outbound import Outbound
from .schedule import after_attempt, delivered, first_due, regular_attempts

__all__ = ["Courier", "form_fields"]

log = logging.getLogger("paydesk.emulator.delivery")
_POLL = 0.2  # real seconds between looks at the gateway clock
_USER_AGENT = "paydesk-emulator (i'mport V1 webhook)"


def form_fields(payload: dict[str, Any]) -> dict[str, str]:
    """A payload as form fields; a nested object's keys PHP-style (``extra[escrow_status]``)."""
    fields: dict[str, str] = {}
    for key, value in payload.items():
        if isinstance(value, dict):
            fields.update({f"{key}[{inner}]": str(v) for inner, v in value.items()})
        else:
            fields[key] = str(value)
    return fields


class Courier:
    """Delivers webhook records in the background of the emulator app."""

    def __init__(
        self, gateway: Gateway, outbound: Outbound, rng: random.Random | None = None
    ) -> None:
        self.gateway = gateway
        self.outbound = outbound
        self.rng = rng or random.Random()
        self._state: GatewayState = gateway.state
        self._records: dict[str, WebhookRecord] = {}
        self._due: dict[str, float] = {}
        self._duplicates: set[str] = set()
        self._held: dict[str, float] = {}  # imp_uid -> loop time the hold ends
        self._parked: set[str] = set()
        self._inflight: set[str] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()
        self._attempted = asyncio.Condition()
        self._worker: asyncio.Task[None] | None = None

    # -- lifecycle ------------------------------------------------------------
    def start(self) -> None:
        """Listen to the gateway and start the worker (call inside the running loop)."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()  # bound to this loop, even if the app is served again
        self._attempted = asyncio.Condition()
        self.gateway.listeners.append(self.notice)
        self._requeue()
        self._worker = asyncio.create_task(self._run(), name="paydesk-webhook-courier")

    async def stop(self) -> None:
        """Stop listening, stop the worker and abandon attempts in flight."""
        if self.notice in self.gateway.listeners:
            self.gateway.listeners.remove(self.notice)
        tasks = [t for t in (self._worker, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._worker = None

    # -- entry points -----------------------------------------------------------
    def notice(self, record: WebhookRecord) -> None:
        """Gateway listener: schedule a new record (from any thread)."""
        loop = self._loop
        if loop is None:
            return  # picked up by _requeue when the worker starts
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._schedule(record)
        else:
            loop.call_soon_threadsafe(self._schedule, record)

    def hold(self, imp_uid: str) -> None:
        """A window for ``imp_uid`` is open: park its webhooks under ``after_redirect``."""
        self._sync_state()  # a reset since the last look must not wipe this hold later
        self._held[imp_uid] = self._loop_time() + self.outbound.settings.hold_limit

    def release(self, imp_uid: str) -> None:
        """The browser was sent back: parked webhooks of ``imp_uid`` become due."""
        self._held.pop(imp_uid, None)
        for record_id in [r for r in self._parked if self._imp_uid(r) == imp_uid]:
            self._parked.discard(record_id)
            self._set_due(self._records[record_id])
        self._wake.set()

    async def release_later(self, imp_uid: str) -> None:
        """Release after the grace that lets the browser land first."""
        await asyncio.sleep(self.outbound.settings.after_redirect_grace)
        self.release(imp_uid)

    async def settle(self, imp_uid: str) -> None:
        """Wait until every webhook of ``imp_uid`` had its first attempt (bounded)."""

        def settled() -> bool:
            return not any(
                r.payload.get("imp_uid") == imp_uid
                and r.state == "pending"
                and regular_attempts(r) == 0
                for r in self.gateway.state.webhooks
            )

        async with self._attempted:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._attempted.wait_for(settled), self.outbound.settings.settle_limit
                )

    async def resend(self, record_id: str) -> WebhookRecord:
        """Send a record again now, by hand (recorded with ``manual=True``)."""
        record = next((r for r in self.gateway.state.webhooks if r.id == record_id), None)
        if record is None:
            raise ApiFault(404, f"존재하지 않는 웹훅 기록입니다. ({record_id})")
        merchant = self.gateway.merchants.get(record.imp_code)
        record.url = record.url or (merchant.webhook_url if merchant else None)
        if not record.url:
            raise ApiFault(400, "웹훅(Notification) URL이 설정되어 있지 않습니다.")
        self._records[record.id] = record
        await self._deliver(record, manual=True)
        return record

    # -- scheduling ---------------------------------------------------------------
    def _schedule(self, record: WebhookRecord) -> None:
        self._sync_state()
        if record.state != "pending" or not record.url:
            return
        self._records[record.id] = record
        imp_uid = record.payload.get("imp_uid")
        if self._policy(record).order == "after_redirect" and imp_uid in self._held:
            self._parked.add(record.id)
        else:
            self._set_due(record)
        self._wake.set()

    def _set_due(self, record: WebhookRecord) -> None:
        due = first_due(self._policy(record), self.gateway.clock.now(), self.rng)
        record.next_attempt_at = due
        self._due[record.id] = due

    def _requeue(self) -> None:
        """Pending records of a loaded state resume where they stopped."""
        for record in self.gateway.state.webhooks:
            if record.state == "pending" and record.url:
                self._records[record.id] = record
                self._due[record.id] = record.next_attempt_at or self.gateway.clock.now()

    def _sync_state(self) -> None:
        """After a reset the old records are gone: forget their schedule."""
        if self.gateway.state is self._state:
            return
        self._state = self.gateway.state
        for store in (self._records, self._due, self._held):
            store.clear()
        self._duplicates.clear()
        self._parked.clear()
        self._requeue()

    def _policy(self, record: WebhookRecord) -> DeliveryPolicy:
        merchant = self.gateway.merchants.get(record.imp_code)
        return merchant.delivery if merchant else DeliveryPolicy()

    def _imp_uid(self, record_id: str) -> Any:
        return self._records[record_id].payload.get("imp_uid")

    def _loop_time(self) -> float:
        return self._loop.time() if self._loop else time.monotonic()

    # -- the worker -----------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            self._sync_state()
            self._end_expired_holds()
            now = self.gateway.clock.now()
            for record_id, due in sorted(self._due.items(), key=lambda item: item[1]):
                if due <= now and record_id not in self._inflight:
                    del self._due[record_id]
                    duplicate = record_id in self._duplicates
                    self._duplicates.discard(record_id)
                    self._launch(self._records[record_id], duplicate=duplicate)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._next_wait(now))

    def _next_wait(self, now: float) -> float:
        soonest = min(self._due.values(), default=now + _POLL)
        return min(max(soonest - now, 0.01), _POLL)

    def _end_expired_holds(self) -> None:
        now = self._loop_time()
        for imp_uid in [u for u, until in self._held.items() if until <= now]:
            self.release(imp_uid)

    def _launch(self, record: WebhookRecord, *, duplicate: bool) -> None:
        task = asyncio.create_task(self._deliver(record, duplicate=duplicate))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(
        self, record: WebhookRecord, *, manual: bool = False, duplicate: bool = False
    ) -> None:
        self._inflight.add(record.id)
        try:
            policy = self._policy(record)
            attempt = await self._post(record, policy, manual=manual, duplicate=duplicate)
            record.attempts = [*record.attempts, attempt]
            if manual:
                self._after_manual(record, attempt)
            elif not duplicate:
                self._after_scheduled(record, policy, attempt)
        finally:
            self._inflight.discard(record.id)
            self.gateway.touch(record)  # its attempts list grew
            self.gateway.flush()
            async with self._attempted:
                self._attempted.notify_all()
            self._wake.set()

    def _after_scheduled(
        self, record: WebhookRecord, policy: DeliveryPolicy, attempt: AttemptRecord
    ) -> None:
        now = self.gateway.clock.now()
        step = after_attempt(policy, record, attempt.status, attempt.error, now, self.rng)
        record.state = step.state
        record.next_attempt_at = step.next_at
        if step.next_at is not None:
            self._due[record.id] = step.next_at
        elif step.duplicate_at is not None:
            self._due[record.id] = step.duplicate_at
            self._duplicates.add(record.id)

    def _after_manual(self, record: WebhookRecord, attempt: AttemptRecord) -> None:
        if delivered(attempt.status):
            record.state = "delivered"
            record.next_attempt_at = None
            if record.id not in self._duplicates:
                self._due.pop(record.id, None)
        elif record.state != "delivered" and record.id not in self._due:
            record.state = "failed"

    async def _post(
        self, record: WebhookRecord, policy: DeliveryPolicy, *, manual: bool, duplicate: bool
    ) -> AttemptRecord:
        first = regular_attempts(record) == 0 and not manual
        if first:
            timeout = httpx.Timeout(policy.read_timeout, connect=policy.connect_timeout)
            total = policy.connect_timeout + policy.read_timeout
        else:
            timeout, total = httpx.Timeout(policy.retry_timeout), policy.retry_timeout
        body: dict[str, Any] = (
            {"json": record.payload}
            if record.content_type == "json"
            else {"data": form_fields(record.payload)}
        )
        status: int | None = None
        error: str | None = None
        started = time.perf_counter()
        try:
            async with asyncio.timeout(total):
                answer = await self.outbound.client.post(
                    record.url or "", timeout=timeout, headers={"User-Agent": _USER_AGENT}, **body
                )
            status = answer.status_code
        except (httpx.HTTPError, TimeoutError) as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return AttemptRecord(
            at=self.gateway.clock.now(),
            status=status,
            error=error,
            elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
            manual=manual,
            duplicate=duplicate,
        )
