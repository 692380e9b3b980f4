"""The ``refunds`` table, and ``refund_attempts``: refunds we make, and every cancellation i'mport reports.

Three kinds of row share ``refunds`` (``origin``):

- ``auto``: a refund we decided to make (a payment we cannot keep);
- ``merchant``: a refund asked for through the API;
- ``external``: a cancellation in a payment's history that no refund of ours
  accounts for (a console cancel, say); born ``succeeded``.

Ours move through ``core.refund_lifecycle`` and every move is conditional on
the state it comes from (``move``), so two runs of one refund never overwrite
each other. ``cancellation_id`` is unique: a cancellation is booked at most
once however many webhooks, completions and lookups report it. A new
cancellation settles the refund of ours *in flight* on that payment (at most
one is), else it is external.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ..core.money import Money
from ..core.outcomes import Cancellation
from ..core.refund_lifecycle import IN_FLIGHT, OPEN, RefundState
from .ledger_records import AttemptRecord, RefundAccount, RefundRecord
from .tables import refund_attempts, refunds

__all__ = [
    "MAX_ERROR_CHARS",
    "OPEN_STATES",
    "NewRefund",
    "RefundBook",
    "account_values",
    "tel_values",
]

#: States of a refund of ours that still holds its amount against the balance.
OPEN_STATES = tuple(state.value for state in OPEN)
_IN_FLIGHT = tuple(state.value for state in IN_FLIGHT)
_FINAL = (RefundState.SUCCEEDED.value, RefundState.FAILED.value)
_EXTERNAL_REASON = "cancelled at i'mport"
MAX_ERROR_CHARS = 2000
_NO_ACCOUNT = {"refund_holder": None, "refund_bank": None, "refund_account": None,
               "refund_tel": None}  # fmt: skip


@dataclass(frozen=True)
class NewRefund:
    """A refund of ours to record (``requested``)."""

    order_id: int | None
    imp_uid: str
    amount: Money
    reason: str
    origin: str  # auto | merchant
    tax_free: Money | None = None
    vat_amount: Money | None = None
    account: RefundAccount | None = None
    requested_by: str | None = None
    #: The holder's phone on its own (old smartro's card cancels); else the account's.
    tel: str | None = field(default=None, repr=False)

    def values(self, now: datetime) -> dict[str, Any]:
        return {
            "order_id": self.order_id, "imp_uid": self.imp_uid, "amount": self.amount.amount,
            "currency": self.amount.currency, "reason": self.reason,
            "state": RefundState.REQUESTED.value, "origin": self.origin,
            "tax_free": self.tax_free.amount if self.tax_free else None,
            "vat_amount": self.vat_amount.amount if self.vat_amount else None,
            **account_values(self.account), "requested_by": self.requested_by,
            "attempts": 0, "created_at": now, "updated_at": now,
        } | (tel_values(self.tel) if self.tel else {})  # fmt: skip


def account_values(account: RefundAccount | None) -> dict[str, Any]:
    """The refund-account columns of ``account`` (all None without one).

    ``refund_tel`` is also the column of a phone given without an account (``tel_values``).
    """
    if account is None:
        return dict(_NO_ACCOUNT)
    return {"refund_holder": account.holder, "refund_bank": account.bank,
            "refund_account": account.account, "refund_tel": account.tel}  # fmt: skip


def tel_values(tel: str) -> dict[str, Any]:
    """The column of the holder's phone given on its own (a refund waiting for it)."""
    return {"refund_tel": tel}


