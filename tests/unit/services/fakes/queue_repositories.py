"""In-memory jobs, idempotency keys and sweep queries: ``JobQueue``, ``IdempotencyRepository``, ``Sweeps``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from paydesk.core.orders import OrderStatus
from paydesk.store import Conflict, JobRecord, NewJob, retry_delay
from paydesk.store.idempotency import StoredAnswer
from paydesk.store.jobs import LISTED_STATES, MAX_ERROR_CHARS, JobEntry
from paydesk.store.sweeps import Awaited

from .tables import Access, FakeRow, Row, Tables, as_json, aware

__all__ = ["InMemoryIdempotency", "InMemoryJobs", "InMemorySweeps"]


def _job(row: Row) -> JobRecord:
    return JobRecord.from_row(FakeRow(row))  # type: ignore[arg-type]


class InMemoryJobs:
    """``JobQueue`` over dicts: a ``dedupe_key`` is unique for good (whatever the job's state)."""

    def __init__(self, access: Access) -> None:
        self._access = access

    async def enqueue(self, jobs_to_add: Iterable[NewJob], now: datetime) -> None:
        tables = await self._access.step(write=True)
        rows = [job.values(now) for job in jobs_to_add]
        plain = [r for r in rows if r["dedupe_key"] is None]
        keyed = [r for r in rows if r["dedupe_key"] is not None]
        for row in plain:
            _insert(tables, row)
        taken = {r["dedupe_key"] for r in tables.jobs.values()}
        for row in keyed:
            if row["dedupe_key"] not in taken:  # INSERT ... ON CONFLICT DO NOTHING
                taken.add(row["dedupe_key"])
                _insert(tables, row)

    async def claim(
        self, worker: str, now: datetime, *, lease: timedelta, limit: int = 10,
        kinds: Iterable[str] | None = None,
    ) -> list[JobRecord]:  # fmt: skip
        tables = await self._access.step(write=True)
        _bury_exhausted(tables, now)
        wanted = None if kinds is None else set(kinds)
        due = [
            r for r in tables.jobs.values()
            if ((r["state"] == "queued" and r["run_at"] <= now)
                or (r["state"] == "running" and r["locked_until"] < now))
            and (wanted is None or r["kind"] in wanted)
        ]  # fmt: skip
        due.sort(key=lambda r: (r["run_at"], r["id"]))
        claimed = due[:limit]
        for row in claimed:
            _lease(row, worker, now, lease)
        return sorted((_job(r) for r in claimed), key=lambda job: job.id)

    async def claim_keyed(
        self, dedupe_key: str, worker: str, now: datetime, lease: timedelta
    ) -> JobRecord | None:
        tables = await self._access.step(write=True)
        for row in tables.jobs.values():
            if row["dedupe_key"] == dedupe_key and row["state"] == "queued":
                _lease(row, worker, now, lease)
                return _job(row)
        return None

    async def renew(
        self, held: Iterable[JobRecord], worker: str, now: datetime, lease: timedelta
    ) -> set[int]:
        tables = await self._access.step(write=True)
        rows = _held(tables, held, worker)
        for row in rows:
            row.update(locked_until=aware(now + lease), updated_at=aware(now))
        return {row["id"] for row in rows}

    async def release(self, held: Iterable[JobRecord], worker: str, now: datetime) -> set[int]:
        tables = await self._access.step(write=True)
        rows = _held(tables, held, worker)
        for row in rows:
            row.update(state="queued", attempts=row["attempts"] - 1, locked_by=None,
                       locked_until=None, updated_at=aware(now))  # fmt: skip
        return {row["id"] for row in rows}

    async def complete(
        self, job_id: int, worker: str, now: datetime, *, attempt: int | None = None
    ) -> bool:
        return await self._finish(
            job_id, worker, now, attempt=attempt, state="done", last_error=None
        )

    async def fail(
        self,
        job: JobRecord,
        worker: str,
        error: str,
        now: datetime,
        *,
        delay: timedelta | None = None,
    ) -> bool:
        if job.attempts >= job.max_attempts:
            return await self._finish(
                job.id, worker, now, attempt=job.attempts, state="dead", last_error=error
            )
        run_at = now + (retry_delay(job.attempts) if delay is None else delay)
        return await self._finish(
            job.id, worker, now, attempt=job.attempts, state="queued", last_error=error,
            run_at=run_at,
        )  # fmt: skip

    async def entries(
        self, states: Iterable[str] = ("dead",), *, limit: int = 100,
        before_id: int | None = None,
    ) -> list[JobEntry]:  # fmt: skip
        wanted = set(states)
        unknown = wanted - set(LISTED_STATES)
        if unknown:
            raise ValueError(f"cannot list jobs in state(s) {sorted(unknown)}")
        tables = await self._access.step()

        def shown(row: Row) -> bool:
            retrying = row["state"] == "queued" and row["last_error"] is not None
            return row["state"] in wanted or ("retrying" in wanted and retrying)

        rows = [
            r for r in tables.jobs.values()
            if shown(r) and (before_id is None or r["id"] < before_id)
        ]  # fmt: skip
        rows.sort(key=lambda r: r["id"], reverse=True)
        return [_entry(r) for r in rows[:limit]]

    async def entry(self, job_id: int) -> JobEntry | None:
        tables = await self._access.step()
        row = tables.jobs.get(job_id)
        return _entry(row) if row else None

    async def requeue(self, job_id: int, now: datetime) -> JobEntry | None:
        tables = await self._access.step(write=True)
        row = tables.jobs.get(job_id)
        if row is None or row["state"] not in ("dead", "dismissed"):
            return None
        row.update(state="queued", attempts=0, run_at=aware(now), locked_by=None,
                   locked_until=None, updated_at=aware(now))  # fmt: skip
        return _entry(row)

    async def dismiss(self, job_id: int, now: datetime) -> JobEntry | None:
        tables = await self._access.step(write=True)
        row = tables.jobs.get(job_id)
        if row is None or row["state"] != "dead":
            return None
        row.update(state="dismissed", updated_at=aware(now))
        return _entry(row)

    async def live(self, key_prefix: str) -> bool:
        tables = await self._access.step()
        return any(
            row["state"] in ("queued", "running") and row["dedupe_key"] is not None
            and (row["dedupe_key"] == key_prefix or row["dedupe_key"].startswith(key_prefix + ":"))
            for row in tables.jobs.values()
        )  # fmt: skip

    async def counts(self) -> dict[str, int]:
        tables = await self._access.step()
        counts: dict[str, int] = {}
        for row in tables.jobs.values():
            counts[row["state"]] = counts.get(row["state"], 0) + 1
        return counts

    async def _finish(
        self, job_id: int, worker: str, now: datetime, *, attempt: int | None, **values: Any
    ) -> bool:
        tables = await self._access.step(write=True)
        row = tables.jobs.get(job_id)
        if row is None or row["locked_by"] != worker or row["state"] != "running":
            return False
        if attempt is not None and row["attempts"] != attempt:
            return False
        if values.get("last_error"):
            values["last_error"] = values["last_error"][:MAX_ERROR_CHARS]
        if "run_at" in values:
            values["run_at"] = aware(values["run_at"])
        row.update(values, locked_by=None, locked_until=None, updated_at=aware(now))
        return True


def _entry(row: Row) -> JobEntry:
    return JobEntry.from_row(FakeRow(row))  # type: ignore[arg-type]


def _held(tables: Tables, held: Iterable[JobRecord], worker: str) -> list[Row]:
    """The rows still carrying these claims (same attempt) of ``worker``."""
    rows = []
    for job in held:
        row = tables.jobs.get(job.id)
        if (row is not None and row["attempts"] == job.attempts and row["locked_by"] == worker
                and row["state"] == "running"):  # fmt: skip
            rows.append(row)
    return rows


def _insert(tables: Tables, values: Row) -> None:
    job_id = tables.new_id("jobs")
    tables.jobs[job_id] = {
        **values, "id": job_id, "payload": as_json(values["payload"]),
        "run_at": aware(values["run_at"]), "created_at": aware(values["created_at"]),
        "updated_at": aware(values["updated_at"]), "locked_by": None, "locked_until": None,
        "last_error": None,
    }  # fmt: skip


def _lease(row: Row, worker: str, now: datetime, lease: timedelta) -> None:
    row.update(state="running", locked_by=worker, locked_until=aware(now + lease),
               attempts=row["attempts"] + 1, updated_at=aware(now))  # fmt: skip


def _bury_exhausted(tables: Tables, now: datetime) -> None:
    for row in tables.jobs.values():
        if (row["state"] == "running" and row["locked_until"] < now
                and row["attempts"] >= row["max_attempts"]):  # fmt: skip
            row.update(state="dead", locked_by=None, locked_until=None, updated_at=aware(now),
                       last_error="lease expired on the last attempt")  # fmt: skip


class InMemoryIdempotency:
    """``IdempotencyRepository`` over dicts, unique by (scope, key)."""

    def __init__(self, access: Access) -> None:
        self._access = access

    async def get(self, scope: str, key: str) -> StoredAnswer | None:
        tables = await self._access.step()
        row = tables.idempotency_keys.get((scope, key))
        return (
            StoredAnswer(
                row["request_hash"], row["status_code"], row["response"], row["created_at"]
            )
            if row
            else None
        )

    async def claim(self, scope: str, key: str, request_hash: str, now: datetime) -> None:
        tables = await self._access.step(write=True)
        if (scope, key) in tables.idempotency_keys:
            raise Conflict(f"UNIQUE constraint failed: idempotency_keys {scope} {key}")
        tables.idempotency_keys[(scope, key)] = {
            "scope": scope, "key": key, "request_hash": request_hash, "status_code": 0,
            "response": {}, "created_at": aware(now),
        }  # fmt: skip

    async def release(self, scope: str, key: str) -> None:
        tables = await self._access.step(write=True)
        row = tables.idempotency_keys.get((scope, key))
        if row is not None and row["status_code"] == 0:
            del tables.idempotency_keys[(scope, key)]

    async def retake(self, scope: str, key: str, before: datetime, now: datetime) -> bool:
        tables = await self._access.step(write=True)
        row = tables.idempotency_keys.get((scope, key))
        if row is None or row["status_code"] != 0 or not row["created_at"] < before:
            return False
        row["created_at"] = aware(now)
        return True

    async def answer(self, scope: str, key: str, status_code: int, response: Any) -> None:
        tables = await self._access.step(write=True)
        row = tables.idempotency_keys.get((scope, key))
        if row is not None:
            row.update(status_code=status_code, response=as_json(response))


class InMemorySweeps:
    """``Sweeps`` over dicts."""

    def __init__(self, access: Access) -> None:
        self._access = access

    async def stale_holds(self, held_before: datetime) -> list[Awaited]:
        tables = await self._access.step()
        found: list[Awaited] = []
        for hold_id in sorted(tables.stock_holds):
            row = tables.stock_holds[hold_id]
            if row["state"] == "held" and row["created_at"] < held_before:
                order = tables.orders[row["order_id"]]
                waiting = Awaited(row["order_id"], order["merchant_uid"], row["imp_uid"])
                if waiting not in found:
                    found.append(waiting)
        return sorted(found, key=lambda w: w.order_id)

    async def expired_vbanks(self, due_before: datetime) -> list[Awaited]:
        tables = await self._access.step()
        found: list[Awaited] = []
        for hold_id in sorted(tables.stock_holds):
            row = tables.stock_holds[hold_id]
            payment = tables.payments.get(row["imp_uid"])
            if row["state"] != "held" or payment is None:
                continue
            due = payment.get("vbank_date")
            if (payment["pay_method"], payment["status"]) == ("vbank", "ready") and (
                due is not None and due < due_before
            ):
                order = tables.orders[row["order_id"]]
                waiting = Awaited(row["order_id"], order["merchant_uid"], row["imp_uid"])
                if waiting not in found:
                    found.append(waiting)
        return sorted(found, key=lambda w: w.order_id)

    async def unverified_orders(self) -> list[Awaited]:
        tables = await self._access.step()
        return [
            Awaited(order_id, row["merchant_uid"], row["imp_uid"])
            for order_id, row in sorted(tables.orders.items())
            if row["status"] == OrderStatus.UNVERIFIED.value and row["imp_uid"] is not None
        ]
