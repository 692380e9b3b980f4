"""An order's history as one time-ordered list: what each stored record says happened.

Pure conversions (no I/O): ``services.backoffice.Backoffice.timeline`` reads the
records and hands them to ``entries_of``. Each ``TimelineEntry`` has

- ``at``: when it happened (aware UTC);
- ``kind``: a stable key the admin pages translate and style (``KINDS``);
- ``title``: one short, language-neutral line (ids, statuses, amounts);
- ``detail``: the fields worth showing, as a flat dict of plain values;
- ``raw``: the record verbatim when there is one (a webhook's body, a confirm
  request, a cancel's request and answer), else None.

Kinds, in the order entries with the same instant are listed::

    order (always first) · decision · webhook · call · payment · refund · refund_attempt · job · drift
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from ..store.backoffice import OrderHeader
from ..store.gateway_calls import GatewayCall
from ..store.jobs import JobEntry
from ..store.ledger_records import AttemptRecord, InboxRecord, PaymentRecord, RefundRecord
from ..store.reconciliations import DriftItem
from ..store.records import DecisionRecord
from .job_kinds import (
    HOLD_CHECK,
    LEGACY_AUTO_REFUND,
    PROCESS_WEBHOOK,
    REVERIFY_PAYMENT,
    RUN_REFUND,
    VBANK_EXPIRE,
    VBANK_NOTIFY,
)

__all__ = ["KINDS", "OrderHistory", "TimelineEntry", "entries_of", "job_key_prefixes"]

KINDS: Final = ("order", "decision", "webhook", "call", "payment", "refund", "refund_attempt",
                "job", "drift")  # fmt: skip
_RANK = {kind: index for index, kind in enumerate(KINDS)}


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened to an order (see the module for the fields)."""

    at: datetime
    kind: str
    title: str
    detail: dict[str, Any] = field(default_factory=dict)
    raw: str | None = None


@dataclass(frozen=True)
class OrderHistory:
    """Every record about one order, as read from the store."""

    order: OrderHeader
    decisions: Sequence[tuple[DecisionRecord, dict[str, Any]]] = ()
    deliveries: Sequence[InboxRecord] = ()
    calls: Sequence[GatewayCall] = ()
    payments: Sequence[PaymentRecord] = ()
    refunds: Sequence[tuple[RefundRecord, Sequence[AttemptRecord]]] = ()
    jobs: Sequence[JobEntry] = ()
    drift: Sequence[DriftItem] = ()


def entries_of(history: OrderHistory) -> list[TimelineEntry]:
    """The history's entries: the order first, then oldest first (same instant: in ``KINDS``
    order). i'mport's own times (paid_at...) come in whole seconds, so a payment may carry
    an instant a little before the order's creation: the order still opens the list."""
    entries = [_order(history.order)]
    entries += [_decision(d, request) for d, request in history.decisions]
    entries += [_webhook(row) for row in history.deliveries]
    entries += [_call(call) for call in history.calls]
    for payment in history.payments:
        entries += _payment(payment)
    for refund, attempts in history.refunds:
        entries.append(_refund(refund))
        entries += [_attempt(refund, attempt) for attempt in attempts]
    entries += [_job(job) for job in history.jobs]
    entries += [_drift(item) for item in history.drift]
    first, *rest = entries
    return [first, *sorted(rest, key=lambda e: (e.at, _RANK.get(e.kind, len(KINDS))))]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str)


def _order(order: OrderHeader) -> TimelineEntry:
    detail = {"order_id": order.id, "merchant_uid": order.merchant_uid, "name": order.name,
              "status": order.status, "amount": order.amount, "currency": order.currency,
              "pay_method": order.pay_method, "pg": order.pg,
              "expires_at": order.expires_at}  # fmt: skip
    title = f"order {order.merchant_uid}: {order.amount} {order.currency}"
    return TimelineEntry(order.created_at, "order", title, detail)


def _decision(decision: DecisionRecord, request: dict[str, Any]) -> TimelineEntry:
    verdict = "approved" if decision.approved else f"refused ({decision.refusal})"
    detail = {"imp_uid": decision.imp_uid, "approved": decision.approved,
              "reason": decision.refusal.value if decision.refusal else None}  # fmt: skip
    return TimelineEntry(decision.decided_at, "decision", f"confirm {verdict}", detail,
                         _json(request) if request else None)  # fmt: skip


def _webhook(row: InboxRecord) -> TimelineEntry:
    state = row.outcome or ("error: " + row.error if row.error else "not processed")
    detail = {"inbox_id": row.id, "imp_uid": row.imp_uid, "merchant_uid": row.merchant_uid,
              "status": row.status, "source_ip": row.source_ip, "outcome": row.outcome,
              "processed_at": row.processed_at, "error": row.error,
              "body_size": row.body_size}  # fmt: skip
    title = f"webhook {row.status or '?'} → {state}"
    return TimelineEntry(row.received_at, "webhook", title, detail,
                         row.body.decode("utf-8", "replace"))  # fmt: skip


