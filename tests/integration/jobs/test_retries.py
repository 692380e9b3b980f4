"""The dead-letter list: ``services.retries`` on both backends, and ``paydesk retries`` on SQLite.

Jobs die the way they do in production — claimed, failed on their last
attempt — and are then listed, retried and dismissed. The command is run
through Typer's ``CliRunner`` against a real migrated database, with only
``PAYDESK_DATABASE_URL`` set (no i'mport credentials).
"""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paydesk.cli import app
from paydesk.core.clock import SystemClock
from paydesk.services.errors import JobNotActionable, JobNotFound
from paydesk.services.retries import Retries
from paydesk.store import Database, NewJob

LEASE = timedelta(seconds=20)


async def dead_job(db: Database, kind: str, error: str, **payload: object) -> int:
    """A job that failed its only attempt with ``error``."""
    now = datetime.now(UTC)
    async with db.transaction() as uow:
        await uow.jobs.enqueue([NewJob(kind, payload, now, max_attempts=1)], now)
    async with db.transaction() as uow:
        (job,) = await uow.jobs.claim("w", now, lease=LEASE, kinds=[kind])
        assert await uow.jobs.fail(job, "w", error, now)
    return job.id


async def other_jobs(db: Database) -> tuple[int, int]:
    """A queued job and a done one: (queued id, done id)."""
    now = datetime.now(UTC)
    async with db.transaction() as uow:
        await uow.jobs.enqueue([NewJob("test.done", {}, now), NewJob("test.later", {}, now)], now)
    async with db.transaction() as uow:
        (done,) = await uow.jobs.claim("w", now, lease=LEASE, kinds=["test.done"])
        assert await uow.jobs.complete(done.id, "w", now, attempt=done.attempts)
    return done.id + 1, done.id


@pytest.mark.asyncio
async def test_retry_and_dismiss_act_on_dead_jobs_only(database: Database) -> None:
    retries = Retries(database, SystemClock())
    dead = await dead_job(database, "refund.auto", "RefundPending: 503", refund_id=7)
    queued, done = await other_jobs(database)

    (listed,) = await retries.listing()
    assert (listed.id, listed.kind, listed.payload, listed.attempts) == (
        dead, "refund.auto", {"refund_id": 7}, 1
    )  # fmt: skip
    assert listed.last_error == "RefundPending: 503"

    for job_id, state in ((queued, "queued"), (done, "done")):
        with pytest.raises(JobNotActionable, match=f"job {job_id} is {state}"):
            await retries.retry(job_id)
        with pytest.raises(JobNotActionable, match=f"job {job_id} is {state}"):
            await retries.dismiss(job_id)
    with pytest.raises(JobNotFound, match="no job 999"):
        await retries.retry(999)
    with pytest.raises(JobNotFound):
        await retries.get(999)

    dismissed = await retries.dismiss(dead)
    assert dismissed.state == "dismissed"
    assert await retries.listing() == []
    assert [e.id for e in await retries.listing(["dismissed"])] == [dead]
    requeued = await retries.retry(dead)  # a dismissal can be taken back
    assert (requeued.state, requeued.attempts) == ("queued", 0)
    with pytest.raises(JobNotActionable, match="is retrying"):
        await retries.dismiss(dead)
    with pytest.raises(ValueError, match="limit"):
        await retries.listing(limit=0)


async def retrying_job(db: Database, kind: str, error: str) -> int:
    """A job that failed its first of three attempts: queued again, due later."""
    now = datetime.now(UTC)
    async with db.transaction() as uow:
        await uow.jobs.enqueue([NewJob(kind, {}, now, max_attempts=3)], now)
    async with db.transaction() as uow:
        (job,) = await uow.jobs.claim("w", now, lease=LEASE, kinds=[kind])
        assert await uow.jobs.fail(job, "w", error, now)
    return job.id


@pytest.mark.asyncio
async def test_the_console_also_re_attempts_and_dismisses_retrying_jobs(
    database: Database,
) -> None:
    """With ``retrying`` (the admin console) a retrying job is made due now, attempts kept,
    or closed; a running, done or queued-without-failure job is still refused."""
    retries = Retries(database, SystemClock())
    first = await retrying_job(database, "test.flaky", "503 from i'mport")
    second = await retrying_job(database, "test.flaky2", "503 from i'mport")
    queued, done = await other_jobs(database)
    before = await retries.get(first)
    assert before.retrying and before.run_at > datetime.now(UTC)

    hastened = await retries.retry(first, retrying=True)
    assert (hastened.state, hastened.attempts) == ("queued", 1)
    assert hastened.run_at <= datetime.now(UTC) and hastened.last_error == "503 from i'mport"
    dismissed = await retries.dismiss(second, retrying=True)
    assert dismissed.state == "dismissed"
    assert [e.id for e in await retries.listing(["retrying"])] == [first]

    for job_id, state in ((queued, "queued"), (done, "done")):
        with pytest.raises(JobNotActionable, match=f"job {job_id} is {state}"):
            await retries.retry(job_id, retrying=True)
        with pytest.raises(JobNotActionable, match=f"job {job_id} is {state}"):
            await retries.dismiss(job_id, retrying=True)
    async with database.transaction() as uow:  # a worker takes the hastened job
        (running,) = await uow.jobs.claim("w", datetime.now(UTC), lease=LEASE, kinds=["test.flaky"])
    for act in (retries.retry, retries.dismiss):
        with pytest.raises(JobNotActionable, match=f"job {first} is running"):
            await act(first, retrying=True)
    assert (await retries.get(running.id)).state == "running"


