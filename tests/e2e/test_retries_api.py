"""The dead-letter list over HTTP: a job that ran out of attempts is listed, retried, dismissed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from paydesk.store import NewJob

from .harness import Shop

pytestmark = pytest.mark.asyncio
PROBLEM = "application/problem+json"


async def dead_job(shop: Shop, kind: str, error: str) -> int:
    now = datetime.now(UTC)
    async with shop.database.transaction() as uow:
        await uow.jobs.enqueue([NewJob(kind, {"n": 1}, now, max_attempts=1)], now)
    async with shop.database.transaction() as uow:
        (job,) = await uow.jobs.claim("w", now, lease=timedelta(seconds=30), kinds=[kind])
        assert await uow.jobs.fail(job, "w", error, now)
    return job.id


async def test_a_dead_job_is_listed_retried_and_cannot_be_dismissed_while_queued(
    shop: Shop,
) -> None:
    dead = await dead_job(shop, "test.broken", "ServerError: 503")
    listed = (await shop.http.get("/api/retries")).json()
    assert [(j["id"], j["state"], j["last_error"]) for j in listed] == [
        (dead, "dead", "ServerError: 503")]  # fmt: skip

    retried = await shop.http.post(f"/api/retries/{dead}/retry")
    assert retried.status_code == 200 and retried.json()["state"] == "queued"
    assert (await shop.http.get("/api/retries")).json() == []
    refused = await shop.http.post(f"/api/retries/{dead}/dismiss")
    assert (refused.status_code, refused.headers["content-type"]) == (409, PROBLEM)

    other = await dead_job(shop, "test.other", "gave up")
    dismissed = await shop.http.post(f"/api/retries/{other}/dismiss")
    assert dismissed.json()["state"] == "dismissed"
    gone = (await shop.http.get("/api/retries", params={"state": "dismissed"})).json()
    assert [j["id"] for j in gone] == [other]
    assert (await shop.http.post("/api/retries/999999/retry")).status_code == 404
    assert (await shop.http.get("/api/retries", params={"state": "bogus"})).status_code == 422