def _call(call: GatewayCall) -> TimelineEntry:
    detail = {"operation": call.operation, "method": call.method, "path": call.path,
              "outcome": call.outcome, "http_status": call.http_status, "code": call.code,
              "message": call.message, "error": call.error, "duration_ms": call.duration_ms,
              "attempts": call.attempts, "imp_uid": call.imp_uid,
              "merchant_uid": call.merchant_uid}  # fmt: skip
    return TimelineEntry(call.at, "call", f"{call.operation} → {call.outcome}", detail)


def _payment(payment: PaymentRecord) -> list[TimelineEntry]:
    detail = {"imp_uid": payment.imp_uid, "status": payment.status,
              "amount": payment.amount.amount, "cancelled": payment.cancelled.amount,
              "currency": payment.amount.currency, "pay_method": payment.pay_method,
              "pg_provider": payment.pg_provider, "apply_num": payment.apply_num,
              "pg_tid": payment.pg_tid, "fail_reason": payment.fail_reason,
              "verified_at": payment.verified_at}  # fmt: skip
    events = [(payment.paid_at, f"paid {payment.amount.amount} {payment.amount.currency}"),
              (payment.failed_at, f"failed: {payment.fail_reason or '-'}"),
              (payment.cancelled_at, f"cancelled {payment.cancelled.amount}")]  # fmt: skip
    found = [
        TimelineEntry(at, "payment", f"payment {payment.imp_uid} {title}", detail)
        for at, title in events
        if at is not None
    ]
    return found or [TimelineEntry(payment.created_at, "payment",
                                   f"payment {payment.imp_uid} {payment.status}", detail)]  # fmt: skip


def _refund(refund: RefundRecord) -> TimelineEntry:
    detail = {"refund_id": refund.id, "imp_uid": refund.imp_uid, "amount": refund.amount.amount,
              "currency": refund.amount.currency, "state": refund.state, "origin": refund.origin,
              "reason": refund.reason, "requested_by": refund.requested_by,
              "cancellation_id": refund.cancellation_id, "last_error": refund.last_error,
              "attempts": refund.attempts, "updated_at": refund.updated_at}  # fmt: skip
    title = f"refund #{refund.id} {refund.amount.amount} {refund.amount.currency}: {refund.state}"
    return TimelineEntry(refund.created_at, "refund", title, detail)


def _attempt(refund: RefundRecord, attempt: AttemptRecord) -> TimelineEntry:
    detail = {"refund_id": refund.id, "number": attempt.number, "amount": attempt.amount.amount,
              "checksum": attempt.checksum.amount, "classification": attempt.classification,
              "error": attempt.error, "finished_at": attempt.finished_at}  # fmt: skip
    title = f"cancel #{attempt.number} of refund #{refund.id}: {attempt.classification or 'sent'}"
    raw = _json({"request": attempt.request, "response": attempt.response})
    return TimelineEntry(attempt.started_at, "refund_attempt", title, detail, raw)


def _job(job: JobEntry) -> TimelineEntry:
    state = "retrying" if job.retrying else job.state
    detail = {"job_id": job.id, "kind": job.kind, "state": state, "attempts": job.attempts,
              "max_attempts": job.max_attempts, "last_error": job.last_error,
              "run_at": job.run_at, "dedupe_key": job.dedupe_key,
              "updated_at": job.updated_at}  # fmt: skip
    return TimelineEntry(job.created_at, "job", f"job {job.kind} #{job.id}: {state}", detail)


def _drift(item: DriftItem) -> TimelineEntry:
    detail = {"reconciliation_id": item.reconciliation_id, "drift": item.drift,
              "imp_uid": item.imp_uid, "iamport_status": item.iamport_status,
              "action": item.action, "resolved": item.resolved, **item.detail}  # fmt: skip
    title = f"reconciliation: {item.drift} ({'resolved' if item.resolved else 'needs a person'})"
    return TimelineEntry(item.created_at, "drift", title, detail)


def job_key_prefixes(
    imp_uids: Iterable[str], refund_ids: Iterable[int], inbox_ids: Iterable[int]
) -> list[str]:
    """The dedupe-key prefixes of the jobs about these payments, refunds and deliveries."""
    by_payment = (HOLD_CHECK, REVERIFY_PAYMENT, VBANK_NOTIFY, VBANK_EXPIRE)
    keys = [f"{kind}:{imp_uid}" for imp_uid in imp_uids for kind in by_payment]
    keys += [f"{kind}:{rid}" for rid in refund_ids for kind in (RUN_REFUND, LEGACY_AUTO_REFUND)]
    keys += [f"{PROCESS_WEBHOOK}:{inbox_id}" for inbox_id in inbox_ids]
    return keys
