"""The group-commit batcher behind the confirm endpoint: batching, order, errors, cancellation."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from paydesk.services.group_commit import GroupCommit

pytestmark = pytest.mark.asyncio


class Recorder:
    def __init__(self, fail_on: int | None = None, delay: float = 0.0) -> None:
        self.batches: list[list[int]] = []
        self.fail_on = fail_on
        self.delay = delay

    async def flush(self, items: Sequence[int]) -> list[int]:
        self.batches.append(list(items))
        await asyncio.sleep(self.delay)
        if self.fail_on in items:
            raise RuntimeError("database went away")
        return [item * 10 for item in items]


async def test_a_burst_is_one_batch_in_arrival_order() -> None:
    recorder = Recorder()
    lanes: GroupCommit[str, int, int] = GroupCommit(recorder.flush, window=0.01)
    results = await asyncio.gather(*(lanes.submit("hot", i) for i in range(50)))
    assert results == [i * 10 for i in range(50)]
    assert recorder.batches == [list(range(50))]
    assert lanes.batches == 1


async def test_a_lane_with_no_company_is_flushed_without_waiting_the_window() -> None:
    recorder = Recorder()
    lanes: GroupCommit[str, int, int] = GroupCommit(
        recorder.flush, window=10.0, company=lambda: False
    )
    assert await asyncio.wait_for(lanes.submit("quiet", 1), timeout=1.0) == 10
    assert recorder.batches == [[1]]


async def test_a_lane_with_company_waits_the_window_for_it() -> None:
    recorder = Recorder()
    lanes: GroupCommit[str, int, int] = GroupCommit(recorder.flush, window=0.05,
                                                    company=lambda: True)  # fmt: skip
    first = asyncio.create_task(lanes.submit("busy", 1))
    await asyncio.sleep(0.01)
    second = asyncio.create_task(lanes.submit("busy", 2))
    assert (await first, await second) == (10, 20)
    assert recorder.batches == [[1, 2]]


async def test_keys_get_separate_lanes_and_batches_are_capped() -> None:
    recorder = Recorder()
    lanes: GroupCommit[str, int, int] = GroupCommit(recorder.flush, window=0.01, max_batch=4)
    await asyncio.gather(*(lanes.submit("a" if i % 2 else "b", i) for i in range(10)))
    assert sorted(map(tuple, recorder.batches)) == [(0, 2, 4, 6), (1, 3, 5, 7), (8,), (9,)]


async def test_arrivals_during_a_flush_form_the_next_batch() -> None:
    recorder = Recorder(delay=0.05)
    lanes: GroupCommit[str, int, int] = GroupCommit(recorder.flush, window=0)
    first = asyncio.create_task(lanes.submit("hot", 1))
    await asyncio.sleep(0.01)  # the first flush is running now
    rest = await asyncio.gather(*(lanes.submit("hot", i) for i in (2, 3, 4)))
    assert await first == 10 and rest == [20, 30, 40]
    assert recorder.batches == [[1], [2, 3, 4]]


async def test_a_failed_flush_fails_its_batch_only() -> None:
    recorder = Recorder(fail_on=2, delay=0.02)
    lanes: GroupCommit[str, int, int] = GroupCommit(recorder.flush, window=0)
    doomed = [asyncio.create_task(lanes.submit("hot", i)) for i in (1,)]
    await asyncio.sleep(0.005)
    second = [asyncio.create_task(lanes.submit("hot", i)) for i in (2, 3)]
    assert await doomed[0] == 10
    for task in second:
        with pytest.raises(RuntimeError, match="went away"):
            await task
    assert await lanes.submit("hot", 4) == 40  # the lane keeps working


async def test_a_waiter_that_gives_up_does_not_break_the_batch() -> None:
    recorder = Recorder(delay=0.05)
    lanes: GroupCommit[str, int, int] = GroupCommit(recorder.flush, window=0)
    impatient = asyncio.create_task(lanes.submit("hot", 1))
    patient = asyncio.create_task(lanes.submit("hot", 2))
    await asyncio.sleep(0.01)
    impatient.cancel()
    assert await patient == 20
    with pytest.raises(asyncio.CancelledError):
        await impatient
    assert recorder.batches == [[1, 2]]