@pytest.mark.asyncio
async def test_two_people_retrying_one_dead_job_queue_it_once(database_url: str) -> None:
    """Two back-office users (two processes) press "retry" at once: one wins, the other is
    told the job is queued already; it runs once."""
    setup = Database(database_url)
    users = [Database(database_url), Database(database_url)]
    try:
        dead = await dead_job(setup, "webhook.process", "OrderNotFound", inbox_id=1)
        results = await asyncio.gather(
            *(Retries(db, SystemClock()).retry(dead) for db in users), return_exceptions=True
        )
        won = [r for r in results if not isinstance(r, BaseException)]
        refused = [r for r in results if isinstance(r, JobNotActionable)]
        assert len(won) == 1 and len(refused) == 1, results
        assert "is queued" in str(refused[0]) or "is retrying" in str(refused[0])
        async with setup.transaction() as uow:
            claimed = await uow.jobs.claim("w", datetime.now(UTC), lease=LEASE, limit=5)
        assert [(j.id, j.attempts) for j in claimed] == [(dead, 1)]
    finally:
        for db in (setup, *users):
            await db.dispose()


@pytest.fixture
def shop_db(tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    path = tmp_path / "paydesk.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    monkeypatch.setenv("PAYDESK_DATABASE_URL", url)
    for name in ("PAYDESK_IAMPORT_KEY", "PAYDESK_IAMPORT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    return url


def on(url: str, *steps: object) -> list[object]:
    async def go() -> list[object]:
        db = Database(url)
        try:
            return [await step(db) for step in steps]  # type: ignore[operator]
        finally:
            await db.dispose()

    return asyncio.run(go())


def paydesk(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["retries", *args], env={"COLUMNS": "200"})
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def cells(line: str) -> list[str]:
    """The cells of one row of a Rich table."""
    return [cell.strip() for cell in line.strip().strip("│").split("│")]


def test_retries_list_shows_dead_jobs_in_a_table(shop_db: str) -> None:
    assert paydesk("list") == (0, "No dead jobs.\n", "")
    first, second, (queued, _) = on(
        shop_db,
        lambda db: dead_job(db, "refund.auto", "RefundPending: i'mport 503\ndetails", refund_id=3),
        lambda db: dead_job(db, "webhook.process", "OrderNotFound: order_1", inbox_id=9),
        other_jobs,
    )
    code, out, err = paydesk("list")
    assert (code, err) == (0, "")
    assert "Dead jobs (2)" in out
    rows = [cells(line) for line in out.splitlines() if line.startswith("│")]
    assert rows == [  # newest first
        [str(second), "webhook.process", "dead", "1/1", rows[0][4], "inbox_id=9",
         "OrderNotFound: order_1"],
        [str(first), "refund.auto", "dead", "1/1", rows[1][4], "refund_id=3",
         "RefundPending: i'mport 503"],
    ]  # fmt: skip
    datetime.strptime(rows[0][4], "%Y-%m-%d %H:%M:%S")
    assert "details" not in out  # the first line of an error only
    assert str(queued) not in [row[0] for row in rows]
    code, out, _ = paydesk("list", "--state", "dead", "--state", "dismissed", "--limit", "1")
    assert code == 0 and "(1)" in out and "webhook.process" in out and "refund.auto" not in out


def test_retries_retry_and_dismiss_from_the_shell(shop_db: str) -> None:
    first, second = on(
        shop_db,
        lambda db: dead_job(db, "refund.auto", "RefundPending", refund_id=3),
        lambda db: dead_job(db, "payment.reverify", "Unreachable", imp_uid="imp_1"),
    )
    assert paydesk("retry", str(first)) == (
        0, f"job {first} (refund.auto) queued again: due now, attempts 0/1\n", ""
    )  # fmt: skip
    assert paydesk("dismiss", str(second)) == (
        0,
        f"job {second} (payment.reverify) dismissed\n",
        "",
    )
    assert paydesk("list") == (0, "No dead jobs.\n", "")
    code, out, _ = paydesk("list", "--state", "retrying", "--state", "dismissed")
    assert code == 0 and "retrying" in out and "dismissed" in out

    (entries,) = on(shop_db, lambda db: Retries(db, SystemClock()).listing(["retrying"]))
    assert [(e.id, e.state, e.attempts) for e in entries] == [(first, "queued", 0)]  # type: ignore[attr-defined]


def test_retries_refusals_are_one_readable_line(shop_db: str, tmp_path: Path) -> None:
    ((queued, done),) = on(shop_db, other_jobs)
    code, out, err = paydesk("retry", "999")
    assert (code, out, err) == (1, "", "paydesk retries retry: no job 999\n")
    code, _, err = paydesk("dismiss", str(queued))
    assert (code, err) == (
        1, f"paydesk retries dismiss: job {queued} is queued: only a dead job can be dismissed\n"
    )  # fmt: skip
    code, _, err = paydesk("retry", str(done))
    assert code == 1 and f"job {done} is done" in err
    code, _, err = paydesk("list", "--state", "running")
    assert code == 2 and err.startswith("paydesk retries list: cannot list jobs in state(s)")
    code, _, err = paydesk("retry", "seven")
    assert code == 2 and "Invalid value" in err and "valid integer" in err

    empty = tmp_path / "not-migrated.db"
    empty.touch()
    result = CliRunner().invoke(
        app, ["retries", "list"], env={"PAYDESK_DATABASE_URL": f"sqlite:///{empty}"}
    )
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.startswith("paydesk retries list: the database cannot be used:")
    assert "no such table: jobs" in result.stderr