class RefundBook:
    """Refunds, inside the caller's transaction (which holds the order's lock)."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._db = connection

    async def get(self, refund_id: int) -> RefundRecord | None:
        row = (await self._db.execute(select(refunds).where(refunds.c.id == refund_id))).first()
        return RefundRecord.from_row(row) if row else None

    async def of_payment(self, imp_uid: str) -> list[RefundRecord]:
        query = select(refunds).where(refunds.c.imp_uid == imp_uid).order_by(refunds.c.id)
        return [RefundRecord.from_row(r) for r in await self._db.execute(query)]

    async def of_order(self, order_id: int) -> list[RefundRecord]:
        query = select(refunds).where(refunds.c.order_id == order_id).order_by(refunds.c.id)
        return [RefundRecord.from_row(r) for r in await self._db.execute(query)]

    async def open_ones(self, limit: int = 500) -> list[RefundRecord]:
        """Refunds of ours not final yet, oldest first (the sweep re-enqueues their jobs)."""
        query = (
            select(refunds)
            .where(refunds.c.state.in_(OPEN_STATES))
            .order_by(refunds.c.id)
            .limit(limit)
        )
        return [RefundRecord.from_row(r) for r in await self._db.execute(query)]

    async def book(
        self,
        order_id: int | None,
        imp_uid: str,
        cancellations: Sequence[Cancellation],
        now: datetime,
    ) -> list[Cancellation]:
        """Book the cancellations not booked yet; returns those (in history order).

        A new cancellation settles the refund of ours in flight on this payment
        (``sending`` or ``unknown``) when the amounts agree — our cancel whose
        answer may be lost; otherwise it is booked as an external refund.
        """
        rows = await self.of_payment(imp_uid)
        known = {r.cancellation_id for r in rows if r.cancellation_id}
        waiting = [r for r in rows if r.state in _IN_FLIGHT and r.cancellation_id is None]
        booked = []
        for entry in cancellations:
            if entry.cancellation_id in known:
                continue
            match = next((r for r in waiting if r.amount == entry.amount), None)
            if match is not None:
                waiting.remove(match)
                await self._settle(match.id, entry.cancellation_id, now)
            else:
                await self._external(order_id, imp_uid, entry, now)
            known.add(entry.cancellation_id)
            booked.append(entry)
        return booked

    async def owe(
        self, order_id: int | None, imp_uid: str, amount: Money, reason: str, now: datetime
    ) -> int | None:
        """Record a refund we must make; None if one of ours is already open or done."""
        for row in await self.of_payment(imp_uid):
            if row.origin == "auto" and row.state != RefundState.FAILED:
                return None
        return await self.add(NewRefund(order_id, imp_uid, amount, reason, "auto"), now)

    async def add(self, refund: NewRefund, now: datetime) -> int:
        """Record a refund of ours, ``requested``; returns its id."""
        statement = insert(refunds).values(refund.values(now)).returning(refunds.c.id)
        return int((await self._db.execute(statement)).scalar_one())

    async def move(
        self,
        refund_id: int,
        before: Iterable[RefundState],
        after: RefundState,
        now: datetime,
        **values: Any,
    ) -> bool:
        """Move the refund to ``after`` if it is still in one of ``before``; whether it moved.

        ``values`` are written with the move (``checksum``, ``amount``, ``last_error``,
        ``cancellation_id``, account columns...). A final refund forgets its
        refund account (PII is kept no longer than it is needed).
        """
        if "last_error" in values and values["last_error"] is not None:
            values["last_error"] = str(values["last_error"])[:MAX_ERROR_CHARS]
        if after.value in _FINAL:
            values = {**values, **_NO_ACCOUNT}
        statement = (
            update(refunds)
            .where(refunds.c.id == refund_id, refunds.c.state.in_([s.value for s in before]))
            .values(state=after.value, updated_at=now, **values)
        )
        return bool((await self._db.execute(statement)).rowcount == 1)

    async def start_attempt(
        self, refund: RefundRecord, amount: Money, checksum: Money, request: Mapping[str, Any],
        now: datetime,
    ) -> int:  # fmt: skip
        """Record a cancel about to be sent (call with the move to ``sending``); its id."""
        values = {
            "refund_id": refund.id, "number": refund.attempts + 1, "amount": amount.amount,
            "checksum": checksum.amount, "request": dict(request), "started_at": now,
        }  # fmt: skip
        statement = insert(refund_attempts).values(values).returning(refund_attempts.c.id)
        attempt_id = int((await self._db.execute(statement)).scalar_one())
        await self._db.execute(
            update(refunds).where(refunds.c.id == refund.id).values(attempts=refunds.c.attempts + 1)
        )
        return attempt_id

    async def finish_attempt(
        self,
        attempt_id: int,
        classification: str,
        now: datetime,
        *,
        response: Mapping[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        """Record what a sent cancel's answer meant."""
        statement = (
            update(refund_attempts)
            .where(refund_attempts.c.id == attempt_id, refund_attempts.c.finished_at.is_(None))
            .values(
                classification=classification, finished_at=now,
                response=dict(response) if response is not None else None,
                error=error[:MAX_ERROR_CHARS] if error else None,
            )
        )  # fmt: skip
        await self._db.execute(statement)

    async def attempts_of(self, refund: RefundRecord) -> list[AttemptRecord]:
        """Every cancel sent for ``refund``, in order."""
        query = (
            select(refund_attempts)
            .where(refund_attempts.c.refund_id == refund.id)
            .order_by(refund_attempts.c.number)
        )
        currency = refund.amount.currency
        return [AttemptRecord.from_row(r, currency) for r in await self._db.execute(query)]

    async def _settle(self, refund_id: int, cancellation_id: str, now: datetime) -> None:
        await self.move(refund_id, IN_FLIGHT, RefundState.SUCCEEDED, now,
                        cancellation_id=cancellation_id, last_error=None)  # fmt: skip

    async def _external(
        self, order_id: int | None, imp_uid: str, entry: Cancellation, now: datetime
    ) -> None:
        values = {
            "order_id": order_id, "imp_uid": imp_uid, "amount": entry.amount.amount,
            "currency": entry.amount.currency, "reason": _EXTERNAL_REASON,
            "state": RefundState.SUCCEEDED.value, "origin": "external",
            "cancellation_id": entry.cancellation_id, "attempts": 0,
            "created_at": now, "updated_at": now,
        }  # fmt: skip
        await self._db.execute(insert(refunds).values(values))
