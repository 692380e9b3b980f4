"""A fake i'mport behind the ``PaymentsApi`` port: payments a test puts there, errors it scripts.

``fetch`` answers with the stored ``Payment`` (or ``NotFound``); ``walk``
lists a status like ``GET /payments/status/{status}``; ``refund``
follows V1's cancel rules (checksum = the balance, never more than the
balance, nothing left → already cancelled) and appends to the cancel history.
A test may script the next calls to fail with any client error instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from typing import Any

from paydesk.core.money import Money
from paydesk.iamport import (
    AlreadyCancelled,
    CancelAmountExceeded,
    CancelEntry,
    ChecksumMismatch,
    IamportError,
    NotFound,
    NotSent,
    OutcomeUnknown,
    Payment,
    RefundAccountRequired,
    ServerError,
)
from paydesk.services.iamport_port import RefundParts

__all__ = [
    "PAID_AT",
    "FakeIamport",
    "not_found",
    "not_sent",
    "outcome_unknown",
    "payment",
    "server_error",
]

PAID_AT = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
_STATUS_TIME = {"ready": "started_at", "paid": "paid_at", "cancelled": "cancelled_at",
                "failed": "failed_at"}  # fmt: skip


def payment(
    imp_uid: str,
    merchant_uid: str,
    amount: int,
    status: str = "paid",
    *,
    cancelled: Iterable[tuple[str, int]] = (),
    **fields: Any,
) -> Payment:
    """A KRW ``Payment`` as i'mport would report it; ``cancelled`` is (cancellation_id, amount)."""
    history = [
        CancelEntry(amount=value, cancellation_id=cid, cancelled_at=PAID_AT)
        for cid, value in cancelled
    ]
    was_paid = status in ("paid", "cancelled")
    values: dict[str, Any] = {
        "imp_uid": imp_uid, "merchant_uid": merchant_uid, "amount": amount, "status": status,
        "pay_method": "card", "pg_provider": "html5_inicis", "currency": "KRW",
        "paid_at": PAID_AT if was_paid else None,
        "failed_at": PAID_AT if status == "failed" else None,
        "cancelled_at": PAID_AT if history else None,
        "cancel_amount": sum(e.amount for e in history), "cancel_history": history,
        "fail_reason": "card declined" if status == "failed" else None,
    }  # fmt: skip
    return Payment(**(values | fields))


def not_found(imp_uid: str = "") -> NotFound:
    return NotFound(f"no payment {imp_uid}", http_status=404, code=-1)


def outcome_unknown() -> OutcomeUnknown:
    return OutcomeUnknown("read timed out", write=False)


def not_sent() -> NotSent:
    return NotSent("connection refused")


def server_error() -> ServerError:
    return ServerError("bad gateway", write=False, http_status=502, code=None)


class FakeIamport:
    """``PaymentsApi`` over a dict of payments."""

    def __init__(self) -> None:
        self.payments: dict[str, Payment] = {}
        self.calls: list[tuple[str, str]] = []  # (operation, imp_uid), for assertions
        self.sent: list[dict[str, Any]] = []  # every cancel that reached i'mport, as sent
        self.holders: dict[tuple[str, str], str] = {}  # (bank, account) → holder
        self._faults: list[IamportError] = []
        self._lose_answers = 0

    def put(self, *payments: Payment) -> None:
        """What i'mport now says about these payments."""
        for entry in payments:
            self.payments[entry.imp_uid] = entry

    def fail_next(self, *errors: IamportError) -> None:
        """The next calls raise these, in order (then answers resume)."""
        self._faults.extend(errors)

    def lose_next_answer(self) -> None:
        """The next cancel is made (committed at i'mport), then its answer is lost."""
        self._lose_answers += 1

    async def account_holder(self, bank: str, account: str) -> str:
        await self._call("holder", account)
        if (bank, account) not in self.holders:
            raise not_found(account)
        return self.holders[(bank, account)]

    async def fetch(self, imp_uid: str) -> Payment:
        await self._call("fetch", imp_uid)
        if imp_uid not in self.payments:
            raise not_found(imp_uid)
        return self.payments[imp_uid]

    async def refund(
        self,
        imp_uid: str,
        *,
        amount: Money,
        checksum: Money,
        reason: str,
        parts: RefundParts | None = None,
    ) -> Payment:
        await self._call("refund", imp_uid)
        if imp_uid not in self.payments:
            raise not_found(imp_uid)
        current = self.payments[imp_uid]
        if current.pay_method == "vbank" and (parts is None or parts.account is None):
            raise RefundAccountRequired("결제취소에 실패하였습니다.(환불계좌 정보가 필요합니다)",
                                        http_status=200, code=1)  # fmt: skip
        balance = Money(int(current.amount) - int(current.cancel_amount))
        if not balance.is_positive():
            raise AlreadyCancelled("already cancelled", http_status=200, code=1)
        if checksum != balance:
            raise ChecksumMismatch("checksum mismatch", http_status=200, code=1)
        if amount > balance:
            raise CancelAmountExceeded("amount exceeds balance", http_status=200, code=1)
        history = [*current.cancel_history, CancelEntry(
            amount=amount.amount, cancellation_id=f"{imp_uid}-c{len(current.cancel_history)}",
            cancelled_at=PAID_AT, reason=reason,
        )]  # fmt: skip
        cancelled = current.model_copy(update={
            "status": "cancelled", "cancel_history": history, "cancelled_at": PAID_AT,
            "cancel_amount": int(current.cancel_amount) + amount.amount,
        })  # fmt: skip
        self.payments[imp_uid] = cancelled
        self.sent.append({"imp_uid": imp_uid, "amount": amount.amount,
                          "checksum": checksum.amount, "parts": parts})  # fmt: skip
        if self._lose_answers:
            self._lose_answers -= 1
            raise OutcomeUnknown("read timed out after the request was sent", write=True)
        return cancelled

    async def walk(
        self, status: str, *, since: datetime, until: datetime, limit: int = 100
    ) -> AsyncIterator[Payment]:
        """The payments in ``status`` whose status time is in ``since``..``until``, oldest first.

        Chosen when the walk starts (what changes meanwhile is yielded as it was).
        """
        await self._call("walk", status)
        field = _STATUS_TIME[status]
        chosen = [
            entry for entry in self.payments.values()
            if entry.status == status and (moment := getattr(entry, field)) is not None
            and since <= moment <= until
        ]  # fmt: skip
        chosen.sort(key=lambda entry: (getattr(entry, field), entry.imp_uid))
        for entry in chosen:
            await asyncio.sleep(0)
            yield entry

    async def _call(self, operation: str, imp_uid: str) -> None:
        self.calls.append((operation, imp_uid))
        await asyncio.sleep(0)
        if self._faults:
            raise self._faults.pop(0)
