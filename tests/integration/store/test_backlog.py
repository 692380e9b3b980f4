"""The backlog counts behind the ``/metrics`` gauges, on both backends, and ``Telemetry``.

Jobs are failed and buried through the real queue, webhooks stored through the
inbox, a reconciliation finished with drift counts; the counts and the
exposition must show exactly that. The snapshot is kept for ``cache_seconds``
of the telemetry's own monotonic clock (moved here by hand).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from paydesk.services.telemetry import Telemetry
from paydesk.store import Database, NewJob
from paydesk.store.inbox import Delivery

pytestmark = pytest.mark.asyncio

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


async def fill(database: Database) -> None:
    """Two jobs failed once (one of them out of attempts), one webhook stored unprocessed
    and one processed, and a finished reconciliation with drift."""
    async with database.transaction() as uow:
        await uow.jobs.enqueue([NewJob("a", {}, NOW, max_attempts=1),
                                NewJob("b", {}, NOW, max_attempts=5),
                                NewJob("c", {}, NOW)], NOW)  # fmt: skip
        for job in await uow.jobs.claim("w", NOW, lease=LEASE, kinds=["a", "b"]):
            await uow.jobs.fail(job, "w", "boom", NOW)
        waiting = Delivery(NOW - timedelta(minutes=3), "127.0.0.1", {}, b"{}", imp_uid="imp_1")
        await uow.inbox.add(waiting)
        done = await uow.inbox.add(Delivery(NOW, "127.0.0.1", {}, b"{}", imp_uid="imp_2"))
        await uow.inbox.finish(done, "settled:paid", NOW)
        sweep = await uow.reconciliations.start("test", NOW - timedelta(days=1), NOW, NOW)
        counts = {"orphan": 2, "amount_mismatch": 1}
        await uow.reconciliations.finish(sweep, status="finished", checked=9, counts=counts,
                                         now=NOW)  # fmt: skip


async def test_the_backlog_is_counted_from_the_database(database: Database) -> None:
    await fill(database)
    async with database.reading() as uow:
        backlog = await uow.backlog.backlog()
    assert (backlog.jobs_retrying, backlog.jobs_dead) == (1, 1)
    assert backlog.webhooks_unprocessed == 1
    assert backlog.oldest_unprocessed_webhook == NOW - timedelta(minutes=3)
    assert backlog.drift == {"orphan": 2, "amount_mismatch": 1}
    assert backlog.last_reconciled == NOW
    assert backlog.unknown_payments == 0
    assert backlog.orders == {"held": 0, "unverified": 0, "flagged": 0}


def samples(telemetry: Telemetry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = generate_latest(telemetry.registry).decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}  # fmt: skip


async def test_gauges_come_from_a_snapshot_kept_a_few_seconds(database: Database) -> None:
    clock = [100.0]
    telemetry = Telemetry(cache_seconds=5, monotonic=lambda: clock[0])
    assert samples(telemetry)[("paydesk_backlog_up", ())] == 0  # never counted

    await telemetry.refresh(database, NOW)
    first = samples(telemetry)
    assert first[("paydesk_backlog_up", ())] == 1
    assert first[("paydesk_jobs_dead", ())] == 0
    await fill(database)

    clock[0] += 4.9
    await telemetry.refresh(database, NOW)
    assert samples(telemetry)[("paydesk_jobs_dead", ())] == 0  # still the kept snapshot

    clock[0] += 0.2
    await telemetry.refresh(database, NOW)
    later = samples(telemetry)
    assert later[("paydesk_jobs_dead", ())] == 1
    assert later[("paydesk_jobs_retrying", ())] == 1
    assert later[("paydesk_webhooks_unprocessed", ())] == 1
    assert later[("paydesk_webhook_oldest_unprocessed_seconds", ())] == 180
    assert later[("paydesk_reconciliation_drift", (("drift", "orphan"),))] == 2
    assert later[("paydesk_reconciliation_last_finished_timestamp_seconds", ())] == NOW.timestamp()


async def test_an_unreadable_database_reads_as_down_not_as_an_error(tmp_path: object) -> None:
    telemetry = Telemetry()
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/missing/none.db")
    try:
        await telemetry.refresh(database, NOW)
    finally:
        await database.dispose()
    assert samples(telemetry)[("paydesk_backlog_up", ())] == 0
