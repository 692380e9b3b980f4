"""Watching the client's calls: one small record per exchange, handed to observers.

A call journal, metrics or an audit log all want the same few facts about each
call to i'mport — which operation, about which payment, how it ended, how long
it took — and none of them may slow a payment down or break it. So the client
builds a frozen ``CallRecord`` once per exchange (a call with its retries and
token refresh, as the caller sees it; answers served from the code-table cache
are no exchange) and gives it to every observer in turn. An observer that
raises is logged and skipped: the call's own result or error is unchanged.

A record names only ids (``imp_uid``, ``merchant_uid``, ``customer_uid``), never
card data, secrets or the buyer's personal data; ``message`` is i'mport's
refusal text (it names no buyer).

Outcome classes (``OUTCOMES``), the tree of ``errors.py`` folded in four::

    ok          i'mport answered with success (code 0, or 207)
    rejected    i'mport answered a refusal (ApiError: code and message kept)
    not_sent    the request never reached i'mport (NotSent)
    unknown     it may have been executed: no readable answer (OutcomeUnknown),
                a 5xx to a write, or the call was interrupted

Observers run on the caller's thread or event loop, inline: keep them quick
(append to a queue, bump a counter) and never block.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final, Literal

from .errors import ApiError, NotSent, OutcomeUnknown, ServerError
from .exchange import ApiRequest, Envelope

__all__ = ["OUTCOMES", "CallObserver", "CallRecord", "Outcome", "notify", "record_of"]

log = logging.getLogger("paydesk.iamport")

Outcome = Literal["ok", "rejected", "not_sent", "unknown"]
OUTCOMES: Final[tuple[Outcome, ...]] = ("ok", "rejected", "not_sent", "unknown")
#: The request keys a record may carry: ids, never amounts, card data or PII.
ID_KEYS: Final = ("imp_uid", "merchant_uid", "customer_uid")
MAX_MESSAGE_CHARS: Final = 500


@dataclass(frozen=True)
class CallRecord:
    """One exchange with i'mport, as observers see it.

    Attributes:
        operation: the client operation, e.g. ``"payments.get"``, ``"payments.cancel"``.
        method: HTTP method.
        path: request path below the base URL (ids only; the query is left out).
        outcome: ``ok``, ``rejected``, ``not_sent`` or ``unknown`` (see the module).
        imp_uid, merchant_uid, customer_uid: the ids the request names, if any.
        http_status: the status of the last answer; None when none was read.
        code: i'mport's envelope code (refusals), else None.
        message: i'mport's refusal text (``rejected``), or why it was ``not_sent``.
        error: the error's class name (``"NotFound"``, ``"OutcomeUnknown"``...), or None.
        duration: seconds from the first try to the outcome, retries included
            (on the client's clock).
        attempts: how many times the request was tried (1 without retries).
    """

    operation: str
    method: str
    path: str
    outcome: Outcome
    imp_uid: str | None = None
    merchant_uid: str | None = None
    customer_uid: str | None = None
    http_status: int | None = None
    code: int | None = None
    message: str | None = None
    error: str | None = None
    duration: float = 0.0
    attempts: int = 1


CallObserver = Callable[[CallRecord], None]
"""Called once per exchange with its record; must not block (and need not be thread-safe
for ``AsyncIamport``; for a shared ``Iamport`` it is called from the callers' threads)."""


def _id(request: ApiRequest, name: str) -> str | None:
    value = request.keys.get(name)
    if value is None and request.body is not None:
        value = request.body.get(name)
    return value if isinstance(value, str) and value else None


def _clip(text: str | None) -> str | None:
    return None if text is None else text[:MAX_MESSAGE_CHARS]


def record_of(
    request: ApiRequest,
    *,
    envelope: Envelope | None = None,
    error: BaseException | None = None,
    duration: float,
    attempts: int,
) -> CallRecord:
    """The record of ``request``, answered by ``envelope`` or ended by ``error``."""
    status = envelope.http_status if envelope is not None else getattr(error, "http_status", None)
    code = getattr(error, "code", None) if error is not None else None
    # i'mport's own refusal text, or ours for a request never sent; an unreadable
    # answer's excerpt is not kept (it could hold anything)
    message = error.message if isinstance(error, ApiError | NotSent) else None
    return CallRecord(
        operation=request.operation, method=request.method, path=request.path,
        outcome=outcome_of(error),
        imp_uid=_id(request, "imp_uid"), merchant_uid=_id(request, "merchant_uid"),
        customer_uid=_id(request, "customer_uid"),
        http_status=status if isinstance(status, int) else None,
        code=code if isinstance(code, int) else None,
        message=_clip(message),
        error=type(error).__name__ if error is not None else None,
        duration=max(0.0, duration), attempts=attempts,
    )  # fmt: skip


def outcome_of(error: BaseException | None) -> Outcome:
    """The outcome class of a call that ended with ``error`` (None: success)."""
    if error is None:
        return "ok"
    if isinstance(error, NotSent):
        return "not_sent"
    if isinstance(error, OutcomeUnknown):
        return "unknown"
    if isinstance(error, ServerError) and error.write:
        return "unknown"  # a PG may have acted before the failure
    if isinstance(error, ApiError):
        return "rejected"
    return "unknown"  # interrupted (cancelled) or a failure of our own: not provably unsent


def notify(observers: Iterable[CallObserver], record: CallRecord) -> None:
    """Give ``record`` to every observer; one that raises is logged and the rest still run."""
    for observer in observers:
        try:
            observer(record)
        except Exception:
            log.exception("call observer %r failed on %s; ignored", observer, record.operation)
