"""The call journal on both databases: the client's calls against the emulator end up in
``gateway_calls`` in batches, a full queue or a dead database never breaks a call, and the
worker's sweep prunes what is past the retention period."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from paydesk.core.clock import FixedClock
from paydesk.iamport import AsyncIamport, Iamport, NotFound, RetryPolicy
from paydesk.services.call_journal import CallJournal, JournalPolicy
from paydesk.services.hold_sweep import HoldSweep, SweepPolicy
from paydesk.store import Database
from tests.support.emulator import DEMO_KEY, DEMO_SECRET, EmulatorClient, seed

pytestmark = pytest.mark.asyncio
NOW = datetime(2030, 1, 1, tzinfo=UTC)


def client(emu: EmulatorClient, journal: CallJournal) -> AsyncIamport:
    retry = RetryPolicy(attempts=2, base=0.01, cap=0.05, total=5.0)
    return AsyncIamport(DEMO_KEY, DEMO_SECRET, base_url=emu.base_url, retry=retry,
                        observers=[journal.record])  # fmt: skip


async def test_calls_are_written_with_their_outcome_and_found_by_payment(
    database: Database, emu: EmulatorClient
) -> None:
    paid = seed(emu, amount=10000)
    journal = CallJournal(database, FixedClock(NOW))
    async with client(emu, journal) as api:
        await api.payment(paid["imp_uid"])
        with pytest.raises(NotFound):
            await api.find_payment("order_nobody_made")
        await api.cancel(paid["imp_uid"], amount=3000, checksum=10000)
    await journal.flush()
    assert (journal.written, journal.dropped, journal.pending) == (3, 0, 0)
    async with database.reading() as uow:
        about_payment = await uow.gateway_calls.about([paid["imp_uid"]])
        about_order = await uow.gateway_calls.about(merchant_uids=["order_nobody_made"])
    assert [(c.operation, c.outcome, c.http_status) for c in about_payment] == [
        ("payments.get", "ok", 200), ("payments.cancel", "ok", 200)]  # fmt: skip
    [missing] = about_order
    assert (missing.outcome, missing.error, missing.at) == ("rejected", "NotFound", NOW)
    assert missing.message and missing.duration_ms >= 0 and missing.attempts == 1


async def test_a_full_queue_drops_and_counts_without_breaking_calls(
    database: Database, emu: EmulatorClient
) -> None:
    paid = seed(emu)
    journal = CallJournal(database, FixedClock(NOW), JournalPolicy(capacity=1))
    # the sync client blocks the loop: the drain cannot run between these three calls
    with Iamport(DEMO_KEY, DEMO_SECRET, base_url=emu.base_url,
                 observers=[journal.record]) as api:  # fmt: skip
        for _ in range(3):
            assert api.payment(paid["imp_uid"]).imp_uid == paid["imp_uid"]
        assert (journal.pending, journal.dropped) == (1, 2)
        await journal.aclose()  # writes the one queued
        api.payment(paid["imp_uid"])  # closed: dropped, never queued
    assert (journal.written, journal.dropped, journal.pending) == (1, 3, 0)
    async with database.reading() as uow:
        assert len(await uow.gateway_calls.about([paid["imp_uid"]])) == 1


async def test_a_database_that_is_gone_never_breaks_a_call(
    emu: EmulatorClient, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    paid = seed(emu)
    gone = Database(f"sqlite+aiosqlite:///{tmp_path}/missing/dir/paydesk.db")
    journal = CallJournal(gone, FixedClock(NOW))
    with caplog.at_level(logging.ERROR, logger="paydesk.services.call_journal"):
        async with client(emu, journal) as api:
            assert (await api.payment(paid["imp_uid"])).imp_uid == paid["imp_uid"]
        await journal.aclose()
    assert (journal.written, journal.dropped) == (0, 1)
    assert any("could not be written" in m for m in caplog.messages)
    await gone.dispose()


async def test_the_sweep_prunes_calls_past_the_retention(
    database: Database, emu: EmulatorClient
) -> None:
    paid = seed(emu)
    clock = FixedClock(NOW)
    journal = CallJournal(database, clock, JournalPolicy(keep=timedelta(days=30)))
    async with client(emu, journal) as api:
        await api.payment(paid["imp_uid"])  # at NOW
        await journal.flush()
        clock.advance(timedelta(days=20).total_seconds())
        await api.payment(paid["imp_uid"])  # at NOW + 20 days
        await journal.flush()
    clock.advance(timedelta(days=15).total_seconds())  # NOW + 35 days: the first is too old
    sweep = HoldSweep(database, clock, SweepPolicy(), parts=(journal,))
    assert await sweep.sweep() == 0  # pruning adds no job
    async with database.reading() as uow:
        left = await uow.gateway_calls.about([paid["imp_uid"]])
    assert [c.at for c in left] == [NOW + timedelta(days=20)]
    clock.advance(timedelta(days=30).total_seconds())
    assert await journal.prune() == 1
