"""The Confirm Process (reference §6): the merchant's last word before approval.

When a window payment carries ``confirm_url``, i'mport POSTs ``imp_uid``,
``merchant_uid`` and ``amount`` there right before asking the PG to approve.
HTTP 200 lets the approval go on; any other answer, a timeout or a connection
error stops it and the payment fails with the merchant's ``reason``.  Every
call is kept as a ``ConfirmRecord`` (``GET /_emulator/confirms``).

The Confirm Process is enabled per merchant on request (§6): a ``confirm_url``
from a merchant without it is ignored — nothing is sent, the payment goes on —
and kept as an ``ignored`` record so the console shows why no call was made.
A call is made once and never retried: a timeout is a refusal (the reference
lists V1 retries as undocumented, §13; refusing is the safe reading).
"""

from __future__ import annotations

import asyncio
import json
import time

import httpx

from ..delivery.outbound import Outbound
from ..gateway import Gateway
from ..gateway.errors import Messages
from ..gateway.records import ConfirmRecord, Payment

__all__ = ["ask_merchant", "note_ignored", "refusal_reason"]

_BODY_EXCERPT = 500


def refusal_reason(status: int | None, body: str | None) -> str | None:
    """The ``fail_reason`` a confirm answer leads to, or None when it lets approval go on."""
    if status == 200:
        return None
    reason = None
    if body:
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("reason"), str | int | float):
            reason = str(data["reason"]).strip() or None
    return Messages.CONFIRM_REFUSED.format(reason=reason or Messages.CONFIRM_UNKNOWN_REASON)


async def ask_merchant(
    gateway: Gateway, outbound: Outbound, payment: Payment, url: str
) -> ConfirmRecord:
    """POST the confirm request for ``payment`` to ``url`` and record what it decided.

    Never raises for the merchant's failures: a timeout or a refused
    connection is an answer too (a refusal with an unknown reason).
    """
    payload = {
        "imp_uid": payment.imp_uid,
        "merchant_uid": payment.merchant_uid,
        "amount": payment.amount,
        "status": payment.status,
    }
    limit = outbound.settings.confirm_timeout
    status: int | None = None
    body: str | None = None
    error: str | None = None
    started = time.perf_counter()
    try:
        async with asyncio.timeout(limit):
            answer = await outbound.client.post(url, json=payload, timeout=limit)
        status, body = answer.status_code, answer.text[:_BODY_EXCERPT]
    except (httpx.HTTPError, TimeoutError) as exc:
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    reason = refusal_reason(status, body)
    record = ConfirmRecord(
        id=f"cf_{gateway.next_sequence():08d}",
        imp_code=payment.imp_code,
        url=url,
        request=payload,
        status=status,
        body=body,
        error=error,
        elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
        decision="approve" if reason is None else "refuse",
        fail_reason=reason,
        at=gateway.clock.now(),
    )
    gateway.state.confirms.append(record)
    gateway.touch()
    return record


def note_ignored(gateway: Gateway, payment: Payment, url: str) -> ConfirmRecord:
    """Record that ``url`` was not called: the merchant has no Confirm Process (§6)."""
    record = ConfirmRecord(
        id=f"cf_{gateway.next_sequence():08d}",
        imp_code=payment.imp_code,
        url=url,
        request={"imp_uid": payment.imp_uid, "merchant_uid": payment.merchant_uid,
                 "amount": payment.amount, "status": payment.status},
        error="Confirm Process 미사용 가맹점: confirm_url 무시 (not enabled for this merchant)",
        decision="ignored",
        at=gateway.clock.now(),
    )  # fmt: skip
    gateway.state.confirms.append(record)
    gateway.touch()
    return record
