"""The merchant server's Prometheus metrics: what happened (counters, histograms) and what
is waiting (gauges read from the database when scraped).

One ``Telemetry`` per app, over its own ``CollectorRegistry`` (``bootstrap``
builds it; tests with several apps do not collide):

- confirms: ``paydesk_confirm_seconds`` (latency) and
  ``paydesk_confirm_decisions_total{result}`` (``approved``, a refusal's
  reason with ``_`` for spaces: ``sold_out`` ..., ``forbidden``, ``invalid_request``,
  ``unavailable``, ``overloaded``: refused by admission control);
- webhooks: ``paydesk_webhooks_received_total{outcome}`` and
  ``paydesk_webhook_lag_seconds`` (stored → processed, in this process);
- i'mport: ``paydesk_iamport_calls_total{operation,outcome}`` and
  ``paydesk_iamport_call_seconds{operation}`` (``observe_call``, fed by the
  client's observer hook; ``outcome`` is the client's outcome class,
  ``paydesk.iamport.observers.OUTCOMES``);
- the backlog (``store.backlog``), counted at scrape time and kept for
  ``cache_seconds``: orders waiting on i'mport, unknown payments, refunds
  without a final answer, the retry queue and dead letters, unprocessed
  webhooks and the age of the oldest, the last reconciliation's drift.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ..store import UnitsOfWork
from ..store.backlog import Backlog

__all__ = ["Telemetry"]

log = logging.getLogger(__name__)

_FAST = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_LAG = (0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 21600.0, 86400.0)


class Telemetry:
    """The collectors of one app, and its backlog snapshot."""

    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        *,
        cache_seconds: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.registry = registry or CollectorRegistry()
        self._cache_seconds = cache_seconds
        self._monotonic = monotonic
        r = self.registry
        self._confirm_seconds = Histogram("paydesk_confirm_seconds",
            "Time to answer i'mport's Confirm Process call.", buckets=_FAST, registry=r)  # fmt: skip
        self._decisions = Counter("paydesk_confirm_decisions",
            "Confirm Process answers, by result.", ["result"], registry=r)  # fmt: skip
        self._decided: dict[str, Counter] = {}  # result -> its child of _decisions
        self._webhooks = Counter("paydesk_webhooks_received",
            "Webhook deliveries received, by what became of them.", ["outcome"], registry=r)  # fmt: skip
        self._received: dict[str, Counter] = {}  # outcome -> its child of _webhooks
        self._lag = Histogram("paydesk_webhook_lag_seconds",
            "From a webhook stored to it processed (by this process).", buckets=_LAG,
            registry=r)  # fmt: skip
        self._calls = Counter("paydesk_iamport_calls",
            "Calls to i'mport, by operation and outcome class.", ["operation", "outcome"],
            registry=r)  # fmt: skip
        self._call_seconds = Histogram("paydesk_iamport_call_seconds",
            "Time of calls to i'mport (retries included), by operation.", ["operation"],
            buckets=_FAST, registry=r)  # fmt: skip
        self._backlog = _BacklogCollector()
        r.register(self._backlog)
        self._refreshed_at: float | None = None
        self._lock = asyncio.Lock()

    def confirm_decided(self, result: str, seconds: float) -> None:
        """A confirm was answered ``result`` after ``seconds``."""
        counter = self._decided.get(result)
        if counter is None:  # a rush counts ten thousands: find each label's child once
            counter = self._decided[result] = self._decisions.labels(result=result)
        counter.inc()
        self._confirm_seconds.observe(seconds)

    def webhook_received(self, outcome: str) -> None:
        """A delivery came in: ``stored``, ``forbidden``, ``unreadable`` or ``unstored``."""
        counter = self._received.get(outcome)
        if counter is None:  # a flood counts ten thousands, as confirms do
            counter = self._received[outcome] = self._webhooks.labels(outcome=outcome)
        counter.inc()

    def webhook_processed(self, lag_seconds: float) -> None:
        """A stored delivery was processed ``lag_seconds`` after it was received."""
        self._lag.observe(max(0.0, lag_seconds))

    def observe_call(self, operation: str, outcome: str, seconds: float) -> None:
        """One call to i'mport (``operation`` as the client names it, e.g. ``payments.get``)
        ended with ``outcome`` (the client's ``OUTCOMES``: ok, rejected, not_sent, unknown) after
        ``seconds``."""
        self._calls.labels(operation=operation, outcome=outcome).inc()
        self._call_seconds.labels(operation=operation).observe(max(0.0, seconds))

    async def refresh(self, store: UnitsOfWork, now: datetime) -> None:
        """Count the backlog again, unless it was counted less than ``cache_seconds`` ago.

        A database that cannot be read leaves ``paydesk_backlog_up`` at 0 (logged).
        """
        async with self._lock:
            at = self._monotonic()
            if self._refreshed_at is not None and at - self._refreshed_at < self._cache_seconds:
                return
            try:
                async with store.reading() as uow:
                    self._backlog.snapshot = (await uow.backlog.backlog(), now)
            except Exception:
                log.exception("metrics: the backlog could not be counted")
                self._backlog.snapshot = None
            self._refreshed_at = at


class _BacklogCollector(Collector):
    """Gauges from the last backlog snapshot (counted by ``Telemetry.refresh``)."""

    def __init__(self) -> None:
        self.snapshot: tuple[Backlog, datetime] | None = None

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("paydesk_backlog_up", "1 if the backlog was counted.")
        up.add_metric([], 0 if self.snapshot is None else 1)
        yield up
        if self.snapshot is None:
            return
        backlog, now = self.snapshot
        yield _labelled("paydesk_orders_waiting", "Orders waiting on i'mport's word, by status.",
                        "status", backlog.orders)  # fmt: skip
        yield _single("paydesk_payments_unknown", "Payments whose outcome is unknown.",
                      backlog.unknown_payments)  # fmt: skip
        yield _labelled("paydesk_refunds_waiting", "Refunds without a final answer, by state.",
                        "state", backlog.refunds)  # fmt: skip
        yield _single("paydesk_jobs_retrying", "Jobs queued again after a failed attempt.",
                      backlog.jobs_retrying)  # fmt: skip
        yield _single("paydesk_jobs_dead", "Jobs on the dead-letter list.", backlog.jobs_dead)
        yield _single("paydesk_webhooks_unprocessed", "Stored webhooks not processed yet.",
                      backlog.webhooks_unprocessed)  # fmt: skip
        oldest = backlog.oldest_unprocessed_webhook
        yield _single("paydesk_webhook_oldest_unprocessed_seconds",
                      "Age of the oldest unprocessed webhook (0: none).",
                      max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)  # fmt: skip
        yield _labelled("paydesk_reconciliation_drift",
                        "Drifted payments found by the last finished reconciliation, by type.",
                        "drift", backlog.drift)  # fmt: skip
        if backlog.last_reconciled is not None:
            yield _single("paydesk_reconciliation_last_finished_timestamp_seconds",
                          "When the last reconciliation finished (Unix time).",
                          backlog.last_reconciled.timestamp())  # fmt: skip


def _single(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _labelled(name: str, documentation: str, label: str, values: dict[str, int]) -> Metric:
    gauge = GaugeMetricFamily(name, documentation, labels=[label])
    for key, value in sorted(values.items()):
        gauge.add_metric([key], value)
    return gauge
